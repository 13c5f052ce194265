package review

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/export"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// PageSize is how many findings a list page shows.
const PageSize = 50

// WebVerdicts are the verdicts the web form and the API record.
var webVerdicts = []string{"confirmed", "false_positive", "needs_legal_review"}

var verdictLabels = map[string]string{
	"confirmed": "Confirmed", "false_positive": "False positive", "needs_legal_review": "Needs legal review",
	"acknowledged": "Acknowledged", "none": "No verdict",
}

// MaxNoteLen bounds a verdict's note, in characters.
const MaxNoteLen = 2000

// Dashboard.

type dashboardView struct {
	Counts store.ReviewCounts
	Chart  chart
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, u who) {
	counts, err := s.st.CountFindings(r.Context())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	points, err := s.st.Timeline(r.Context(), maxChartMark)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "dashboard", &u, dashboardView{Counts: counts, Chart: buildChart(points, s.cal.Windows(), counts.Total)})
}

// Findings list.

type listView struct {
	Q                     store.FindingQuery
	From, To              string // as typed
	Rows                  []rowView
	Total, Page, Pages    int
	First, Last           int
	PrevURL, NextURL      string
	SortURLs              map[string]string
	Rules, Zones, Outlets []string
	Severities, Verdicts  []string
}

type rowView struct {
	ID                int64
	Key               string
	Rule, Title       string
	Severity          string
	Outlet            string
	ArticleTitle      string
	Basis             timeCell
	Zones             string
	Window            string
	Verdict, VerdictL string
	Late              bool
}

type timeCell struct {
	Local, UTC string
}

func utcCell(t time.Time) timeCell {
	if t.IsZero() {
		return timeCell{}
	}
	u := t.UTC().Format("2006-01-02 15:04:05 UTC")
	return timeCell{Local: u, UTC: u}
}

func zoneCell(t time.Time, loc *time.Location) timeCell {
	if t.IsZero() {
		return timeCell{}
	}
	return timeCell{Local: t.In(loc).Format("Mon 02 Jan 15:04:05 MST"), UTC: t.UTC().Format("2006-01-02 15:04:05 UTC")}
}

// errBadQuery is a filter the user typed wrong.
type errBadQuery struct{ msg string }

func (e errBadQuery) Error() string { return e.msg }

// parseQuery reads the filters of the list page and of GET /api/findings.
func parseQuery(v url.Values) (store.FindingQuery, int, error) {
	q := store.FindingQuery{
		Rule: v.Get("rule"), Severity: v.Get("severity"), Zone: v.Get("zone"), Outlet: v.Get("outlet"),
		Verdict: v.Get("verdict"), Text: strings.TrimSpace(v.Get("q")), Sort: v.Get("sort"), Limit: PageSize,
	}
	if len(q.Text) > 500 {
		return q, 0, errBadQuery{"the search is longer than 500 characters"}
	}
	if q.Severity != "" {
		if _, err := config.ParseSeverity(q.Severity); err != nil {
			return q, 0, errBadQuery{fmt.Sprintf("severity %q: want info, low, medium, high or critical", q.Severity)}
		}
	}
	switch q.Sort {
	case "", "time", "time-asc", "severity", "severity-asc":
	default:
		return q, 0, errBadQuery{fmt.Sprintf("sort %q: want time, time-asc, severity or severity-asc", q.Sort)}
	}
	var err error
	if q.From, err = parseTime(v.Get("from")); err != nil {
		return q, 0, errBadQuery{"from: " + err.Error()}
	}
	if q.To, err = parseTime(v.Get("to")); err != nil {
		return q, 0, errBadQuery{"to: " + err.Error()}
	}
	page := 1
	if p := v.Get("page"); p != "" {
		if page, err = strconv.Atoi(p); err != nil || page < 1 || page > 1_000_000 {
			return q, 0, errBadQuery{fmt.Sprintf("page %q: want a number from 1", p)}
		}
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return q, 0, errBadQuery{fmt.Sprintf("limit %q: want 1 to 500", l)}
		}
		q.Limit = n
	}
	q.Offset = (page - 1) * q.Limit
	return q, page, nil
}

