package textmatch

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceNormalize is the normaliser as first written: one original
// offset stored per normalised byte. Normalize must give the same bytes
// and, through Span, the same offsets.
func referenceNormalize(s string, fold bool) (norm []byte, src []int) {
	space := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
				if !space {
					norm, src = append(norm, ' '), append(src, i)
					space = true
				}
			default:
				if fold && 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				norm, src = append(norm, c), append(src, i)
				space = false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch rep := computeFold(r, fold); rep {
		case "":
		case " ":
			if !space {
				norm, src = append(norm, ' '), append(src, i)
				space = true
			}
		default:
			for j := 0; j < len(rep); j++ {
				norm, src = append(norm, rep[j]), append(src, i)
			}
			space = false
		}
		i += size
	}
	if n := len(norm); n > 0 && norm[n-1] == ' ' {
		norm, src = norm[:n-1], src[:n-1]
	}
	return norm, src
}

func checkNormalize(t *testing.T, s string) {
	t.Helper()
	var text Text
	for _, fold := range []bool{true, false} {
		Normalize(&text, s, fold)
		norm, src := referenceNormalize(s, fold)
		if !bytes.Equal(text.Norm, norm) {
			t.Fatalf("Normalize(%q, %v) = %q, want %q", s, fold, text.Norm, norm)
		}
		for j := range norm {
			if got, _ := text.src(j); got != src[j] {
				t.Fatalf("Normalize(%q, %v): byte %d maps to %d, want %d", s, fold, j, got, src[j])
			}
			// Spans of every length from j agree too.
			for k := j + 1; k <= len(norm) && k <= j+4; k++ {
				gs, ge := text.Span(j, k)
				ws := src[j]
				_, size := utf8.DecodeRuneInString(s[src[k-1]:])
				if gs != ws || ge != src[k-1]+size {
					t.Fatalf("Normalize(%q, %v): Span(%d, %d) = [%d, %d), want [%d, %d)", s, fold, j, k, gs, ge, ws, src[k-1]+size)
				}
			}
		}
	}
}

func TestNormalizeMatchesReference(t *testing.T) {
	for _, s := range []string{
		"", " ", "  \n\t", "a", " a ", "a  b", "a \n b", "Œuvre : selon les\n  courriels révélés, l’équipe… #MacronLeaks",
		"«\u00a0Il faut\u00a0»", "Mac\u00adron\u200bLeaks", "\u00ad a \u00ad", "x\u00a0\u00a0y", "fin\u00a0", "\u2026\u2026",
		"ﬁn ﬂ", "\xff\xfe", "a\xffb", "\u00a0", "a\u00a0", "é", "é ", " é", "Straße Ελλάδα", "\ufdfa x", "\x00\x1f\x7f",
		benchText,
	} {
		checkNormalize(t, s)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Œuvre l’été — «\u00a0x\u00a0»  \n y", "a  b\u00ad c ", "\ufdfa\xff", "x\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalize(t, s)
	})
}

// checkNormalizeJoined checks that parts normalised joined by sep give
// the bytes and spans of their joined string normalised.
func checkNormalizeJoined(t *testing.T, parts []string, sep string) {
	t.Helper()
	joined := strings.Join(parts, sep)
	var want, got Text
	for _, fold := range []bool{true, false} {
		Normalize(&want, joined, fold)
		NormalizeJoined(&got, parts, sep, fold)
		if !bytes.Equal(got.Norm, want.Norm) {
			t.Fatalf("NormalizeJoined(%q, %q, %v) = %q, want %q", parts, sep, fold, got.Norm, want.Norm)
		}
		for j := 0; j <= len(want.Norm); j++ {
			for k := j; k <= len(want.Norm)+1 && k <= j+4; k++ {
				gs, ge := got.Span(j, k)
				ws, we := want.Span(j, k)
				if gs != ws || ge != we {
					t.Fatalf("NormalizeJoined(%q, %q, %v): Span(%d, %d) = [%d, %d), want [%d, %d)", parts, sep, fold, j, k, gs, ge, ws, we)
				}
			}
		}
	}
}

func TestNormalizeJoinedMatchesJoined(t *testing.T) {
	for _, parts := range [][]string{
		nil, {""}, {"", ""}, {"Projet de loi", "Le gouvernement a présenté"}, {" a ", " b "}, {"é", "é"},
		{"fin\u00a0", "\u00a0début"}, {"a\xc3", "\xa9b"}, {"Titre", "Résumé", "Œuvre l’été"}, {"", "x", ""},
	} {
		for _, sep := range []string{"\n\x1f\n", " ", "x", "\n\u00a0\n"} {
			checkNormalizeJoined(t, parts, sep)
		}
	}
}

func FuzzNormalizeJoined(f *testing.F) {
	f.Add("Projet de loi|Le gouvernement a présenté|Œuvre", "\n\x1f\n")
	f.Add("a\xc3|\xa9b| x ", " ")
	f.Fuzz(func(t *testing.T, parts, sep string) {
		if sep == "" || sep[0] >= utf8.RuneSelf || sep[len(sep)-1] >= utf8.RuneSelf {
			return // a rune could run across it
		}
		checkNormalizeJoined(t, strings.Split(parts, "|"), sep)
	})
}
