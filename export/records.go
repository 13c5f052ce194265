package export

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// jsonItem is one line of the JSON lines export.
type jsonItem struct {
	FindingRow int64           `json:"finding_row"`
	Finding    finding.Finding `json:"finding"`
	// Late: raised by a backtest of a rule added or changed after the
	// version was first evaluated.
	Late    bool `json:"late,omitempty"`
	Version struct {
		ID        int64     `json:"id"`
		Number    int       `json:"number"`
		Title     string    `json:"title"`
		Summary   string    `json:"summary,omitempty"`
		Content   string    `json:"content"`
		Extractor string    `json:"extractor,omitempty"`
		TimesFrom string    `json:"times_from,omitempty"`
		Diff      string    `json:"diff,omitempty"`
		FetchedAt time.Time `json:"fetched_at,omitzero"`
	} `json:"version"`
	Response *jsonResponse `json:"response,omitempty"`
	Verdict  *jsonVerdict  `json:"verdict,omitempty"`
	History  []jsonVerdict `json:"verdict_history,omitempty"`
	Relays   []Relay       `json:"relays"`
}

// Relay is a relay edge touching a finding's version, as the JSON lines
// export and the review API give it: From's words reused by To, From
// earlier, the spans byte offsets into each version's field.
type Relay struct {
	// Direction is "in" when the finding's version reuses From's words,
	// "out" when To reuses the version's.
	Direction  string    `json:"direction"`
	Words      int       `json:"words"`   // of From's passage
	Matched    int       `json:"matched"` // of them, identical in To
	From       RelayEnd  `json:"from"`
	To         RelayEnd  `json:"to"`
	DetectedAt time.Time `json:"detected_at"`
}

// RelayEnd is one article of a relay and its passage.
type RelayEnd struct {
	VersionID   int64     `json:"version_id"`
	ArticleID   int64     `json:"article_id"`
	FindingRow  int64     `json:"finding_row,omitempty"` // the first finding on that version, if any
	Outlet      string    `json:"outlet"`
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	FirstSeenAt time.Time `json:"first_seen_at,omitzero"`
	Field       string    `json:"field"`
	Start       int       `json:"start"`
	End         int       `json:"end"`
}

// Relays gives the stored relays of a version in their exported form.
func Relays(versionID int64, rs []store.VersionRelay) []Relay {
	out := make([]Relay, 0, len(rs))
	end := func(e store.RelayEnd, field string, start, stop int) RelayEnd {
		return RelayEnd{VersionID: e.VersionID, ArticleID: e.ArticleID, FindingRow: e.FindingID, Outlet: e.Source, URL: e.URL, Title: e.Title,
			PublishedAt: e.PublishedAt, FirstSeenAt: e.FirstSeenAt, Field: field, Start: start, End: stop}
	}
	for _, r := range rs {
		dir := "out"
		if r.ToVersion == versionID {
			dir = "in"
		}
		out = append(out, Relay{Direction: dir, Words: r.Words, Matched: r.Matched, DetectedAt: r.DetectedAt,
			From: end(r.From, r.FromField, r.FromStart, r.FromEnd), To: end(r.To, r.ToField, r.ToStart, r.ToEnd)})
	}
	return out
}

// relayCounts counts a version's relays: in (it reuses others' words)
// and out (others reuse its words).
func relayCounts(versionID int64, rs []store.VersionRelay) (in, out int) {
	for _, r := range rs {
		if r.ToVersion == versionID {
			in++
		} else {
			out++
		}
	}
	return in, out
}

type jsonResponse struct {
	ID        int64               `json:"id"`
	URL       string              `json:"url"`
	FinalURL  string              `json:"final_url"`
	Status    int                 `json:"status"`
	Header    map[string][]string `json:"headers"`
	SHA256    string              `json:"sha256"`
	BodySize  int                 `json:"body_size"`
	FetchedAt time.Time           `json:"fetched_at"`
	Pruned    bool                `json:"body_pruned,omitempty"`
}

type jsonVerdict struct {
	Verdict string    `json:"verdict"`
	User    string    `json:"user"`
	At      time.Time `json:"at"`
	Source  string    `json:"source,omitempty"` // slack or web
	Note    string    `json:"note,omitempty"`
}

