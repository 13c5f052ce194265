package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

// pollItems is one poll's items: new ones (among them one whose GUID is
// its URL, and one with neither GUID nor URL), a changed one between
// them, an unchanged one, one found by URL only, and, when twice is set,
// a GUID listed twice (which SaveArticles saves one by one; the rest is
// saved in batches).
func pollItems(poll int, twice bool) []*article.Article {
	guidIsURL := fmt.Sprintf("https://www.lemonde.fr/guid-url-%d.html", poll)
	as := []*article.Article{
		testArticle("g-stable", "https://www.lemonde.fr/stable.html", "Toujours le même texte."),
		testArticle(fmt.Sprintf("g-new-%d", poll), fmt.Sprintf("https://www.lemonde.fr/new-%d.html", poll), "Nouveau."),
		testArticle("g-moving", "https://www.lemonde.fr/moving.html", fmt.Sprintf("Texte du passage %d.", poll/2)),
		testArticle(fmt.Sprintf("g-new-%d-b", poll), fmt.Sprintf("https://www.lemonde.fr/new-%d-b.html", poll), "Nouveau aussi."),
		testArticle("", fmt.Sprintf("https://www.lemonde.fr/sans-guid.html?utm_source=rss&p=%d", poll%2), "Sans identifiant."),
		testArticle(guidIsURL, guidIsURL, "Son GUID est son adresse."),
		testArticle("", "", fmt.Sprintf("Ni GUID ni adresse, passage %d.", poll)),
		testArticle(fmt.Sprintf("g-new-%d-c", poll), fmt.Sprintf("https://www.lemonde.fr/new-%d-c.html", poll), "Nouveau encore."),
		// GUIDs that a lookup must match as they are: digits, quotes,
		// a backslash, non-ASCII.
		testArticle("1234", "https://www.lemonde.fr/digits.html", "Un GUID de chiffres."),
		testArticle(`tag:"é"\1`, "https://www.lemonde.fr/quoted.html", fmt.Sprintf("Un GUID entre guillemets, passage %d.", poll/3)),
	}
	if twice {
		as = append(as,
			testArticle("g-twice", "https://www.lemonde.fr/twice.html", fmt.Sprintf("Deux fois, version %d.", poll)),
			testArticle("g-twice", "https://www.lemonde.fr/twice.html", fmt.Sprintf("Deux fois, version %d bis.", poll)))
	}
	return as
}

