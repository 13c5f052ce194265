package rules

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/internal/cpubench"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/rules/leak"
)

// benchArticle is about 5 KB of ordinary French and English news text with
// accents, typographic quotes and a few words the benchmark rules use.
var benchArticle = strings.Repeat(`Le gouvernement a présenté mercredi un projet de loi sur l’énergie, après des semaines de
négociations avec les partenaires sociaux. « Nous avons trouvé un équilibre », a déclaré la
ministre devant l’Assemblée nationale, où l’opposition a dénoncé un texte « insuffisant ». Selon un
sondage publié dans la matinée, une majorité de Français soutient la réforme des retraites, mais
les syndicats appellent à une nouvelle journée de mobilisation. À Marseille, la préfecture a
annoncé des restrictions d’eau pour l’été ; à Lille, le conseil municipal a voté le budget.
The central bank kept its rates unchanged on Thursday, citing persistent inflation in services,
while markets rallied on hopes of a cut before the end of the year. Œuvres d’art, cœur de ville :
le festival ouvre ses portes vendredi soir avec une programmation éclectique. `, 5)

// benchRules spreads termsTotal terms over n rules. Each rule is an all of
// its terms (an any-group) and a second condition; words of the article
// are placed in the first five rules only, so both configurations produce
// the same five findings and differ only in the number of rules.
func benchRules(n, termsTotal int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("rules:\n")
	perRule := termsTotal / n
	word := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyzéè"
		r := []rune(letters)
		var w strings.Builder
		for i := 0; i < 5+rng.IntN(6); i++ {
			w.WriteRune(r[rng.IntN(len(r))])
		}
		return w.String()
	}
	real := []string{"sondage", "ministre", "budget", "festival", "inflation", "retraites", "préfecture", "syndicats"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - id: r%04d\n    title: rule %d\n    severity: medium\n    windows: [always]\n    match:\n      all:\n        - terms: [", i, i)
		for j := 0; j < perRule; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			if i < 5 && j == 0 {
				fmt.Fprintf(&b, "%q", real[(i+j)%len(real)])
			} else if j%3 == 0 {
				fmt.Fprintf(&b, "%q", word()+" "+word()) // a phrase
			} else {
				fmt.Fprintf(&b, "%q", word())
			}
		}
		b.WriteString("]\n        - any: [{term: gouvernement}, {regex: 'rates? unchanged'}]\n")
	}
	return b.String()
}

func benchEngine(b *testing.B, rules, terms int) *Engine {
	cfg, err := config.Parse("bench.yaml", []byte(benchRules(rules, terms)), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkEvaluate measures article text evaluated per second, including
// normalisation, with 10,000 terms spread over 1,000 rules against the
// same terms over 10 rules: 1,000 rules should cost at most twice 10
// rules. Run with -cpu 1; cpu-MB/s is the figure per core.
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("rules=%d/terms=10000", n), func(b *testing.B) {
			e := benchEngine(b, n, 10000)
			a := &article.Article{Title: "Projet de loi sur l’énergie", Content: benchArticle, FirstSeenAt: time.Unix(0, 0)}
			c := cpubench.Start(b, int64(len(a.Title)+len(a.Content)))
			fired := 0
			for i := 0; i < b.N; i++ {
				fired = len(e.Evaluate(a))
			}
			c.Stop()
			b.ReportMetric(float64(fired), "findings")
		})
	}
}

// exampleArticles are the real corpus's articles, dated inside every
// window of the example config (Sunday 7 May 2017, 10:00 in Paris).
func exampleArticles(b *testing.B) ([]*article.Article, int64) {
	b.Helper()
	corpus, err := leak.ReadRealCorpus()
	if err != nil {
		b.Fatal(err)
	}
	when := time.Date(2017, 5, 7, 10, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	var out []*article.Article
	var n int64
	for i := range corpus.Articles {
		a := corpus.Articles[i].Article()
		a.PublishedAt, a.FirstSeenAt = when, when
		out = append(out, a)
		n += int64(len(a.Title) + len(a.Summary) + len(a.Content))
	}
	return out, n
}

func exampleEngine(b *testing.B, edit func(string) string) *Engine {
	b.Helper()
	data, err := os.ReadFile("../config.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse("../config.yaml", []byte(edit(string(data))), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkEvaluateExample runs the example config's rules over the real
// article corpus of rules/leak (425 published articles, French and
// English): normalisation, the automaton, the rule trees, regexes and the
// leak classifier. "without-leak_report" drops the classifier condition
// and "leak_report-alone" runs only the classifier, so its share shows.
func BenchmarkEvaluateExample(b *testing.B) {
	articles, n := exampleArticles(b)
	run := func(b *testing.B, e *Engine) {
		c := cpubench.Start(b, n)
		fired := 0
		for i := 0; i < b.N; i++ {
			fired = 0
			for _, a := range articles {
				fired += len(e.Evaluate(a))
			}
		}
		c.Stop()
		b.ReportMetric(float64(fired), "findings")
	}
	b.Run("config.yaml", func(b *testing.B) {
		run(b, exampleEngine(b, func(s string) string { return s }))
	})
	b.Run("without-leak_report", func(b *testing.B) {
		run(b, exampleEngine(b, func(s string) string {
			const line = "        - leak_report: {leak: macronleaks, label: content, min_score: 0.5}\n"
			if !strings.Contains(s, line) {
				b.Fatal("config.yaml: the leak_report condition moved")
			}
			return strings.Replace(s, line, "", 1)
		}))
	})
	b.Run("leak_report-alone", func(b *testing.B) {
		e := exampleEngine(b, func(s string) string { return s })
		ix := e.leaks["macronleaks"]
		c := cpubench.Start(b, n)
		for i := 0; i < b.N; i++ {
			for _, a := range articles {
				ix.Classify(a)
			}
		}
		c.Stop()
	})
}
