package leak

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// reuseCase is one answer of testdata/reuse (see its README).
type reuseCase struct {
	Answer string `json:"answer"`
	Source string `json:"source"`
	Lang   string `json:"lang"`
	Level  string `json:"level"` // cut, light, heavy, non
	Split  string `json:"split"` // dev, heldout
	Reuses bool   `json:"reuses"`
	text   string
}

var reuseLevels = []string{"cut", "light", "heavy", "non"}

func readReuseCorpus(t testing.TB, dir string) (*Index, []reuseCase) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []reuseCase
	sources := map[string]bool{}
	var docs []Document
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c reuseCase
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("truth.jsonl: %v", err)
		}
		b, err := os.ReadFile(filepath.Join(dir, c.Answer))
		if err != nil {
			t.Fatal(err)
		}
		c.text = string(b)
		cases = append(cases, c)
		if !sources[c.Source] {
			sources[c.Source] = true
			b, err := os.ReadFile(filepath.Join(dir, c.Source, "source.txt"))
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, Document{ID: c.Source, Kind: "text", FileName: "source.txt", Text: string(b)})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return Build(docs, Options{}), cases
}

// reuseScore holds the figures of one split.
type reuseScore struct {
	answers, flagged map[string]int // per level: answers, answers with a passage from their source (any passage for non)
	passages, right  int            // passages reported; of them, from the answer's own source in a reusing answer
	tp, fp, fn       int            // answer level: "the answer reuses its source"
	errors           []string
}

func (s *reuseScore) recall(level string) float64 {
	return float64(s.flagged[level]) / float64(max(1, s.answers[level]))
}

func (s *reuseScore) f1() float64 {
	return 2 * float64(s.tp) / float64(max(1, 2*s.tp+s.fp+s.fn))
}

func (s *reuseScore) precision() float64 {
	return float64(s.right) / float64(max(1, s.passages))
}

func (s *reuseScore) String() string {
	var b strings.Builder
	for _, l := range reuseLevels {
		name := "recall"
		if l == "non" {
			name = "flagged"
		}
		fmt.Fprintf(&b, "%s %s %d/%d = %.3f; ", l, name, s.flagged[l], s.answers[l], s.recall(l))
	}
	fmt.Fprintf(&b, "passages %d/%d = %.3f precise; answers TP %d FP %d FN %d, F1 %.3f",
		s.right, s.passages, s.precision(), s.tp, s.fp, s.fn, s.f1())
	return b.String()
}

func scoreReuse(ix *Index, cases []reuseCase, split string, minWords int) *reuseScore {
	s := &reuseScore{answers: map[string]int{}, flagged: map[string]int{}}
	for _, c := range cases {
		if c.Split != split {
			continue
		}
		s.answers[c.Level]++
		own := false
		ps := ix.Quotes(c.text, minWords)
		for _, p := range ps {
			s.passages++
			if c.Reuses && p.DocID == c.Source {
				s.right++
				own = true
			} else {
				s.errors = append(s.errors, fmt.Sprintf("%s: false passage from %s (%d words, %d matched): %q", c.Answer, p.DocID, p.Words, p.Matched, clip(p.Text, 100)))
			}
		}
		switch {
		case c.Reuses && own:
			s.tp++
			s.flagged[c.Level]++
		case c.Reuses:
			s.fn++
			s.errors = append(s.errors, fmt.Sprintf("%s: missed", c.Answer))
		case len(ps) > 0:
			s.fp++
			s.flagged[c.Level]++
		}
	}
	return s
}

// TestQuotesReuseCorpus measures Quotes on the text-reuse set: sources
// rewritten at three levels (cut, light, heavy) and independent texts on
// the same topics (non). Floors are set a little under the held-out
// figures; only the dev split was looked at while tuning.
func TestQuotesReuseCorpus(t *testing.T) {
	// Held-out figures when the floors were set: cut 1.000, light 1.000,
	// heavy 0.750, no unrelated answer flagged, passage precision 1.000,
	// F1 0.957.
	checkReuseSet(t, "testdata/reuse", reuseFloors{recall: map[string]float64{"cut": 1, "light": 0.9, "heavy": 0.65}, f1: 0.94})
}

// reuseFloors are the held-out floors of a reuse set: recall per level,
// answer F1; at most one unrelated answer flagged, passage precision 0.95.
type reuseFloors struct {
	recall map[string]float64
	f1     float64
}

// checkReuseSet scores a reuse set's dev and held-out splits, prints the
// dev errors (only dev is looked at while tuning) and holds the floors on
// held-out.
func checkReuseSet(t *testing.T, dir string, floors reuseFloors) {
	ix, cases := readReuseCorpus(t, dir)
	name := filepath.Base(dir)
	for _, split := range []string{"dev", "heldout"} {
		s := scoreReuse(ix, cases, split, DefaultMinWords)
		t.Logf("%s %s: %v", name, split, s)
		if split == "dev" {
			for _, e := range s.errors {
				t.Logf("  %s dev %s", name, e)
			}
			continue
		}
		for _, l := range reuseLevels[:3] {
			if r := s.recall(l); r < floors.recall[l] {
				t.Errorf("%s held-out %s recall %.3f < %.3f", name, l, r, floors.recall[l])
			}
		}
		if s.flagged["non"] > 1 {
			t.Errorf("%s held-out: %d unrelated answers flagged, want at most 1", name, s.flagged["non"])
		}
		if p := s.precision(); p < 0.95 {
			t.Errorf("%s held-out passage precision %.3f < 0.95", name, p)
		}
		if f1 := s.f1(); f1 < floors.f1 {
			t.Errorf("%s held-out answer F1 %.3f < %.2f", name, f1, floors.f1)
		}
	}
}

