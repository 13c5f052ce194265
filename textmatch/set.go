package textmatch

import (
	"fmt"
	"strings"
)

// Set is a compiled set of literal patterns. Patterns are normalised like
// the text, so one pass of one automaton finds every occurrence of every
// pattern; the cost of a pass does not grow with the number of rules.
type Set struct {
	folded patternGroup // case-insensitive patterns, matched on folded text
	cased  patternGroup // `cased` patterns, matched on case-kept text
	ids    []patternRef
}

type patternRef struct {
	cased bool
	index int
}

type patternGroup struct {
	dfa      *dfa
	patterns []string
	ids      []int // set-wide id of each pattern
	index    map[string]int
	built    bool
}

// Builder collects patterns before compiling them into a Set.
type Builder struct {
	set Set
}

// Add registers a pattern and returns its id. The same normalised pattern
// added twice gets the same id. A pattern that normalises to nothing is an
// error.
func (b *Builder) Add(pattern string, cased bool) (int, error) {
	n := String(pattern, !cased)
	if n == "" {
		return 0, fmt.Errorf("textmatch: pattern %q is empty once normalised", pattern)
	}
	g := &b.set.folded
	if cased {
		g = &b.set.cased
	}
	if g.index == nil {
		g.index = map[string]int{}
	}
	if i, ok := g.index[n]; ok {
		return g.ids[i], nil
	}
	id := len(b.set.ids)
	g.index[n] = len(g.patterns)
	g.patterns = append(g.patterns, n)
	g.ids = append(g.ids, id)
	b.set.ids = append(b.set.ids, patternRef{cased: cased, index: len(g.patterns) - 1})
	return id, nil
}

// Build compiles the automata: every occurrence of every pattern is
// reported, overlapping ones included (the standard, overlapping semantics
// of Aho-Corasick), and word boundaries are checked here.
func (b *Builder) Build() *Set {
	s := b.set
	for _, g := range []*patternGroup{&s.folded, &s.cased} {
		if len(g.patterns) == 0 {
			continue
		}
		g.dfa = newDFA(g.patterns)
		g.built = true
	}
	return &s
}

// Len is the number of distinct patterns.
func (s *Set) Len() int { return len(s.ids) }

// Pattern returns the normalised form of pattern id.
func (s *Set) Pattern(id int) string {
	ref := s.ids[id]
	if ref.cased {
		return s.cased.patterns[ref.index]
	}
	return s.folded.patterns[ref.index]
}

// HasCased reports whether any pattern needs the case-kept text.
func (s *Set) HasCased() bool { return s.cased.built }

// Match is one word-bounded occurrence of a pattern, in normalised bytes.
type Match struct {
	Pattern    int
	Start, End int
	Cased      bool
}

// Find appends to dst every word-bounded occurrence in the folded text
// and, when the set has cased patterns, in the case-kept text.
func (s *Set) Find(dst []Match, folded, cased *Text) []Match {
	dst = s.folded.find(dst, folded, false)
	if s.cased.built && cased != nil {
		dst = s.cased.find(dst, cased, true)
	}
	return dst
}

func (g *patternGroup) find(dst []Match, t *Text, cased bool) []Match {
	if !g.built || len(t.Norm) == 0 {
		return dst
	}
	g.dfa.scan(t.Norm, func(p, start, end int) {
		if bounded(t.Norm, start, end) {
			dst = append(dst, Match{Pattern: g.ids[p], Start: start, End: end, Cased: cased})
		}
	})
	return dst
}

// bounded reports whether [start, end) does not cut a word in two: a
// pattern edge that is a word character must meet a non-word character or
// the text's edge.
func bounded(text []byte, start, end int) bool {
	if IsWordByte(text[start]) && start > 0 && IsWordByte(text[start-1]) {
		return false
	}
	if IsWordByte(text[end-1]) && end < len(text) && IsWordByte(text[end]) {
		return false
	}
	return true
}

// HasSpace reports whether a pattern is several words once normalised.
func HasSpace(pattern string) bool {
	return strings.ContainsRune(String(pattern, true), ' ')
}
