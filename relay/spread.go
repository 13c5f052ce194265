package relay

import (
	"cmp"
	"slices"
	"time"

	"github.com/silencewatch/silencewatch/finding"
)

// Kinds of node in a spread.
const (
	KindContent = "content" // reports or quotes the leak's content
	KindMention = "mention" // a rule about the leak fired; not its content
)

// Stages of a leak's spread (Aaltola's laundering stages as tiers show
// them). Tiers other than these names do not move the stage.
const (
	StageNone         = ""
	StageMargins      = "margins"       // contents only on leak sites and fringe outlets
	StageForeignState = "foreign-state" // relayed by foreign state media
	StageMainstream   = "mainstream"    // relayed by national media or a wire
)

// Sighting is a stored finding with its version and article. FindingID
// is its row in the store (0 when it has none), for links to it.
type Sighting struct {
	FindingID            int64
	VersionID, ArticleID int64
	Finding              finding.Finding
}

// Input is what Compute reads: stored findings and relay edges, and the
// outlets' tiers.
type Input struct {
	Leak     string
	Findings []Sighting
	Edges    []Edge // from the store: Ref.ArticleID and VersionID set
	Tiers    []string
	TierOf   map[string]string // outlet → tier
	// Now is the end of the "last hour" of RecentOutlets.
	Now time.Time
}

// Node is one article of a spread.
type Node struct {
	ArticleID int64     `json:"article_id"`
	VersionID int64     `json:"version_id"`            // of its first finding about the leak
	FindingID int64     `json:"finding_row,omitempty"` // that finding's stored row
	Outlet    string    `json:"outlet"`
	Tier      string    `json:"tier,omitempty"`
	Kind      string    `json:"kind"`  // content or mention
	Label     string    `json:"label"` // the leak classifier's, else the kind
	At        time.Time `json:"at"`    // see Time
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Rules     []string  `json:"rules"`
}

// First is the first article of a tier or outlet.
type First struct {
	Tier      string    `json:"tier,omitempty"`
	Outlet    string    `json:"outlet,omitempty"`
	ArticleID int64     `json:"article_id"`
	FindingID int64     `json:"finding_row,omitempty"`
	At        time.Time `json:"at"`
	URL       string    `json:"url"`
}

// Firsts are first sightings per tier (in tier order) and per outlet (in
// time order).
type Firsts struct {
	ByTier   []First `json:"by_tier"`
	ByOutlet []First `json:"by_outlet"`
}

// Spread is where a leak's content and mentions appeared, and who relayed
// whom.
type Spread struct {
	Leak     string `json:"leak"`
	Stage    string `json:"stage"`
	Nodes    []Node `json:"articles"` // in time order
	Content  Firsts `json:"content"`
	Mentions Firsts `json:"mentions"`
	Edges    []Edge `json:"edges"` // between the articles, in To's time order
	// RecentOutlets is how many distinct outlets published an article
	// reporting the contents in the hour before Now.
	RecentOutlets int       `json:"recent_outlets"`
	Now           time.Time `json:"now"`
}

// ReportsContent says whether f reports leak's contents: it quotes the
// leak's documents, or the classifier says so.
func ReportsContent(f *finding.Finding, leak string) bool {
	kind, _ := kindOf(f, leak)
	return kind == KindContent
}

// kindOf says whether f is about leak, and how.
func kindOf(f *finding.Finding, leak string) (kind, label string) {
	for _, e := range f.Evidence {
		if e.Source != nil && e.Source.Leak == leak {
			kind, label = KindContent, KindContent
		}
	}
	if f.Leak != nil && f.Leak.Leak == leak {
		if f.Leak.Label == KindContent {
			return KindContent, KindContent
		}
		if kind == "" {
			return KindMention, f.Leak.Label
		}
	}
	return kind, label
}

