package pledge

import (
	"fmt"
	"time"
)

// IST is India Standard Time, the zone campaign times are set and shown in
// and certificates are dated in. A fixed zone: India has no daylight
// saving, and the binary need not carry tzdata. Read-only, like time.UTC.
var IST = time.FixedZone("IST", 5*3600+30*60)

var hindiMonths = [...]string{
	"जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून",
	"जुलाई", "अगस्त", "सितंबर", "अक्तूबर", "नवंबर", "दिसंबर",
}

// FormatIST writes t in IST as people of lang say a date and time, the
// same on pages and in mail: "2 March 2026, 5:30 pm IST", or for Hindi
// "2 मार्च 2026, शाम 5:30 बजे IST". Midnight is written as the start of
// its day, "2 March 2026, 00:00 IST (start of the day)": "रात 12 बजे" on
// a date is read as the end of that day, a day late.
func FormatIST(lang string, t time.Time) string {
	t = t.In(IST)
	if t.Hour() == 0 && t.Minute() == 0 {
		if lang == "hi" {
			return fmt.Sprintf("%d %s %d, 00:00 बजे IST (दिन की शुरुआत)", t.Day(), hindiMonths[t.Month()-1], t.Year())
		}
		return t.Format("2 January 2006") + ", 00:00 IST (start of the day)"
	}
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
