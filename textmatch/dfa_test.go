package textmatch

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

type occurrence struct{ pattern, start, end int }

// libraryMatches is the reference: the standard overlapping search of
// github.com/petar-dambovaliev/aho-corasick over its DFA, which this
// package used before it compiled its own table.
func libraryMatches(patterns []string, text []byte) []occurrence {
	builder := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch, DFA: true})
	ac := builder.Build(patterns)
	var out []occurrence
	it := ac.IterOverlappingByte(text)
	for m := it.Next(); m != nil; m = it.Next() {
		out = append(out, occurrence{m.Pattern(), m.Start(), m.End()})
	}
	return out
}

func dfaMatches(patterns []string, text []byte) []occurrence {
	var out []occurrence
	newDFA(patterns).scan(text, func(p, start, end int) { out = append(out, occurrence{p, start, end}) })
	return out
}

func checkAgainstLibrary(t *testing.T, patterns []string, text []byte) {
	t.Helper()
	want := libraryMatches(patterns, text)
	got := dfaMatches(patterns, text)
	if !slices.Equal(got, want) {
		n := min(len(got), len(want))
		i := 0
		for i < n && got[i] == want[i] {
			i++
		}
		t.Fatalf("patterns %q, text %q:\n%d matches, the library %d; first difference at %d: got %v, want %v",
			patterns, text, len(got), len(want), i, got[i:min(i+3, len(got))], want[i:min(i+3, len(want))])
	}
}

func TestDFAMatchesLibrary(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		text     string
	}{
		{"one pattern", []string{"leak"}, "a leak, two leaks, leakleak"},
		{"nested suffixes", []string{"premieres estimations", "estimations", "estimation", "tions", "s"}, "les premieres estimations donnent des estimations"},
		{"runs of one byte", []string{"a", "aa", "aaa", "aaaa"}, "aaaaaaa b aa"},
		{"prefix and suffix sharing", []string{"he", "she", "his", "hers"}, "ushers and his shears"},
		{"failure chains through several states", []string{"abcd", "bcde", "cdef", "abcdefg", "d"}, "abcdefgabcdexabcdef"},
		{"non-ASCII bytes", []string{"ελλαδα", "λλ", "\x1fleak", "'equipe"}, "ελλαδα\x1fleak l'equipe"},
		{"bytes in no pattern", []string{"ab"}, "\x00\xffab\x80ab"},
		{"pattern longer than the text", []string{"selon les courriels"}, "selon"},
		{"empty text", []string{"x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkAgainstLibrary(t, tt.patterns, []byte(tt.text))
		})
	}
}

// TestDFAMatchesLibraryAcrossTheQuarters checks the four-chain search of
// long texts: matches that straddle a quarter's start, end just before or
// after it, or are so many that a later chain's must wait.
func TestDFAMatchesLibraryAcrossTheQuarters(t *testing.T) {
	patterns := []string{"abcdefghij", "defg", "j", "a", "hijab", "aaaaaaaaaaaaaaaaaaaa", "xyz"}
	for n := 256; n < 400; n++ {
		text := []byte(strings.Repeat("abcdefghij", n/10+1)[:n])
		checkAgainstLibrary(t, patterns, text)
		text = []byte(strings.Repeat("a", n))
		checkAgainstLibrary(t, patterns, text)
		// At each quarter's start, a long match ending there and one
		// starting right after it.
		text = []byte(strings.Repeat(".", n))
		for q := 1; q < 4; q++ {
			copy(text[q*(n/4)-10:], "abcdefghij")
			copy(text[q*(n/4):], "hijab")
		}
		checkAgainstLibrary(t, patterns, text)
		// Matches straddling each quarter's start, by one byte either way.
		for shift := -3; shift <= 3; shift++ {
			text = []byte(strings.Repeat(".", n))
			for q := 1; q < 4; q++ {
				copy(text[q*(n/4)+shift-5:], "abcdefghij")
			}
			checkAgainstLibrary(t, patterns, text)
		}
	}
}

// TestDFAMatchesLibraryOnRealText runs the benchmark's 10,004 patterns
// (and the example config's kind of phrases) over the real corpus.
func TestDFAMatchesLibraryOnRealText(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 10,000-pattern automata")
	}
	f, err := os.Open("../rules/leak/testdata/real/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var text []byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var a struct{ Title, Text string }
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		var n Text
		Normalize(&n, a.Title+"\n"+a.Text, true)
		text = append(append(text, n.Norm...), ' ')
	}
	set := benchSet(10000)
	patterns := slices.Clone(set.folded.patterns)
	patterns = append(patterns, "wikileaks", "the emails", "according to", "selon les", "emails", "e", "the", "campaign")
	checkAgainstLibrary(t, patterns, text)
}

// FuzzAutomaton checks the automaton against the library on patterns
// given one a line.
func FuzzAutomaton(f *testing.F) {
	for _, seed := range [][2]string{
		{"he\nshe\nhis\nhers", "ushers"},
		{"a\naa\naaa", "aaaaa"},
		{"leak\n#leaks\nmacronleaks", "#macronleaks and a leak"},
		{"premieres estimations\nestimations", "les premieres estimations"},
		{"abcd\nbcde\ncdef\nd", "abcdefabcde"},
		{"é\neé\n\xff", "eéé\xffé"},
		{"x", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, patterns, text string) {
		var ps []string
		seen := map[string]bool{}
		for _, p := range strings.Split(patterns, "\n") {
			if p != "" && !seen[p] && len(ps) < 64 {
				seen[p] = true
				ps = append(ps, p)
			}
		}
		if len(ps) == 0 {
			return
		}
		checkAgainstLibrary(t, ps, []byte(text))
		if text != "" && len(text) < 1024 {
			// Long enough for the search in four chains.
			checkAgainstLibrary(t, ps, []byte(strings.Repeat(text, 2048/len(text)+1)))
		}
	})
}