// Compute builds the spread of in.Leak from stored data. It reads no
// clock and no store.
func Compute(in Input) Spread {
	s := Spread{Leak: in.Leak, Now: in.Now, Nodes: []Node{}, Edges: []Edge{}}
	byArticle := map[int64]*Node{}
	var order []int64
	for _, sg := range in.Findings {
		f := &sg.Finding
		kind, label := kindOf(f, in.Leak)
		if kind == "" {
			continue
		}
		n := byArticle[sg.ArticleID]
		if n == nil {
			a := f.Article
			at := a.PublishedAt
			if at.IsZero() || (!a.FirstSeenAt.IsZero() && at.After(a.FirstSeenAt)) {
				at = a.FirstSeenAt
			}
			n = &Node{ArticleID: sg.ArticleID, VersionID: sg.VersionID, FindingID: sg.FindingID, Outlet: a.Source, Tier: in.TierOf[a.Source],
				Kind: kind, Label: label, At: at, URL: a.URL, Title: a.Title}
			byArticle[sg.ArticleID] = n
			order = append(order, sg.ArticleID)
		}
		if kind == KindContent && n.Kind != KindContent {
			n.Kind, n.Label = KindContent, KindContent
		}
		if !slices.Contains(n.Rules, f.Rule) {
			n.Rules = append(n.Rules, f.Rule)
		}
	}
	for _, id := range order {
		s.Nodes = append(s.Nodes, *byArticle[id])
	}
	slices.SortStableFunc(s.Nodes, func(a, b Node) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.ArticleID, b.ArticleID)
	})
	s.Content = firsts(s.Nodes, KindContent, in.Tiers)
	s.Mentions = firsts(s.Nodes, KindMention, in.Tiers)

	for _, e := range in.Edges {
		f, t := byArticle[e.From.ArticleID], byArticle[e.To.ArticleID]
		if f == nil || t == nil {
			continue
		}
		e.From.Outlet, e.From.At = f.Outlet, f.At
		e.To.Outlet, e.To.At = t.Outlet, t.At
		s.Edges = append(s.Edges, e)
	}
	slices.SortStableFunc(s.Edges, func(a, b Edge) int { return a.To.At.Compare(b.To.At) })

	outlets := map[string]bool{}
	for _, n := range s.Nodes {
		if n.Kind != KindContent {
			continue
		}
		switch n.Tier {
		case "national", "wire":
			s.Stage = StageMainstream
		case "foreign-state":
			if s.Stage != StageMainstream {
				s.Stage = StageForeignState
			}
		case "leak-site", "fringe":
			if s.Stage == StageNone {
				s.Stage = StageMargins
			}
		}
		if !in.Now.IsZero() && n.At.After(in.Now.Add(-time.Hour)) && !n.At.After(in.Now) {
			outlets[n.Outlet] = true
		}
	}
	s.RecentOutlets = len(outlets)
	return s
}

// firsts finds the first node of kind per tier and per outlet; nodes are
// in time order.
func firsts(nodes []Node, kind string, tiers []string) Firsts {
	out := Firsts{ByTier: []First{}, ByOutlet: []First{}}
	tier := map[string]bool{}
	outlet := map[string]bool{}
	for _, n := range nodes {
		if n.Kind != kind {
			continue
		}
		if !tier[n.Tier] {
			tier[n.Tier] = true
			out.ByTier = append(out.ByTier, First{Tier: n.Tier, ArticleID: n.ArticleID, FindingID: n.FindingID, At: n.At, URL: n.URL})
		}
		if !outlet[n.Outlet] {
			outlet[n.Outlet] = true
			out.ByOutlet = append(out.ByOutlet, First{Outlet: n.Outlet, Tier: n.Tier, ArticleID: n.ArticleID, FindingID: n.FindingID, At: n.At, URL: n.URL})
		}
	}
	rank := func(t string) int {
		if i := slices.Index(tiers, t); i >= 0 {
			return i
		}
		return len(tiers) // untiered last
	}
	slices.SortStableFunc(out.ByTier, func(a, b First) int { return cmp.Compare(rank(a.Tier), rank(b.Tier)) })
	return out
}
