package config

import "reflect"

// ChangedRules returns the ids of the rules of next that prev does not
// have, or has in another form: a different definition, or a list it uses
// that changed. Where a rule sits in the file does not count.
func ChangedRules(prev, next *Config) []string {
	old := map[string]Rule{}
	for _, r := range prev.Rules {
		old[r.ID] = r
	}
	var out []string
	for _, r := range next.Rules {
		o, ok := old[r.ID]
		if !ok || !sameRule(o, r) || listsChanged(r.Match, prev.Lists, next.Lists) {
			out = append(out, r.ID)
		}
	}
	return out
}

func sameRule(a, b Rule) bool {
	am, bm := a.Match, b.Match
	a.Line, b.Line, a.Match, b.Match = 0, 0, nil, nil
	return reflect.DeepEqual(a, b) && sameMatch(am, bm)
}

// sameMatch compares two match trees, their line numbers aside.
func sameMatch(a, b *Match) bool {
	if a == nil || b == nil {
		return a == b
	}
	if len(a.All) != len(b.All) || len(a.Any) != len(b.Any) || len(a.None) != len(b.None) {
		return false
	}
	for _, pair := range [][2][]*Match{{a.All, b.All}, {a.Any, b.Any}, {a.None, b.None}} {
		for i := range pair[0] {
			if !sameMatch(pair[0][i], pair[1][i]) {
				return false
			}
		}
	}
	ra, rb := "", ""
	if a.Regex != nil {
		ra = a.Regex.String()
	}
	if b.Regex != nil {
		rb = b.Regex.String()
	}
	return ra == rb && a.Term == b.Term && reflect.DeepEqual(a.Terms, b.Terms) && a.Phrase == b.Phrase &&
		a.List == b.List && reflect.DeepEqual(a.Near, b.Near) && a.Cased == b.Cased &&
		reflect.DeepEqual(a.LeakQuote, b.LeakQuote) && reflect.DeepEqual(a.LeakReport, b.LeakReport)
}

func listsChanged(m *Match, prev, next map[string][]string) bool {
	if m == nil {
		return false
	}
	if m.List != "" && !reflect.DeepEqual(prev[m.List], next[m.List]) {
		return true
	}
	for _, c := range append(append(append([]*Match{}, m.All...), m.Any...), m.None...) {
		if listsChanged(c, prev, next) {
			return true
		}
	}
	return false
}
