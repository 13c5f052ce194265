package leak

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

// The real labelled corpus (testdata/real): published articles about
// leaks other than the 2017 French campaign leak, labelled by GUIDE.md.
// It is embedded so that `leaks eval -real` and `leaks train` work from
// any directory.
var (
	//go:embed testdata/real/articles.jsonl
	realArticlesJSONL []byte
	//go:embed testdata/real/leaks.json
	realLeaksJSON []byte
	//go:embed testdata/real/claims.jsonl
	realClaimsJSONL []byte
	//go:embed testdata/real/second-review.jsonl
	realSecondReviewJSONL []byte
)

// RealArticle is one article of the real corpus.
type RealArticle struct {
	ID        string `json:"id"`
	Leak      string `json:"leak"` // slug of leaks.json, or "none"
	Lang      string `json:"lang"`
	URL       string `json:"url"`
	Title     string `json:"title"`
	Published string `json:"published"` // YYYY-MM-DD, YYYY-MM, YYYY or ""
	Label     string `json:"label"`
	Note      string `json:"note"`
	Text      string `json:"text"`
	// Claims are, in a content article, the spans that make it content
	// (claims.jsonl, marked by GUIDE.md's content rules).
	Claims []ClaimSpan `json:"-"`
	// SecondLabel is the label a second review gave by the same guide,
	// blind to Label (second-review.jsonl: a random sample), or "".
	SecondLabel string `json:"-"`
}

// ClaimSpan is a span of a real article stating what the leaked material
// says: Field is "title" or "text", Start and End byte offsets in it.
type ClaimSpan struct {
	Field      article.Field
	Start, End int
}

// RealLeak is what a user would configure of a leak before holding its
// data: its names and hashtags, the people it is about, its archives.
type RealLeak struct {
	Name        string   `json:"name"`
	Year        int      `json:"year"`
	Identifiers []string `json:"identifiers"`
	Names       []string `json:"names"`
	Archives    []string `json:"archives"`
}

// Options returns the corpus-free index options of the leak, as a config
// with these identifiers (archives included) and names gives.
func (l RealLeak) Options() Options {
	return Options{Identifiers: append(slices.Clone(l.Identifiers), l.Archives...), Names: l.Names}
}

// Article converts to the type the rule engine passes to Classify.
func (a *RealArticle) Article() *article.Article {
	var pub time.Time
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, a.Published); err == nil {
			pub = t.Add(12 * time.Hour)
			break
		}
	}
	return &article.Article{Source: "real", GUID: a.ID, URL: a.URL, Title: a.Title, Content: a.Text,
		Language: a.Lang, PublishedAt: pub, FirstSeenAt: pub}
}

// RealCorpus is the embedded real corpus.
type RealCorpus struct {
	Articles []RealArticle
	Leaks    map[string]RealLeak
}

// ReadRealCorpus parses the embedded real corpus.
func ReadRealCorpus() (*RealCorpus, error) {
	c, err := parseRealCorpus(realArticlesJSONL, realLeaksJSON)
	if err != nil {
		return nil, err
	}
	if err := c.readClaims(realClaimsJSONL); err != nil {
		return nil, err
	}
	return c, c.readSecondReview(realSecondReviewJSONL)
}

// readSecondReview attaches second-review.jsonl's labels to their
// articles: one line each at most, in the four labels.
func (c *RealCorpus) readSecondReview(data []byte) error {
	byID := c.byID()
	type review struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	}
	return jsonLines(data, "second-review.jsonl", func(line int, rec *review) error {
		a := byID[rec.ID]
		switch {
		case a == nil:
			return fmt.Errorf("leak: real corpus second-review.jsonl:%d: unknown article %q", line, rec.ID)
		case !slices.Contains(labels, rec.Label):
			return fmt.Errorf("leak: real corpus second-review.jsonl:%d: %s: unknown label %q", line, rec.ID, rec.Label)
		case a.SecondLabel != "":
			return fmt.Errorf("leak: real corpus second-review.jsonl:%d: %s has a second line", line, rec.ID)
		}
		a.SecondLabel = rec.Label
		return nil
	})
}

// byID indexes c's articles by ID.
func (c *RealCorpus) byID() map[string]*RealArticle {
	byID := make(map[string]*RealArticle, len(c.Articles))
	for i := range c.Articles {
		byID[c.Articles[i].ID] = &c.Articles[i]
	}
	return byID
}

// jsonLines decodes every line of data that is not blank into a T and
// hands it to f with its line number; file names data in errors.
func jsonLines[T any](data []byte, file string, f func(line int, rec *T) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var rec T
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("leak: real corpus %s:%d: %w", file, line, err)
		}
		if err := f(line, &rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("leak: real corpus %s: %w", file, err)
	}
	return nil
}

