package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/silencewatch/silencewatch/textmatch"
)

// Match is one node of a rule's match tree: a group (any, all, none, which
// combine as "every all, at least one any, no none") or one leaf.
type Match struct {
	Any, All, None []*Match

	Term   string
	Terms  []string
	Phrase string
	Regex  *regexp.Regexp
	List   string
	Near   *Near
	Cased  bool

	LeakQuote  *LeakQuote
	LeakReport *LeakReport

	Line int
}

// LeakQuote matches an article that quotes at least MinWords words of a
// document of the leak's corpus, verbatim or lightly edited.
type LeakQuote struct {
	Leak     string
	MinWords int
}

// LeakReport matches an article the leak classifier labels Label
// ("content", "existence", "guidance" or "other") with at least MinScore.
type LeakReport struct {
	Leak     string
	Label    string
	MinScore float64
}

// LeakLabels are the labels an article can get about a leak.
var LeakLabels = []string{"content", "existence", "guidance", "other"}

// Near requires every term within Within words of each other.
type Near struct {
	Terms  []string
	Within int
}

// MatchKind is what a match node is: a group of other nodes or one kind
// of leaf. matchKinds is the grammar of match nodes: the loader's checks
// and messages and the rule compiler's dispatch (rules.compileNode) all
// come from it.
type MatchKind int

// The kinds of match node. MatchInvalid is a node that sets nothing; the
// loader never returns one.
const (
	MatchInvalid MatchKind = iota
	MatchGroup             // any, all, none
	MatchTerm
	MatchTerms
	MatchPhrase
	MatchRegex
	MatchList
	MatchNear
	MatchLeakQuote
	MatchLeakReport
)

// matchKind is one kind of node: the keys that write it and how to tell a
// raw and a loaded node of that kind.
type matchKind struct {
	keys   []string
	inRaw  func(*rawMatch) bool
	inNode func(*Match) bool
}

var matchKinds = [...]matchKind{
	MatchInvalid: {},
	MatchGroup: {[]string{"any", "all", "none"},
		func(r *rawMatch) bool { return r.Any != nil || r.All != nil || r.None != nil },
		func(m *Match) bool { return m.Any != nil || m.All != nil || m.None != nil }},
	MatchTerm: {[]string{"term"},
		func(r *rawMatch) bool { return r.Term != "" }, func(m *Match) bool { return m.Term != "" }},
	MatchTerms: {[]string{"terms"},
		func(r *rawMatch) bool { return r.Terms != nil }, func(m *Match) bool { return m.Terms != nil }},
	MatchPhrase: {[]string{"phrase"},
		func(r *rawMatch) bool { return r.Phrase != "" }, func(m *Match) bool { return m.Phrase != "" }},
	MatchRegex: {[]string{"regex"},
		func(r *rawMatch) bool { return r.Regex != "" }, func(m *Match) bool { return m.Regex != nil }},
	MatchList: {[]string{"list"},
		func(r *rawMatch) bool { return r.List != "" }, func(m *Match) bool { return m.List != "" }},
	MatchNear: {[]string{"near"},
		func(r *rawMatch) bool { return r.Near != nil }, func(m *Match) bool { return m.Near != nil }},
	MatchLeakQuote: {[]string{"leak_quote"},
		func(r *rawMatch) bool { return r.LeakQuote != nil }, func(m *Match) bool { return m.LeakQuote != nil }},
	MatchLeakReport: {[]string{"leak_report"},
		func(r *rawMatch) bool { return r.LeakReport != nil }, func(m *Match) bool { return m.LeakReport != nil }},
}

// String returns the kind's key ("term", "leak_quote"), "group" for a
// group and "invalid" for MatchInvalid.
func (k MatchKind) String() string {
	switch {
	case k == MatchGroup:
		return "group"
	case k > MatchGroup && int(k) < len(matchKinds):
		return matchKinds[k].keys[0]
	}
	return "invalid"
}

// Kind says what the node is. A node the loader returned is of exactly
// one kind; one built by hand with several set is taken as the first in
// the order of the constants.
func (m *Match) Kind() MatchKind {
	for k := MatchGroup; int(k) < len(matchKinds); k++ {
		if matchKinds[k].inNode(m) {
			return k
		}
	}
	return MatchInvalid
}

// IsGroup reports whether the node combines other nodes.
func (m *Match) IsGroup() bool { return m.Kind() == MatchGroup }

// rawKinds lists the kinds a raw node sets, in the order of the constants.
func rawKinds(rm *rawMatch) []MatchKind {
	var out []MatchKind
	for k := MatchGroup; int(k) < len(matchKinds); k++ {
		if matchKinds[k].inRaw(rm) {
			out = append(out, k)
		}
	}
	return out
}

// kindKeys lists the keys of kinds, each kind's own in order.
func kindKeys(kinds ...MatchKind) []string {
	var out []string
	for _, k := range kinds {
		out = append(out, matchKinds[k].keys...)
	}
	return out
}

// leafKinds are every kind but the group, in order.
func leafKinds() []MatchKind {
	var out []MatchKind
	for k := MatchGroup + 1; int(k) < len(matchKinds); k++ {
		out = append(out, k)
	}
	return out
}

// orList writes "a, b or c".
func orList(words []string) string { return joinLast(words, " or ") }

// joinLast joins words with commas, last before the last one.
func joinLast(words []string, last string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + last + words[len(words)-1]
}

