package relay

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
)

func sighting(article int64, outlet, label string, at time.Time, quote bool) Sighting {
	f := finding.Finding{Rule: "leak-" + label, Article: finding.ArticleRef{Source: outlet, URL: "https://" + outlet + ".example/" + label,
		Title: `Les "courriels" <script>&`, FirstSeenAt: at.Add(time.Minute), PublishedAt: at}}
	if label != "" {
		f.Leak = &finding.LeakAssessment{Leak: "macronleaks", Label: label}
	}
	if quote {
		f.Evidence = []finding.Evidence{{Kind: "leak_quote", Source: &finding.LeakSource{Leak: "macronleaks", DocID: "0001.eml"}}}
	}
	return Sighting{VersionID: article * 10, ArticleID: article, Finding: f}
}

func testSpread(now time.Time) Spread {
	in := Input{Leak: "macronleaks", Tiers: config.DefaultTiers, Now: now,
		TierOf: map[string]string{"board": "leak-site", "blog": "fringe", "state-tv": "foreign-state", "daily": "national", "local": "regional"},
		Findings: []Sighting{
			sighting(1, "board", "", t0, true),                             // a quote, no classifier: content
			sighting(2, "blog", "content", t0.Add(30*time.Minute), false),  // classified content
			sighting(3, "daily", "existence", t0.Add(time.Hour), false),    // a mention
			sighting(4, "state-tv", "content", t0.Add(2*time.Hour), false), // content
			sighting(4, "state-tv", "existence", t0.Add(2*time.Hour), false),
			sighting(5, "local", "guidance", t0.Add(3*time.Hour), false),
			{VersionID: 60, ArticleID: 6, Finding: finding.Finding{Rule: "polls", Article: finding.ArticleRef{Source: "daily"}}}, // not about the leak
		},
		Edges: []Edge{
			{From: Ref{ArticleID: 1, VersionID: 10}, To: Ref{ArticleID: 2, VersionID: 20}, Words: 30},
			{From: Ref{ArticleID: 2, VersionID: 20}, To: Ref{ArticleID: 4, VersionID: 40}, Words: 14},
			{From: Ref{ArticleID: 2, VersionID: 20}, To: Ref{ArticleID: 99, VersionID: 990}, Words: 14}, // not in the spread
		}}
	return Compute(in)
}

func TestCompute(t *testing.T) {
	s := testSpread(t0.Add(2*time.Hour + 30*time.Minute))
	if len(s.Nodes) != 5 {
		t.Fatalf("nodes %d, want 5: %+v", len(s.Nodes), s.Nodes)
	}
	if s.Stage != StageForeignState {
		t.Errorf("stage %q, want foreign-state (the national daily only mentions it)", s.Stage)
	}
	var tiers []string
	for _, f := range s.Content.ByTier {
		tiers = append(tiers, f.Tier)
	}
	if got := strings.Join(tiers, ","); got != "leak-site,fringe,foreign-state" {
		t.Errorf("content by tier %s", got)
	}
	if len(s.Mentions.ByOutlet) != 2 || s.Mentions.ByOutlet[0].Outlet != "daily" {
		t.Errorf("mentions by outlet %+v", s.Mentions.ByOutlet)
	}
	if len(s.Edges) != 2 || s.Edges[0].From.Outlet != "board" || s.Edges[1].To.Outlet != "state-tv" {
		t.Errorf("edges %+v", s.Edges)
	}
	if s.RecentOutlets != 1 {
		t.Errorf("recent outlets %d, want 1 (state-tv)", s.RecentOutlets)
	}
	if n := s.Nodes[3]; n.Outlet != "state-tv" || n.Kind != KindContent || len(n.Rules) != 2 {
		t.Errorf("node with two findings: %+v", n)
	}
	// A wire reporting contents: mainstream.
	in := Input{Leak: "macronleaks", TierOf: map[string]string{"afp": "wire"}, Findings: []Sighting{sighting(7, "afp", "content", t0, false)}}
	if st := Compute(in).Stage; st != StageMainstream {
		t.Errorf("wire: stage %q", st)
	}
	if st := Compute(Input{Leak: "other"}).Stage; st != StageNone {
		t.Errorf("nothing: stage %q", st)
	}
}

// wellFormed parses an XML document to its end.
func wellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
	}
}

func TestWriters(t *testing.T) {
	s := testSpread(t0.Add(3 * time.Hour))
	paris, _ := time.LoadLocation("Europe/Paris")
	windows := []calendar.Window{{Kind: calendar.KindElection, Election: "fr", Round: "r2", Name: "silence", Zone: "metro<&>", Location: paris,
		Start: t0.Add(-time.Hour), End: t0.Add(48 * time.Hour)}}
	var b bytes.Buffer
	if err := WriteSVG(&b, s, config.DefaultTiers, windows); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b.Bytes())
	svg := b.String()
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;") || !strings.Contains(svg, "metro&lt;&amp;&gt;") {
		t.Errorf("SVG text not escaped")
	}
	if strings.Count(svg, "<circle") != 5+4 || strings.Count(svg, "marker-end") != 2+1 { // the legend's mark and arrow included
		t.Errorf("SVG: %d marks, %d arrows", strings.Count(svg, "<circle")-4, strings.Count(svg, "marker-end")-1)
	}
	b.Reset()
	if err := WriteGEXF(&b, s); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b.Bytes())
	if g := b.String(); strings.Count(g, "<node ") != 5 || strings.Count(g, "<edge ") != 2 || !strings.Contains(g, `weight="30"`) || strings.Contains(g, "<script>") {
		t.Errorf("GEXF:\n%s", g)
	}
	b.Reset()
	if err := WriteCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][2] != "board" || rows[1][3] != "leak-site" || rows[1][10] != "30" {
		t.Errorf("CSV %v %v", rows, err)
	}
	b.Reset()
	if err := WriteJSON(&b, s); err != nil || !strings.Contains(b.String(), `"stage": "foreign-state"`) {
		t.Errorf("JSON %v:\n%s", err, b.String())
	}
}
