// Package textmatch owns literal matching over article text: the
// normalisation that makes matching case- and accent-insensitive (é = e,
// œ = oe, ’ = '), the map from normalised bytes back to the original text,
// and one multi-pattern automaton for every term of every rule.
package textmatch

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text is a normalised copy of an original string and the map from each
// byte of the copy back to the byte offset in the original of the rune it
// came from. The map is kept as runs, not per byte: a stretch of ASCII
// copied one for one is a single run, so building it costs a few bytes per
// accent or collapsed space rather than four bytes per byte of text, and
// only the offsets of what matched are ever computed (Span).
type Text struct {
	Original string // empty when made by NormalizeJoined
	Norm     []byte
	runs     []run
	origLen  int
}

// run maps normalised bytes from norm up to the next run's norm: byte j
// comes from orig + (j - norm), a one-byte rune, or from orig itself when
// the run is the expansion of one rune (fixed) of size bytes.
type run struct {
	norm, orig int32
	fixed      bool
	size       uint8
}

// src is the original offset of normalised byte j and the size of the
// rune there.
func (t *Text) src(j int) (int, int) {
	// The last run starting at or before j.
	lo, hi := 0, len(t.runs)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if int(t.runs[mid].norm) <= j {
			lo = mid
		} else {
			hi = mid
		}
	}
	r := t.runs[lo]
	if r.fixed {
		return int(r.orig), int(r.size)
	}
	return int(r.orig) + j - int(r.norm), 1
}

// Span maps the normalised byte range [start, end) back to the original
// text. The end extends to the end of the original rune that produced the
// last normalised byte.
func (t *Text) Span(start, end int) (int, int) {
	if start >= len(t.Norm) || end <= start {
		return t.origLen, t.origLen
	}
	os, _ := t.src(start)
	last, size := t.src(end - 1)
	return os, last + size
}

// Spans maps many normalised ranges back to the original at once, as Span
// does one: [start[i], end[i]) to [os[i], oe[i]). The ranges must be in
// ascending order and not overlap (the words of a text): the runs are then
// walked once rather than searched twice for each range.
func (t *Text) Spans(start, end []int32, os, oe []int32) {
	k := 0
	src := func(j int) (int, int) {
		for k+1 < len(t.runs) && int(t.runs[k+1].norm) <= j {
			k++
		}
		r := t.runs[k]
		if r.fixed {
			return int(r.orig), int(r.size)
		}
		return int(r.orig) + j - int(r.norm), 1
	}
	for i := range start {
		if int(start[i]) >= len(t.Norm) || end[i] <= start[i] {
			os[i], oe[i] = int32(t.origLen), int32(t.origLen)
			continue
		}
		s, _ := src(int(start[i]))
		last, size := src(int(end[i]) - 1)
		os[i], oe[i] = int32(s), int32(last+size)
	}
}

// In the byte tables, ASCII whitespace maps to a space (and nothing else
// does) and the bytes of longer runes to nonASCII: every ASCII byte maps
// below it.
const nonASCII = 0x80

// asciiFolded and asciiCased give the normalised form of each ASCII byte,
// or nonASCII.
var asciiFolded, asciiCased = asciiTables()

func asciiTables() (folded, cased [256]byte) {
	for c := range 256 {
		folded[c], cased[c] = byte(c), byte(c)
		if 'A' <= c && c <= 'Z' {
			folded[c] = byte(c) + 'a' - 'A'
		}
		switch {
		case c >= utf8.RuneSelf:
			folded[c], cased[c] = nonASCII, nonASCII
		case c == ' ', c == '\n', c == '\t', c == '\r', c == '\f', c == '\v':
			folded[c], cased[c] = ' ', ' '
		}
	}
	return folded, cased
}

// Normalize fills t from s. With fold, letters are lower-cased; accents,
// ligatures, typographic quotes, dashes and whitespace runs are always
// folded. The buffers of t are reused.
func Normalize(t *Text, s string, fold bool) {
	z := t.normalizer(len(s), fold)
	z.add(s, 0)
	t.finish(z, s, len(s))
}

// NormalizeJoined fills t as Normalize would from strings.Join(parts,
// sep), without building the joined string: offsets count in it, and
// t.Original is left empty. sep starts and ends with an ASCII byte, so
// that no rune runs across it.
func NormalizeJoined(t *Text, parts []string, sep string, fold bool) {
	n := 0
	for i, p := range parts {
		if i > 0 {
			n += len(sep)
		}
		n += len(p)
	}
	z := t.normalizer(n, fold)
	off := 0
	for i, p := range parts {
		if i > 0 {
			z.add(sep, off)
			off += len(sep)
		}
		z.add(p, off)
		off += len(p)
	}
	t.finish(z, "", n)
}

