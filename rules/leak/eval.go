package leak

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Labels an article can get.
const (
	LabelContent   = "content"
	LabelExistence = "existence"
	LabelGuidance  = "guidance"
	LabelOther     = "other"
)

// labels in a fixed order: rows and columns of a Matrix, rows of the
// model's weights.
var labels = []string{LabelContent, LabelExistence, LabelGuidance, LabelOther}

func labelIndex(l string) int {
	for i, x := range labels {
		if x == l {
			return i
		}
	}
	return len(labels) - 1
}

// Matrix is a confusion matrix: Counts[true][predicted], indexed like
// the labels above.
type Matrix struct {
	Split  string
	Counts [4][4]int
	// Errors lists the misclassified articles: "a010 existence→content".
	Errors []string
}

// Add counts one article.
func (m *Matrix) Add(id, truth, pred string) {
	m.Counts[labelIndex(truth)][labelIndex(pred)]++
	if truth != pred {
		m.Errors = append(m.Errors, id+" "+truth+"→"+pred)
	}
}

// Precision of label l: of the articles predicted l, the share truly l.
// 1 when nothing was predicted l.
func (m *Matrix) Precision(l string) float64 {
	j := labelIndex(l)
	tp, n := m.Counts[j][j], 0
	for i := range labels {
		n += m.Counts[i][j]
	}
	if n == 0 {
		return 1
	}
	return float64(tp) / float64(n)
}

// Recall of label l: of the articles truly l, the share predicted l.
func (m *Matrix) Recall(l string) float64 {
	i := labelIndex(l)
	tp, n := m.Counts[i][i], 0
	for j := range labels {
		n += m.Counts[i][j]
	}
	if n == 0 {
		return 1
	}
	return float64(tp) / float64(n)
}

// String prints the matrix and per-label precision and recall.
func (m Matrix) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "split %s: rows = truth, columns = predicted\n", m.Split)
	fmt.Fprintf(&b, "%-10s", "")
	for _, l := range labels {
		fmt.Fprintf(&b, " %9s", l)
	}
	fmt.Fprintf(&b, " %9s %9s\n", "precision", "recall")
	for i, l := range labels {
		fmt.Fprintf(&b, "%-10s", l)
		for j := range labels {
			fmt.Fprintf(&b, " %9d", m.Counts[i][j])
		}
		fmt.Fprintf(&b, " %9.3f %9.3f\n", m.Precision(l), m.Recall(l))
	}
	if len(m.Errors) > 0 {
		fmt.Fprintf(&b, "errors: %s\n", strings.Join(m.Errors, ", "))
	}
	return b.String()
}

// Evaluation is what Evaluate measures.
type Evaluation struct {
	Train, Test Matrix
	// Passages scores quote detection on every article's ground-truth
	// passages (train and test: the quote detector has no learned weights).
	Passages PassageScore
	Index    Stats
}

// String prints the evaluation: index size, passages, both matrices.
func (e Evaluation) String() string {
	return fmt.Sprintf("index: %d documents, %d fingerprints (%d boilerplate dropped, bound %d), %d leak-specific terms\npassages (min %d words): %s\n\n%s\n%s",
		e.Index.Documents, e.Index.Fingerprints, e.Index.Boilerplate, e.Index.DocFreqBound, e.Index.Terms, DefaultMinWords, e.Passages, e.Train, e.Test)
}

// EvalLeak describes the leak of an evaluation directory (leak.json):
// what a config's leaks: entry gives in production.
type EvalLeak struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	DisclosedAt time.Time `json:"disclosed_at"`
	Identifiers []string  `json:"identifiers"`
	// Public lists articles that hold a genuine copy of public text the
	// corpus also has (id → why): passages found there are not errors of
	// quote detection.
	Public map[string]string `json:"public_overlaps"`
}

// Evaluate reads an evaluation directory laid out like testdata: corpus/,
// articles/ (labelled, with a train/test split) and leak.json (see
// EvaluateFS).
func Evaluate(dir string) (Evaluation, error) {
	ev, err := EvaluateFS(os.DirFS(dir))
	if err != nil {
		return Evaluation{}, fmt.Errorf("%w (in %s)", err, dir)
	}
	return ev, nil
}

