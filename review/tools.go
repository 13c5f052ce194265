package review

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/backtest"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/relay"
	"github.com/silencewatch/silencewatch/spread"
)

// The editors' and researchers' tools: the self-check (a draft, a page or
// a feed against the rules, stored nowhere), the backtest of a rule over
// the record, and the page of each leak. The review package renders them;
// what it takes to check or replay comes from its caller (Options.Check,
// Options.Backtest), which owns fetching and the rule engine.

// CheckInput is what an editor gives the self-check: a draft (title and
// text), or a URL of a page or a feed; At is the moment to judge it at.
type CheckInput struct {
	Title, Text string
	URL         string
	At          time.Time
	Source      string // a configured outlet whose zones and tags apply; "" for none
}

// CheckedArticle is one article of a self-check and its findings.
type CheckedArticle struct {
	Article  article.Article
	Findings []finding.Finding
}

// Checker runs a self-check. It must not write to the store.
type Checker func(ctx context.Context, in CheckInput) ([]CheckedArticle, error)

// Backtester replays a rule over the record since a time.
type Backtester func(ctx context.Context, rule string, since time.Time) (backtest.Result, error)

type checkView struct {
	Title, Text, URL, At, Source string
	Sources                      []string
	Ran                          bool
	Error                        string
	Articles                     []checkedView
}

type checkedView struct {
	Title, URL string
	Findings   []checkFindingView
}

type checkFindingView struct {
	Severity, Rule, Title, Reference, Window string
	Until                                    string // when the window ends: from then the text is lawful again
	Segments                                 map[string][]Segment
	Fields                                   []string
}

func (s *Server) checkPage(w http.ResponseWriter, r *http.Request, u who) {
	v := checkView{At: s.clock.Now().UTC().Format("2006-01-02T15:04"), Sources: s.outlets}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		v.Title, v.Text, v.URL = r.PostFormValue("title"), r.PostFormValue("text"), strings.TrimSpace(r.PostFormValue("url"))
		v.Source, v.At = r.PostFormValue("source"), r.PostFormValue("at")
		v.Ran = true
		at, err := time.Parse("2006-01-02T15:04", strings.TrimSpace(v.At))
		switch {
		case s.check == nil:
			v.Error = "The self-check is not available here."
		case err != nil:
			v.Error = "The moment must be written YYYY-MM-DDTHH:MM (UTC)."
		case v.Source != "" && !slices.Contains(s.outlets, v.Source):
			v.Error = "Unknown outlet."
		case v.URL == "" && strings.TrimSpace(v.Text) == "" && strings.TrimSpace(v.Title) == "":
			v.Error = "Paste a draft, or give the URL of a page or of a feed."
		default:
			arts, err := s.check(r.Context(), CheckInput{Title: v.Title, Text: v.Text, URL: v.URL, At: at, Source: v.Source})
			if err != nil {
				v.Error = err.Error() // the caller's errors name what was wrong, escaped by the template
			}
			for _, ca := range arts {
				v.Articles = append(v.Articles, s.checkedView(ca))
			}
		}
	}
	s.render(w, r, http.StatusOK, "check", &u, v)
}

func (s *Server) checkedView(ca CheckedArticle) checkedView {
	a := &ca.Article
	cv := checkedView{Title: a.Title, URL: a.URL}
	fields := map[article.Field]string{article.FieldTitle: a.Title, article.FieldSummary: a.Summary, article.FieldContent: a.Content}
	for _, f := range ca.Findings {
		fv := checkFindingView{Severity: f.Severity.String(), Rule: f.Rule, Title: f.Title, Reference: f.Reference,
			Window: f.Window, Segments: map[string][]Segment{}}
		var end time.Time
		for _, zw := range f.ZoneWindows {
			if zw.End.After(end) {
				end = zw.End
			}
		}
		if !end.IsZero() {
			fv.Until = end.UTC().Format("Mon 02 Jan 2006 15:04 UTC")
		}
		spans := map[article.Field][]Span{}
		for _, e := range f.Evidence {
			spans[e.Field] = append(spans[e.Field], Span{e.Start, e.End})
		}
		for _, fl := range []article.Field{article.FieldTitle, article.FieldSummary, article.FieldContent} {
			if sp := spans[fl]; len(sp) > 0 && fields[fl] != "" {
				fv.Fields = append(fv.Fields, string(fl))
				fv.Segments[string(fl)] = Highlight(fields[fl], sp)
			}
		}
		cv.Findings = append(cv.Findings, fv)
	}
	return cv
}

type backtestView struct {
	Rules   []string
	Rule    string
	Since   string
	Ran     bool
	Error   string
	Result  backtest.Result
	Flagged []backtestRow
	Dropped []backtestRow
}

