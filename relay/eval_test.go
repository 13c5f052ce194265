package relay

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/finding"
)

// Floors of TestRelayEvaluation, set a little under the measured figures
// (README, "Laundering watch").
const (
	floorPrecision = 0.98
	floorRecall    = 0.98
	floorEarliest  = 0.98
)

// TestRelayEvaluation: 1,000 outlets, 20,000 articles in time order (a
// quarter of that under the race detector), about
// a third of them in relay chains of 2–8 hops (passages of 12–60 words
// copied with light edits, inside each copier's own text), the rest
// unrelated articles written from the same word model. Each article is
// observed as the monitor would; the edges are scored against the chains.
func TestRelayEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 articles")
	}
	outlets, articles := 1000, 20000
	if raceEnabled {
		outlets, articles = 250, 5000
	}
	g := generate(2017, outlets, articles, 0.33)
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
	planted, atPlanted, toRoot := scoreCrossings(g, edges)
	t.Logf("crossings: %d chains reach a national or wire outlet; alert on the planted article's own evaluation %d/%d = %.4f; its chain back to the root through the chain's articles %d/%d = %.4f",
		planted, atPlanted, planted, ratio(atPlanted, planted), toRoot, planted, ratio(toRoot, planted))
	if ratio(atPlanted, planted) < floorCrossing || ratio(toRoot, planted) < floorCrossing {
		t.Errorf("crossings below the floor %.2f", floorCrossing)
	}
}

// floorCrossing: every planted crossing found at its article, with a
// chain back to the chain's root through its own articles only.
const floorCrossing = 0.98

// scoreCrossings treats each planted chain as a leak of its own, whose
// articles all report its contents. The planted crossing is the chain's
// first article by a national or wire outlet. Each chain's spread is
// computed as the monitor computes it when it evaluates an article: from
// the edges found by then. It counts the chains with a crossing, those
// where the crossing alert would fire on that article's evaluation (so in
// the poll that brought it) and at no earlier one, and those whose alert
// chain leads back to the chain's root through the chain's own articles.
func scoreCrossings(g *genSpread, edges []Edge) (planted, atPlanted, chainToRoot int) {
	byTo := map[int64][]Edge{}
	for _, e := range edges {
		byTo[e.To.ArticleID] = append(byTo[e.To.ArticleID], e)
	}
	national := slices.Index(genTiers, "national")
	for c, ms := range g.chains {
		cross := -1
		for _, i := range ms {
			if slices.Index(genTiers, g.tiers[g.articles[i].Outlet]) >= national {
				cross = i
				break
			}
		}
		if cross < 0 {
			continue
		}
		planted++
		leakID := fmt.Sprintf("chain-%d", c)
		member := map[int64]bool{}
		fired := -1
		var in Input
		in.Leak, in.Tiers, in.TierOf = leakID, genTiers, g.tiers
		for _, i := range ms { // evaluated in time order, as polls bring them
			a := g.articles[i]
			member[a.ArticleID] = true
			in.Findings = append(in.Findings, Sighting{VersionID: a.VersionID, ArticleID: a.ArticleID, Finding: finding.Finding{
				Article: finding.ArticleRef{Source: a.Outlet, PublishedAt: a.At},
				Leak:    &finding.LeakAssessment{Leak: leakID, Label: KindContent}}})
			in.Edges = append(in.Edges, byTo[a.ArticleID]...)
			in.Now = a.At
			n, chain, ok := Compute(in).Crossing(genTiers, "national")
			if !ok || n.ArticleID != a.ArticleID {
				continue
			}
			fired = i
			good := len(chain) > 1 && chain[0].Node.ArticleID == g.articles[ms[0]].ArticleID
			for _, h := range chain {
				good = good && member[h.Node.ArticleID]
			}
			if good {
				chainToRoot++
			}
			break
		}
		if fired == cross {
			atPlanted++
		}
	}
	return planted, atPlanted, chainToRoot
}
