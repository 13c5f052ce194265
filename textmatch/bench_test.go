package textmatch

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/silencewatch/silencewatch/internal/cpubench"
)

var benchText = strings.Repeat(`Le gouvernement a présenté mercredi un projet de loi sur l’énergie, après des semaines de
négociations avec les partenaires sociaux. « Nous avons trouvé un équilibre », a déclaré la
ministre devant l’Assemblée nationale, où l’opposition a dénoncé un texte « insuffisant ». Selon un
sondage publié dans la matinée, une majorité de Français soutient la réforme des retraites, mais
les syndicats appellent à une nouvelle journée de mobilisation. The central bank kept its rates
unchanged on Thursday, citing persistent inflation in services. `, 8)

// realTexts is the text of the real article corpus of rules/leak (425
// published articles, French and English, about 520 KB).
func realTexts(b *testing.B) ([]string, int64) {
	b.Helper()
	f, err := os.Open("../rules/leak/testdata/real/articles.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var texts []string
	var n int64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var a struct{ Title, Text string }
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			b.Fatal(err)
		}
		texts = append(texts, a.Title+"\n"+a.Text)
		n += int64(len(texts[len(texts)-1]))
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return texts, n
}

func benchSet(n int) *Set {
	rng := rand.New(rand.NewPCG(1, 2))
	var b Builder
	for i := 0; i < n; i++ {
		var w strings.Builder
		for j := 0; j < 5+rng.IntN(6); j++ {
			w.WriteByte(byte('a' + rng.IntN(26)))
		}
		b.Add(w.String(), false)
	}
	for _, w := range []string{"sondage", "ministre", "gouvernement", "inflation"} {
		b.Add(w, false)
	}
	return b.Build()
}

func BenchmarkNormalize(b *testing.B) {
	b.Run("synthetic", func(b *testing.B) {
		var t Text
		c := cpubench.Start(b, int64(len(benchText)))
		for i := 0; i < b.N; i++ {
			Normalize(&t, benchText, true)
		}
		c.Stop()
	})
	b.Run("real", func(b *testing.B) {
		texts, n := realTexts(b)
		var t Text
		c := cpubench.Start(b, n)
		for i := 0; i < b.N; i++ {
			for _, s := range texts {
				Normalize(&t, s, true)
			}
		}
		c.Stop()
	})
}

// BenchmarkFind10k is the automaton pass alone over normalised text, the
// set's construction excluded.
func BenchmarkFind10k(b *testing.B) {
	set := benchSet(10000)
	b.Run("synthetic", func(b *testing.B) {
		var t Text
		Normalize(&t, benchText, true)
		var m []Match
		c := cpubench.Start(b, int64(len(benchText)))
		for i := 0; i < b.N; i++ {
			m = set.Find(m[:0], &t, nil)
		}
		c.Stop()
	})
	b.Run("real", func(b *testing.B) {
		texts, n := realTexts(b)
		norm := make([]Text, len(texts))
		for i, s := range texts {
			Normalize(&norm[i], s, true)
		}
		var m []Match
		c := cpubench.Start(b, n)
		for i := 0; i < b.N; i++ {
			for j := range norm {
				m = set.Find(m[:0], &norm[j], nil)
			}
		}
		c.Stop()
	})
}

// BenchmarkNormalizeFind10k is both together, as the rule engine runs them.
func BenchmarkNormalizeFind10k(b *testing.B) {
	set := benchSet(10000)
	texts, n := realTexts(b)
	var t Text
	var m []Match
	c := cpubench.Start(b, n)
	for i := 0; i < b.N; i++ {
		for _, s := range texts {
			Normalize(&t, s, true)
			m = set.Find(m[:0], &t, nil)
		}
	}
	c.Stop()
}
