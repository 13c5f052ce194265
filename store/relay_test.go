package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/finding"
)

func TestRelayEdges(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s, _ := newStore(t)
		a, err := s.SaveArticle(ctx, testArticle("g1", "https://a.example/1", "first text"), fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.SaveArticle(ctx, testArticle("g2", "https://a.example/2", "second text"), fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		e := RelayEdge{FromVersion: a.VersionID, ToVersion: b.VersionID, Words: 14, Matched: 13,
			FromField: "content", FromStart: 3, FromEnd: 90, ToField: "content", ToStart: 10, ToEnd: 99, DetectedAt: t0}
		if err := s.SaveRelayEdges(ctx, []RelayEdge{e, e}); err != nil {
			t.Fatal(err)
		}
		got, err := s.RelayEdges(ctx, t0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("got %d edges, want 1 (a duplicate is kept once)", len(got))
		}
		g := got[0]
		if g.FromArticle != a.ArticleID || g.ToArticle != b.ArticleID || g.Words != 14 || g.ToStart != 10 || g.FromEnd != 90 || !g.DetectedAt.Equal(t0) {
			t.Errorf("stored %+v", g)
		}
		if got, _ := s.RelayEdges(ctx, t0.Add(1)); len(got) != 0 {
			t.Errorf("since after detection: %d edges", len(got))
		}
		bad := e
		bad.ToVersion = 999
		if err := s.SaveRelayEdges(ctx, []RelayEdge{bad}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown version: err = %v, want ErrNotFound", err)
		}
	})
}

// TestEdgesOfVersion: three articles of two outlets, b reusing a and c
// reusing b; b's version has one edge in, one out, with both ends'
// articles; a newer version of b has none.
func TestEdgesOfVersion(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s, _ := newStore(t)
		save := func(source, guid, content string) SaveResult {
			t.Helper()
			a := testArticle(guid, "https://"+source+".example/"+guid, content)
			a.Source = source
			res, err := s.SaveArticle(ctx, a, fetchAt(t0))
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		a, b, c := save("board", "a", "first text"), save("lemonde", "b", "second text"), save("board", "c", "third text")
		newer := save("lemonde", "b", "second text, edited")
		fs, err := s.SaveFindings(ctx, c.VersionID, []finding.Finding{testFinding("on-c")}, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SaveRelayEdges(ctx, []RelayEdge{
			{FromVersion: a.VersionID, ToVersion: b.VersionID, Words: 14, Matched: 14, FromField: "content", FromStart: 0, FromEnd: 10, ToField: "content", ToStart: 0, ToEnd: 11, DetectedAt: t0},
			{FromVersion: b.VersionID, ToVersion: c.VersionID, Words: 20, Matched: 19, FromField: "title", FromStart: 2, FromEnd: 30, ToField: "content", ToStart: 0, ToEnd: 10, DetectedAt: t0.Add(time.Minute)},
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.EdgesOfVersion(ctx, b.VersionID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d edges of b, want 2: %+v", len(got), got)
		}
		in, out := got[0], got[1]
		if in.ToVersion != b.VersionID || in.From.VersionID != a.VersionID || in.From.ArticleID != a.ArticleID || in.From.Source != "board" ||
			in.From.URL != "https://board.example/a" || in.From.Title != "Présidentielle : la dernière ligne droite" || in.From.PublishedAt.IsZero() ||
			in.From.FirstSeenAt.IsZero() || in.Words != 14 || !in.DetectedAt.Equal(t0) {
			t.Errorf("incoming edge %+v", in)
		}
		if out.FromVersion != b.VersionID || out.To.VersionID != c.VersionID || out.To.Source != "board" || out.To.URL != "https://board.example/c" ||
			out.From.Source != "lemonde" || out.FromField != "title" || out.FromStart != 2 || out.Matched != 19 ||
			out.To.FindingID != fs[0].ID || out.From.FindingID != 0 {
			t.Errorf("outgoing edge %+v", out)
		}
		for _, v := range []int64{newer.VersionID, 999} {
			if got, err := s.EdgesOfVersion(ctx, v); err != nil || len(got) != 0 {
				t.Errorf("version %d: %d edges, %v; want none", v, len(got), err)
			}
		}
	})
}

// TestRelayLog: versions shown to relay detection come back in the log's
// order after a place, with their articles; the lock lets one holder in
// at a time (on PostgreSQL, across connections).
func TestRelayLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s, _ := newStore(t)
		if last, err := s.RelayObservedLast(ctx); err != nil || last != 0 {
			t.Fatalf("empty log: last %d, %v", last, err)
		}
		var ids []int64
		for _, g := range []string{"g1", "g2", "g3"} {
			v, err := s.SaveArticle(ctx, testArticle(g, "https://a.example/"+g, "text of "+g), fetchAt(t0))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, v.VersionID)
		}
		var first int64
		for i, id := range []int64{ids[2], ids[0], ids[1]} { // not in id order
			err := s.WithRelayLock(ctx, func() error {
				seq, err := s.RecordRelayObserved(ctx, id, t0)
				if i == 0 {
					first = seq
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		vs, last, err := s.RelayObservedAfter(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0].VersionID != ids[0] || vs[1].VersionID != ids[1] || vs[0].Article.GUID != "g1" {
			t.Fatalf("after the first: %+v", vs)
		}
		if again, seq, err := s.RelayObservedAfter(ctx, last); err != nil || len(again) != 0 || seq != last {
			t.Errorf("after the last: %d versions, place %d (want %d), %v", len(again), seq, last, err)
		}

		// Two holders at once: the second waits for the first.
		inside := make(chan struct{})
		release := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- s.WithRelayLock(ctx, func() error { close(inside); <-release; return nil })
		}()
		<-inside
		entered := make(chan struct{})
		go func() {
			s.WithRelayLock(ctx, func() error { close(entered); return nil })
		}()
		select {
		case <-entered:
			if s.db.d.postgres {
				t.Error("a second holder entered while the first held the lock")
			}
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		<-entered
	})
}

// TestRelayLogPruned: pruning drops the log up to its last version
// observed before the cutoff, earlier places without a time included, and
// keeps the rest in order; the log's last place is unchanged.
func TestRelayLogPruned(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s, _ := newStore(t)
		var ids []int64
		for _, g := range []string{"g1", "g2", "g3", "g4"} {
			v, err := s.SaveArticle(ctx, testArticle(g, "https://a.example/"+g, "text of "+g), fetchAt(t0))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, v.VersionID)
		}
		// A place logged before migration 15, without a time.
		if _, err := s.db.ExecContext(ctx, `INSERT INTO relay_observed (version_id) VALUES (?)`, ids[0]); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids[1:] {
			if _, err := s.RecordRelayObserved(ctx, id, t0.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		last, err := s.RelayObservedLast(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.PruneRelayObserved(ctx, t0.Add(-time.Minute)); err != nil || n != 0 {
			t.Fatalf("nothing observed before the cutoff: pruned %d, %v", n, err)
		}
		// g2 at t0 and g3 at t0+1h are before t0+90m; g1 comes before them.
		if n, err := s.PruneRelayObserved(ctx, t0.Add(90*time.Minute)); err != nil || n != 3 {
			t.Fatalf("pruned %d, %v; want 3", n, err)
		}
		vs, got, err := s.RelayObservedAfter(ctx, 0)
		if err != nil || len(vs) != 1 || vs[0].VersionID != ids[3] || got != last {
			t.Fatalf("after pruning: %d versions (want g4 alone), last %d (want %d), %v", len(vs), got, last, err)
		}
	})
}
