package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// TestSharedRelayRecorders: two recorders on one store stand for two run
// processes of a cluster, each observing the article its own poll
// brought. Shared, the second matches the first's article, which its
// index never saw; not shared, the copy goes unseen (what the relay log
// is for).
func TestSharedRelayRecorders(t *testing.T) {
	for _, shared := range []bool{true, false} {
		ctx := context.Background()
		cfg, st := spreadStore(t)
		at := time.Date(2017, 5, 5, 19, 0, 0, 0, time.UTC)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		var recs []*relayRecorder
		for range 2 { // both start before either article exists
			rec, err := newRelayRecorder(ctx, cfg, st, clock.Real{}, log)
			if err != nil {
				t.Fatal(err)
			}
			rec.shared = shared
			recs = append(recs, rec)
		}
		for i, src := range []string{"board", "daily"} {
			a := &article.Article{Source: src, URL: "https://" + src + ".example/1", GUID: src + "1", Title: "Les courriels",
				Content: "Voici ce que disent les courriels. " + leakedText + " Fin.", PublishedAt: at.Add(time.Duration(i) * time.Hour)}
			saved, err := st.SaveArticle(ctx, a, store.Fetch{URL: a.URL, FetchedAt: a.PublishedAt.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			f := finding.Finding{ID: src, Rule: "leak-content", Window: "always",
				Article: finding.ArticleRef{Source: src, URL: a.URL, Title: a.Title, PublishedAt: a.PublishedAt},
				Leak:    &finding.LeakAssessment{Leak: "macronleaks", Label: "content"}}
			stored, err := st.SaveFindings(ctx, saved.VersionID, []finding.Finding{f}, nil, a.PublishedAt.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if err := recs[i].Observe(ctx, saved.VersionID, a, stored); err != nil {
				t.Fatal(err)
			}
		}
		edges, err := st.RelayEdges(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		sp := len(edges)
		if shared && sp == 0 {
			t.Error("shared recorders: the copy polled by the second process has no relay edge")
		}
		if !shared && sp != 0 {
			t.Errorf("recorders not shared: %d edges, want none (the test would not show what sharing adds)", sp)
		}
	}
}
