package leak

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"
)

var updateModel = flag.Bool("leak.update", false, "refit the model on the train split and rewrite model.json")

const modelL2 = 0.05

func trainExamples(ix *Index, arts []LabelledArticle) []Example {
	var ex []Example
	for i := range arts {
		if arts[i].Split != "train" {
			continue
		}
		if x, ruled := ix.Features(&arts[i]); !ruled {
			ex = append(ex, Example{arts[i].ID, x, arts[i].Label})
		}
	}
	return ex
}

func TestFitModel(t *testing.T) {
	if !*updateModel {
		t.Skip("run with -leak.update to refit")
	}
	ix, arts := fixtureIndex(t)
	ex := trainExamples(ix, arts)
	mod := FitModel(ex, modelL2)
	mod.Trained = fmt.Sprintf("testdata/articles split=train: %d articles not decided by a rule, l2=%g", len(ex), modelL2)
	b, _ := json.MarshalIndent(mod, "", " ")
	if err := os.WriteFile("model.json", append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
