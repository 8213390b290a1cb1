package admin

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Chart geometry, in SVG user units: one unit per minute across the plot.
const (
	chartLeft   = 52
	chartRight  = 16
	chartTop    = 12
	chartHeight = 180
	chartBottom = chartTop + chartHeight
	chartWidth  = chartLeft + chartMinutes + chartRight
	chartTotalH = chartBottom + 40
	tickEvery   = 3 * time.Hour
)

// minuteChart draws series (pledges per minute from start, one bucket a
// minute) as an inline SVG line chart with axis labels every three hours in
// IST, and describes it in words for the page and for screen readers.
func minuteChart(series []int64, start time.Time) (template.HTML, string) {
	var peak int64
	peakAt := 0
	var sum int64
	for i, v := range series {
		sum += v
		if v > peak {
			peak, peakAt = v, i
		}
	}
	top := niceCeil(peak)
	summary := "No pledges in the last 24 hours."
	if sum > 0 {
		busiest := start.Add(time.Duration(peakAt) * time.Minute).In(pledge.IST)
		summary = fmt.Sprintf("%d pledges in the last 24 hours, %.1f a minute on average; the busiest minute was %s IST with %d.",
			sum, float64(sum)/float64(len(series)), busiest.Format("15:04 on 2 Jan"), peak)
	}

	var b strings.Builder
	b.Grow(32 << 10)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="chart-title chart-desc" font-size="12" font-family="system-ui,sans-serif">`, chartWidth, chartTotalH)
	b.WriteString(`<title id="chart-title">Pledges per minute, last 24 hours</title>`)
	fmt.Fprintf(&b, `<desc id="chart-desc">%s</desc>`, template.HTMLEscapeString(summary))
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#fff"/>`, chartLeft, chartTop, chartMinutes, chartHeight)

	// Value axis: 0, half and the top.
	for _, v := range []int64{0, top / 2, top} {
		y := yOf(v, top)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%s" y2="%s" stroke="#cbd2d9"/>`, chartLeft, chartLeft+chartMinutes, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end" dominant-baseline="middle" fill="#3e4c59">%d</text>`, chartLeft-6, y, v)
	}
	// Time axis: every three hours of IST.
	s := start.In(pledge.IST)
	t := time.Date(s.Year(), s.Month(), s.Day(), s.Hour()/3*3, 0, 0, 0, pledge.IST)
	for t.Before(start) {
		t = t.Add(tickEvery)
	}
	for ; t.Before(start.Add(chartMinutes * time.Minute)); t = t.Add(tickEvery) {
		x := chartLeft + int(t.Sub(start)/time.Minute)
		label := t.Format("15:04")
		if t.Hour() == 0 {
			label = t.Format("2 Jan")
		}
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#cbd2d9"/>`, x, x, chartTop, chartBottom+4)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#3e4c59">%s</text>`, x, chartBottom+18, label)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#52606d">Time (IST, UTC+5:30)</text>`, chartLeft+chartMinutes/2, chartBottom+36)

	// The series, one point a minute.
	b.WriteString(`<polyline fill="none" stroke="#0b6e2e" stroke-width="1.5" stroke-linejoin="round" points="`)
	var num []byte
	for i, v := range series {
		if i > 0 {
			b.WriteByte(' ')
		}
		num = strconv.AppendInt(num[:0], int64(chartLeft+i), 10)
		b.Write(num)
		b.WriteByte(',')
		b.WriteString(yOf(v, top))
	}
	b.WriteString(`"/></svg>`)
	// Safe: the markup holds only numbers, fixed text and the escaped summary.
	return template.HTML(b.String()), summary
}

// yOf is the height of value v on an axis from 0 to top, to a tenth of a unit.
func yOf(v, top int64) string {
	y := float64(chartBottom) - float64(v)*chartHeight/float64(top)
	return strconv.FormatFloat(y, 'f', 1, 64)
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, and to at least
// 2, so that an empty chart still has a scale.
func niceCeil(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= n && m*p >= 2 {
				return m * p
			}
		}
	}
}
