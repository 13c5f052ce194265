package leak

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
)

// Model is the transparent linear model behind Classify: multinomial
// logistic regression over the features Signals are named after. Its
// weights are fitted on the TRAIN split of testdata/articles only
// (TestFitModel with -leak.update rewrites model.json;
// TestModelIsFittedOnTrain checks that the shipped weights are what that
// fit gives). The features describe what an article does with a leak, not
// which leak, so the weights carry over to other corpora.
type Model struct {
	Features []string    `json:"features"`
	Labels   []string    `json:"labels"`
	Weights  [][]float64 `json:"weights"` // [label][feature]
	Bias     []float64   `json:"bias"`
	L2       float64     `json:"l2"`
	Trained  string      `json:"trained"` // what it was fitted on
}

//go:embed model.json
var modelJSON []byte

var shippedModel atomic.Pointer[Model]

func init() {
	var m Model
	if err := json.Unmarshal(modelJSON, &m); err != nil {
		panic("leak: model.json: " + err.Error())
	}
	if err := m.check(); err != nil {
		panic(err)
	}
	shippedModel.Store(&m)
}

func currentModel() *Model { return shippedModel.Load() }

func (m *Model) check() error {
	if len(m.Features) != int(nFeatures) || len(m.Labels) != len(labels) || len(m.Weights) != len(m.Labels) || len(m.Bias) != len(m.Labels) {
		return fmt.Errorf("leak: model has %d features and %d labels, want %d and %d", len(m.Features), len(m.Labels), nFeatures, len(labels))
	}
	for i, f := range m.Features {
		if f != featureNames[i] {
			return fmt.Errorf("leak: model feature %d is %q, want %q", i, f, featureNames[i])
		}
	}
	for _, w := range m.Weights {
		if len(w) != int(nFeatures) {
			return fmt.Errorf("leak: model weights have %d columns, want %d", len(w), nFeatures)
		}
	}
	return nil
}

// predict returns the probability of each label.
func (m *Model) predict(x []float64) []float64 {
	z := make([]float64, len(m.Labels))
	for l := range m.Labels {
		z[l] = m.Bias[l]
		for f, v := range x {
			z[l] += m.Weights[l][f] * v
		}
	}
	return softmax(z)
}

func softmax(z []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = max(mx, v)
	}
	sum := 0.0
	p := make([]float64, len(z))
	for i, v := range z {
		p[i] = math.Exp(v - mx)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// Example is one labelled feature vector.
type Example struct {
	ID    string
	X     []float64
	Label string
}

// FitModel fits the weights by full-batch gradient descent on the mean
// cross-entropy plus l2/2·‖W‖² (the bias is not penalised). It is
// deterministic: the same examples give the same model.
func FitModel(examples []Example, l2 float64) *Model {
	nl, nf := len(labels), int(nFeatures)
	m := &Model{Features: slices.Clone(featureNames[:]), Labels: slices.Clone(labels), L2: l2, Bias: make([]float64, nl), Weights: make([][]float64, nl)}
	for l := range m.Weights {
		m.Weights[l] = make([]float64, nf)
	}
	n := float64(len(examples))
	gw := make([][]float64, nl)
	for l := range gw {
		gw[l] = make([]float64, nf)
	}
	gb := make([]float64, nl)
	const rate = 0.5
	for iter := 0; iter < 20000; iter++ {
		for l := range gw {
			clear(gw[l])
		}
		clear(gb)
		for _, e := range examples {
			p := m.predict(e.X)
			y := labelIndex(e.Label)
			for l := range p {
				d := p[l]
				if l == y {
					d--
				}
				gb[l] += d / n
				for f, v := range e.X {
					gw[l][f] += d * v / n
				}
			}
		}
		change := 0.0
		for l := range m.Weights {
			for f := range m.Weights[l] {
				g := gw[l][f] + l2*m.Weights[l][f]
				m.Weights[l][f] -= rate * g
				change = max(change, math.Abs(g))
			}
			m.Bias[l] -= rate * gb[l]
			change = max(change, math.Abs(gb[l]))
		}
		if change < 1e-7 {
			break
		}
	}
	for l := range m.Weights {
		for f := range m.Weights[l] {
			m.Weights[l][f] = math.Round(m.Weights[l][f]*1e4) / 1e4
		}
		m.Bias[l] = math.Round(m.Bias[l]*1e4) / 1e4
	}
	return m
}

// Features returns the feature vector Classify computes for a, for
// fitting or inspecting the model;
// ruled reports whether one of Classify's rules decides the article
// (satire, published before the disclosure): such articles are not used to
// fit the model.
func (ix *Index) Features(a *LabelledArticle) (x []float64, ruled bool) {
	an := ix.analyse(a.Article())
	return an.x[:nFeatures], an.x[fSatire] > 0 || an.x[fBeforeDisclosure] > 0
}