// EvaluateFS reads an evaluation set laid out like testdata (Synthetic
// is the bundled one): corpus/, articles/ (labelled, with a train/test
// split) and leak.json. It builds the index with default options and
// reports quote detection and the confusion matrices of both splits. This
// is what `silencewatch leaks eval` prints.
func EvaluateFS(fsys fs.FS) (Evaluation, error) {
	ix, arts, leak, err := LoadEvaluation(fsys)
	if err != nil {
		return Evaluation{}, err
	}
	return Evaluation{
		Train:    ix.ConfusionMatrix(arts, "train"),
		Test:     ix.ConfusionMatrix(arts, "test"),
		Passages: PassageEval{MinWords: DefaultMinWords, Public: leak.Public}.Score(ix, arts),
		Index:    ix.Stats(),
	}, nil
}

// LoadEvaluationDir is LoadEvaluation on a directory.
func LoadEvaluationDir(dir string) (*Index, []LabelledArticle, EvalLeak, error) {
	ix, arts, leak, err := LoadEvaluation(os.DirFS(dir))
	if err != nil {
		return nil, nil, leak, fmt.Errorf("%w (in %s)", err, dir)
	}
	return ix, arts, leak, nil
}

// LoadEvaluation reads an evaluation set (leak.json, corpus/, articles/
// at the root of fsys) and builds its index.
func LoadEvaluation(fsys fs.FS) (*Index, []LabelledArticle, EvalLeak, error) {
	var leak EvalLeak
	b, err := fs.ReadFile(fsys, "leak.json")
	if err != nil {
		return nil, nil, leak, fmt.Errorf("leak: %w", err)
	}
	if err := json.Unmarshal(b, &leak); err != nil {
		return nil, nil, leak, fmt.Errorf("leak: leak.json: %w", err)
	}
	docs, _, err := ReadCorpusFS(fsys, "corpus")
	if err != nil {
		return nil, nil, leak, err
	}
	if len(docs) == 0 {
		return nil, nil, leak, errors.New("leak: no corpus documents")
	}
	bg := DefaultBackground() // the same general-news sample the binary uses
	arts, err := ReadArticlesFS(fsys, "articles")
	if err != nil {
		return nil, nil, leak, err
	}
	ix := Build(docs, Options{Background: bg, Identifiers: leak.Identifiers, DisclosedAt: leak.DisclosedAt})
	return ix, arts, leak, nil
}

// ConfusionMatrix classifies the articles of one split ("" for all).
func (ix *Index) ConfusionMatrix(arts []LabelledArticle, split string) Matrix {
	m := Matrix{Split: split}
	if split == "" {
		m.Split = "all"
	}
	for i := range arts {
		a := &arts[i]
		if split != "" && a.Split != split {
			continue
		}
		r := ix.Classify(a.Article())
		m.Add(a.ID, a.Label, r.Label)
	}
	return m
}

// PassageScore is quote detection measured against ground truth.
type PassageScore struct {
	Truth        int // true passages expected to be found
	TruthFound   int // of these, found
	Found        int // passages reported
	FoundCorrect int // of these, matching a true passage
	// Explained counts reported passages that match no true passage but
	// are genuine copies of public text the evaluation set says is in the
	// corpus on purpose (see PassageEval.Public); they are excluded from
	// Found for Precision.
	Explained int
	Misses    []string
	Spurious  []string
}

// Recall is TruthFound/Truth.
func (s PassageScore) Recall() float64 {
	if s.Truth == 0 {
		return 1
	}
	return float64(s.TruthFound) / float64(s.Truth)
}

// Precision is FoundCorrect/(Found-Explained).
func (s PassageScore) Precision() float64 {
	n := s.Found - s.Explained
	if n <= 0 {
		return 1
	}
	return float64(s.FoundCorrect) / float64(n)
}

// StrictPrecision counts explained passages as errors too.
func (s PassageScore) StrictPrecision() float64 {
	if s.Found == 0 {
		return 1
	}
	return float64(s.FoundCorrect) / float64(s.Found)
}

