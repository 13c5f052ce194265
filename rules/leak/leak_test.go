package leak

import (
	"strings"
	"sync"
	"testing"

	"github.com/silencewatch/silencewatch/article"
)

// The evaluation harness. Quote detection: recall and precision ≥ 0.95
// on passages (fixtures and generated). Labelling is measured on real
// reporting by leave-one-leak-out (TestRealCrossValidation); the
// synthetic set, written for the project against a fictional mailbox, is
// kept as a regression check of the corpus signals: its TEST split is
// never trained on (the model sees its train split only).

const (
	passageFloor          = 0.95
	contentPrecisionFloor = 0.75
	contentRecallFloor    = 0.90
	// generatedSeed is the seed of the reported generated-passage test;
	// parameters were tuned with other seeds (tuneSeed, TestTuneParameters).
	generatedSeed = 2026
	generatedN    = 400
)

var fixture struct {
	once sync.Once
	ix   *Index
	arts []LabelledArticle
	leak EvalLeak
	bg   []string
	err  error
}

// fixtureIndex builds the fixtures' index once per test binary.
func fixtureIndex(t testing.TB) (*Index, []LabelledArticle) {
	t.Helper()
	fixture.once.Do(func() {
		fixture.ix, fixture.arts, fixture.leak, fixture.err = LoadEvaluationDir("testdata")
		if fixture.err == nil {
			fixture.bg, fixture.err = ReadBackground("background") // as embedded
		}
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.ix, fixture.arts
}

func TestQuotesOnFixtures(t *testing.T) {
	ix, arts := fixtureIndex(t)
	for _, split := range []string{"train", "test", ""} {
		s := PassageEval{MinWords: DefaultMinWords, Split: split, Public: fixture.leak.Public}.Score(ix, arts)
		name := split
		if name == "" {
			name = "all"
		}
		t.Logf("%-5s %s", name, s)
		for _, m := range s.Misses {
			t.Logf("  missed: %s", m)
		}
		for _, m := range s.Spurious {
			t.Logf("  spurious: %s", m)
		}
		if split == "" && (s.Recall() < passageFloor || s.Precision() < passageFloor) {
			t.Errorf("passages: recall %.3f, precision %.3f; floor %.2f", s.Recall(), s.Precision(), passageFloor)
		}
	}
	// The legal footer quoted by a053 is in 157 mails: boilerplate.
	for _, a := range arts {
		if a.ID == "a053" {
			if ps := ix.Quotes(a.Body, DefaultMinWords); len(ps) > 0 {
				t.Errorf("a053 quotes the legal footer, a boilerplate; found %d passages: %q", len(ps), ps[0].Text)
			}
		}
	}
}

func TestQuotesSpans(t *testing.T) {
	ix, arts := fixtureIndex(t)
	for _, a := range arts {
		for _, p := range ix.Quotes(a.Body, DefaultMinWords) {
			if a.Body[p.ArticleStart:p.ArticleEnd] != p.Text {
				t.Errorf("%s: article span does not give Text", a.ID)
			}
			var doc *Document
			for i := range ix.docs {
				if ix.docs[i].ID == p.DocID {
					doc = &ix.docs[i].Document
				}
			}
			if doc == nil || doc.Text[p.DocStart:p.DocEnd] != p.DocText {
				t.Errorf("%s: document span does not give DocText", a.ID)
			}
			if p.Words < DefaultMinWords || p.Matched > p.Words+2 || p.Matched < p.Words*3/4 {
				t.Errorf("%s: %d words, %d matched", a.ID, p.Words, p.Matched)
			}
		}
	}
}

// TestQuotesGenerated plants lightly edited corpus passages of 12–40 words
// into background texts.
func TestQuotesGenerated(t *testing.T) {
	ix, _ := fixtureIndex(t)
	ps := plantPassages(ix, fixture.bg, generatedN, generatedSeed)
	s := scorePlanted(ix, ps, DefaultMinWords)
	t.Logf("generated (%d passages, seed %d): %s", len(ps), generatedSeed, s)
	for _, m := range s.Misses {
		t.Logf("  missed: %s", m)
	}
	for _, m := range s.Spurious {
		t.Logf("  spurious: %s", m)
	}
	if s.Recall() < passageFloor || s.Precision() < passageFloor {
		t.Errorf("generated passages: recall %.3f, precision %.3f; floor %.2f", s.Recall(), s.Precision(), passageFloor)
	}
	// Background texts alone share nothing with the corpus.
	for i, b := range fixture.bg {
		if ps := ix.Quotes(b, DefaultMinWords); len(ps) > 0 {
			t.Errorf("background %d: %d passages, first %q from %s", i, len(ps), ps[0].Text, ps[0].DocID)
		}
	}
}

func TestClassify(t *testing.T) {
	ix, arts := fixtureIndex(t)
	train := ix.ConfusionMatrix(arts, "train")
	test := ix.ConfusionMatrix(arts, "test")
	t.Log("\n" + train.String())
	t.Log("\n" + test.String())
	p, r := test.Precision(LabelContent), test.Recall(LabelContent)
	if p < contentPrecisionFloor || r < contentRecallFloor {
		t.Errorf("test split, content: precision %.3f (floor %.2f), recall %.3f (floor %.2f)", p, contentPrecisionFloor, r, contentRecallFloor)
	}
}

func TestClassifySignals(t *testing.T) {
	ix, arts := fixtureIndex(t)
	for _, a := range arts {
		r := ix.Classify(a.Article())
		if len(r.Signals) == 0 && r.Label != LabelOther {
			t.Errorf("%s: label %s without signals", a.ID, r.Label)
		}
		sum := 0.0
		for _, v := range r.Scores {
			sum += v
		}
		if sum < 0.999 || sum > 1.001 || r.Score != r.Scores[r.Label] {
			t.Errorf("%s: scores %v, score %v", a.ID, r.Scores, r.Score)
		}
		for _, s := range r.Signals {
			if s.End > 0 {
				text := a.Body
				if s.Field == "title" {
					text = a.Title
				}
				if s.End > len(text) || s.Start > s.End {
					t.Errorf("%s: signal %s span [%d,%d) outside %s", a.ID, s.Name, s.Start, s.End, s.Field)
				}
			}
		}
		if a.Label == LabelContent && r.Label == LabelContent && len(a.Passages) > 0 && strings.Contains(a.Passages[0].Edit, "verbatim") && len(r.Passages) == 0 {
			t.Errorf("%s: content with a verbatim passage, but Classify reports none", a.ID)
		}
	}
}

func TestEvaluate(t *testing.T) {
	ev, err := Evaluate("testdata")
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + ev.String())
	n := 0
	for i := range labels {
		for j := range labels {
			n += ev.Train.Counts[i][j] + ev.Test.Counts[i][j]
		}
	}
	if n != 110 {
		t.Errorf("matrices count %d articles, want 110", n)
	}
}

// TestClassifyConcurrent: an index is shared by the rule engine's workers.
func TestClassifyConcurrent(t *testing.T) {
	ix, arts := fixtureIndex(t)
	want := make([]Report, len(arts))
	for i := range arts {
		want[i] = ix.Classify(arts[i].Article())
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range arts {
				j := (i + g*17) % len(arts)
				if r := ix.Classify(arts[j].Article()); r.Label != want[j].Label || r.Score != want[j].Score || len(r.Passages) != len(want[j].Passages) {
					t.Errorf("%s: concurrent result differs", arts[j].ID)
				}
			}
		})
	}
	wg.Wait()
}