// storedRows is what a store holds of its articles and versions, ids
// included, in order.
func storedRows(t *testing.T, s *DB) []string {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), `SELECT a.id, COALESCE(a.guid, ''), COALESCE(a.url_norm, ''), a.first_seen_at, a.last_fetch_at,
	v.id, v.version, v.content, v.diff FROM articles a JOIN versions v ON v.article_id = a.id ORDER BY v.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, vid, version int64
		var guid, norm, first, last, content, diff string
		if err := rows.Scan(&id, &guid, &norm, &first, &last, &vid, &version, &content, &diff); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %s %s %s %d v%d %q %q", id, guid, norm, first, last, vid, version, content, diff))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSaveArticlesAsOneByOne: a poll saved in one call stores and returns
// what the same articles saved one by one do, first-seen times included.
func TestSaveArticlesAsOneByOne(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		single, _ := newStore(t)
		batched, _ := newStore(t)
		for poll := range 6 {
			at := t0.Add(time.Duration(poll) * time.Hour)
			twice := poll%3 == 1
			one, many := pollItems(poll, twice), pollItems(poll, twice)
			var want []SaveResult
			for _, a := range one {
				r, err := single.SaveArticle(ctx, a, fetchAt(at))
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, r)
			}
			got, err := batched.SaveArticles(ctx, many, fetchAt(at), 0)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("poll %d: SaveArticles =\n%v\none by one:\n%v", poll, got, want)
			}
			for i := range one {
				if !many[i].FirstSeenAt.Equal(one[i].FirstSeenAt) {
					t.Errorf("poll %d, item %d: FirstSeenAt %v, one by one %v", poll, i, many[i].FirstSeenAt, one[i].FirstSeenAt)
				}
			}
		}
		if got, want := storedRows(t, batched), storedRows(t, single); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("stored:\n%s\none by one:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// Every version is in the full-text index once indexed, each
		// once: every test article's title says "Présidentielle".
		if !batched.db.d.postgres {
			n := count(t, batched, "versions")
			if got := indexedMatching(t, batched, "presidentielle"); got != 0 {
				t.Errorf("%d versions in the full-text index before IndexText, want 0 (queued)", got)
			}
			added, err := batched.IndexText(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := indexedMatching(t, batched, "presidentielle"); got != n || added != n {
				t.Errorf("IndexText added %d; %d versions in the full-text index, want all %d", added, got, n)
			}
		}
	})
}

// TestSaveArticlesLimit: the call stops after the limit-th new or changed
// article; what it saw unchanged on the way does not count, and what
// follows is neither stored nor touched.
func TestSaveArticlesLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s, _ := newStore(t)
		if _, err := s.SaveArticle(ctx, testArticle("g-old", "https://www.lemonde.fr/old.html", "Ancien."), fetchAt(t0)); err != nil {
			t.Fatal(err)
		}
		as := []*article.Article{
			testArticle("g-1", "https://www.lemonde.fr/1.html", "Un."),
			testArticle("g-old", "https://www.lemonde.fr/old.html", "Ancien."),
			testArticle("g-2", "https://www.lemonde.fr/2.html", "Deux."),
			testArticle("g-3", "https://www.lemonde.fr/3.html", "Trois."),
		}
		got, err := s.SaveArticles(ctx, as, fetchAt(t0.Add(time.Hour)), 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || !got[0].New || got[1].Changed || !got[2].New {
			t.Errorf("SaveArticles = %+v; want g-1 new, g-old seen, g-2 new, and no result for g-3", got)
		}
		if n := count(t, s, "articles"); n != 3 {
			t.Errorf("%d articles stored, want 3 (g-3 past the limit)", n)
		}
	})
}

// TestSaveArticlesRefusedArticle: an article the store cannot hold stops
// the call there; the ones before it are saved and returned with an
// error naming it, and nothing after it is stored.
func TestSaveArticlesRefusedArticle(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s, _ := newStore(t)
		bad := testArticle("g-bad", "https://www.lemonde.fr/bad.html", "Daté de l'an 12017.")
		bad.PublishedAt = time.Date(12017, 1, 1, 0, 0, 0, 0, time.UTC)
		as := []*article.Article{
			testArticle("g-1", "https://www.lemonde.fr/1.html", "Un."),
			testArticle("g-2", "https://www.lemonde.fr/2.html", "Deux."),
			bad,
			testArticle("g-3", "https://www.lemonde.fr/3.html", "Trois."),
		}
		got, err := s.SaveArticles(ctx, as, fetchAt(t0), 0)
		if err == nil || !strings.HasPrefix(err.Error(), "store:") || !strings.Contains(err.Error(), "bad.html") || !strings.Contains(err.Error(), "published_at") {
			t.Errorf("error = %v; want a store: error naming bad.html and published_at", err)
		}
		if len(got) != 2 || !got[0].New || !got[1].New {
			t.Errorf("results = %+v; want the two articles before the refused one", got)
		}
		if n := count(t, s, "articles"); n != 2 {
			t.Errorf("%d articles stored, want 2", n)
		}
		if !as[0].FirstSeenAt.Equal(t0) {
			t.Errorf("a saved article's FirstSeenAt = %v, want %v", as[0].FirstSeenAt, t0)
		}

		// Articles of two sources are not one poll's: refused whole.
		other := testArticle("g-4", "https://www.liberation.fr/4.html", "Quatre.")
		other.Source = "liberation"
		got, err = s.SaveArticles(ctx, []*article.Article{testArticle("g-5", "https://www.lemonde.fr/5.html", "Cinq."), other}, fetchAt(t0), 0)
		if err == nil || got != nil || !strings.Contains(err.Error(), `"liberation"`) {
			t.Errorf("two sources: %v, %v; want no result and an error naming the second source", got, err)
		}
		if n := count(t, s, "articles"); n != 2 {
			t.Errorf("%d articles stored after the refused call, want 2", n)
		}
	})
}

// TestMarkEvaluated: versions are marked in one call; one evaluated
// before keeps its time, one not stored is ErrNotFound without keeping
// the others from being marked.
func TestMarkEvaluated(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s, _ := newStore(t)
		var ids []int64
		for i := range 3 {
			r, err := s.SaveArticle(ctx, testArticle(fmt.Sprintf("g-%d", i), fmt.Sprintf("https://www.lemonde.fr/%d.html", i), "x"), fetchAt(t0))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.VersionID)
		}
		if err := s.MarkEvaluated(ctx, ids[:1], t0); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkEvaluated(ctx, ids, t0.Add(time.Hour)); err != nil {
			t.Fatalf("MarkEvaluated with one evaluated before: %v", err)
		}
		var first string
		if err := s.db.QueryRowContext(ctx, `SELECT evaluated_at FROM versions WHERE id = ?`, ids[0]).Scan(&first); err != nil {
			t.Fatal(err)
		}
		if first != ts(t0) {
			t.Errorf("the version evaluated before: evaluated_at %s, want %s", first, ts(t0))
		}
		r, err := s.SaveArticle(ctx, testArticle("g-9", "https://www.lemonde.fr/9.html", "x"), fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MarkEvaluated(ctx, []int64{r.VersionID, 1 << 40}, t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("MarkEvaluated with a version not stored = %v, want ErrNotFound", err)
		}
		if vs, err := s.UnevaluatedVersions(ctx); err != nil || len(vs) != 0 {
			t.Errorf("UnevaluatedVersions = %+v, %v; want none", vs, err)
		}
		if err := s.MarkEvaluated(ctx, ids, time.Time{}); err == nil {
			t.Error("MarkEvaluated at the zero time: no error")
		}
	})
}

// TestSaveArticlesLongPoll: a poll longer than one chunk of lookups is
// saved as one by one, a GUID repeated across chunks included (the later
// chunk must see what the earlier one stored), and the cap stops it in
// the middle of a chunk.
func TestSaveArticlesLongPoll(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		items := func() []*article.Article {
			var as []*article.Article
			for i := range 2*seenBatch + 100 {
				guid := fmt.Sprintf("g-%d", i)
				if i == seenBatch+7 {
					guid = "g-5" // the same story again, edited
				}
				as = append(as, testArticle(guid, fmt.Sprintf("https://www.lemonde.fr/%d.html", i), fmt.Sprintf("Texte %d.", i)))
			}
			return as
		}
		for _, limit := range []int{0, seenBatch + 50} {
			single, _ := newStore(t)
			batched, _ := newStore(t)
			var want []SaveResult
			changed := 0
			for _, a := range items() {
				if limit > 0 && changed >= limit {
					break
				}
				r, err := single.SaveArticle(ctx, a, fetchAt(t0))
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, r)
				if r.Changed {
					changed++
				}
			}
			got, err := batched.SaveArticles(ctx, items(), fetchAt(t0), limit)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("limit %d: SaveArticles and one by one differ (%d and %d results)", limit, len(got), len(want))
			}
			if got, want := storedRows(t, batched), storedRows(t, single); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("limit %d: stored rows differ from one by one (%d and %d)", limit, len(got), len(want))
			}
		}
	})
}