func (v *validator) match(path p, rm *rawMatch, lists map[string][]string, leaks map[string]bool) *Match {
	m := &Match{Term: rm.Term, Terms: rm.Terms, Phrase: rm.Phrase, List: rm.List, Cased: rm.Cased, Line: v.line(path)}
	kinds := rawKinds(rm)
	group := slices.Contains(kinds, MatchGroup)
	leaves := slices.DeleteFunc(slices.Clone(kinds), func(k MatchKind) bool { return k == MatchGroup })
	switch {
	case group && len(leaves) > 0:
		v.errorf(path, "a match node is either a group (%s) or one leaf (%s); not both", strings.Join(kindKeys(MatchGroup), ", "), orList(kindKeys(leafKinds()...)))
		return m
	case len(kinds) == 0:
		v.errorf(path, "empty match node (expected %s)", orList(kindKeys(append([]MatchKind{MatchGroup}, leafKinds()...)...)))
		return m
	case len(leaves) > 1:
		v.errorf(path, "a match node holds one leaf (%s), this one has %s; split them under any or all", orList(kindKeys(leafKinds()...)), joinLast(kindKeys(leaves...), " and "))
		return m
	case group && rm.Any == nil && rm.All == nil:
		v.errorf(path, "a group of only none matches nothing; add any or all")
	}
	for _, g := range []struct {
		key      string
		children []rawMatch
		dst      *[]*Match
	}{{"any", rm.Any, &m.Any}, {"all", rm.All, &m.All}, {"none", rm.None, &m.None}} {
		if g.children == nil {
			continue
		}
		if len(g.children) == 0 {
			v.errorf(path.with(g.key), "empty %s list", g.key)
		}
		out := make([]*Match, len(g.children))
		for i := range g.children {
			out[i] = v.match(path.with(g.key, i), &g.children[i], lists, leaks)
		}
		*g.dst = out
	}
	literal := func(where p, s string, single bool) {
		if textmatch.String(s, !rm.Cased) == "" {
			v.errorf(where, "%q is empty once normalised", s)
		} else if single && textmatch.HasSpace(s) {
			v.errorf(where, "term %q has several words: use phrase", s)
		}
	}
	if group {
		return m
	}
	switch leaves[0] {
	case MatchTerm:
		literal(path.with("term"), rm.Term, true)
	case MatchPhrase:
		literal(path.with("phrase"), rm.Phrase, false)
	case MatchTerms:
		if len(rm.Terms) == 0 {
			v.errorf(path.with("terms"), "empty terms list")
		}
		for i, t := range rm.Terms {
			literal(path.with("terms", i), t, false)
		}
	case MatchList:
		if _, ok := lists[rm.List]; !ok {
			v.errorf(path.with("list"), "unknown list %q (known lists: %s)", rm.List, strings.Join(sortedKeys(lists), ", "))
		}
	case MatchRegex:
		re, err := CompileRegex(rm.Regex, rm.Cased)
		if err != nil {
			v.errorf(path.with("regex"), "regex %q does not compile: %v", rm.Regex, errors.Unwrap(err))
		}
		m.Regex = re
	case MatchNear:
		if len(rm.Near.Terms) < 2 {
			v.errorf(path.with("near", "terms"), "near needs at least two terms")
		}
		if rm.Near.Within < 1 {
			v.errorf(path.with("near", "within"), "within must be a positive number of words")
		}
		for i, t := range rm.Near.Terms {
			literal(path.with("near", "terms", i), t, false)
		}
		m.Near = &Near{Terms: rm.Near.Terms, Within: rm.Near.Within}
	case MatchLeakQuote:
		q := &LeakQuote{Leak: rm.LeakQuote.Leak, MinWords: rm.LeakQuote.MinWords}
		if !leaks[q.Leak] {
			v.errorf(path.with("leak_quote", "leak"), "unknown leak %q", q.Leak)
		}
		if q.MinWords == 0 {
			q.MinWords = 12
		}
		if q.MinWords < 5 {
			v.errorf(path.with("leak_quote", "min_words"), "min_words %d is too small to mean a quote (at least 5)", q.MinWords)
		}
		m.LeakQuote = q
	case MatchLeakReport:
		r := &LeakReport{Leak: rm.LeakReport.Leak, Label: rm.LeakReport.Label, MinScore: rm.LeakReport.MinScore}
		if !leaks[r.Leak] {
			v.errorf(path.with("leak_report", "leak"), "unknown leak %q", r.Leak)
		}
		if r.Label == "" {
			r.Label = "content"
		}
		if !slices.Contains(LeakLabels, r.Label) {
			v.errorf(path.with("leak_report", "label"), "unknown label %q (expected content, existence, guidance or other)", r.Label)
		}
		if r.MinScore < 0 || r.MinScore > 1 {
			v.errorf(path.with("leak_report", "min_score"), "min_score %g: want a number from 0 to 1", r.MinScore)
		}
		m.LeakReport = r
	}
	return m
}

func leakIDs(leaks []Leak) map[string]bool {
	out := map[string]bool{}
	for _, l := range leaks {
		out[l.ID] = true
	}
	return out
}

// CompileRegex compiles a rule's regex for the text it runs on: accents
// and typographic punctuation folded like the text, and case-insensitive
// unless cased.
func CompileRegex(src string, cased bool) (*regexp.Regexp, error) {
	folded := textmatch.String(src, false)
	if !cased {
		folded = "(?i)" + folded
	}
	re, err := regexp.Compile(folded)
	if err != nil {
		return nil, fmt.Errorf("config: regex %q: %w", src, err)
	}
	return re, nil
}
