// Package textmatch owns literal matching over article text: the
// normalisation that makes matching case- and accent-insensitive (é = e,
// œ = oe, ’ = '), the map from normalised bytes back to the original text,
// and one multi-pattern automaton for every term of every rule.
package textmatch

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text is a normalised copy of an original string with, for each byte of
// the copy, the byte offset in the original of the rune it came from.
type Text struct {
	Original string
	Norm     []byte
	src      []int32
}

// Span maps the normalised byte range [start, end) back to the original
// text. The end extends to the end of the original rune that produced the
// last normalised byte.
func (t *Text) Span(start, end int) (int, int) {
	if start >= len(t.src) || end <= start {
		return len(t.Original), len(t.Original)
	}
	os := int(t.src[start])
	last := int(t.src[end-1])
	_, size := utf8.DecodeRuneInString(t.Original[last:])
	return os, last + size
}

// Normalize fills t from s. With fold, letters are lower-cased; accents,
// ligatures, typographic quotes, dashes and whitespace runs are always
// folded. The buffers of t are reused.
func Normalize(t *Text, s string, fold bool) {
	t.Original = s
	t.Norm = t.Norm[:0]
	t.src = t.src[:0]
	if cap(t.Norm) < len(s) {
		t.Norm = make([]byte, 0, len(s)+len(s)/8)
		t.src = make([]int32, 0, len(s)+len(s)/8)
	}
	space := true // drop leading whitespace
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
				if !space {
					t.Norm = append(t.Norm, ' ')
					t.src = append(t.src, int32(i))
					space = true
				}
			default:
				if fold && 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				t.Norm = append(t.Norm, c)
				t.src = append(t.src, int32(i))
				space = false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		rep := foldRune(r, fold)
		switch rep {
		case "":
		case " ":
			if !space {
				t.Norm = append(t.Norm, ' ')
				t.src = append(t.src, int32(i))
				space = true
			}
		default:
			for j := 0; j < len(rep); j++ {
				t.Norm = append(t.Norm, rep[j])
				t.src = append(t.src, int32(i))
			}
			space = false
		}
		i += size
	}
	if n := len(t.Norm); n > 0 && t.Norm[n-1] == ' ' {
		t.Norm = t.Norm[:n-1]
		t.src = t.src[:n-1]
	}
}

// String normalises s on its own, for patterns.
func String(s string, fold bool) string {
	var t Text
	Normalize(&t, s, fold)
	return string(t.Norm)
}

// special holds the mappings that Unicode decomposition does not give.
var special = map[rune]string{
	'œ': "oe", 'Œ': "OE", 'æ': "ae", 'Æ': "AE", 'ß': "ss", 'ø': "o", 'Ø': "O",
	'đ': "d", 'Đ': "D", 'ł': "l", 'Ł': "L", 'ħ': "h", 'ı': "i", 'ŀ': "l",
	'\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'", '\u02BC': "'", '\u00B4': "'",
	'\u201C': "\"", '\u201D': "\"", '\u201E': "\"", '\u201F': "\"", '\u00AB': "\"", '\u00BB': "\"", '\u2033': "\"",
	'\u2039': "\"", '\u203A': "\"",
	'\u2010': "-", '\u2011': "-", '\u2012': "-", '\u2013': "-", '\u2014': "-", '\u2015': "-", '\u2212': "-",
	'\u2026': "...",
	'\u00AD': "", '\u200B': "", '\u200C': "", '\u200D': "", '\u2060': "", '\uFEFF': "",
}

type foldKey struct {
	r    rune
	fold bool
}

var foldCache sync.Map // foldKey → string

// foldRune returns the normalised form of a non-ASCII rune: " " for
// whitespace, "" for invisible characters.
func foldRune(r rune, fold bool) string {
	key := foldKey{r, fold}
	if v, ok := foldCache.Load(key); ok {
		return v.(string)
	}
	rep := computeFold(r, fold)
	foldCache.Store(key, rep)
	return rep
}

func computeFold(r rune, fold bool) string {
	if unicode.IsSpace(r) {
		return " "
	}
	if rep, ok := special[r]; ok {
		if fold {
			return strings.ToLower(rep)
		}
		return rep
	}
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
		// Punctuation and symbols outside the table become one non-word
		// byte that no pattern contains, so they still bound words.
		return "\x1f"
	}
	var b strings.Builder
	for _, d := range norm.NFKD.String(string(r)) {
		if unicode.Is(unicode.Mn, d) {
			continue
		}
		if rep, ok := special[d]; ok {
			b.WriteString(rep)
			continue
		}
		if fold {
			d = unicode.ToLower(d)
		}
		b.WriteRune(d)
	}
	if fold {
		return strings.ToLower(b.String())
	}
	return b.String()
}

// IsWordByte reports whether a byte of normalised text belongs to a word:
// ASCII letters and digits, and every byte of a non-ASCII rune (letters of
// scripts that survive folding).
func IsWordByte(c byte) bool {
	return c >= utf8.RuneSelf || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') || c == '_'
}
