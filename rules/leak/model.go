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
// logistic regression over the features Signals are named after. Its weights are fitted by
// `silencewatch leaks train` (Train) on the real labelled corpus
// (testdata/real, corpus-free) and the synthetic set's train split (with
// its corpus); TestShippedModelIsTrained checks that model.json is what
// that fit gives. The features describe what an article does with a leak,
// not which leak, so the weights carry over to leaks the model never saw
// (measured by leave-one-leak-out cross-validation). Word-presence
// features over newsroom vocabulary shared by six or more leaks were
// tried and left out: they did not move the cross-validated figures.
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

// predict returns the probability of each label for features x.
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
	Group string // the leak it is about: the fold of cross-validation
	X     []float64
	Label string
	// Weight scales the example's loss; 0 means 1.
	Weight float64
	// View marks a short view of another example: fitted on, never
	// scored as an article of its own.
	View bool
}

// FitModel fits the weights by full-batch Adam on the mean cross-entropy
// plus l2/2·‖W‖² (the bias is not penalised), for a fixed number of
// steps. It is deterministic: the same examples give the same model.
func FitModel(examples []Example, l2 float64) *Model {
	nl, nf := len(labels), int(nFeatures)
	m := &Model{Features: slices.Clone(featureNames[:]), Labels: slices.Clone(labels), L2: l2, Bias: make([]float64, nl), Weights: make([][]float64, nl)}
	// Parameters laid out as one vector: per label, bias, features.
	stride := 1 + nf
	theta := make([]float64, nl*stride)
	grad := make([]float64, len(theta))
	mom, vel := make([]float64, len(theta)), make([]float64, len(theta))
	z := make([]float64, nl)
	n := 0.0
	for _, e := range examples {
		n += exampleWeight(e)
	}
	const (
		steps        = 1500
		rate         = 0.05
		beta1, beta2 = 0.9, 0.999
		eps          = 1e-8
	)
	for step := 1; step <= steps; step++ {
		clear(grad)
		for _, e := range examples {
			for l := range nl {
				row := theta[l*stride:]
				z[l] = row[0]
				for f, v := range e.X {
					z[l] += row[1+f] * v
				}
			}
			p := softmax(z)
			y := labelIndex(e.Label)
			for l := range nl {
				d := p[l]
				if l == y {
					d--
				}
				d *= exampleWeight(e) / n
				g := grad[l*stride:]
				g[0] += d
				for f, v := range e.X {
					g[1+f] += d * v
				}
			}
		}
		for l := range nl {
			for k := 1; k < stride; k++ {
				grad[l*stride+k] += l2 * theta[l*stride+k]
			}
		}
		c1, c2 := 1-math.Pow(beta1, float64(step)), 1-math.Pow(beta2, float64(step))
		for k, g := range grad {
			mom[k] = beta1*mom[k] + (1-beta1)*g
			vel[k] = beta2*vel[k] + (1-beta2)*g*g
			theta[k] -= rate * (mom[k] / c1) / (math.Sqrt(vel[k]/c2) + eps)
		}
	}
	round := func(x float64) float64 { return math.Round(x*1e4) / 1e4 }
	for l := range nl {
		row := theta[l*stride:]
		m.Bias[l] = round(row[0])
		m.Weights[l] = make([]float64, nf)
		for f := range nf {
			m.Weights[l][f] = round(row[1+f])
		}
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

func exampleWeight(e Example) float64 {
	if e.Weight == 0 {
		return 1
	}
	return e.Weight
}