func TestEmptyIndex(t *testing.T) {
	ix := Build(nil, Options{})
	if ps := ix.Quotes("Le meeting de Lyon va nous coûter environ 412 000 euros au lieu des 230 000 budgétés.", 0); len(ps) != 0 {
		t.Errorf("passages from an empty index: %v", ps)
	}
	r := ix.Classify(&article.Article{Title: "Météo", Content: "Beau temps sur toute la France."})
	if r.Label == "" || r.Scores[r.Label] != r.Score {
		t.Errorf("report %+v", r)
	}
	blob, err := ix.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Index
	if err := back.UnmarshalBinary(blob); err != nil || back.Stats().Documents != 0 {
		t.Errorf("round trip of an empty index: %v, %+v", err, back.Stats())
	}
}

// TestSyntheticIsTestdata checks that the embedded synthetic set is the
// one on disk: the same documents and articles.
func TestSyntheticIsTestdata(t *testing.T) {
	ix, arts, lk, err := LoadEvaluation(Synthetic())
	if err != nil {
		t.Fatal(err)
	}
	diskIx, diskArts := fixtureIndex(t)
	if got, want := ix.Stats(), diskIx.Stats(); got != want {
		t.Errorf("embedded index %+v, on disk %+v", got, want)
	}
	if len(arts) != len(diskArts) || lk.ID != fixture.leak.ID {
		t.Errorf("embedded: %d articles, leak %q; on disk: %d, %q", len(arts), lk.ID, len(diskArts), fixture.leak.ID)
	}
}
