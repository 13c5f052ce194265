package store

import (
	"context"
	"errors"
	"testing"
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
