package relay

import (
	"slices"
	"time"
)

// Hop is one step of a relay chain: an article and how many words it
// reuses of the step before it (0 for the first).
type Hop struct {
	Node  Node `json:"article"`
	Words int  `json:"words"`
}

// maxHops bounds a chain: past a handful of steps a list stops being read.
const maxHops = 8

// Crossing finds the first report of the leak's contents by an outlet
// whose tier is tier or one after it in tiers (the mainstream end of the
// list), with the chain of relays behind it, earliest first. ok is false
// when no such report exists or tier is not in tiers.
func (s Spread) Crossing(tiers []string, tier string) (crossing Node, chain []Hop, ok bool) {
	rank := slices.Index(tiers, tier)
	if rank < 0 {
		return Node{}, nil, false
	}
	for _, n := range s.Nodes { // in time order
		if n.Kind == KindContent && n.Tier != "" && slices.Index(tiers, n.Tier) >= rank {
			return n, s.Chain(n.ArticleID), true
		}
	}
	return Node{}, nil, false
}

// Chain walks the relay edges back from an article to the earliest one it
// descends from, earliest first, ending with the article itself. At each
// step it follows the incoming edge that reuses the most words (the
// closest copy), never visiting an article twice.
func (s Spread) Chain(articleID int64) []Hop {
	byID := make(map[int64]Node, len(s.Nodes))
	for _, n := range s.Nodes {
		byID[n.ArticleID] = n
	}
	cur, ok := byID[articleID]
	if !ok {
		return nil
	}
	hops := []Hop{{Node: cur}}
	seen := map[int64]bool{articleID: true}
	for len(hops) < maxHops {
		best := -1
		for i, e := range s.Edges {
			if e.To.ArticleID != cur.ArticleID || seen[e.From.ArticleID] {
				continue
			}
			if _, known := byID[e.From.ArticleID]; !known {
				continue
			}
			if best < 0 || e.Words > s.Edges[best].Words {
				best = i
			}
		}
		if best < 0 {
			break
		}
		e := s.Edges[best]
		hops[len(hops)-1].Words = e.Words // what the later article reuses of the earlier
		cur = byID[e.From.ArticleID]
		seen[cur.ArticleID] = true
		hops = append(hops, Hop{Node: cur})
	}
	slices.Reverse(hops)
	return hops
}

// Velocity lists the distinct outlets (sorted) whose articles reporting
// the contents appeared in (now-within, now].
func (s Spread) Velocity(now time.Time, within time.Duration) []string {
	seen := map[string]bool{}
	for _, n := range s.Nodes {
		if n.Kind == KindContent && !n.At.After(now) && n.At.After(now.Add(-within)) {
			seen[n.Outlet] = true
		}
	}
	out := make([]string, 0, len(seen))
	for o := range seen {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}
