package spread

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

const yamlCfg = `store: s.db
sources:
  - {name: board, url: "https://board.example/feed", tier: leak-site}
  - {name: daily, url: "https://daily.example/feed", tier: national}
  - {name: other, url: "https://other.example/feed"}
leaks:
  - id: macronleaks
    disclosed_at: 2017-05-05T20:35:00+02:00
  - id: otherleak
    disclosed_at: 2017-05-05T20:35:00+02:00
`

// TestCompute: a leak site's article and a national daily's copy of it,
// a relay edge between them, read back from a store into the spread of
// each leak.
func TestCompute(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.Parse("config.yaml", []byte(yamlCfg), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2017, 5, 5, 19, 0, 0, 0, time.UTC)
	var versions, rows []int64
	for i, src := range []string{"board", "daily"} {
		pub := at.Add(time.Duration(i) * time.Hour)
		a := &article.Article{Source: src, URL: "https://" + src + ".example/1", GUID: src, Title: "Les courriels", Content: "Le trésorier écrit.", PublishedAt: pub}
		saved, err := st.SaveArticle(ctx, a, store.Fetch{URL: a.URL, FetchedAt: pub.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		f := finding.Finding{ID: src, Rule: "leak-content", Window: "always",
			Article: finding.ArticleRef{Source: src, URL: a.URL, Title: a.Title, PublishedAt: pub, FirstSeenAt: a.FirstSeenAt},
			Leak:    &finding.LeakAssessment{Leak: "macronleaks", Label: "content"}}
		sfs, err := st.SaveFindings(ctx, saved.VersionID, []finding.Finding{f}, nil, pub.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		versions, rows = append(versions, saved.VersionID), append(rows, sfs[0].ID)
	}
	if err := st.SaveRelayEdges(ctx, []store.RelayEdge{{FromVersion: versions[0], ToVersion: versions[1], Words: 14, Matched: 13,
		FromField: "content", FromStart: 0, FromEnd: 19, ToField: "content", ToStart: 0, ToEnd: 19, DetectedAt: at.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	now := at.Add(90 * time.Minute)
	sp, err := Compute(ctx, st, cfg, "macronleaks", now)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Stage != "mainstream" || len(sp.Nodes) != 2 || sp.Nodes[0].Tier != "leak-site" || sp.Nodes[1].Tier != "national" ||
		sp.Nodes[0].FindingID != rows[0] || sp.RecentOutlets != 1 || !sp.Now.Equal(now) {
		t.Errorf("spread %+v", sp)
	}
	if len(sp.Edges) != 1 || sp.Edges[0].From.Outlet != "board" || sp.Edges[0].To.Outlet != "daily" || sp.Edges[0].Words != 14 ||
		sp.Edges[0].ToSpan.Field != article.FieldContent || sp.Edges[0].ToSpan.End != 19 || !sp.Edges[0].DetectedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("edges %+v", sp.Edges)
	}
	if len(sp.Content.ByTier) != 2 || sp.Content.ByTier[0].FindingID != rows[0] {
		t.Errorf("first by tier %+v", sp.Content.ByTier)
	}
	other, err := Compute(ctx, st, cfg, "otherleak", now)
	if err != nil || len(other.Nodes) != 0 || len(other.Edges) != 0 || other.Stage != "" {
		t.Errorf("another leak's spread %+v, %v", other, err)
	}
}
