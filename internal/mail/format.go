package mail

import (
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