// normalizer is a normalisation under way, fed one piece of the original
// after the other.
type normalizer struct {
	norm   []byte
	runs   []run
	table  *[256]byte
	fold   bool
	space  bool // the last byte out is a space, or nothing is out yet
	linear bool // the next byte copied one for one continues the last run
}

// normalizer starts filling t from an original of n bytes.
func (t *Text) normalizer(n int, fold bool) normalizer {
	z := normalizer{norm: t.Norm[:0], runs: t.runs[:0], table: &asciiCased, fold: fold, space: true}
	if cap(z.norm) < n {
		z.norm = make([]byte, 0, n+n/8)
	}
	if fold {
		z.table = &asciiFolded
	}
	return z
}

// finish drops the trailing space and hands t its buffers.
func (t *Text) finish(z normalizer, original string, n int) {
	norm, runs := z.norm, z.runs
	if n := len(norm); n > 0 && norm[n-1] == ' ' {
		norm = norm[:n-1]
		if last := len(runs) - 1; int(runs[last].norm) == n-1 {
			runs = runs[:last]
		}
	}
	t.Original, t.Norm, t.runs, t.origLen = original, norm, runs, n
}

// add normalises s, which starts at offset base of the original.
func (z *normalizer) add(s string, base int) {
	norm, runs, table, fold := z.norm, z.runs, z.table, z.fold
	space, linear := z.space, z.linear
	for i := 0; i < len(s); {
		c := s[i]
		if x := table[c]; x < nonASCII && !(x == ' ' && space) {
			// A stretch copied one for one: ASCII words and the single
			// spaces between them. ASCII never grows, so the room for
			// what is left of s is enough.
			if !linear {
				runs = append(runs, run{norm: int32(len(norm)), orig: int32(base + i)})
				linear = true
			}
			if cap(norm)-len(norm) < len(s)-i {
				norm = slices.Grow(norm, len(s)-i)
			}
			n := len(norm)
			var k int
			k, space = copyStretch(norm[n:n+len(s)-i], s[i:], table, space)
			norm = norm[:n+k]
			i += k
			continue
		}
		linear = false
		if c < utf8.RuneSelf { // whitespace after whitespace
			i++
			continue
		}
		var r rune
		size := 2
		if c >= 0xC2 && c < 0xE0 && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			r = rune(c&0x1F)<<6 | rune(s[i+1]&0x3F) // the accented letters, decoded here
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		rep := foldRune(r, fold)
		switch rep {
		case "":
		case " ":
			if !space {
				runs = append(runs, run{norm: int32(len(norm)), orig: int32(base + i), fixed: true, size: uint8(size)})
				norm = append(norm, ' ')
				space = true
			}
		default:
			runs = append(runs, run{norm: int32(len(norm)), orig: int32(base + i), fixed: true, size: uint8(size)})
			norm = append(norm, rep...)
			space = false
		}
		i += size
	}
	z.norm, z.runs, z.space, z.linear = norm, runs, space, linear
}

// copyStretch copies src to out, each byte as table maps it, up to the
// first byte that is not ASCII or is whitespace after whitespace, and
// returns how many it copied and whether the last was a space. Whether a
// byte is a space is arithmetic, not a branch: word lengths in real text
// defeat branch prediction. It is a function of its own so that its loop
// keeps every value in a register.
//
//go:noinline
func copyStretch(out []byte, src string, table *[256]byte, space bool) (int, bool) {
	out = out[:len(src)]
	prev := uint8(0)
	if space {
		prev = 1
	}
	k := 0
	for k < len(src) {
		x := table[src[k]]
		white := uint8(0)
		if x == ' ' {
			white = 1
		}
		if x >= nonASCII || white&prev != 0 {
			break
		}
		out[k] = x
		prev = white
		k++
	}
	return k, prev != 0
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

var foldCache sync.Map // foldKey → string, for runes past the table

// tableRunes bounds the runes whose forms are computed once, on first
// use, into a table: Latin, Greek, Cyrillic and the other alphabets, and
// the general punctuation (quotes, dashes, invisible spaces) of news text.
const tableRunes = 0x3000

var (
	foldTableOnce sync.Once
	foldTable     [2][]string // [fold][r], for r < tableRunes
)

func buildFoldTable() {
	for f := range 2 {
		t := make([]string, tableRunes)
		for r := utf8.RuneSelf; r < tableRunes; r++ {
			t[r] = computeFold(rune(r), f == 1)
		}
		foldTable[f] = t
	}
}

// foldRune returns the normalised form of a non-ASCII rune: " " for
// whitespace, "" for invisible characters.
func foldRune(r rune, fold bool) string {
	if r < tableRunes {
		foldTableOnce.Do(buildFoldTable)
		f := 0
		if fold {
			f = 1
		}
		return foldTable[f][r]
	}
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
