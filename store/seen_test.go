package store

import (
	"context"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

// TestSeenUnchangedAgreesWithSaveArticle checks that SeenUnchanged
// answers, without writing, what SaveArticle would do: nothing for an
// article stored with the same text, a write for a new or changed one,
// finding articles by GUID or by normalised URL the same way.
func TestSeenUnchangedAgreesWithSaveArticle(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		at := time.Date(2017, 5, 6, 8, 0, 0, 0, time.UTC)
		mk := func(guid, url, content string) *article.Article {
			a := testArticle(guid, url, content)
			a.Source = "src"
			return a
		}
		stored := []*article.Article{
			mk("g1", "https://x.example/1", "un"),
			mk("", "https://x.example/2?utm_source=rss", "deux"),      // no GUID: by URL
			mk("https://x.example/3", "https://x.example/3", "trois"), // GUID is the URL
		}
		for _, a := range stored {
			if _, err := s.SaveArticle(ctx, a, Fetch{FetchedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name    string
			a       *article.Article
			onlyNew bool
			seen    bool
		}{
			{"same GUID, same text", mk("g1", "https://x.example/1-moved", "un"), false, true},
			{"same GUID, changed text", mk("g1", "https://x.example/1", "un, modifié"), false, false},
			{"same GUID, changed text, only new", mk("g1", "https://x.example/1", "un, modifié"), true, true},
			{"no GUID, same normalised URL", mk("", "HTTPS://X.example/2/", "deux"), false, true},
			{"GUID is the URL, found by URL", mk("https://x.example/3/", "https://x.example/3/", "trois"), false, true},
			{"a GUID of its own is not looked up by URL", mk("other", "https://x.example/2", "deux"), false, false},
			{"new", mk("g9", "https://x.example/9", "neuf"), false, false},
			{"other source", func() *article.Article { a := mk("g1", "https://x.example/1", "un"); a.Source = "elsewhere"; return a }(), false, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ids, err := s.SeenUnchanged(ctx, tt.a.Source, []*article.Article{tt.a}, tt.onlyNew)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids[0] != 0; got != tt.seen {
					t.Errorf("SeenUnchanged: seen %v, want %v", got, tt.seen)
				}
				// SaveArticle agrees. It writes, so later cases see its result.
				res, err := s.SaveArticle(ctx, tt.a, Fetch{FetchedAt: at.Add(time.Minute), OnlyNew: tt.onlyNew})
				if err != nil {
					t.Fatal(err)
				}
				if res.Changed == tt.seen {
					t.Errorf("SaveArticle changed=%v, but SeenUnchanged said seen=%v", res.Changed, tt.seen)
				}
				if tt.seen && res.ArticleID != ids[0] {
					t.Errorf("SeenUnchanged named article %d, SaveArticle found %d", ids[0], res.ArticleID)
				}
			})
		}
		if err := s.TouchArticles(ctx, []int64{1, 3}, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var touched int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM articles WHERE last_fetch_at = ?`, ts(at.Add(time.Hour))).Scan(&touched); err != nil {
			t.Fatal(err)
		}
		if touched != 2 {
			t.Errorf("TouchArticles touched %d articles, want 2", touched)
		}
	})
}
