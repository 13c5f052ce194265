// Package terminal makes text from outlets safe to print: an article title
// or body is attacker-controlled, and a raw escape sequence in it could
// rewrite the operator's screen, hide a line or set the window title.
package terminal

import (
	"strings"
	"unicode"
)

// Clean returns s with every control character removed except newline and
// tab, which layout needs. C1 controls (U+0080–U+009F, 8-bit CSI among them),
// bidirectional overrides and invalid UTF-8 are removed too: each can make
// what is shown differ from what was published.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		if r == unicode.ReplacementChar && !strings.HasPrefix(s[i:], "\uFFFD") {
			continue // invalid byte
		}
		if !keep(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isClean(s string) bool {
	for i, r := range s {
		if !keep(r) || r == unicode.ReplacementChar && !strings.HasPrefix(s[i:], "\uFFFD") {
			return false
		}
	}
	return true
}

func keep(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return true
	case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
		return false
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return false // bidi embeddings, overrides and isolates
	}
	return true
}
