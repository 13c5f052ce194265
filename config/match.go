package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/silencewatch/silencewatch/rules/textmatch"
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

// IsGroup reports whether the node combines other nodes.
func (m *Match) IsGroup() bool { return m.Any != nil || m.All != nil || m.None != nil }

func (v *validator) match(path p, rm *rawMatch, lists map[string][]string, leaks map[string]bool, top bool) *Match {
	m := &Match{Term: rm.Term, Terms: rm.Terms, Phrase: rm.Phrase, List: rm.List, Cased: rm.Cased, Line: v.line(path)}
	leaves := 0
	for _, set := range []bool{rm.Term != "", rm.Terms != nil, rm.Phrase != "", rm.Regex != "", rm.List != "", rm.Near != nil, rm.LeakQuote != nil, rm.LeakReport != nil} {
		if set {
			leaves++
		}
	}
	group := rm.Any != nil || rm.All != nil || rm.None != nil
	switch {
	case group && leaves > 0:
		v.errorf(path, "a match node is either a group (any, all, none) or one of term, terms, phrase, regex, list, near; not both")
		return m
	case !group && leaves == 0:
		v.errorf(path, "empty match node (expected any, all, none, term, terms, phrase, regex, list, near, leak_quote or leak_report)")
		return m
	case leaves > 1:
		v.errorf(path, "a match node holds one of term, terms, phrase, regex, list or near; split them under any or all")
		return m
	case group && rm.Any == nil && rm.All == nil:
		v.errorf(path, "a group of only none matches nothing; add any or all")
	}
	for key, children := range map[string][]rawMatch{"any": rm.Any, "all": rm.All, "none": rm.None} {
		if children != nil && len(children) == 0 {
			v.errorf(path.with(key), "empty %s list", key)
		}
		if children == nil {
			continue
		}
		out := make([]*Match, len(children))
		for i := range children {
			out[i] = v.match(path.with(key, i), &children[i], lists, leaks, false)
		}
		switch key {
		case "any":
			m.Any = out
		case "all":
			m.All = out
		case "none":
			m.None = out
		}
	}
	literal := func(where p, s string, single bool) {
		if textmatch.String(s, !rm.Cased) == "" {
			v.errorf(where, "%q is empty once normalised", s)
		} else if single && textmatch.HasSpace(s) {
			v.errorf(where, "term %q has several words: use phrase", s)
		}
	}
	switch {
	case rm.Term != "":
		literal(path.with("term"), rm.Term, true)
	case rm.Phrase != "":
		literal(path.with("phrase"), rm.Phrase, false)
	case rm.Terms != nil:
		if len(rm.Terms) == 0 {
			v.errorf(path.with("terms"), "empty terms list")
		}
		for i, t := range rm.Terms {
			literal(path.with("terms", i), t, false)
		}
	case rm.List != "":
		if _, ok := lists[rm.List]; !ok {
			v.errorf(path.with("list"), "unknown list %q (known lists: %s)", rm.List, strings.Join(sortedKeys(lists), ", "))
		}
	case rm.Regex != "":
		re, err := CompileRegex(rm.Regex, rm.Cased)
		if err != nil {
			v.errorf(path.with("regex"), "regex %q does not compile: %v", rm.Regex, errors.Unwrap(err))
		}
		m.Regex = re
	case rm.Near != nil:
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
	case rm.LeakQuote != nil:
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
	case rm.LeakReport != nil:
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
