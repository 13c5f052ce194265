package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/finding"
)

func TestResponsesAndPruning(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		body := []byte(strings.Repeat("<html>é contenu brut</html>", 100))
		save := func(at time.Time) int64 {
			id, err := s.SaveResponse(ctx, Response{Source: "lemonde", Kind: "page", URL: "https://x.example/a", FinalURL: "https://x.example/a",
				RequestHeader: http.Header{"User-Agent": {"silencewatch"}}, Status: 200,
				Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, Body: body, FetchedAt: at})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		flaggedResp, plainResp, recentResp := save(t0), save(t0), save(t0.Add(48*time.Hour))
		r, err := s.ResponseByID(ctx, flaggedResp)
		if err != nil || string(r.Body) != string(body) || r.Header.Get("Content-Type") == "" || r.RequestHeader.Get("User-Agent") != "silencewatch" || r.BodySize != len(body) {
			t.Fatalf("response round trip: %+v %v", r.Header, err)
		}
		// One flagged article version depends on the first response.
		a := testArticle("g1", "https://x.example/a", "contenu")
		res, err := s.SaveArticle(ctx, a, Fetch{FetchedAt: t0, ResponseID: flaggedResp, Extractor: "trafilatura"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveFindings(ctx, res.VersionID, []finding.Finding{testFinding("f")}, nil, t0); err != nil {
			t.Fatal(err)
		}
		n, err := s.PruneResponses(ctx, t0.Add(24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want only the unflagged old one", n, err)
		}
		for id, wantPruned := range map[int64]bool{flaggedResp: false, plainResp: true, recentResp: false} {
			r, _ := s.ResponseByID(ctx, id)
			if r.Pruned != wantPruned {
				t.Errorf("response %d pruned=%v, want %v", id, r.Pruned, wantPruned)
			}
			if r.Pruned && r.SHA256 == ([32]byte{}) {
				t.Error("a pruned response keeps its hash")
			}
		}
	})
}

// TestSaveResponseGzipped: a body the server gzipped is stored as it came
// and read back decoded, as one the store compressed itself is.
func TestSaveResponseGzipped(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		body := []byte(strings.Repeat("<rss>é flux</rss>", 200))
		var wire bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&wire, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		id, err := s.SaveResponse(ctx, Response{Source: "lemonde", Kind: "feed", URL: "https://x.example/rss", Status: 200,
			Body: body, Gzipped: wire.Bytes(), FetchedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.ResponseByID(ctx, id)
		if err != nil || !bytes.Equal(r.Body, body) || r.BodySize != len(body) || r.SHA256 != sha256.Sum256(body) {
			t.Fatalf("round trip of a gzipped body: %d bytes, size %d, %v", len(r.Body), r.BodySize, err)
		}
		var stored []byte
		if err := s.db.QueryRowContext(ctx, `SELECT body FROM responses WHERE id = ?`, id).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stored, wire.Bytes()) {
			t.Errorf("stored %d bytes, not the %d received", len(stored), wire.Len())
		}
	})
}

func TestVisitedRevisitsAndDeletion(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		if ok, _ := s.IsVisited(ctx, "fringe", "https://f.example/1"); ok {
			t.Fatal("visited before marked")
		}
		s.MarkVisited(ctx, "fringe", "https://f.example/1", t0)
		s.MarkVisited(ctx, "fringe", "https://f.example/1", t0) // twice is fine
		if ok, _ := s.IsVisited(ctx, "fringe", "https://f.example/1"); !ok {
			t.Fatal("not visited after marked")
		}

		old := testArticle("old", "https://x.example/old", "ancien")
		old.FirstSeenAt = t0
		s.SaveArticle(ctx, old, Fetch{FetchedAt: t0})
		flagged := testArticle("fl", "https://x.example/fl", "signalé")
		rf, _ := s.SaveArticle(ctx, flagged, Fetch{FetchedAt: t0})
		s.SaveFindings(ctx, rf.VersionID, []finding.Finding{testFinding("k")}, routeTo("#c"), t0)
		recent := testArticle("new", "https://x.example/new", "récent")
		s.SaveArticle(ctx, recent, Fetch{FetchedAt: t0.Add(10 * time.Hour)})

		cands, err := s.RevisitCandidates(ctx, "lemonde", t0.Add(5*time.Hour), t0.Add(11*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		var guids []string
		for _, c := range cands {
			guids = append(guids, c.Article.GUID)
		}
		if strings.Join(guids, ",") != "fl,new" {
			t.Errorf("candidates %v, want the flagged one first, then the recent one", guids)
		}
		// An edit of the flagged article: version 2 with a word diff.
		flagged.Content = "signalé puis corrigé"
		r2, _ := s.SaveArticle(ctx, flagged, Fetch{FetchedAt: t0.Add(12 * time.Hour)})
		if r2.Version != 2 {
			t.Fatalf("version %d", r2.Version)
		}
		var diff string
		s.db.QueryRow(`SELECT diff FROM versions WHERE id = ?`, r2.VersionID).Scan(&diff)
		if !strings.Contains(diff, "{+puis corrigé+}") {
			t.Errorf("diff %q", diff)
		}
		// The flagged article disappears: one event, one alert to its channel.
		first, err := s.ArticleGone(ctx, rf.ArticleID, "HTTP 410", t0.Add(13*time.Hour))
		if err != nil || !first {
			t.Fatalf("gone: %v %v", first, err)
		}
		if again, _ := s.ArticleGone(ctx, rf.ArticleID, "HTTP 410", t0.Add(14*time.Hour)); again {
			t.Error("a deletion is recorded once")
		}
		n, err := s.QueueArticleAlert(ctx, rf.ArticleID, "deleted", "HTTP 410", "410", t0.Add(13*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("queued %d, %v", n, err)
		}
		if n, _ := s.QueueArticleAlert(ctx, rf.ArticleID, "deleted", "HTTP 410", "410", t0.Add(13*time.Hour)); n != 0 {
			t.Error("the same article alert queued twice")
		}
		evs, _ := s.ArticleEvents(ctx, rf.ArticleID)
		if len(evs) != 1 || evs[0].Kind != "deleted" {
			t.Errorf("events %+v", evs)
		}
		due, _ := s.DueAlerts(ctx, t0.Add(15*time.Hour), 0)
		kinds := map[string]int{}
		for _, a := range due {
			kinds[a.Kind]++
		}
		if kinds["deleted"] != 1 || kinds["finding"] != 1 {
			t.Errorf("due alerts by kind %v", kinds)
		}
		// Gone articles are not revisited; unflagged articles raise no alert.
		cands, _ = s.RevisitCandidates(ctx, "lemonde", t0, t0.Add(20*time.Hour), 10)
		for _, c := range cands {
			if c.ArticleID == rf.ArticleID {
				t.Error("a gone article is a revisit candidate")
			}
		}
		ro, _ := s.SaveArticle(ctx, old, Fetch{FetchedAt: t0})
		if n, _ := s.QueueArticleAlert(ctx, ro.ArticleID, "edited", "x", "v2", t0); n != 0 {
			t.Error("an article never alerted has no thread to post in")
		}
	})
}

// TestLastArticleAlertAndListingNotAFetch: the latest laundering alert of
// a leak is found by its key's prefix (LIKE wildcards in it are literal);
// a feed listing a full-text article again (OnlyNew) leaves its last
// fetch time, so its page stays due for a revisit.
func TestLastArticleAlertAndListingNotAFetch(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		a := testArticle("fl", "https://x.example/fl", "signalé")
		r, _ := s.SaveArticle(ctx, a, Fetch{FetchedAt: t0})
		if _, err := s.SaveFindings(ctx, r.VersionID, []finding.Finding{testFinding("k")}, routeTo("#c"), t0); err != nil {
			t.Fatal(err)
		}
		if _, _, found, err := s.LastArticleAlert(ctx, "velocity", "leak_1/"); err != nil || found {
			t.Fatalf("before any: found %v, %v", found, err)
		}
		for i, key := range []string{"leak_1/a", "leak_1/b", "leakX1/c"} {
			if _, err := s.QueueArticleAlert(ctx, r.ArticleID, "velocity", "d", key, t0.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		at, articleID, found, err := s.LastArticleAlert(ctx, "velocity", "leak_1/")
		if err != nil || !found || !at.Equal(t0.Add(time.Hour)) || articleID != r.ArticleID {
			t.Errorf("last velocity alert of leak_1: %v, article %d, %v %v; want %v, article %d (leakX1's is another leak)",
				at, articleID, found, err, t0.Add(time.Hour), r.ArticleID)
		}

		if _, err := s.SaveArticle(ctx, a, Fetch{FetchedAt: t0.Add(5 * time.Hour), OnlyNew: true}); err != nil {
			t.Fatal(err)
		}
		cands, err := s.RevisitCandidates(ctx, "lemonde", t0, t0.Add(time.Hour), 10)
		if err != nil || len(cands) != 1 {
			t.Errorf("revisit candidates after a feed listing: %d, %v; want the article (its page was fetched at t0)", len(cands), err)
		}
	})
}

// TestSaveNoFindings: a version evaluated with nothing to flag is marked
// evaluated (at its first evaluation), and an unknown version is an error.
func TestSaveNoFindings(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		r, err := s.SaveArticle(ctx, testArticle("q", "https://x.example/q", "calme"), Fetch{FetchedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{t0.Add(time.Minute), t0.Add(time.Hour)} {
			if fs, err := s.SaveFindings(ctx, r.VersionID, nil, nil, at); err != nil || len(fs) != 0 {
				t.Fatalf("no findings: %v, %v", fs, err)
			}
		}
		var evaluated time.Time
		if err := s.db.QueryRow(`SELECT evaluated_at FROM versions WHERE id = ?`, r.VersionID).Scan(timeDest{&evaluated}); err != nil {
			t.Fatal(err)
		}
		if !evaluated.Equal(t0.Add(time.Minute)) {
			t.Errorf("evaluated at %v, want the first evaluation's %v", evaluated, t0.Add(time.Minute))
		}
		if _, err := s.SaveFindings(ctx, 999, nil, nil, t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown version: %v, want ErrNotFound", err)
		}
	})
}
