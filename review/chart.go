package review

import (
	"fmt"
	"slices"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/store"
)

// The dashboard's timeline, drawn on the server as SVG: time on x, one
// mark per finding (a link to it) in the row of its severity, coloured
// by severity, and below, one lane per zone with its windows shaded.
// Everything is numbers and names for the template, which escapes them.

const (
	chartWidth   = 1000
	chartLeft    = 180 // room for the row labels
	labelChars   = 26  // a lane label longer than this is cut
	chartRight   = 10
	chartRowH    = 16
	chartLaneH   = 18
	chartTop     = 8
	maxChartMark = 5000
)

var chartSeverities = []string{"critical", "high", "medium", "low", "info"}

type chart struct {
	Width, Height int
	PlotLeft      int
	PlotRight     int
	MarksBottom   int
	Rows          []chartRow
	Lanes         []chartLane
	Bands         []chartBand // every window, shaded behind the marks
	Marks         []chartMark
	Ticks         []chartTick
	Shown, Total  int
	Empty         bool
}

type chartRow struct {
	Label string
	Y     int // baseline of the label
}

type chartLane struct {
	Label string
	Y, H  int
	Bands []chartBand
}

type chartBand struct {
	X, W  float64
	Y, H  int
	Name  string
	Class string
	Title string
}

type chartMark struct {
	X     float64
	Y     int
	Class string
	Href  string
	Title string
}

type chartTick struct {
	X     float64
	Label string
}

// buildChart lays out the timeline of points against the calendar's
// windows. total is the number of findings in the store.
func buildChart(points []store.TimelinePoint, windows []calendar.Window, total int) chart {
	c := chart{Width: chartWidth, PlotLeft: chartLeft, PlotRight: chartWidth - chartRight, Shown: len(points), Total: total}
	var lo, hi time.Time
	widen := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if lo.IsZero() || t.Before(lo) {
			lo = t
		}
		if hi.IsZero() || t.After(hi) {
			hi = t
		}
	}
	for _, p := range points {
		widen(p.At)
	}
	for _, w := range windows {
		widen(w.Start)
		widen(w.End)
	}
	if lo.IsZero() {
		c.Empty = true
		return c
	}
	if !hi.After(lo) {
		lo, hi = lo.Add(-time.Hour), hi.Add(time.Hour)
	}
	pad := hi.Sub(lo) / 50
	lo, hi = lo.Add(-pad), hi.Add(pad)
	span := float64(hi.Sub(lo))
	plotW := float64(c.PlotRight - c.PlotLeft)
	x := func(t time.Time) float64 {
		if t.IsZero() || t.After(hi) {
			t = hi
		}
		if t.Before(lo) {
			t = lo
		}
		return float64(c.PlotLeft) + plotW*float64(t.Sub(lo))/span
	}

	rowY := map[string]int{}
	for i, sev := range chartSeverities {
		y := chartTop + i*chartRowH
		rowY[sev] = y + chartRowH/2
		c.Rows = append(c.Rows, chartRow{Label: sev, Y: y + chartRowH/2 + 4})
	}
	c.MarksBottom = chartTop + len(chartSeverities)*chartRowH
	for _, p := range points {
		y, ok := rowY[p.Severity]
		if !ok {
			y = rowY["info"]
		}
		c.Marks = append(c.Marks, chartMark{
			X: x(p.At), Y: y, Class: "sev-" + sevClass(p.Severity), Href: fmt.Sprintf("/findings/%d", p.FindingID),
			Title: fmt.Sprintf("#%d %s · %s · %s · %s", p.FindingID, p.Severity, p.Rule, p.Outlet, p.At.UTC().Format("Mon 02 Jan 15:04 UTC")),
		})
	}

	// Lanes: one per zone (in calendar order), then one for guidance.
	y := c.MarksBottom + 10
	lanes := map[string]int{}
	var order []string
	for _, w := range windows {
		key := w.ZoneName
		if w.Kind == calendar.KindGuidance {
			key = "guidance"
		} else if key == "" {
			key = w.Zone
		}
		if _, ok := lanes[key]; !ok {
			lanes[key] = len(order)
			order = append(order, key)
			c.Lanes = append(c.Lanes, chartLane{Label: key, Y: y, H: chartLaneH})
			y += chartLaneH + 4
		}
		l := &c.Lanes[lanes[key]]
		x0, x1 := x(w.Start), x(w.End)
		name := w.Name
		title := fmt.Sprintf("%s (%s): %s → %s", w.Ref(), key, fmtLocal(w.Start, w.Location), fmtEnd(w.End, w.Location))
		// Windows of one zone with the same span (silence and poll ban in
		// France) are one band named after both.
		merged := false
		for i := range l.Bands {
			if b := &l.Bands[i]; b.X == x0 && b.W == max(x1-x0, 1) {
				b.Name += " + " + name
				b.Title += "\n" + title
				if c := "win-" + windowClass(w.Name, w.Kind); c == "win-silence" {
					b.Class = c // the silence's shade wins
				}
				merged = true
			}
		}
		if merged {
			continue
		}
		b := chartBand{X: x0, W: max(x1-x0, 1), Y: l.Y, H: l.H, Name: name, Class: "win-" + windowClass(w.Name, w.Kind), Title: title}
		l.Bands = append(l.Bands, b)
		shade := b
		shade.Y, shade.H = chartTop, c.MarksBottom-chartTop
		c.Bands = append(c.Bands, shade)
	}
	c.Height = y + 22
	for i := range c.Lanes {
		l := &c.Lanes[i]
		l.Label = clipLabel(l.Label, labelChars)
		// A band's name must fit before the next band of its lane starts.
		for j := range l.Bands {
			room := l.Bands[j].W
			for k := range l.Bands {
				if d := l.Bands[k].X - l.Bands[j].X; d > 0 && d < room {
					room = d
				}
			}
			l.Bands[j].Name = clipLabel(l.Bands[j].Name, int((room-6)/6.5))
		}
	}

	// Ticks: about six, on whole hours.
	step := time.Duration(span) / 6
	for _, s := range []time.Duration{time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour} {
		if step <= s {
			step = s
			break
		}
	}
	for t := lo.Truncate(step).Add(step); t.Before(hi); t = t.Add(step) {
		c.Ticks = append(c.Ticks, chartTick{X: x(t), Label: t.UTC().Format("Mon 02 Jan 15:04")})
	}
	return c
}

func sevClass(sev string) string {
	if slices.Contains(chartSeverities, sev) {
		return sev
	}
	return "info"
}

// windowClass picks a shade for a window by its kind and name.
func windowClass(name string, kind calendar.Kind) string {
	switch {
	case kind == calendar.KindGuidance:
		return "guidance"
	case name == "silence":
		return "silence"
	default:
		return "other"
	}
}

func fmtLocal(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 02 Jan 15:04 MST")
}

func fmtEnd(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "open-ended"
	}
	return fmtLocal(t, loc)
}

// clipLabel cuts s to n characters, with an ellipsis; "" when even that
// does not fit.
func clipLabel(s string, n int) string {
	r := []rune(s)
	switch {
	case len(r) <= n:
		return s
	case n < 4:
		return ""
	}
	return string(r[:n-1]) + "…"
}
