package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/finding"
)

// BenchmarkSaveVersionWithFindings is the write path of a flagged article:
// one new version (SaveArticle) and its evaluation with two findings and
// an alert each (SaveFindings), two transactions per op. The README's
// figures: -benchtime 10000x, on both backends.
func BenchmarkSaveVersionWithFindings(b *testing.B) {
	eachBackendBench(b, func(b *testing.B, newStore newStoreFunc) {
		s, _ := newStore(b)
		ctx := context.Background()
		content := strings.Repeat("Les candidats ont achevé vendredi soir leur campagne. ", 40) // ~2 KB
		route := routeTo("#alerts")
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			// Ten versions per article: the 9 edits are new versions too.
			a := testArticle(fmt.Sprintf("g%d", i/10), fmt.Sprintf("https://www.lemonde.fr/%d", i/10), fmt.Sprintf("%s %d", content, i))
			at := t0.Add(time.Duration(i) * time.Second)
			r, err := s.SaveArticle(ctx, a, fetchAt(at))
			if err != nil || !r.Changed {
				b.Fatal(r, err)
			}
			fs := []finding.Finding{testFinding(fmt.Sprintf("f%d", i/10)), testFinding(fmt.Sprintf("m%d", i/10))}
			fs[1].Rule = "leak-mention"
			if _, err := s.SaveFindings(ctx, r.VersionID, fs, route, at); err != nil {
				b.Fatal(err)
			}
		}
	})
}