// parseTime reads RFC 3339, or YYYY-MM-DDTHH:MM or YYYY-MM-DD in UTC.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time, YYYY-MM-DDTHH:MM or YYYY-MM-DD (UTC)", s)
}

func (s *Server) findingsPage(w http.ResponseWriter, r *http.Request, u who) {
	v := r.URL.Query()
	q, page, err := parseQuery(v)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, err.Error())
		return
	}
	rows, total, err := s.st.ReviewFindings(r.Context(), q)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	lv := listView{Q: q, From: v.Get("from"), To: v.Get("to"), Total: total, Page: page,
		Pages: max((total+q.Limit-1)/q.Limit, 1), Severities: chartSeverities, SortURLs: map[string]string{},
		Rules: withValue(s.ruleIDs, q.Rule), Zones: withValue(s.zoneIDs, q.Zone), Outlets: withValue(s.outlets, q.Outlet)}
	lv.Verdicts = append([]string{"none"}, append(slices.Clone(webVerdicts), "acknowledged")...)
	for _, row := range rows {
		lv.Rows = append(lv.Rows, makeRow(row))
	}
	if len(rows) > 0 {
		lv.First, lv.Last = q.Offset+1, q.Offset+len(rows)
	}
	link := func(change map[string]string) string {
		c := url.Values{}
		for k, vs := range v {
			c[k] = vs
		}
		for k, val := range change {
			if val == "" {
				c.Del(k)
			} else {
				c.Set(k, val)
			}
		}
		return "/findings?" + c.Encode()
	}
	if page > 1 {
		lv.PrevURL = link(map[string]string{"page": strconv.Itoa(page - 1)})
	}
	if page < lv.Pages {
		lv.NextURL = link(map[string]string{"page": strconv.Itoa(page + 1)})
	}
	for _, sort := range []string{"time", "time-asc", "severity", "severity-asc"} {
		lv.SortURLs[sort] = link(map[string]string{"sort": sort, "page": ""})
	}
	s.render(w, r, http.StatusOK, "findings", &u, lv)
}

// withValue is a filter's choices, the chosen value included even when
// the config no longer names it (a rule since removed).
func withValue(choices []string, v string) []string {
	if v == "" || slices.Contains(choices, v) {
		return choices
	}
	return append(slices.Clone(choices), v)
}

func makeRow(row store.FindingRow) rowView {
	f := &row.Finding
	return rowView{
		ID: row.ID, Key: f.ID, Rule: f.Rule, Title: f.Title, Severity: f.Severity.String(), Outlet: row.Outlet,
		ArticleTitle: f.Article.Title, Basis: utcCell(f.BasisTime), Zones: strings.Join(f.Zones, ", "),
		Window: f.Window, Verdict: row.Verdict, VerdictL: verdictLabels[row.Verdict], Late: row.Late,
	}
}

// Finding page.

type findingView struct {
	ID        int64
	F         finding.Finding
	Severity  string
	Outlet    string
	Late      bool
	CreatedAt timeCell
	// ArticleURL is the outlet's URL when it is http(s), to link to;
	// otherwise only shown as text.
	ArticleURL string
	RuleKnown  bool
	Fields     []fieldView
	Evidence   []evidenceView
	Leaks      []leakView
	// RelaysIn are earlier articles of other outlets whose words this
	// version reuses; RelaysOut later ones reusing its words.
	RelaysIn, RelaysOut []relayView
	Versions            []versionView
	Times               []zoneTimes
	Published           timeCell
	FirstSeen           timeCell
	Basis               timeCell
	Events              []eventView
	Latest              *verdictView
	History             []verdictView
	CanVerdict          bool
	Verdicts            []verdictChoice
	// Slack is a link to each Slack message the finding was alerted as.
	Slack []slackLink
}

type slackLink struct{ Channel, URL string }

type fieldView struct {
	Name     string
	Segments []Segment
	Marks    int
}