// ByLanguage returns cv's leave-one-leak-out labels of c's articles as one
// matrix per language, by language code.
func (c *RealCorpus) ByLanguage(cv CrossValidation) map[string]Matrix {
	out := map[string]Matrix{}
	for _, a := range c.Articles {
		p, ok := cv.Predicted[a.ID]
		if !ok {
			continue
		}
		m := out[a.Lang]
		m.Split = a.Lang
		m.Add(a.ID, a.Label, p)
		out[a.Lang] = m
	}
	return out
}

// LanguageString prints the content figures of ByLanguage's matrices.
func LanguageString(ms map[string]Matrix) string {
	var parts []string
	for _, l := range slices.Sorted(maps.Keys(ms)) {
		m := ms[l]
		parts = append(parts, fmt.Sprintf("%s (%d articles) precision %.3f, recall %.3f, F1 %.3f", l, m.Total(),
			m.Precision(LabelContent), m.Recall(LabelContent), m.F1(LabelContent)))
	}
	return "content by language: " + strings.Join(parts, "; ")
}

// Agreement compares, on the articles of the second review, its labels
// with the corpus's (Review: rows the corpus's label, columns the
// review's) and the cross-validated model's with the corpus's (Model):
// how far the model is from what a second reader of the guide does.
type Agreement struct {
	Review, Model Matrix
}

// SecondReview measures the agreement of the second review and of cv's
// leave-one-leak-out labels with the corpus's labels.
func (c *RealCorpus) SecondReview(cv CrossValidation) Agreement {
	ag := Agreement{Review: Matrix{Split: "second review"}, Model: Matrix{Split: "model, leave-one-leak-out"}}
	for _, a := range c.Articles {
		if a.SecondLabel == "" {
			continue
		}
		ag.Review.Add(a.ID, a.Label, a.SecondLabel)
		if p, ok := cv.Predicted[a.ID]; ok {
			ag.Model.Add(a.ID, a.Label, p)
		}
	}
	return ag
}

func (ag Agreement) String() string {
	n, same := 0, 0
	var rows, cols [4]int // Matrix.Counts's labels
	for i := range labels {
		for j := range labels {
			k := ag.Review.Counts[i][j]
			n += k
			rows[i] += k
			cols[j] += k
			if i == j {
				same += k
			}
		}
	}
	if n == 0 {
		return "second review: none"
	}
	po, pe := float64(same)/float64(n), 0.0
	for i := range labels {
		pe += float64(rows[i]) * float64(cols[i]) / float64(n) / float64(n)
	}
	kappa := 1.0
	if pe < 1 {
		kappa = (po - pe) / (1 - pe)
	}
	return fmt.Sprintf("second review (the guide applied again, blind to the labels, to %d articles drawn at random): the same label for %.1f%% (Cohen's kappa %.2f); content, the review against the labels: precision %.3f, recall %.3f, F1 %.3f; the model, leave-one-leak-out, on the same articles: precision %.3f, recall %.3f, F1 %.3f",
		n, 100*po, kappa, ag.Review.Precision(LabelContent), ag.Review.Recall(LabelContent), ag.Review.F1(LabelContent),
		ag.Model.Precision(LabelContent), ag.Model.Recall(LabelContent), ag.Model.F1(LabelContent))
}

