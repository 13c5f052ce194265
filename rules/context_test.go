package rules

import "testing"

// referenceCollapse is collapse as first written, byte by byte;
// appendCollapsed must agree with it.
func referenceCollapse(s string, before bool) string {
	if clean(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\x1f' {
			space = true
			continue
		}
		if space && (len(b) > 0 || !before) {
			b = append(b, ' ')
		}
		space = false
		b = append(b, c)
	}
	if space && before && len(b) > 0 {
		b = append(b, ' ')
	}
	return string(b)
}

func checkCollapsed(t *testing.T, s string) {
	t.Helper()
	for _, before := range []bool{true, false} {
		for _, edge := range []string{"", "…"} {
			want := edge + referenceCollapse(s, before)
			got := string(appendCollapsed(nil, edge, s, "", before))
			if !before {
				want = referenceCollapse(s, before) + edge
				got = string(appendCollapsed(nil, "", s, edge, before))
			}
			if got != want {
				t.Fatalf("appendCollapsed(%q, before=%v, edge %q) = %q, want %q", s, before, edge, got, want)
			}
		}
	}
}

func TestCollapsedMatchesReference(t *testing.T) {
	for _, s := range []string{"", " ", "a", " a", "a ", "  a  b  ", "a\n\nb", "\x1f", "a\x1f\nb", "mot  mot", "plain text", "\t\r\n"} {
		checkCollapsed(t, s)
	}
}

func FuzzCollapsed(f *testing.F) {
	f.Add("selon les\n  courriels \x1f révélés ")
	f.Fuzz(checkCollapsed)
}

// referenceClean is clean as first written.
func referenceClean(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n', '\t', '\r', '\x1f':
			return false
		case ' ':
			if i+1 < len(s) && s[i+1] == ' ' {
				return false
			}
		}
	}
	return true
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", " ", "  ", "a b", "a  b", "a\nb", " a ", "\x1f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if clean(s) != referenceClean(s) {
			t.Fatalf("clean(%q) = %v", s, clean(s))
		}
	})
}