type evidenceView struct {
	N                   int
	Kind, Field         string
	Text, Pattern       string
	Before, After       string
	Start, End          int
	HasSource           bool
	OutOfRange, Shifted bool
}

type leakView struct {
	N                     int
	Before, Text, After   string
	Leak, DocID, DocTitle string
	DocText               string
	Words, Matched        int
}

type versionView struct {
	Version   int
	VersionID int64
	FetchedAt timeCell
	Title     string
	Extractor string
	Diff      []Segment
	Current   bool
}

type zoneTimes struct {
	Zone, Name, TZ       string
	Published, FirstSeen timeCell
	Basis                timeCell
	Start, End           timeCell
	Elapsed              string
}

type eventView struct {
	Kind, Detail string
	At           timeCell
}

type verdictView struct {
	Verdict, Label string
	User, Team     string
	Source, Note   string
	At             timeCell
}

type verdictChoice struct{ Value, Label string }

func (s *Server) findingID(w http.ResponseWriter, r *http.Request) (store.StoredFinding, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFoundFor(w, r)
		return store.StoredFinding{}, false
	}
	sf, err := s.st.FindingByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.notFoundFor(w, r)
		return store.StoredFinding{}, false
	}
	if err != nil {
		s.storeError(w, r, err)
		return store.StoredFinding{}, false
	}
	return sf, true
}

func (s *Server) notFoundFor(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSONError(w, http.StatusNotFound, "no such finding")
		return
	}
	s.errorPage(w, r, http.StatusNotFound, "No such finding.")
}

