package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestMatchKinds loads one node of every kind and checks Kind names it by
// the key it was written with, so the grammar table, the loader and
// Kind cannot drift apart.
func TestMatchKinds(t *testing.T) {
	nodes := map[MatchKind]string{
		MatchGroup:      "{any: [{term: a}], none: [{term: b}]}",
		MatchTerm:       "{term: a}",
		MatchTerms:      "{terms: [a, b]}",
		MatchPhrase:     "{phrase: a b}",
		MatchRegex:      "{regex: 'a+'}",
		MatchList:       "{list: words}",
		MatchNear:       "{near: {terms: [a, b], within: 3}}",
		MatchLeakQuote:  "{leak_quote: {leak: l}}",
		MatchLeakReport: "{leak_report: {leak: l}}",
	}
	if len(nodes) != len(matchKinds)-1 {
		t.Fatalf("the test covers %d kinds, the grammar has %d", len(nodes), len(matchKinds)-1)
	}
	for kind, node := range nodes {
		t.Run(kind.String(), func(t *testing.T) {
			data := fmt.Sprintf(`leaks:
  - {id: l, disclosed_at: "2017-05-05T20:35:00+02:00"}
lists:
  words: [a, b]
rules:
  - {id: r, title: t, severity: high, windows: [always], match: %s}
`, node)
			cfg, err := Parse("c.yaml", []byte(data), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			m := cfg.Rules[0].Match
			if got := m.Kind(); got != kind {
				t.Errorf("Kind() = %v, want %v", got, kind)
			}
			if kind != MatchGroup && !strings.Contains(node, "{"+kind.String()+":") {
				t.Errorf("kind %v is not written with the key %q", kind, kind.String())
			}
			if m.IsGroup() != (kind == MatchGroup) {
				t.Errorf("IsGroup() = %v", m.IsGroup())
			}
		})
	}
	if k := (&Match{}).Kind(); k != MatchInvalid || k.String() != "invalid" {
		t.Errorf("an empty node is %v", k)
	}
}

// TestMatchNodeMessages checks that the messages about malformed nodes
// list the whole grammar.
func TestMatchNodeMessages(t *testing.T) {
	tests := []struct{ node, want string }{
		{"{cased: true}", "empty match node (expected any, all, none, term, terms, phrase, regex, list, near, leak_quote or leak_report)"},
		{"{all: [{term: a}], phrase: b c}", "a match node is either a group (any, all, none) or one leaf (term, terms, phrase, regex, list, near, leak_quote or leak_report); not both"},
		{"{term: a, leak_report: {leak: l}}", "a match node holds one leaf (term, terms, phrase, regex, list, near, leak_quote or leak_report), this one has term and leak_report; split them under any or all"},
	}
	for _, tt := range tests {
		data := "rules:\n  - {id: r, title: t, severity: high, windows: [always], match: " + tt.node + "}\n"
		_, err := Parse("c.yaml", []byte(data), noEnv)
		if err == nil || !strings.Contains(err.Error(), "c.yaml:2: rules[0].match: "+tt.want) {
			t.Errorf("%s: got %v\nwant %q", tt.node, err, tt.want)
		}
	}
}
