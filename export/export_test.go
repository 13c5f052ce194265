package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

var t0 = time.Date(2017, 5, 6, 8, 0, 0, 0, time.UTC)

// latin1Page is a page as an outlet served it, in ISO-8859-1.
var latin1Page = []byte("<html><head><meta charset=\"iso-8859-1\"><title>Courriels</title></head><body><p>Selon les courriels, le tr\xe9sorier\xa0\xe9crit.</p></body></html>")

func seeded(t *testing.T) *store.DB {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	respID, err := st.SaveResponse(ctx, store.Response{Source: "fringe", Kind: "page", URL: "https://fringe.example/a?x=1", FinalURL: "https://fringe.example/a?x=1",
		RequestHeader: http.Header{"User-Agent": {"silencewatch/0.1"}}, Status: 200,
		Header: http.Header{"Content-Type": {"text/html; charset=iso-8859-1"}, "Content-Encoding": {"gzip"}}, Body: latin1Page, FetchedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	for i, guid := range []string{"a", "b"} {
		a := &article.Article{Source: "fringe", GUID: guid, URL: "https://fringe.example/" + guid, Title: "Courriels " + guid, Content: "Selon les courriels, le trésorier écrit.", FirstSeenAt: t0}
		r, err := st.SaveArticle(ctx, a, store.Fetch{FetchedAt: t0, ResponseID: respID, Extractor: "trafilatura"})
		if err != nil {
			t.Fatal(err)
		}
		f := finding.Finding{ID: "k" + guid, Rule: "leak-content", Title: "Leak", Severity: config.SeverityHigh, Window: "silence",
			Article:  finding.ArticleRef{Source: "fringe", URL: a.URL, Title: a.Title, FirstSeenAt: t0},
			Evidence: []finding.Evidence{{Kind: "phrase", Field: article.FieldContent, Text: "Selon les courriels", Start: 0, End: 19}}}
		stored, err := st.SaveFindings(ctx, r.VersionID, []finding.Finding{f}, nil, t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			st.SetVerdict(ctx, stored[0].ID, store.Verdict{Verdict: "confirmed", User: "U1", At: t0})
			st.RecordVerdict(ctx, stored[0].ID, store.Verdict{Verdict: "needs_legal_review", User: "camille", At: t0.Add(time.Hour)}, "web", "ask counsel")
		}
	}
	return st
}

func TestWARCRoundTrip(t *testing.T) {
	st := seeded(t)
	items, err := Collect(context.Background(), st, Filter{})
	if err != nil || len(items) != 2 {
		t.Fatalf("collect: %d items, %v", len(items), err)
	}
	var buf bytes.Buffer
	n, err := WriteWARC(&buf, items, t0)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 { // warcinfo, and one request, response, metadata for the shared response
		t.Errorf("%d records", n)
	}
	recs, err := ReadWARC(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	types := []string{}
	for _, r := range recs {
		types = append(types, r.Type)
	}
	if strings.Join(types, ",") != "warcinfo,request,response,metadata" {
		t.Errorf("record types %v", types)
	}
	if !bytes.Equal(recs[2].Body, latin1Page) {
		t.Errorf("response payload is not the raw bytes as fetched:\n%q", recs[2].Body)
	}
	if recs[2].TargetURI != "https://fringe.example/a?x=1" {
		t.Errorf("target %q", recs[2].TargetURI)
	}
	text := buf.String()
	for _, want := range []string{"WARC/1.1", "WARC-Block-Digest: sha256:", "WARC-Payload-Digest: sha256:", "GET /a?x=1 HTTP/1.1", "\"id\": \"ka\"", "\"id\": \"kb\""} {
		if !strings.Contains(text, want) {
			t.Errorf("WARC lacks %q", want)
		}
	}
	if strings.Contains(text, "Content-Encoding: gzip") {
		t.Error("the decoded body is archived with its wire encoding header")
	}
	// One byte changed in the archived body: the digests must catch it.
	tampered := bytes.Replace(buf.Bytes(), []byte("tr\xe9sorier"), []byte("tr\xe9soriez"), 1)
	if _, err := ReadWARC(bytes.NewReader(tampered)); err == nil {
		t.Error("a tampered record passed digest validation")
	}
}

func TestJSONLAndCSV(t *testing.T) {
	st := seeded(t)
	items, err := Collect(context.Background(), st, Filter{IDs: []string{"ka"}})
	if err != nil || len(items) != 1 {
		t.Fatalf("filter by id: %d %v", len(items), err)
	}
	if _, err := Collect(context.Background(), st, Filter{IDs: []string{"nope"}}); err == nil {
		t.Error("an unknown id must be an error")
	}
	since, _ := Collect(context.Background(), st, Filter{Since: t0.Add(30 * time.Minute)})
	if len(since) != 1 || since[0].Finding.Finding.ID != "kb" {
		t.Errorf("since filter: %d", len(since))
	}
	all, _ := Collect(context.Background(), st, Filter{})
	var jl bytes.Buffer
	if err := WriteJSONL(&jl, all); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(jl.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	hist, _ := first["verdict_history"].([]any)
	if len(hist) != 2 || hist[0].(map[string]any)["source"] != "slack" || hist[1].(map[string]any)["note"] != "ask counsel" {
		t.Errorf("verdict history in the export: %v", first["verdict_history"])
	}
	if first["verdict"].(map[string]any)["verdict"] != "needs_legal_review" || first["response"].(map[string]any)["sha256"] == "" ||
		first["version"].(map[string]any)["extractor"] != "trafilatura" {
		t.Errorf("jsonl line: %s", lines[0])
	}
	var c bytes.Buffer
	if err := WriteCSV(&c, all); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(rows) != 3 || len(rows[1]) != len(CSVHeader) {
		t.Fatalf("csv: %d rows %v", len(rows), err)
	}
	if rows[1][2] != "leak-content" || !strings.Contains(rows[1][14], "Selon les courriels") || rows[1][19] != "needs_legal_review" {
		t.Errorf("csv row %v", rows[1])
	}
}

func TestNeutraliseCell(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://evil.example","clic")`: `'=HYPERLINK("http://evil.example","clic")`,
		"+33 1 23":   "'+33 1 23",
		"-2+3":       "'-2+3",
		"@SUM(A1)":   "'@SUM(A1)",
		"\tcmd":      "'\tcmd",
		"Le Monde":   "Le Monde",
		"":           "",
		"2017-05-06": "2017-05-06",
	} {
		if got := neutraliseCell(in); got != want {
			t.Errorf("neutraliseCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRelaysInExports: a daily reuses the fringe outlet's first article;
// the JSON lines give each finding its relays (out on the fringe
// article, in on the daily's), the CSV counts them.
func TestRelaysInExports(t *testing.T) {
	ctx := context.Background()
	st := seeded(t)
	all, _ := Collect(ctx, st, Filter{})
	from := all[0].Finding
	a := &article.Article{Source: "daily", GUID: "d", URL: "https://daily.example/d", Title: "Ce que dit le trésorier",
		Content: "Nous avons lu : Selon les courriels, le trésorier écrit.", FirstSeenAt: t0.Add(time.Hour)}
	r, err := st.SaveArticle(ctx, a, store.Fetch{FetchedAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f := finding.Finding{ID: "kd", Rule: "leak-content", Title: "Leak", Severity: config.SeverityHigh, Window: "silence",
		Article: finding.ArticleRef{Source: "daily", URL: a.URL, Title: a.Title, FirstSeenAt: t0.Add(time.Hour)}}
	if _, err := st.SaveFindings(ctx, r.VersionID, []finding.Finding{f}, nil, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveRelayEdges(ctx, []store.RelayEdge{{FromVersion: from.VersionID, ToVersion: r.VersionID, Words: 6, Matched: 6,
		FromField: "content", FromStart: 0, FromEnd: 39, ToField: "content", ToStart: 16, ToEnd: 55, DetectedAt: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	all, err = Collect(ctx, st, Filter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("collect: %d %v", len(all), err)
	}
	var jl bytes.Buffer
	if err := WriteJSONL(&jl, all); err != nil {
		t.Fatal(err)
	}
	byID := map[string][]Relay{}
	for _, l := range strings.Split(strings.TrimSpace(jl.String()), "\n") {
		var v struct {
			Finding struct{ ID string } `json:"finding"`
			Relays  []Relay             `json:"relays"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		byID[v.Finding.ID] = v.Relays
	}
	if out := byID["ka"]; len(out) != 1 || out[0].Direction != "out" || out[0].To.Outlet != "daily" || out[0].To.Start != 16 || out[0].Words != 6 {
		t.Errorf("relays of ka: %+v", out)
	}
	if in := byID["kd"]; len(in) != 1 || in[0].Direction != "in" || in[0].From.Outlet != "fringe" || in[0].From.FindingRow != from.ID ||
		in[0].From.URL != "https://fringe.example/a" || in[0].From.Title != "Courriels a" {
		t.Errorf("relays of kd: %+v", in)
	}
	if rs := byID["kb"]; rs == nil || len(rs) != 0 {
		t.Errorf("relays of kb: %#v, want an empty list", rs)
	}
	var c bytes.Buffer
	if err := WriteCSV(&c, all); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("csv: %d rows %v", len(rows), err)
	}
	n := len(CSVHeader)
	if CSVHeader[n-2] != "relays_in" || CSVHeader[n-1] != "relays_out" {
		t.Fatalf("header %v", CSVHeader)
	}
	counts := map[string]string{}
	for _, row := range rows[1:] {
		counts[row[1]] = row[n-2] + "/" + row[n-1]
	}
	if counts["ka"] != "0/1" || counts["kb"] != "0/0" || counts["kd"] != "1/0" {
		t.Errorf("csv relay counts (in/out) %v", counts)
	}
}
