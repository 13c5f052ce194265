package relay

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"slices"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
)

// Colours of the SVG chart's marks, by label.
var labelColours = map[string]string{
	"content":   "#c0392b",
	"existence": "#2471a3",
	"guidance":  "#1e8449",
	"other":     "#7f8c8d",
}

const (
	svgLeft   = 230 // outlet names
	svgRight  = 20
	svgTop    = 40
	svgRow    = 16
	svgWidth  = 1100
	svgBottom = 50
)

// WriteSVG draws the spread: time on x, one row per outlet grouped by
// tier (in tier order, untiered last), the windows of each zone shaded,
// one mark per article coloured by label (content, existence, guidance,
// other), relay edges as arrows. Every text is escaped.
func WriteSVG(w io.Writer, s Spread, tiers []string, windows []calendar.Window) error {
	bw := bufio.NewWriter(w)
	esc := html.EscapeString

	// Rows: outlets by tier, then by first appearance.
	rank := func(t string) int {
		if i := slices.Index(tiers, t); i >= 0 {
			return i
		}
		return len(tiers)
	}
	type row struct{ outlet, tier string }
	var rows []row
	seen := map[string]bool{}
	for _, n := range s.Nodes {
		if !seen[n.Outlet] {
			seen[n.Outlet] = true
			rows = append(rows, row{n.Outlet, n.Tier})
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int { return rank(a.tier) - rank(b.tier) })
	y := map[string]int{}
	var headers []struct {
		tier string
		y    int
	}
	cur := svgTop
	for i, r := range rows {
		if i == 0 || rows[i-1].tier != r.tier {
			cur += svgRow / 2
			headers = append(headers, struct {
				tier string
				y    int
			}{r.tier, cur})
			cur += svgRow
		}
		y[r.outlet] = cur
		cur += svgRow
	}
	height := cur + svgBottom

	// Time range: the articles, padded; windows are clipped to it.
	var lo, hi time.Time
	for _, n := range s.Nodes {
		if lo.IsZero() || n.At.Before(lo) {
			lo = n.At
		}
		if n.At.After(hi) {
			hi = n.At
		}
	}
	if lo.IsZero() {
		lo, hi = s.Now.Add(-time.Hour), s.Now
	}
	// A window opening or closing within a day of the articles is shown:
	// the silence a leak raced is part of its story.
	for _, win := range windows {
		for _, t := range []time.Time{win.Start, win.End} {
			if t.IsZero() {
				continue
			}
			if t.After(hi) && t.Sub(hi) <= 24*time.Hour {
				hi = t
			}
			if t.Before(lo) && lo.Sub(t) <= 24*time.Hour {
				lo = t
			}
		}
	}
	pad := max(hi.Sub(lo)/20, 10*time.Minute)
	lo, hi = lo.Add(-pad), hi.Add(pad)
	plot := float64(svgWidth - svgLeft - svgRight)
	x := func(t time.Time) float64 {
		if t.Before(lo) {
			t = lo
		}
		if t.After(hi) {
			t = hi
		}
		return svgLeft + plot*float64(t.Sub(lo))/float64(hi.Sub(lo))
	}

	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">
<title>%s</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>
<rect width="100%%" height="100%%" fill="white"/>
`, svgWidth, height, svgWidth, height, esc("Spread of leak "+s.Leak))
	fmt.Fprintf(bw, "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
		esc(fmt.Sprintf("Leak %s: stage %s, %d articles, %d relays", s.Leak, stageName(s.Stage), len(s.Nodes), len(s.Edges))))

	// Windows, one shade per zone, drawn first.
	shades := []string{"#f5b041", "#85c1e9", "#a9dfbf", "#d7bde2", "#f9e79f", "#aed6f1"}
	zoneShade := map[string]string{}
	for _, win := range windows {
		end := win.End
		if end.IsZero() {
			end = hi
		}
		if !end.After(lo) || !win.Start.Before(hi) {
			continue
		}
		key := win.Zone
		if _, ok := zoneShade[key]; !ok {
			zoneShade[key] = shades[len(zoneShade)%len(shades)]
		}
		x0, x1 := x(win.Start), x(end)
		label := win.Ref()
		if win.Zone != "" {
			label = win.Zone + ": " + label
		}
		fmt.Fprintf(bw, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.18\"><title>%s</title></rect>\n",
			x0, svgTop, x1-x0, height-svgTop-svgBottom, zoneShade[key], esc(label+" "+win.Start.UTC().Format(time.RFC3339)+" – "+end.UTC().Format(time.RFC3339)))
	}

	// Axis: a tick every step, labelled in UTC.
	axisY := height - svgBottom + 10
	fmt.Fprintf(bw, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", svgLeft, axisY, svgWidth-svgRight, axisY)
	step := tickStep(hi.Sub(lo))
	for t := lo.Truncate(step).Add(step); t.Before(hi); t = t.Add(step) {
		fmt.Fprintf(bw, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			x(t), axisY, x(t), axisY+4, x(t), axisY+16, esc(t.UTC().Format("Jan 2 15:04")))
	}
	fmt.Fprintf(bw, "<text x=\"%d\" y=\"%d\">UTC</text>\n", svgWidth-svgRight-20, axisY+30)

	for _, h := range headers {
		name := h.tier
		if name == "" {
			name = "(no tier)"
		}
		fmt.Fprintf(bw, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">%s</text>\n", h.y+4, esc(name))
	}
	for _, r := range rows {
		fmt.Fprintf(bw, "<text x=\"20\" y=\"%d\">%s</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>\n",
			y[r.outlet]+4, esc(r.outlet), svgLeft, y[r.outlet], svgWidth-svgRight, y[r.outlet])
	}

	pos := map[int64][2]float64{}
	for _, n := range s.Nodes {
		pos[n.ArticleID] = [2]float64{x(n.At), float64(y[n.Outlet])}
	}
	for _, e := range s.Edges {
		f, okF := pos[e.From.ArticleID]
		t, okT := pos[e.To.ArticleID]
		if !okF || !okT {
			continue
		}
		fmt.Fprintf(bw, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-width=\"1\" marker-end=\"url(#arrow)\"><title>%s</title></line>\n",
			f[0], f[1], t[0], t[1], esc(fmt.Sprintf("%s → %s: %d words", e.From.Outlet, e.To.Outlet, e.Words)))
	}
	for _, n := range s.Nodes {
		c, ok := labelColours[n.Label]
		if !ok {
			c = labelColours["other"]
		}
		p := pos[n.ArticleID]
		fmt.Fprintf(bw, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s</title></circle>\n",
			p[0], p[1], c, esc(fmt.Sprintf("%s (%s) %s: %s — %s", n.Outlet, n.Label, n.At.UTC().Format(time.RFC3339), n.Title, n.URL)))
	}
	// Legend.
	lx := svgWidth - 360
	for i, l := range []string{"content", "existence", "guidance", "other"} {
		fmt.Fprintf(bw, "<circle cx=\"%d\" cy=\"16\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"20\">%s</text>\n", lx+i*85, labelColours[l], lx+i*85+8, l)
	}
	fmt.Fprintln(bw, "</svg>")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("relay: svg: %w", err)
	}
	return nil
}

func stageName(s string) string {
	if s == StageNone {
		return "none"
	}
	return s
}

func tickStep(d time.Duration) time.Duration {
	for _, s := range []time.Duration{10 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour} {
		if d/s <= 12 {
			return s
		}
	}
	return 7 * 24 * time.Hour
}