// TestQuotesRewritten checks a passage whose clauses were swapped and
// whose verbs were changed: one passage, in pieces whose offsets point at
// the right words in both texts; and a text sharing only names and
// numbers with the document yields nothing.
func TestQuotesRewritten(t *testing.T) {
	doc := "The committee met on Tuesday in Lyon. According to the minutes, the treasurer revealed that the regional " +
		"campaign had spent far more than its budget on posters and hall rentals, and the director promised an " +
		"internal audit before the end of the month to find out who had approved the extra spending."
	ix := Build([]Document{{ID: "m1", Text: doc}}, Options{})
	tests := []struct {
		name  string
		text  string
		parts bool // a passage in several pieces
		none  bool
	}{
		{
			name: "clauses swapped, verbs changed",
			text: "Before the month ends, the director has promised an internal audit to find out who approved " +
				"the extra spending, after the treasurer revealed that the campaign in the region had spent " +
				"much more than the budget it had on rentals of halls and on posters.",
			parts: true,
		},
		{
			name: "same names and numbers",
			text: "In Lyon on Tuesday, the committee's treasurer and the director were not available for comment " +
				"about the regional campaign.",
			none: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := ix.Quotes(tc.text, 12)
			if tc.none {
				if len(ps) != 0 {
					t.Fatalf("got %d passages: %+v", len(ps), ps)
				}
				return
			}
			if len(ps) != 1 {
				t.Fatalf("got %d passages, want 1: %+v", len(ps), ps)
			}
			p := ps[0]
			if tc.parts && len(p.Parts) < 2 {
				t.Fatalf("got %d parts, want several: %+v", len(p.Parts), p)
			}
			if p.Text != tc.text[p.ArticleStart:p.ArticleEnd] || p.DocText != doc[p.DocStart:p.DocEnd] {
				t.Fatalf("texts do not match offsets: %+v", p)
			}
			for _, q := range p.Parts {
				if q.ArticleStart < p.ArticleStart || q.ArticleEnd > p.ArticleEnd || q.DocStart < p.DocStart || q.DocEnd > p.DocEnd {
					t.Errorf("part %+v outside the passage", q)
				}
				a, d := tc.text[q.ArticleStart:q.ArticleEnd], doc[q.DocStart:q.DocEnd]
				if f := sharedWords(a, d); f < 0.5 {
					t.Errorf("part %q / %q: %.2f of the words shared", a, d, f)
				}
			}
			if p.Words < 12 || p.Matched > p.Words {
				t.Errorf("words %d, matched %d", p.Words, p.Matched)
			}
			// Classify passes word hashes only; the pieces are found
			// there too (the inflected words differ in this article, so
			// fewer words match).
			st := statePool.Get().(*matchState)
			defer statePool.Put(st)
			tokenize(&st.w, tc.text)
			if fs := ix.findPassages(st, st.w.hash, 12); len(fs) != 1 {
				t.Errorf("findPassages without the text: %d passages", len(fs))
			}
		})
	}
}

// sharedWords returns the fraction of b's words found in a (as a bag).
func sharedWords(a, b string) float64 {
	have := map[uint32]int{}
	for _, h := range wordHashes(a) {
		have[h]++
	}
	bw := wordHashes(b)
	n := 0
	for _, h := range bw {
		if have[h] > 0 {
			have[h]--
			n++
		}
	}
	return float64(n) / float64(max(1, len(bw)))
}

// TestQuotesReuseSecondSet measures Quotes on testdata/reuse2, a second
// text-reuse set by another writer (see its README): longer answers on 30
// technical and factual topics, split by source like the first. Floors
// hold on the held-out half, a little under the figures measured when
// they were set; only the dev half's errors are printed.
func TestQuotesReuseSecondSet(t *testing.T) {
	// Held-out figures when the floors were set: cut 1.000, light 1.000,
	// heavy 0.600 (0.400 before one seed opened a window, 0.533 before
	// prose passages one word short were taken), no unrelated answer
	// flagged, passage precision 1.000, F1 0.929.
	checkReuseSet(t, "testdata/reuse2", reuseFloors{recall: map[string]float64{"cut": 1, "light": 0.9, "heavy": 0.5}, f1: 0.91})
}

func TestTopDocs(t *testing.T) {
	// Seeds sorted by document: doc 1 has 3, doc 2 has 1, doc 4 has 3,
	// doc 7 has 2.
	var seeds []seed
	for _, d := range []uint32{1, 1, 1, 2, 4, 4, 4, 7, 7} {
		seeds = append(seeds, seed{doc: d})
	}
	top, _ := topDocs(nil, nil, seeds, 3)
	if want := []int{1, 4, 7}; !slices.Equal(top, want) {
		t.Errorf("top 3: %v, want %v (most seeds first, the earliest on ties)", top, want)
	}
	if top, _ := topDocs(nil, nil, seeds[:1], 3); !slices.Equal(top, []int{1}) {
		t.Errorf("one document: %v", top)
	}
	if top, _ := topDocs(nil, nil, nil, 3); len(top) != 0 {
		t.Errorf("no seeds: %v", top)
	}
}
