package leak

import (
	"flag"
	"os"
	"testing"
)

var updateModel = flag.Bool("leak.update", false, "refit the shipped model (Train) and rewrite model.json")

func trainingSet(t *testing.T) []Example {
	_, ex := realTrainingSet(t)
	return ex
}

// realTrainingSet is the real corpus and the training set made from it.
func realTrainingSet(t *testing.T) (*RealCorpus, []Example) {
	t.Helper()
	c, err := ReadRealCorpus()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := TrainingSet(c, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	return c, ex
}

// TestShippedModelIsTrained refits the model as `silencewatch leaks
// train` does and checks that model.json holds that fit: no weight was set
// by hand. With -leak.update it rewrites model.json instead.
func TestShippedModelIsTrained(t *testing.T) {
	fit := Train(trainingSet(t))
	if *updateModel {
		b, err := MarshalModel(fit)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("model.json", b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	shipped := currentModel()
	for l := range fit.Weights {
		for f := range fit.Weights[l] {
			if d := fit.Weights[l][f] - shipped.Weights[l][f]; d > 1e-3 || d < -1e-3 {
				t.Fatalf("weight %s/%s: shipped %.4f, trained %.4f; run silencewatch leaks train (or go test ./rules/leak -run TestShippedModelIsTrained -leak.update)",
					labels[l], featureNames[f], shipped.Weights[l][f], fit.Weights[l][f])
			}
		}
	}
}

// Floors of leave-one-leak-out cross-validation on the real corpus,
// corpus-free: every article is labelled by a model that never saw its
// leak. Set a little under the measured figures (README) so that a change
// that loses ground fails.
const (
	floorContentF1         = 0.70
	floorContentPrecision  = 0.65
	floorGuidancePrecision = 0.90
	floorOtherRecall       = 0.82
	// Content F1 on the short views (title, lede, two claims or two
	// sentences) of the same articles, by the same folds' models.
	floorShortContentF1 = 0.62
	// Of the content articles found, the share whose focus sentence, and
	// whose three strongest spanned signals, point at a marked claim.
	// (0.74 until the leak nouns stopped matching "memory", "filed" and
	// "volet" and denied reporting stopped counting: 133 of 182 then,
	// 0.731; false evidence gone, not a regression of what a finding
	// shows.)
	floorFocusInClaim = 0.55
	floorTop3InClaim  = 0.73
)

func TestRealCrossValidation(t *testing.T) {
	c, ex := realTrainingSet(t)
	cv := CrossValidate(ex)
	t.Log("\n" + cv.String())
	ev := c.CheckEvidence(cv)
	t.Log(ev.String())
	o := cv.Overall
	n := 0
	for i := range labels {
		for j := range labels {
			n += o.Counts[i][j]
		}
	}
	if n < 400 {
		t.Errorf("cross-validation labelled %d articles, want the whole real corpus (≥ 400)", n)
	}
	for _, c := range []struct {
		what       string
		got, floor float64
	}{
		{"content F1", o.F1(LabelContent), floorContentF1},
		{"content precision", o.Precision(LabelContent), floorContentPrecision},
		{"guidance precision", o.Precision(LabelGuidance), floorGuidancePrecision},
		{"other recall", o.Recall(LabelOther), floorOtherRecall},
		{"content F1 on short views", cv.Short.F1(LabelContent), floorShortContentF1},
		{"focus sentence in a claim", float64(ev.Focus) / float64(max(ev.Found, 1)), floorFocusInClaim},
		{"one of the three strongest signals in a claim", float64(ev.Top3) / float64(max(ev.Found, 1)), floorTop3InClaim},
	} {
		if c.got < c.floor {
			t.Errorf("%s %.3f, below the floor %.3f", c.what, c.got, c.floor)
		}
	}
}
