package textmatch

import (
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
		fold           bool
	}{
		{"accents and case", "Élection Présidentielle", "election presidentielle", true},
		{"ligatures", "Œuvre du cœur, æther, ﬁn", "oeuvre du coeur, aether, fin", true},
		{"typographic apostrophe", "l’équipe d‘en face", "l'equipe d'en face", true},
		{"french quotes", "«\u00a0Il faut\u00a0»", "\" il faut \"", true},
		{"whitespace runs and line breaks", "selon  les\n\tcourriels\r\n", "selon les courriels", true},
		{"dashes", "mot–dièse — tiret", "mot-diese - tiret", true},
		{"invisible characters dropped", "Mac\u00adron\u200bLeaks", "macronleaks", true},
		{"cased keeps case", "Élection À Paris", "Election A Paris", false},
		{"german sharp s", "Straße", "strasse", true},
		{"greek keeps letters", "Ελλάδα", "ελλαδα", true},
		{"symbols bound words", "vote•leak", "vote\x1fleak", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.in, tt.fold); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSpanMapsToOriginal checks that every match maps back to exactly the
// original bytes it came from, however normalisation changed lengths.
func TestSpanMapsToOriginal(t *testing.T) {
	original := "Œuvre : selon les\n  courriels révélés, l’équipe… #MacronLeaks"
	var b Builder
	ids := map[string]int{}
	for _, p := range []string{"oeuvre", "selon les courriels", "reveles", "l'equipe", "#macronleaks", "équipe"} {
		id, err := b.Add(p, false)
		if err != nil {
			t.Fatal(err)
		}
		ids[p] = id
	}
	set := b.Build()
	var text Text
	Normalize(&text, original, true)
	got := map[int]string{}
	for _, m := range set.Find(nil, &text, nil) {
		s, e := text.Span(m.Start, m.End)
		got[m.Pattern] = original[s:e]
	}
	want := map[string]string{
		"oeuvre":              "Œuvre",
		"selon les courriels": "selon les\n  courriels",
		"reveles":             "révélés",
		"l'equipe":            "l’équipe",
		"#macronleaks":        "#MacronLeaks",
		"équipe":              "équipe",
	}
	for p, w := range want {
		if got[ids[p]] != w {
			t.Errorf("%q matched %q, want %q", p, got[ids[p]], w)
		}
	}
}

func TestWordBoundaries(t *testing.T) {
	var b Builder
	leak, _ := b.Add("leak", false)
	hash, _ := b.Add("#leaks", false)
	set := b.Build()
	tests := []struct {
		text string
		want []int
	}{
		{"a leak today", []int{leak}},
		{"leaked files", nil},
		{"the leak.", []int{leak}},
		{"(leak)", []int{leak}},
		{"l'leak", []int{leak}},
		{"bleak news", nil},
		{"see #leaks now", []int{hash}},
		{"see#leaks", []int{hash}}, // a pattern starting with # needs no boundary before it
		{"#leaksx", nil},
	}
	for _, tt := range tests {
		var text Text
		Normalize(&text, tt.text, true)
		var got []int
		for _, m := range set.Find(nil, &text, nil) {
			got = append(got, m.Pattern)
		}
		if len(got) != len(tt.want) {
			t.Errorf("%q: got %v, want %v", tt.text, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%q: got %v, want %v", tt.text, got, tt.want)
			}
		}
	}
}

func TestOverlappingMatchesAllReported(t *testing.T) {
	var b Builder
	long, _ := b.Add("premières estimations", false)
	short, _ := b.Add("estimations", false)
	set := b.Build()
	var text Text
	Normalize(&text, "Les premières estimations donnent", true)
	found := map[int]bool{}
	for _, m := range set.Find(nil, &text, nil) {
		found[m.Pattern] = true
	}
	if !found[long] || !found[short] {
		t.Errorf("overlapping patterns must both be found, got %v", found)
	}
}

func TestCasedPatterns(t *testing.T) {
	var b Builder
	cased, _ := b.Add("EM", true)
	set := b.Build()
	for text, want := range map[string]bool{"les documents d'EM !": true, "em dash": false, "Em": false} {
		var folded, casedText Text
		Normalize(&folded, text, true)
		Normalize(&casedText, text, false)
		got := false
		for _, m := range set.Find(nil, &folded, &casedText) {
			got = got || m.Pattern == cased
		}
		if got != want {
			t.Errorf("%q: got %v, want %v", text, got, want)
		}
	}
}

func TestDuplicatePatternsShareAnID(t *testing.T) {
	var b Builder
	a, _ := b.Add("Élection", false)
	c, _ := b.Add("election", false)
	if a != c {
		t.Errorf("same normalised pattern got ids %d and %d", a, c)
	}
	if _, err := b.Add("  ", false); err == nil {
		t.Error("an empty pattern must be refused")
	}
}

func FuzzSpan(f *testing.F) {
	f.Add("Œuvre l’été — «\u00a0x\u00a0»  \n y")
	f.Fuzz(func(t *testing.T, s string) {
		var text Text
		Normalize(&text, s, true)
		for i := 0; i < len(text.Norm); i++ {
			start, end := text.Span(i, i+1)
			if start < 0 || end > len(s) || start >= end {
				t.Fatalf("Span(%d) = [%d,%d) in %q", i, start, end, s)
			}
		}
	})
}

// TestSpansIsSpan checks the one-walk mapping of many ranges against Span,
// range by range, on text whose normalisation changes lengths (ligatures,
// accents, collapsed whitespace, ellipses, quotes) in both cases' modes.
func TestSpansIsSpan(t *testing.T) {
	for _, original := range []string{
		"Œuvre : selon les\n  courriels révélés, l’équipe… #MacronLeaks",
		"plain ascii words only, nothing else",
		"  \t«Ça» — dit-il ; ﬁn  naïve  ÉTÉ\n\nœuf…",
		"",
	} {
		for _, fold := range []bool{true, false} {
			var text Text
			Normalize(&text, original, fold)
			// Every word-like range, and a range ending at each byte.
			var start, end []int32
			for i := 0; i < len(text.Norm); {
				j := i + 1
				for j < len(text.Norm) && text.Norm[j] != ' ' {
					j++
				}
				start, end = append(start, int32(i)), append(end, int32(j))
				i = j + 1
			}
			os, oe := make([]int32, len(start)), make([]int32, len(start))
			text.Spans(start, end, os, oe)
			for i := range start {
				s, e := text.Span(int(start[i]), int(end[i]))
				if int(os[i]) != s || int(oe[i]) != e {
					t.Errorf("%q fold=%v: range [%d,%d) maps to [%d,%d), Span gives [%d,%d)", original, fold, start[i], end[i], os[i], oe[i], s, e)
				}
			}
		}
	}
}