func (s PassageScore) String() string {
	return fmt.Sprintf("recall %d/%d = %.3f, precision %d/%d = %.3f (strict %d/%d = %.3f, %d explained)",
		s.TruthFound, s.Truth, s.Recall(), s.FoundCorrect, s.Found-s.Explained, s.Precision(),
		s.FoundCorrect, s.Found, s.StrictPrecision(), s.Explained)
}

// quotableEdits are the edits quote detection is expected to find;
// translations and summaries share no word sequence with the source.
var quotableEdits = map[string]bool{"verbatim": true, "punctuation": true, "casing": true, "word": true}

// PassageEval scores Quotes on labelled articles: a reported passage
// matches a true one when their spans overlap by at least half of the
// shorter, both in the article and in the document (the true document, or
// another one holding the same words).
type PassageEval struct {
	MinWords int
	Split    string // "" for all
	// Public maps article IDs to the reason they hold a genuine copy of
	// public text that the corpus also holds (a press release, a public
	// statement drafted in the mailbox): passages found there are reported
	// as explained, not as errors.
	Public map[string]string
}

// Score runs the evaluation.
func (e PassageEval) Score(ix *Index, arts []LabelledArticle) PassageScore {
	var s PassageScore
	byID := map[string]*indexedDoc{}
	for i := range ix.docs {
		byID[ix.docs[i].ID] = &ix.docs[i]
	}
	for ai := range arts {
		a := &arts[ai]
		if e.Split != "" && a.Split != e.Split {
			continue
		}
		found := ix.Quotes(a.Body, e.MinWords)
		matchedFound := make([]bool, len(found))
		for _, tp := range a.Passages {
			as := strings.Index(a.Body, tp.ArticleText)
			ae := as + len(tp.ArticleText)
			hit := false
			for fi, f := range found {
				if !overlapHalf(as, ae, f.ArticleStart, f.ArticleEnd) {
					continue
				}
				d := byID[f.DocID]
				if d == nil {
					continue
				}
				ds, de, ok := locate(d.Text, tp.LeakText)
				if !ok || !overlapHalf(ds, de, f.DocStart, f.DocEnd) {
					continue
				}
				hit = true
				matchedFound[fi] = true
			}
			if quotableEdits[tp.Edit] {
				s.Truth++
				if hit {
					s.TruthFound++
				} else {
					s.Misses = append(s.Misses, fmt.Sprintf("%s %s %s: %q", a.ID, tp.Edit, tp.Doc, clip(tp.ArticleText, 80)))
				}
			}
		}
		for fi, f := range found {
			s.Found++
			switch {
			case matchedFound[fi]:
				s.FoundCorrect++
			case e.Public[a.ID] != "":
				s.Explained++
			default:
				s.Spurious = append(s.Spurious, fmt.Sprintf("%s %s (%d words): %q", a.ID, f.DocID, f.Words, clip(f.Text, 80)))
			}
		}
	}
	return s
}

// locate finds needle in hay: exactly, or else as the same word sequence
// after normalisation (a document holding the words with other line
// breaks or quotes).
func locate(hay, needle string) (int, int, bool) {
	if i := strings.Index(hay, needle); i >= 0 {
		return i, i + len(needle), true
	}
	var h, n wordSeq
	tokenize(&h, hay)
	tokenize(&n, needle)
	if len(n.hash) == 0 {
		return 0, 0, false
	}
outer:
	for i := 0; i+len(n.hash) <= len(h.hash); i++ {
		for j := range n.hash {
			if h.hash[i+j] != n.hash[j] {
				continue outer
			}
		}
		s, e := h.span(i, i+len(n.hash))
		return s, e, true
	}
	return 0, 0, false
}

// overlapHalf reports whether [a0,a1) and [b0,b1) overlap by at least half
// of the shorter.
func overlapHalf(a0, a1, b0, b1 int) bool {
	ov := min(a1, b1) - max(a0, b0)
	return ov > 0 && 2*ov >= min(a1-a0, b1-b0)
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
