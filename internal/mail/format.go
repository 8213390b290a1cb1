package mail

import (
	"fmt"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printers format numbers with Indian digit grouping (12,345 and
// 12,34,567), as the web pages do.
var printers = map[string]*message.Printer{
	"en": message.NewPrinter(language.MustParse("en-IN")),
	"hi": message.NewPrinter(language.MustParse("hi-IN")),
}

// formatNumber formats n for lang ("en" or "hi").
func formatNumber(lang string, n int64) string {
	return printers[lang].Sprintf("%d", n)
}

var hindiMonths = [...]string{
	"जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून",
	"जुलाई", "अगस्त", "सितंबर", "अक्तूबर", "नवंबर", "दिसंबर",
}

// formatTime formats t in IST for lang: "2 March 2026, 5:30 pm IST" or
// "2 मार्च 2026, शाम 5:30 बजे IST".
func formatTime(lang string, t time.Time) string {
	t = t.In(pledge.IST)
	if lang != "hi" {
		return t.Format("2 January 2006, 3:04 pm") + " IST"
	}
	h := t.Hour() % 12
	if h == 0 {
		h = 12
	}
	return fmt.Sprintf("%d %s %d, %s %d:%02d बजे IST",
		t.Day(), hindiMonths[t.Month()-1], t.Year(), hindiDayPart(t.Hour()), h, t.Minute())
}

// hindiDayPart names the part of the day, as Hindi speakers say the time
// ("शाम 5 बजे") rather than using AM and PM.
func hindiDayPart(hour int) string {
	switch {
	case hour >= 4 && hour < 12:
		return "सुबह"
	case hour >= 12 && hour < 16:
		return "दोपहर"
	case hour >= 16 && hour < 20:
		return "शाम"
	default:
		return "रात"
	}
}
