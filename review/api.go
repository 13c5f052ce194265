package review

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/export"
	"github.com/silencewatch/silencewatch/finding"
)

// The JSON API mirrors the pages: GET /api/findings (the list's filters
// and q), GET /api/findings/{id}, POST /api/findings/{id}/verdict.

type apiList struct {
	Total    int          `json:"total"`
	Offset   int          `json:"offset"`
	Limit    int          `json:"limit"`
	Findings []apiListRow `json:"findings"`
}

type apiListRow struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key"`
	Rule      string    `json:"rule"`
	Title     string    `json:"title"`
	Severity  string    `json:"severity"`
	Outlet    string    `json:"outlet"`
	Article   string    `json:"article_title"`
	URL       string    `json:"url"`
	BasisTime time.Time `json:"basis_time"`
	Window    string    `json:"window"`
	Zones     []string  `json:"zones"`
	Verdict   string    `json:"verdict,omitempty"`
	Late      bool      `json:"late,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type apiFinding struct {
	ID        int64           `json:"id"`
	Outlet    string          `json:"outlet"`
	Late      bool            `json:"late,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	Finding   finding.Finding `json:"finding"`
	Version   apiVersion      `json:"version"`
	Verdict   *apiVerdict     `json:"verdict,omitempty"`
	History   []apiVerdict    `json:"history"`
	// Relays are the relay edges of the version, as the JSON lines
	// export gives them.
	Relays []export.Relay    `json:"relays"`
	Links  map[string]string `json:"links"`
}

type apiVersion struct {
	ID        int64     `json:"id"`
	Version   int       `json:"version"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary"`
	Content   string    `json:"content"`
	Extractor string    `json:"extractor,omitempty"`
	Diff      string    `json:"diff,omitempty"`
	FetchedAt time.Time `json:"fetched_at,omitzero"`
}

type apiVerdict struct {
	Verdict string    `json:"verdict"`
	User    string    `json:"user"`
	Team    string    `json:"team,omitempty"`
	Source  string    `json:"source"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
}

func (s *Server) apiFindings(w http.ResponseWriter, r *http.Request, u who) {
	q, _, err := parseQuery(r.URL.Query())
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	rows, total, err := s.st.ReviewFindings(r.Context(), q)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := apiList{Total: total, Offset: q.Offset, Limit: q.Limit, Findings: []apiListRow{}}
	for _, row := range rows {
		f := &row.Finding
		out.Findings = append(out.Findings, apiListRow{
			ID: row.ID, Key: f.ID, Rule: f.Rule, Title: f.Title, Severity: f.Severity.String(), Outlet: row.Outlet,
			Article: f.Article.Title, URL: f.Article.URL, BasisTime: f.BasisTime, Window: f.Window, Zones: f.Zones,
			Verdict: row.Verdict, Late: row.Late, CreatedAt: row.CreatedAt,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// findingJSON answers GET /api/findings/{id} and the page's JSON link.
func (s *Server) findingJSON(w http.ResponseWriter, r *http.Request, u who) {
	sf, ok := s.findingID(w, r)
	if !ok {
		return
	}
	ver, err := s.st.VersionInfo(r.Context(), sf.VersionID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	history, err := s.st.VerdictEntries(r.Context(), sf.ID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	rels, err := s.st.EdgesOfVersion(r.Context(), sf.VersionID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := apiFinding{
		ID: sf.ID, Outlet: sf.Finding.Article.Source, Late: sf.Late, CreatedAt: sf.CreatedAt, Finding: sf.Finding,
		Version: apiVersion{ID: ver.VersionID, Version: ver.Version, Title: ver.Title, Summary: ver.Summary, Content: ver.Content,
			Extractor: ver.Extractor, Diff: ver.Diff, FetchedAt: ver.FetchedAt},
		History: []apiVerdict{}, Relays: export.Relays(sf.VersionID, rels),
		Links: map[string]string{
			"page": "/findings/" + itoa(int(sf.ID)), "warc": "/findings/" + itoa(int(sf.ID)) + "/warc",
		},
	}
	for _, h := range history {
		out.History = append(out.History, apiVerdict{h.Verdict.Verdict, h.User, h.Team, h.Source, h.Note, h.At})
	}
	if n := len(out.History); n > 0 {
		out.Verdict = &out.History[n-1]
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiVerdict(w http.ResponseWriter, r *http.Request, u who) {
	sf, ok := s.findingID(w, r)
	if !ok {
		return
	}
	var body struct {
		Verdict string `json:"verdict"`
		Note    string `json:"note"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeJSONError(w, http.StatusBadRequest, "want a JSON object {\"verdict\": …, \"note\": …}: "+err.Error())
		return
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		writeJSONError(w, http.StatusBadRequest, "want one JSON object")
		return
	}
	if msg := s.recordVerdict(r, sf.ID, u.user, body.Verdict, body.Note); msg != "" {
		status := http.StatusBadRequest
		if msg == "the verdict could not be stored" {
			status = http.StatusInternalServerError
		}
		writeJSONError(w, status, msg)
		return
	}
	s.findingJSON(w, r, u)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) // the status is sent: a failed write has no one to tell
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// apiCheck is the self-check for scripts: POST {"title", "text", "url",
// "at" (RFC 3339, default now), "source"}; the answer lists each article
// with the findings check would print. Nothing is stored.
func (s *Server) apiCheck(w http.ResponseWriter, r *http.Request, u who) {
	if s.check == nil {
		writeJSONError(w, http.StatusNotFound, "the self-check is not available here")
		return
	}
	var body struct {
		Title  string `json:"title"`
		Text   string `json:"text"`
		URL    string `json:"url"`
		At     string `json:"at"`
		Source string `json:"source"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeJSONError(w, http.StatusBadRequest, `want a JSON object {"title", "text", "url", "at", "source"}: `+err.Error())
		return
	}
	at := s.clock.Now()
	if body.At != "" {
		t, err := time.Parse(time.RFC3339, body.At)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "at: want an RFC 3339 time")
			return
		}
		at = t
	}
	if body.Source != "" && !slices.Contains(s.outlets, body.Source) {
		writeJSONError(w, http.StatusBadRequest, "source: not an outlet of the config")
		return
	}
	if body.URL == "" && strings.TrimSpace(body.Text) == "" && strings.TrimSpace(body.Title) == "" {
		writeJSONError(w, http.StatusBadRequest, "give a title and text, or a url")
		return
	}
	arts, err := s.check(r.Context(), CheckInput{Title: body.Title, Text: body.Text, URL: body.URL, At: at, Source: body.Source})
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	type checked struct {
		Title    string            `json:"title"`
		URL      string            `json:"url,omitempty"`
		Findings []finding.Finding `json:"findings"`
	}
	out := []checked{}
	for _, a := range arts {
		fs := a.Findings
		if fs == nil {
			fs = []finding.Finding{}
		}
		out = append(out, checked{Title: a.Article.Title, URL: a.Article.URL, Findings: fs})
	}
	writeJSON(w, http.StatusOK, out)
}
