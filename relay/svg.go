package relay

import (
	"bufio"
	"cmp"
	"fmt"
	"html"
	"io"
	"math"
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
	svgLeft   = 230 // outlet and zone names
	svgRight  = 20
	svgTop    = 50 // the title and the legend above
	svgRow    = 18
	svgLane   = 14 // a zone's lane of windows
	svgWidth  = 1100
	svgBottom = 40
	laneChars = 34 // a lane label longer than this is cut
)

// WriteSVG draws the spread: time on x, one row per outlet grouped by
// tier (in tier order, untiered last), the windows of each zone in a lane
// of their own below the outlets (and the time any window is open shaded
// behind them), one mark per article coloured by label (content,
// existence, guidance, other), relay edges as arrows. The time axis spans
// the articles and the windows' starts and ends near them. Every text is
// escaped.
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
	type header struct {
		text string
		y    int
	}
	var headers []header
	cur := svgTop
	for i, r := range rows {
		if i == 0 || rows[i-1].tier != r.tier {
			cur += svgRow / 2
			name := r.tier
			if name == "" {
				name = "(no tier)"
			}
			headers = append(headers, header{name, cur})
			cur += svgRow
		}
		y[r.outlet] = cur
		cur += svgRow
	}
	rowsBottom := cur

	// Time range: the articles, and the starts and ends of windows near
	// them (within half their span, at least two hours: the silence a
	// leak raced is part of its story), padded.
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
	near := max(hi.Sub(lo)/2, 2*time.Hour)
	from, to := lo.Add(-near), hi.Add(near)
	for _, win := range windows {
		for _, t := range []time.Time{win.Start, win.End} {
			if t.IsZero() || t.Before(from) || t.After(to) {
				continue
			}
			if t.Before(lo) {
				lo = t
			}
			if t.After(hi) {
				hi = t
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

	// Lanes: one per zone (and guidance) with a window in the range.
	type band struct {
		x0, x1 float64
		title  string
	}
	type lane struct {
		label, shade string
		y            int
		bands        []band
	}
	shades := []string{"#e67e22", "#2e86c1", "#28b463", "#8e44ad", "#d4ac0d", "#17a589", "#cb4335", "#5d6d7e"}
	var lanes []*lane
	byZone := map[string]*lane{}
	var open [][2]float64 // where some window is open, for the shading behind the rows
	for _, win := range windows {
		end := win.End
		if end.IsZero() {
			end = hi
		}
		if !end.After(lo) || !win.Start.Before(hi) {
			continue
		}
		key, label := win.Zone, win.ZoneName
		if label == "" {
			label = win.Zone
		}
		if win.Zone == "" {
			key, label = "\x00guidance", "guidance"
		}
		l := byZone[key]
		if l == nil {
			l = &lane{label: label, shade: shades[len(lanes)%len(shades)]}
			byZone[key] = l
			lanes = append(lanes, l)
		}
		title := win.Ref()
		if win.Zone != "" {
			title = win.Zone + ": " + title
		}
		x0, x1 := x(win.Start), x(end)
		l.bands = append(l.bands, band{x0, x1, title + " " + win.Start.UTC().Format(time.RFC3339) + " – " + end.UTC().Format(time.RFC3339)})
		open = append(open, [2]float64{x0, x1})
	}
	cur += svgRow / 2
	lanesHeader := cur
	if len(lanes) > 0 {
		cur += svgRow
	}
	for _, l := range lanes {
		l.y = cur
		cur += svgLane + 2
	}
	axisY := cur + 6
	height := axisY + svgBottom

	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">
<title>%s</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>
<rect width="100%%" height="100%%" fill="white"/>
`, svgWidth, height, svgWidth, height, esc("Spread of leak "+s.Leak))
	fmt.Fprintf(bw, "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
		esc(fmt.Sprintf("Leak %s: stage %s, %s, %s", s.Leak, stageName(s.Stage), count(len(s.Nodes), "article"), count(len(s.Edges), "relay"))))
	// Legend, under the title.
	lx := 10
	for _, l := range []string{"content", "existence", "guidance", "other"} {
		fmt.Fprintf(bw, "<circle cx=\"%d\" cy=\"36\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"40\">%s</text>\n", lx+4, labelColours[l], lx+12, l)
		lx += 85
	}
	fmt.Fprintf(bw, "<line x1=\"%d\" y1=\"36\" x2=\"%d\" y2=\"36\" stroke=\"#444\" marker-end=\"url(#arrow)\"/><text x=\"%d\" y=\"40\">relay: from the earlier article to the one reusing its words</text>\n", lx, lx+24, lx+30)
	lx += 370
	fmt.Fprintf(bw, "<rect x=\"%d\" y=\"31\" width=\"18\" height=\"10\" fill=\"#f5b041\" fill-opacity=\"0.3\"/><text x=\"%d\" y=\"40\">a window open in some zone</text>\n", lx, lx+24)

	// Behind the rows: where some window is open.
	slices.SortFunc(open, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
	for i := 0; i < len(open); {
		x0, x1 := open[i][0], open[i][1]
		j := i + 1
		for ; j < len(open) && open[j][0] <= x1; j++ {
			x1 = max(x1, open[j][1])
		}
		fmt.Fprintf(bw, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f5b041\" fill-opacity=\"0.15\"/>\n", x0, svgTop, x1-x0, rowsBottom-svgTop)
		i = j
	}

	// Axis: a tick every step, labelled in UTC, its line across the rows.
	fmt.Fprintf(bw, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", svgLeft, axisY, svgWidth-svgRight, axisY)
	step := tickStep(hi.Sub(lo))
	for t := lo.Truncate(step).Add(step); t.Before(hi); t = t.Add(step) {
		fmt.Fprintf(bw, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			x(t), svgTop, x(t), axisY, x(t), axisY, x(t), axisY+4, x(t), axisY+16, esc(t.UTC().Format("Jan 2 15:04")))
	}
	fmt.Fprintf(bw, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">UTC</text>\n", svgWidth-svgRight, axisY+30)

	for _, h := range headers {
		fmt.Fprintf(bw, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">%s</text>\n", h.y+4, esc(h.text))
	}
	for _, r := range rows {
		fmt.Fprintf(bw, "<text x=\"20\" y=\"%d\">%s</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n",
			y[r.outlet]+4, esc(cut(r.outlet, laneChars)), svgLeft, y[r.outlet], svgWidth-svgRight, y[r.outlet])
	}
	if len(lanes) > 0 {
		fmt.Fprintf(bw, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">windows</text>\n", lanesHeader+4)
	}
	for _, l := range lanes {
		fmt.Fprintf(bw, "<text x=\"20\" y=\"%d\">%s</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f4f4f4\"/>\n",
			l.y+svgLane-3, esc(cut(l.label, laneChars)), svgLeft, l.y, svgWidth-svgLeft-svgRight, svgLane)
		for _, b := range l.bands {
			fmt.Fprintf(bw, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.6\"><title>%s</title></rect>\n",
				b.x0, l.y, b.x1-b.x0, svgLane, l.shade, esc(b.title))
		}
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
		// The arrow ends at the mark's rim, not under it.
		if dx, dy := t[0]-f[0], t[1]-f[1]; dx*dx+dy*dy > 100 {
			d := math.Hypot(dx, dy)
			t[0], t[1] = t[0]-5*dx/d, t[1]-5*dy/d
		}
		fmt.Fprintf(bw, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\" stroke-width=\"1.2\" marker-end=\"url(#arrow)\"><title>%s</title></line>\n",
			f[0], f[1], t[0], t[1], esc(fmt.Sprintf("%s → %s: %d words", e.From.Outlet, e.To.Outlet, e.Words)))
	}
	for _, n := range s.Nodes {
		c, ok := labelColours[n.Label]
		if !ok {
			c = labelColours["other"]
		}
		p := pos[n.ArticleID]
		fmt.Fprintf(bw, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"white\"><title>%s</title></circle>\n",
			p[0], p[1], c, esc(fmt.Sprintf("%s (%s) %s: %s — %s", n.Outlet, n.Label, n.At.UTC().Format(time.RFC3339), n.Title, n.URL)))
	}
	fmt.Fprintln(bw, "</svg>")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("relay: svg: %w", err)
	}
	return nil
}

// count says n things, in the plural unless n is 1.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// cut shortens s to n runes, marking the cut.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
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