// WriteJSONL writes one JSON object per finding.
func WriteJSONL(w io.Writer, items []Item) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		var j jsonItem
		j.FindingRow, j.Finding, j.Late = it.Finding.ID, it.Finding.Finding, it.Finding.Late
		v := it.Version
		j.Version.ID, j.Version.Number, j.Version.Title, j.Version.Summary, j.Version.Content = v.VersionID, v.Version, v.Title, v.Summary, v.Content
		j.Version.Extractor, j.Version.TimesFrom, j.Version.Diff, j.Version.FetchedAt = v.Extractor, v.TimesFrom, v.Diff, v.FetchedAt
		if r := it.Response; r != nil {
			j.Response = &jsonResponse{ID: r.ID, URL: r.URL, FinalURL: r.FinalURL, Status: r.Status, Header: r.Header,
				SHA256: hexSum(r.SHA256), BodySize: r.BodySize, FetchedAt: r.FetchedAt, Pruned: r.Pruned}
		}
		if vd := it.Verdict; vd != nil {
			j.Verdict = &jsonVerdict{Verdict: vd.Verdict, User: vd.User, At: vd.At}
		}
		for _, h := range it.History {
			j.History = append(j.History, jsonVerdict{Verdict: h.Verdict.Verdict, User: h.User, At: h.At, Source: h.Source, Note: h.Note})
		}
		j.Relays = Relays(it.Finding.VersionID, it.Relays)
		if err := enc.Encode(j); err != nil {
			return fmt.Errorf("export: jsonl: %w", err)
		}
	}
	return nil
}

// CSVHeader names the CSV export's columns. relays_in and relays_out
// count the relay edges of the finding's version: passages it reuses
// from earlier articles of other outlets, and passages later ones reuse
// from it (the edges themselves are in the JSON lines export and in
// spread -format csv).
var CSVHeader = []string{"finding_row", "finding_id", "rule", "severity", "election", "window", "zones", "source",
	"url", "title", "published_at", "first_seen_at", "time_basis", "time_notes", "evidence", "version", "extractor",
	"response_sha256", "fetched_at", "verdict", "verdict_user", "verdict_at", "late", "relays_in", "relays_out"}

// WriteCSV writes one row per finding, evidence snippets joined by " | ".
func WriteCSV(w io.Writer, items []Item) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	for _, it := range items {
		f := it.Finding.Finding
		var ev []string
		for _, e := range f.Evidence {
			ev = append(ev, fmt.Sprintf("%s[%d:%d] %s", e.Field, e.Start, e.End, e.Text))
		}
		row := []string{
			fmt.Sprint(it.Finding.ID), f.ID, f.Rule, f.Severity.String(), f.Election, f.Window, strings.Join(f.Zones, " "),
			f.Article.Source, f.Article.URL, f.Article.Title, timeOrEmpty(f.Article.PublishedAt), timeOrEmpty(f.Article.FirstSeenAt),
			f.TimeBasis, strings.Join(f.TimeNotes, " | "), strings.Join(ev, " | "), fmt.Sprint(it.Version.Version), it.Version.Extractor,
		}
		if r := it.Response; r != nil {
			row = append(row, hexSum(r.SHA256), timeOrEmpty(r.FetchedAt))
		} else {
			row = append(row, "", "")
		}
		if vd := it.Verdict; vd != nil {
			row = append(row, vd.Verdict, vd.User, timeOrEmpty(vd.At))
		} else {
			row = append(row, "", "", "")
		}
		in, out := relayCounts(it.Finding.VersionID, it.Relays)
		row = append(row, fmt.Sprint(it.Finding.Late), fmt.Sprint(in), fmt.Sprint(out))
		for i := range row {
			row[i] = neutraliseCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("export: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	return nil
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// neutraliseCell keeps a spreadsheet from running a cell as a formula: a
// title such as "=HYPERLINK(...)" or "@SUM(...)" from an outlet is
// prefixed with a quote, the usual defence (OWASP, CSV injection). Tabs and
// carriage returns at the start count too.
func neutraliseCell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
