package admin

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMinuteChartAxisInIST(t *testing.T) {
	// 18:30 UTC is midnight in India: the first label is the date, then
	// every three hours of IST.
	start := time.Date(2026, 11, 26, 18, 30, 0, 0, time.UTC)
	series := make([]int64, chartMinutes)
	series[120] = 7 // 02:00 IST
	svg, summary := minuteChart(series, start)
	labels := regexp.MustCompile(`text-anchor="middle" fill="#3e4c59">([^<]+)</text>`).FindAllStringSubmatch(string(svg), -1)
	var got []string
	for _, l := range labels {
		got = append(got, l[1])
	}
	want := "27 Nov 03:00 06:00 09:00 12:00 15:00 18:00 21:00"
	if strings.Join(got, " ") != want {
		t.Errorf("time labels = %q, want %q", got, want)
	}
	if want := "7 pledges in the last 24 hours, 0.0 a minute on average; the busiest minute was 02:00 on 27 Nov IST with 7."; summary != want {
		t.Errorf("summary = %q, want %q", summary, want)
	}
}

func TestNiceCeil(t *testing.T) {
	for n, want := range map[int64]int64{0: 2, 1: 2, 2: 2, 3: 5, 7: 10, 11: 20, 201: 500, 999: 1000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{"": "", "asha@example.in": "a***@example.in", "ऋषि@उदाहरण.भारत": "ऋ***@उदाहरण.भारत", "nope": "***", "@x.in": "***"} {
		if got := maskEmail(in); got != want {
			t.Errorf("maskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
