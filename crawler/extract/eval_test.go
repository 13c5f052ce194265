package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestEvalDir measures Extract on a directory of annotated pages
// (<name>.html with <name>.txt, the human-annotated body), the way the
// article-extraction benchmarks do: 4-word shingles, precision averaged
// over pages with a prediction, recall over pages with a body, F1 from the
// two means. It runs only when EXTRACT_EVAL_DIR names the directory:
//
//	EXTRACT_EVAL_DIR=/path/to/pages go test -run EvalDir -v ./crawler/extract/
func TestEvalDir(t *testing.T) {
	dir := os.Getenv("EXTRACT_EVAL_DIR")
	if dir == "" {
		t.Skip("EXTRACT_EVAL_DIR not set")
	}
	pages, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no *.html in %s (%v)", dir, err)
	}
	sort.Strings(pages)
	var chain, alone benchmarkScore
	for _, p := range pages {
		page, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		truth, err := os.ReadFile(strings.TrimSuffix(p, ".html") + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Extract(page, "", "", Feed{})
		if err != nil {
			t.Logf("%s: %v", filepath.Base(p), err)
		}
		chain.add(string(truth), res.Text)
		alone.add(string(truth), trafilaturaAlone(page, nil))
	}
	t.Logf("%d pages", len(pages))
	t.Logf("chain:             %s", chain)
	t.Logf("trafilatura alone: %s", alone)
}

// benchmarkScore accumulates per-page shingle precision and recall.
type benchmarkScore struct {
	precision, recall []float64
}

func (s *benchmarkScore) add(truth, pred string) {
	t, p := shingles(truth, 4), shingles(pred, 4)
	var tp, fp, fn int
	for k, c := range p {
		tp += min(c, t[k])
		fp += max(0, c-t[k])
	}
	for k, c := range t {
		fn += max(0, c-p[k])
	}
	switch {
	case fp == 0 && fn == 0:
		s.precision, s.recall = append(s.precision, 1), append(s.recall, 1)
		return
	case tp+fp > 0:
		s.precision = append(s.precision, float64(tp)/float64(tp+fp))
	}
	if tp+fn > 0 {
		s.recall = append(s.recall, float64(tp)/float64(tp+fn))
	}
}

func (s benchmarkScore) String() string {
	p, r := mean(s.precision), mean(s.recall)
	f := 0.0
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return fmt.Sprintf("precision=%.3f recall=%.3f F1=%.3f", p, r, f)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}
