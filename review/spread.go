package review

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/relay"
	"github.com/silencewatch/silencewatch/spread"
)

// The page of one leak: its spread over outlets and tiers (package
// relay, read from the record by package spread as the spread command
// reads it), drawn as the command's SVG chart, with its key facts as
// text and the spread's files to download.

// stageTexts say what each stage means.
var stageTexts = map[string]string{
	relay.StageNone:         "no outlet of a tier that moves the stage has reported its contents",
	relay.StageMargins:      "its contents are only on leak sites and fringe outlets",
	relay.StageForeignState: "its contents are relayed by foreign state media",
	relay.StageMainstream:   "its contents are relayed by national media or a wire",
}

// spreadFiles are the downloads of a spread, by file name.
var spreadFiles = map[string]struct{ format, contentType string }{
	"spread.json": {"json", "application/json; charset=utf-8"},
	"spread.csv":  {"csv", "text/csv; charset=utf-8"},
	"spread.gexf": {"gexf", "application/gexf+xml; charset=utf-8"},
	"spread.svg":  {"svg", "image/svg+xml; charset=utf-8"},
}

var spreadFileOrder = []string{"spread.svg", "spread.json", "spread.gexf", "spread.csv"}

type spreadView struct {
	ID, Name, Disclosed string
	Stage, StageText    string
	Now                 timeCell
	Recent              int
	Content, Mentions   int
	Chart               template.HTML
	FirstByTier         []firstView
	Articles            []nodeView
	Edges               []spreadEdgeView
	Files               []string
}

type firstView struct {
	Tier string
	Node *nodeView // nil: no content report in this tier yet
}

type nodeView struct {
	ArticleID int64
	FindingID int64
	Outlet    string
	Tier      string
	Label     string
	Title     string
	URL       string
	When      string // UTC, to the minute
}

type spreadEdgeView struct {
	From, To       nodeView
	Words, Matched int
	Gap            string
}

// leakSummary is a leak's spread in one line of the leaks page.
type leakSummary struct {
	Stage                   string
	Articles, Edges, Recent int
}

func (s *Server) leakOf(w http.ResponseWriter, r *http.Request) (config.Leak, bool) {
	id := r.PathValue("id")
	i := slices.IndexFunc(s.cfg.Leaks, func(l config.Leak) bool { return l.ID == id })
	if i < 0 {
		s.errorPage(w, r, http.StatusNotFound, "No such leak.")
		return config.Leak{}, false
	}
	return s.cfg.Leaks[i], true
}

// svgChart renders the spread's chart for embedding in a page: the SVG
// of spread -format svg, its XML declaration dropped. relay.WriteSVG
// escapes every text it writes (titles and URLs are the outlets').
func (s *Server) svgChart(sp relay.Spread) (template.HTML, error) {
	var b bytes.Buffer
	if err := relay.WriteSVG(&b, sp, s.cfg.Tiers, s.cal.Windows()); err != nil {
		return "", err
	}
	out := b.Bytes()
	if bytes.HasPrefix(out, []byte("<?xml")) {
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	return template.HTML(out), nil
}

func (s *Server) leakPage(w http.ResponseWriter, r *http.Request, u who) {
	l, ok := s.leakOf(w, r)
	if !ok {
		return
	}
	now := s.clock.Now()
	sp, err := spread.Compute(r.Context(), s.st, s.cfg, l.ID, now)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	chart, err := s.svgChart(sp)
	if err != nil {
		s.log.Error("review: spread chart", "leak", l.ID, "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "The chart could not be drawn; the error is in the log.")
		return
	}
	v := spreadView{ID: l.ID, Name: l.Name, Disclosed: utcCell(l.DisclosedAt).UTC, Stage: sp.Stage, StageText: stageTexts[sp.Stage],
		Now: utcCell(now), Recent: sp.RecentOutlets, Chart: chart, Files: spreadFileOrder}
	if v.Stage == relay.StageNone {
		v.Stage = "none"
	}
	nodes := map[int64]nodeView{}
	for _, n := range sp.Nodes {
		nv := nodeView{ArticleID: n.ArticleID, FindingID: n.FindingID, Outlet: n.Outlet, Tier: n.Tier, Label: n.Label,
			Title: n.Title, URL: n.URL, When: n.At.UTC().Format("2006-01-02 15:04")}
		nodes[n.ArticleID] = nv
		v.Articles = append(v.Articles, nv)
		if n.Kind == relay.KindContent {
			v.Content++
		} else {
			v.Mentions++
		}
	}
	firsts := map[string]relay.First{}
	for _, f := range sp.Content.ByTier {
		firsts[f.Tier] = f
	}
	tiers := slices.Clone(s.cfg.Tiers)
	if _, ok := firsts[""]; ok {
		tiers = append(tiers, "")
	}
	for _, t := range tiers {
		fv := firstView{Tier: t}
		if f, ok := firsts[t]; ok {
			n := nodes[f.ArticleID]
			fv.Node = &n
		}
		v.FirstByTier = append(v.FirstByTier, fv)
	}
	for _, e := range sp.Edges {
		v.Edges = append(v.Edges, spreadEdgeView{From: nodes[e.From.ArticleID], To: nodes[e.To.ArticleID], Words: e.Words, Matched: e.Matched,
			Gap: gapText(e.To.At.Sub(e.From.At))})
	}
	s.render(w, r, http.StatusOK, "leak", &u, v)
}

// gapText prints the time between two articles to the minute.
func gapText(d time.Duration) string {
	if d < 0 {
		return "-" + gapText(-d)
	}
	d = d.Round(time.Minute)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days %d h", int(d.Hours())/24, int(d.Hours())%24)
}

// spreadFile answers a download of the leak page: the spread as JSON,
// CSV (its edges), GEXF or SVG, as spread -format writes it.
func (s *Server) spreadFile(w http.ResponseWriter, r *http.Request, u who) {
	l, ok := s.leakOf(w, r)
	if !ok {
		return
	}
	file, known := spreadFiles[r.PathValue("file")]
	if !known {
		s.errorPage(w, r, http.StatusNotFound, "No such file: the spread is spread.json, spread.csv, spread.gexf or spread.svg.")
		return
	}
	sp, err := spread.Compute(r.Context(), s.st, s.cfg, l.ID, s.clock.Now())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	var b bytes.Buffer
	switch file.format {
	case "json":
		err = relay.WriteJSON(&b, sp)
	case "csv":
		err = relay.WriteCSV(&b, sp)
	case "gexf":
		err = relay.WriteGEXF(&b, sp)
	case "svg":
		err = relay.WriteSVG(&b, sp, s.cfg.Tiers, s.cal.Windows())
	}
	if err != nil {
		s.log.Error("review: spread file", "leak", l.ID, "format", file.format, "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "The file could not be written; the error is in the log.")
		return
	}
	w.Header().Set("Content-Type", file.contentType)
	// Leak ids are lower-case letters, digits, '.', '_' and '-' (config).
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s"`, l.ID, r.PathValue("file")))
	w.Write(b.Bytes())
}
