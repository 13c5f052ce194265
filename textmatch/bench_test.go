package textmatch

import (
	"math/rand/v2"
	"strings"
	"testing"
)

var benchText = strings.Repeat(`Le gouvernement a présenté mercredi un projet de loi sur l’énergie, après des semaines de
négociations avec les partenaires sociaux. « Nous avons trouvé un équilibre », a déclaré la
ministre devant l’Assemblée nationale, où l’opposition a dénoncé un texte « insuffisant ». Selon un
sondage publié dans la matinée, une majorité de Français soutient la réforme des retraites, mais
les syndicats appellent à une nouvelle journée de mobilisation. The central bank kept its rates
unchanged on Thursday, citing persistent inflation in services. `, 8)

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
	var t Text
	b.SetBytes(int64(len(benchText)))
	for i := 0; i < b.N; i++ {
		Normalize(&t, benchText, true)
	}
}

func BenchmarkFind10k(b *testing.B) {
	set := benchSet(10000)
	var t Text
	Normalize(&t, benchText, true)
	var m []Match
	b.SetBytes(int64(len(benchText)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m = set.Find(m[:0], &t, nil)
	}
}
