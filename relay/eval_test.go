package relay

import (
	"testing"
	"time"
)

// Floors of TestRelayEvaluation, set a little under the measured figures
// (README, "Laundering watch").
const (
	floorPrecision = 0.98
	floorRecall    = 0.98
	floorEarliest  = 0.98
)

// TestRelayEvaluation: 1,000 outlets, 20,000 articles in time order, about
// a third of them in relay chains of 2–8 hops (passages of 12–60 words
// copied with light edits, inside each copier's own text), the rest
// unrelated articles written from the same word model. Each article is
// observed as the monitor would; the edges are scored against the chains.
func TestRelayEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 articles")
	}
	g := generate(2017, 1000, 20000, 0.33)
	x := New(Options{})
	var edges []Edge
	start := time.Now()
	for _, a := range g.articles {
		edges = append(edges, x.Observe(a.Article)...)
	}
	took := time.Since(start)
	s := score(g, edges)
	t.Logf("%d articles, %d chains, %d chained articles: %d edges in %s (%.0f articles/s observed, matching and indexing)",
		len(g.articles), s.chains, s.members+s.chains, s.edges, took.Round(time.Millisecond), float64(len(g.articles))/took.Seconds())
	t.Logf("precision %d/%d = %.4f; recall %d/%d = %.4f; edges naming the copied article itself %d/%d = %.3f; earliest article the single root of its chain %d/%d = %.4f",
		s.correct, s.edges, s.precision(), s.found, s.members, s.recall(), s.parentRight, s.correct, ratio(s.parentRight, s.correct), s.earliest, s.chains, ratio(s.earliest, s.chains))
	t.Logf("index: %+v", x.Stats())
	if s.precision() < floorPrecision || s.recall() < floorRecall || ratio(s.earliest, s.chains) < floorEarliest {
		t.Errorf("below the floors (precision %.2f, recall %.2f, earliest %.2f)", floorPrecision, floorRecall, floorEarliest)
	}
}