type backtestRow struct {
	ID                             int64 // stored finding row, for those no longer flagged
	Source, Title, URL, At, Window string
}

func (s *Server) backtestPage(w http.ResponseWriter, r *http.Request, u who) {
	q := r.URL.Query()
	v := backtestView{Rules: s.ruleIDs, Rule: q.Get("rule"), Since: q.Get("since")}
	if v.Since == "" {
		v.Since = s.clock.Now().Add(-7 * 24 * time.Hour).UTC().Format("2006-01-02T15:04")
	}
	if v.Rule != "" {
		v.Ran = true
		since, err := time.Parse("2006-01-02T15:04", v.Since)
		switch {
		case s.backtest == nil:
			v.Error = "The backtest is not available here."
		case err != nil:
			v.Error = "Since must be written YYYY-MM-DDTHH:MM (UTC)."
		case !slices.Contains(s.ruleIDs, v.Rule):
			v.Error = "Unknown rule."
		default:
			res, err := s.backtest(r.Context(), v.Rule, since)
			if err != nil {
				s.log.Error("review: backtest", "rule", v.Rule, "err", err)
				v.Error = "The backtest failed; the error is in the log."
				break
			}
			v.Result = res
			for _, h := range res.Flagged {
				a := h.Finding.Article
				v.Flagged = append(v.Flagged, backtestRow{Source: a.Source, Title: a.Title, URL: a.URL, At: h.Finding.BasisTime.UTC().Format(time.RFC3339), Window: h.Finding.Window})
			}
			for _, sf := range res.Unflagged {
				a := sf.Finding.Article
				v.Dropped = append(v.Dropped, backtestRow{ID: sf.ID, Source: a.Source, Title: a.Title, URL: a.URL, At: sf.Finding.BasisTime.UTC().Format(time.RFC3339), Window: sf.Finding.Window})
			}
		}
	}
	s.render(w, r, http.StatusOK, "backtest", &u, v)
}

type leakPageView struct {
	ID, Name, Disclosed string
	Identifiers, Names  []string
	Corpus              string
	Articles            []leakArticle
	Spread              leakSummary
}

type leakArticle struct {
	FindingID                   int64
	Source, Tags, Title, URL    string
	FirstSeen, How, Rule, Label string
}

// leaksPage lists every configured leak, its spread in one line, and the
// articles that quote or report its contents, in order of first sighting.
func (s *Server) leaksPage(w http.ResponseWriter, r *http.Request, u who) {
	rec, err := spread.Read(r.Context(), s.st) // every finding, and the relay edges
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	now := s.clock.Now()
	tags := map[string]string{}
	for _, src := range s.cfg.Sources {
		tags[src.Name] = strings.Join(src.Tags, " ")
	}
	var out []leakPageView
	for _, l := range s.cfg.Leaks {
		lv := leakPageView{ID: l.ID, Name: l.Name, Identifiers: l.Identifiers, Names: l.Names, Corpus: l.Corpus,
			Disclosed: l.DisclosedAt.UTC().Format(time.RFC3339)}
		sp := relay.Compute(rec.Input(s.cfg, l.ID, now))
		lv.Spread = leakSummary{Stage: sp.Stage, Articles: len(sp.Nodes), Edges: len(sp.Edges), Recent: sp.RecentOutlets}
		if lv.Spread.Stage == relay.StageNone {
			lv.Spread.Stage = "none"
		}
		seen := map[string]bool{} // one line per article (a finding key), its first sighting
		for _, sf := range rec.Findings {
			f := &sf.Finding
			how := ""
			switch {
			case quotes(f, l.ID):
				how = "quotes it"
			case f.Leak != nil && f.Leak.Leak == l.ID && f.Leak.Label == "content":
				how = "reports its contents"
			default:
				continue
			}
			key := f.Article.Source + "\x00" + f.Article.URL
			if seen[key] {
				continue
			}
			seen[key] = true
			label := ""
			if f.Leak != nil {
				label = f.Leak.Label
			}
			lv.Articles = append(lv.Articles, leakArticle{FindingID: sf.FindingID, Source: f.Article.Source, Tags: tags[f.Article.Source],
				Title: f.Article.Title, URL: f.Article.URL, FirstSeen: f.Article.FirstSeenAt.UTC().Format(time.RFC3339), How: how, Rule: f.Rule, Label: label})
		}
		slices.SortStableFunc(lv.Articles, func(a, b leakArticle) int { return strings.Compare(a.FirstSeen, b.FirstSeen) })
		out = append(out, lv)
	}
	s.render(w, r, http.StatusOK, "leaks", &u, out)
}

func quotes(f *finding.Finding, leak string) bool {
	for _, e := range f.Evidence {
		if e.Source != nil && e.Source.Leak == leak {
			return true
		}
	}
	return false
}