func (s *Server) findingPage(w http.ResponseWriter, r *http.Request, u who) {
	sf, ok := s.findingID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	ver, err := s.st.VersionInfo(ctx, sf.VersionID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	versions, err := s.st.ArticleVersions(ctx, sf.ArticleID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	events, err := s.st.ArticleEvents(ctx, sf.ArticleID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	history, err := s.st.VerdictEntries(ctx, sf.ID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	f := sf.Finding
	fv := findingView{
		ID: sf.ID, F: f, Severity: f.Severity.String(), Outlet: f.Article.Source, Late: sf.Late,
		CreatedAt: utcCell(sf.CreatedAt), Published: utcCell(f.Article.PublishedAt), FirstSeen: utcCell(f.Article.FirstSeenAt),
		Basis: utcCell(f.BasisTime), CanVerdict: can(u.user.Role, store.RoleReviewer),
	}
	if _, fv.RuleKnown = s.rules[f.Rule]; fv.RuleKnown && f.Reference == "" {
		fv.F.Reference = s.rules[f.Rule].Reference
	}
	if pu, err := url.Parse(f.Article.URL); err == nil && (pu.Scheme == "http" || pu.Scheme == "https") && pu.Host != "" {
		fv.ArticleURL = pu.String()
	}
	msgs, err := s.st.SlackMessages(r.Context(), sf.ID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	for _, m := range msgs {
		if m.ChannelID != "" {
			// slack.com/archives opens the message in the reader's workspace.
			fv.Slack = append(fv.Slack, slackLink{Channel: m.Channel,
				URL: "https://slack.com/archives/" + url.PathEscape(m.ChannelID) + "/p" + strings.ReplaceAll(m.TS, ".", "")})
		}
	}
	texts := map[article.Field]string{article.FieldTitle: ver.Title, article.FieldSummary: ver.Summary, article.FieldContent: ver.Content}
	spans := map[article.Field][]Span{}
	for i, ev := range f.Evidence {
		e := evidenceView{N: i + 1, Kind: ev.Kind, Field: string(ev.Field), Text: ev.Text, Pattern: ev.Pattern,
			Before: ev.Before, After: ev.After, Start: ev.Start, End: ev.End, HasSource: ev.Source != nil}
		text, known := texts[ev.Field]
		switch {
		case !known || ev.Start < 0 || ev.End > len(text) || ev.Start >= ev.End:
			e.OutOfRange = true
		default:
			spans[ev.Field] = append(spans[ev.Field], Span{ev.Start, ev.End})
			e.Shifted = text[ev.Start:ev.End] != ev.Text
		}
		fv.Evidence = append(fv.Evidence, e)
		if ev.Source != nil {
			fv.Leaks = append(fv.Leaks, leakView{N: i + 1, Before: ev.Before, Text: ev.Text, After: ev.After,
				Leak: ev.Source.Leak, DocID: ev.Source.DocID, DocTitle: ev.Source.DocTitle, DocText: ev.Source.DocText,
				Words: ev.Source.Words, Matched: ev.Source.Matched})
		}
	}
	rels, err := s.st.EdgesOfVersion(ctx, sf.VersionID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if fv.RelaysIn, fv.RelaysOut, err = s.relayViews(ctx, ver, appeared(f.Article.PublishedAt, f.Article.FirstSeenAt), rels); err != nil {
		s.storeError(w, r, err)
		return
	}
	for _, name := range []article.Field{article.FieldTitle, article.FieldSummary, article.FieldContent} {
		if texts[name] == "" {
			continue
		}
		fv.Fields = append(fv.Fields, fieldView{Name: string(name), Segments: Highlight(texts[name], spans[name]), Marks: len(spans[name])})
	}
	for _, v := range versions {
		fv.Versions = append(fv.Versions, versionView{Version: v.Version, VersionID: v.VersionID, FetchedAt: utcCell(v.FetchedAt),
			Title: v.Title, Extractor: v.Extractor, Diff: DiffSegments(v.Diff), Current: v.VersionID == sf.VersionID})
	}
	for _, zw := range f.ZoneWindows {
		loc, err := time.LoadLocation(zw.TimeZone)
		if err != nil || zw.TimeZone == "" {
			loc = time.UTC
		}
		fv.Times = append(fv.Times, zoneTimes{Zone: zw.Zone, Name: zw.ZoneName, TZ: loc.String(),
			Published: zoneCell(f.Article.PublishedAt, loc), FirstSeen: zoneCell(f.Article.FirstSeenAt, loc),
			Basis: zoneCell(f.BasisTime, loc), Start: zoneCell(zw.Start, loc), End: zoneCell(zw.End, loc), Elapsed: zw.Elapsed})
	}
	for _, e := range events {
		fv.Events = append(fv.Events, eventView{Kind: e.Kind, Detail: e.Detail, At: utcCell(e.At)})
	}
	for _, h := range history {
		fv.History = append(fv.History, makeVerdictView(h))
	}
	if n := len(fv.History); n > 0 {
		fv.Latest = &fv.History[n-1]
	}
	for _, v := range webVerdicts {
		fv.Verdicts = append(fv.Verdicts, verdictChoice{v, verdictLabels[v]})
	}
	s.render(w, r, http.StatusOK, "finding", &u, fv)
}

func makeVerdictView(h store.VerdictEntry) verdictView {
	label := verdictLabels[h.Verdict.Verdict]
	if label == "" {
		label = h.Verdict.Verdict
	}
	return verdictView{Verdict: h.Verdict.Verdict, Label: label, User: h.User, Team: h.Team, Source: h.Source, Note: h.Note, At: utcCell(h.At)}
}

// verdictForm records a verdict from the finding page's form.
func (s *Server) verdictForm(w http.ResponseWriter, r *http.Request, u who) {
	sf, ok := s.findingID(w, r)
	if !ok {
		return
	}
	if msg := s.recordVerdict(r, sf.ID, u.user, r.PostFormValue("verdict"), r.PostFormValue("note")); msg != "" {
		s.errorPage(w, r, http.StatusBadRequest, msg)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/findings/%d#verdict", sf.ID), http.StatusSeeOther)
}

// recordVerdict validates and records a web verdict; it returns what was
// wrong with it, "" when it was recorded. Store failures are logged and
// reported as such.
func (s *Server) recordVerdict(r *http.Request, id int64, u store.User, verdict, note string) string {
	if !slices.Contains(webVerdicts, verdict) {
		return fmt.Sprintf("verdict %q: want one of %s", verdict, strings.Join(webVerdicts, ", "))
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > MaxNoteLen {
		return fmt.Sprintf("the note is longer than %d characters", MaxNoteLen)
	}
	v := store.Verdict{Verdict: verdict, User: u.Name, At: s.clock.Now()}
	if err := s.st.RecordVerdict(r.Context(), id, v, store.VerdictFromWeb, note); err != nil {
		s.log.Error("review: recording a verdict", "finding", id, "user", u.Name, "err", err)
		return "the verdict could not be stored"
	}
	s.log.Info("verdict recorded", "finding", id, "verdict", verdict, "user", u.Name, "source", store.VerdictFromWeb)
	if s.wake != nil {
		s.wake()
	}
	return ""
}

func (s *Server) findingWARC(w http.ResponseWriter, r *http.Request, u who) {
	sf, ok := s.findingID(w, r)
	if !ok {
		return
	}
	items, err := export.Collect(r.Context(), s.st, export.Filter{IDs: []string{strconv.FormatInt(sf.ID, 10)}})
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/warc")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="finding-%d.warc"`, sf.ID))
	bw := bufio.NewWriter(w)
	if _, err := export.WriteWARC(bw, items, s.clock.Now()); err != nil {
		s.log.Error("review: WARC export", "finding", sf.ID, "err", err)
		return
	}
	if err := bw.Flush(); err != nil {
		s.log.Warn("review: WARC export: writing the answer", "finding", sf.ID, "err", err)
	}
}

// Sources.

type sourceView struct {
	Name, Kind, URL string
	Status          string // "ok", "failing", "never polled"
	Failures        int
	LastPoll        timeCell
	LastSuccess     timeCell
	NextPoll        timeCell
	Interval        string
	Events          []eventView
	MoreEvents      int
}

const eventsPerSource = 10

func (s *Server) sourcesPage(w http.ResponseWriter, r *http.Request, u who) {
	events, err := s.st.Events(r.Context(), "")
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	bySource := map[string][]store.Event{}
	for _, e := range events {
		bySource[e.Source] = append(bySource[e.Source], e)
	}
	var out []sourceView
	for _, src := range s.cfg.Sources {
		st, found, err := s.st.SourceState(r.Context(), src.Name)
		if err != nil {
			s.storeError(w, r, err)
			return
		}
		sv := sourceView{Name: src.Name, Kind: src.Kind, URL: src.URL, Status: "never polled"}
		if found {
			sv.URL = st.URL
			sv.Failures = st.Failures
			sv.LastPoll, sv.LastSuccess, sv.NextPoll = utcCell(st.LastPollAt), utcCell(st.LastSuccessAt), utcCell(st.NextPollAt)
			if st.Interval > 0 {
				sv.Interval = st.Interval.String()
			}
			switch {
			case st.Failures >= s.cfg.Crawler.FailureReportAfter && st.Failures > 0:
				sv.Status = "failing"
			case st.Failures > 0:
				sv.Status = "retrying"
			case !st.LastPollAt.IsZero():
				sv.Status = "ok"
			}
		}
		evs := bySource[src.Name]
		if len(evs) > eventsPerSource {
			sv.MoreEvents = len(evs) - eventsPerSource
			evs = evs[len(evs)-eventsPerSource:]
		}
		for i := len(evs) - 1; i >= 0; i-- { // newest first
			sv.Events = append(sv.Events, eventView{Kind: evs[i].Kind, Detail: evs[i].Detail, At: utcCell(evs[i].At)})
		}
		out = append(out, sv)
	}
	s.render(w, r, http.StatusOK, "sources", &u, out)
}

func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("review: store", "path", r.URL.Path, "err", err)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSONError(w, http.StatusInternalServerError, "the store could not be read")
		return
	}
	s.errorPage(w, r, http.StatusInternalServerError, "The store could not be read; the error is in the log.")
}

func itoa(n int) string { return strconv.Itoa(n) }