// readClaims attaches claims.jsonl's spans to their articles. Every
// content article has a line, and every quote is found in its field.
func (c *RealCorpus) readClaims(data []byte) error {
	byID := c.byID()
	seen := map[string]bool{}
	type claims struct {
		ID     string `json:"id"`
		Claims []struct {
			Field string `json:"field"`
			Quote string `json:"quote"`
		} `json:"claims"`
	}
	err := jsonLines(data, "claims.jsonl", func(line int, rec *claims) error {
		a := byID[rec.ID]
		switch {
		case a == nil:
			return fmt.Errorf("leak: real corpus claims.jsonl:%d: unknown article %q", line, rec.ID)
		case a.Label != LabelContent:
			return fmt.Errorf("leak: real corpus claims.jsonl:%d: %s is labelled %s, not content", line, rec.ID, a.Label)
		case seen[rec.ID]:
			return fmt.Errorf("leak: real corpus claims.jsonl:%d: %s has a second line", line, rec.ID)
		}
		seen[rec.ID] = true
		for _, cl := range rec.Claims {
			var field article.Field
			text := ""
			switch cl.Field {
			case "title":
				field, text = article.FieldTitle, a.Title
			case "text":
				field, text = article.FieldContent, a.Text
			default:
				return fmt.Errorf("leak: real corpus claims.jsonl:%d: %s: field %q (want title or text)", line, rec.ID, cl.Field)
			}
			k := strings.Index(text, cl.Quote)
			if k < 0 || cl.Quote == "" {
				return fmt.Errorf("leak: real corpus claims.jsonl:%d: %s: quote %q is not in its %s", line, rec.ID, clip(cl.Quote, 60), cl.Field)
			}
			a.Claims = append(a.Claims, ClaimSpan{field, k, k + len(cl.Quote)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range c.Articles {
		if a := &c.Articles[i]; a.Label == LabelContent && !seen[a.ID] {
			return fmt.Errorf("leak: real corpus claims.jsonl: content article %s has no line", a.ID)
		}
	}
	return nil
}

func parseRealCorpus(articles, leaks []byte) (*RealCorpus, error) {
	c := &RealCorpus{Leaks: map[string]RealLeak{}}
	if err := json.Unmarshal(leaks, &c.Leaks); err != nil {
		return nil, fmt.Errorf("leak: real corpus leaks.json: %w", err)
	}
	err := jsonLines(articles, "articles.jsonl", func(line int, a *RealArticle) error {
		if labelIndex(a.Label) == len(labels)-1 && a.Label != LabelOther {
			return fmt.Errorf("leak: real corpus articles.jsonl:%d: %s: unknown label %q", line, a.ID, a.Label)
		}
		if _, ok := c.Leaks[a.Leak]; !ok && a.Leak != "none" {
			return fmt.Errorf("leak: real corpus articles.jsonl:%d: %s: unknown leak %q", line, a.ID, a.Leak)
		}
		c.Articles = append(c.Articles, *a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Groups returns the leaks the articles belong to, sorted: the folds of
// leave-one-leak-out cross-validation.
func (c *RealCorpus) Groups() []string {
	seen := map[string]bool{}
	for _, a := range c.Articles {
		seen[a.Leak] = true
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// examples computes the corpus-free features of every article, each
// with its own leak's profile index (no corpus, identifiers and names
// only), and of every article's short view (see shortView), weighted
// ShortViewWeight.
func (c *RealCorpus) examples() []Example {
	indexes := map[string]*Index{}
	out := make([]Example, 0, 2*len(c.Articles))
	for i := range c.Articles {
		a := &c.Articles[i]
		ix := indexes[a.Leak]
		if ix == nil {
			ix = Build(nil, c.Leaks[a.Leak].Options())
			indexes[a.Leak] = ix
		}
		an := ix.analyse(a.Article())
		out = append(out, Example{ID: a.ID, Group: a.Leak, X: slices.Clone(an.x[:nFeatures]), Label: a.Label})
		an = ix.analyse(a.shortView())
		out = append(out, Example{ID: a.ID + "/short", Group: a.Leak, X: slices.Clone(an.x[:nFeatures]), Label: a.Label,
			Weight: ShortViewWeight, View: true})
	}
	return out
}

// ShortViewWeight is the weight of the short views in fitting: a quarter
// of a stored article's. Without them the model learns that content
// takes a long text (its counts grow with length) and misses a short
// article that quotes a mail; at full weight it loses on long ones.
// Chosen over 0.5 and 1 on the leave-one-leak-out folds (README).
const ShortViewWeight = 0.25

// shortView cuts the article to what a brief carries: its title, the
// lede (the first sentence that is not the title again), then, in a
// content article, its first two marked claims, and in any other the
// next two sentences. Its label is the article's: a content article's
// view keeps claims, and any other article has none to keep.
func (a *RealArticle) shortView() *article.Article {
	art := a.Article()
	var w wordSeq
	tokenize(&w, a.Text)
	sents := sentences(&w)
	var parts []string
	used := map[int]bool{}
	add := func(i int) {
		if i < len(sents) && !used[i] {
			used[i] = true
			os, oe := w.span(sents[i].start, sents[i].end)
			parts = append(parts, a.Text[os:oe])
		}
	}
	first := 0
	if len(sents) > 0 {
		if os, oe := w.span(sents[0].start, sents[0].end); strings.TrimSpace(a.Text[os:oe]) == strings.TrimSpace(a.Title) {
			first = 1
		}
	}
	add(first)
	if a.Label == LabelContent {
		n := 0
		for i, st := range sents {
			if os, oe := w.span(st.start, st.end); n < 2 && a.inClaim(article.FieldContent, os, oe) {
				add(i)
				n++
			}
		}
	} else {
		add(first + 1)
		add(first + 2)
	}
	art.Content = strings.Join(parts, " ")
	return art
}

// TrainingSet is what the shipped model is fitted on: the real corpus,
// corpus-free, and the synthetic evaluation set's train split, with its
// corpus (the only labelled articles whose leak's documents are held, so
// the only ones that weigh quote and document-match signals).
func TrainingSet(real *RealCorpus, synthDir string) ([]Example, error) {
	ex, err := TrainingSetFS(real, os.DirFS(synthDir))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, synthDir)
	}
	return ex, nil
}

// TrainingSetFS is TrainingSet with the synthetic set read from fsys
// (Synthetic for the bundled one).
func TrainingSetFS(real *RealCorpus, synth fs.FS) ([]Example, error) {
	ex := real.examples()
	ix, arts, _, err := LoadEvaluation(synth)
	if err != nil {
		return nil, err
	}
	for i := range arts {
		if arts[i].Split != "train" {
			continue
		}
		if x, ruled := ix.Features(&arts[i]); !ruled {
			ex = append(ex, Example{ID: arts[i].ID, Group: "synthetic", X: x, Label: arts[i].Label})
		}
	}
	return ex, nil
}

// ModelL2 is the l2 penalty the shipped model is fitted with.
// (chosen before any cross-validation was run, and not tuned on it).
const ModelL2 = 0.05

// Train fits the shipped model on a training set (see TrainingSet).
func Train(ex []Example) *Model {
	m := FitModel(ex, ModelL2)
	groups := map[string]int{}
	n, views := 0, 0
	for _, e := range ex {
		if e.View {
			views++
			continue
		}
		groups[e.Group]++
		n++
	}
	var parts []string
	for _, g := range slices.Sorted(func(yield func(string) bool) {
		for g := range groups {
			if !yield(g) {
				return
			}
		}
	}) {
		parts = append(parts, fmt.Sprintf("%s %d", g, groups[g]))
	}
	m.Trained = fmt.Sprintf("%d articles (%s) and %d short views weighted %g, l2=%g; by silencewatch leaks train",
		n, strings.Join(parts, ", "), views, ShortViewWeight, ModelL2)
	return m
}

// CrossValidation is leave-one-leak-out: each real leak's articles are
// labelled by a model fitted on every other leak (and the synthetic set),
// never on their own.
type CrossValidation struct {
	Overall Matrix
	PerLeak map[string]Matrix
	// Short is the same folds scored on the articles' short views.
	Short Matrix
	// Models holds each fold's model, by the leak it was scored on.
	Models map[string]*Model
	// Predicted is each real article's label from its fold's model.
	Predicted map[string]string
}

// CrossValidate runs leave-one-leak-out over the real groups of ex.
func CrossValidate(ex []Example) CrossValidation {
	cv := CrossValidation{Overall: Matrix{Split: "leave-one-leak-out"}, Short: Matrix{Split: "leave-one-leak-out, short views"}, PerLeak: map[string]Matrix{}, Models: map[string]*Model{},
		Predicted: map[string]string{}}
	groups := map[string]bool{}
	for _, e := range ex {
		if e.Group != "synthetic" {
			groups[e.Group] = true
		}
	}
	for _, g := range slices.Sorted(func(yield func(string) bool) {
		for g := range groups {
			if !yield(g) {
				return
			}
		}
	}) {
		var train, test []Example
		for _, e := range ex {
			if e.Group == g {
				test = append(test, e)
			} else {
				train = append(train, e)
			}
		}
		m := FitModel(train, ModelL2)
		cv.Models[g] = m
		pm := Matrix{Split: g}
		for _, e := range test {
			pred := m.Labels[argmax(m.predict(e.X))]
			if e.View {
				cv.Short.Add(e.ID, e.Label, pred)
				continue
			}
			pm.Add(e.ID, e.Label, pred)
			cv.Overall.Add(e.ID, e.Label, pred)
			cv.Predicted[e.ID] = pred
		}
		cv.PerLeak[g] = pm
	}
	return cv
}

func argmax(p []float64) int {
	best := 0
	for i := range p {
		if p[i] > p[best] {
			best = i
		}
	}
	return best
}

// Total is the number of articles counted.
func (m *Matrix) Total() int {
	n := 0
	for i := range m.Counts {
		for j := range m.Counts[i] {
			n += m.Counts[i][j]
		}
	}
	return n
}

// F1 of label l.
func (m *Matrix) F1(l string) float64 {
	p, r := m.Precision(l), m.Recall(l)
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// String prints the overall matrix, then per leak the content figures.
func (cv CrossValidation) String() string {
	var b strings.Builder
	b.WriteString(cv.Overall.String())
	fmt.Fprintf(&b, "content F1 %.3f\n", cv.Overall.F1(LabelContent))
	fmt.Fprintf(&b, "short views (title, lede, two claims or two sentences): content precision %.3f, recall %.3f, F1 %.3f\n",
		cv.Short.Precision(LabelContent), cv.Short.Recall(LabelContent), cv.Short.F1(LabelContent))
	fmt.Fprintf(&b, "\nper leak (content):\n%-18s %5s %9s %9s %6s  %s\n", "leak", "n", "precision", "recall", "F1", "confusion (rows truth c/e/g/o, columns predicted)")
	for _, g := range slices.Sorted(func(yield func(string) bool) {
		for g := range cv.PerLeak {
			if !yield(g) {
				return
			}
		}
	}) {
		m := cv.PerLeak[g]
		fmt.Fprintf(&b, "%-18s %5d %9.3f %9.3f %6.3f  %v\n", g, m.Total(), m.Precision(LabelContent), m.Recall(LabelContent), m.F1(LabelContent), m.Counts)
	}
	return b.String()
}

// MarshalModel is the model as model.json holds it.
func MarshalModel(m *Model) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, fmt.Errorf("leak: %w", err)
	}
	return append(b, '\n'), nil
}

// Evidence measures what a content finding shows a person: of the
// content articles each fold's model labels content, how often the
// strongest signals with a span (those pushing towards content, as
// Classify orders them) lie in a span marked as the article's content
// claim (claims.jsonl). A finding whose evidence points at the lede's
// "hacked emails" rather than at what the emails say is right for the
// wrong reason.
type Evidence struct {
	Found  int // content articles labelled content
	Focus  int // whose Focus sentence overlaps a marked claim
	Top    int // whose strongest spanned signal does
	Top3   int // one of whose three strongest does
	NoSpan int // with no spanned signal at all
	// Sentences of the found articles, and how many overlap a claim: the
	// rate a sentence picked at random would reach.
	Sentences, ClaimSentences int
}

// CheckEvidence classifies every content article of c with the model of
// its fold in cv (which never saw its leak), corpus-free.
func (c *RealCorpus) CheckEvidence(cv CrossValidation) Evidence {
	var ev Evidence
	indexes := map[string]*Index{}
	for i := range c.Articles {
		a := &c.Articles[i]
		m := cv.Models[a.Leak]
		if a.Label != LabelContent || m == nil {
			continue
		}
		ix := indexes[a.Leak]
		if ix == nil {
			ix = Build(nil, c.Leaks[a.Leak].Options())
			indexes[a.Leak] = ix
		}
		an := ix.analyse(a.Article())
		r := report(an, m)
		if r.Label != LabelContent {
			continue
		}
		ev.Found++
		if f := r.Focus; f != nil && a.inClaim(f.Field, f.Start, f.End) {
			ev.Focus++
		}
		for _, st := range an.sentences {
			ev.Sentences++
			if a.inClaim(st.field, st.start, st.end) {
				ev.ClaimSentences++
			}
		}
		rank := 0
		hit := -1
		for _, s := range r.Signals {
			if s.Rule || s.Weight <= 0 || s.End <= s.Start {
				continue
			}
			if a.inClaim(s.Field, s.Start, s.End) {
				hit = rank
				break
			}
			if rank++; rank == 3 {
				break
			}
		}
		switch {
		case rank == 0 && hit < 0:
			ev.NoSpan++
		case hit == 0:
			ev.Top++
			ev.Top3++
		case hit > 0:
			ev.Top3++
		}
	}
	return ev
}

// inClaim reports whether bytes [start, end) of field overlap a marked
// claim.
func (a *RealArticle) inClaim(field article.Field, start, end int) bool {
	for _, c := range a.Claims {
		if c.Field == field && start < c.End && c.Start < end {
			return true
		}
	}
	return false
}

func (e Evidence) String() string {
	if e.Found == 0 {
		return "evidence: no content article labelled content"
	}
	pct := func(n int) float64 { return 100 * float64(n) / float64(e.Found) }
	return fmt.Sprintf("evidence, on the %d content articles labelled content: the focus sentence is a marked content claim in %d (%.0f%%); "+
		"the strongest spanned signal lies in one in %d (%.0f%%), one of the three strongest in %d (%.0f%%); no spanned signal in %d; "+
		"%.0f%% of their %d sentences are claims",
		e.Found, e.Focus, pct(e.Focus), e.Top, pct(e.Top), e.Top3, pct(e.Top3), e.NoSpan,
		100*float64(e.ClaimSentences)/float64(max(e.Sentences, 1)), e.Sentences)
}
