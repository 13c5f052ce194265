package config

import (
	"slices"
	"strings"
	"testing"
)

func TestChangedRules(t *testing.T) {
	const base = `
lists:
  names: ["#Leaks"]
rules:
  - id: a
    title: A
    severity: high
    windows: [always]
    match: {list: names}
  - id: b
    title: B
    severity: low
    windows: [always]
    match: {term: sondage}
`
	parse := func(s string) *Config {
		t.Helper()
		cfg, err := Parse("test.yaml", []byte(s), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	prev := parse(base)
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unchanged", base, nil},
		{"moved down a line", "\n" + base, nil},
		{"severity", strings.Replace(base, "severity: low", "severity: high", 1), []string{"b"}},
		{"match", strings.Replace(base, "term: sondage", "term: sondages", 1), []string{"b"}},
		{"list it uses", strings.Replace(base, `["#Leaks"]`, `["#Leaks", "#MacronLeaks"]`, 1), []string{"a"}},
		{"new rule", base + "  - {id: c, title: C, severity: info, windows: [always], match: {term: x}}\n", []string{"c"}},
	} {
		if got := ChangedRules(prev, parse(tc.yaml)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: changed %v, want %v", tc.name, got, tc.want)
		}
	}
	if prev.Rules[0].Match.Line == 0 {
		t.Error("ChangedRules changed the config it read")
	}
}
