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

// BenchmarkEvaluatedWithoutFindings is the store's part of evaluating a
// version that flags nothing (most of them): "statement" is what
// SaveFindings does now, "transaction" what it did before (a transaction
// reading the version, marking it and reading its findings back).
func BenchmarkEvaluatedWithoutFindings(b *testing.B) {
	eachBackendBench(b, func(b *testing.B, newStore newStoreFunc) {
		s, _ := newStore(b)
		ctx := context.Background()
		const n = 2000
		ids := make([]int64, n)
		for i := range ids {
			r, err := s.SaveArticle(ctx, testArticle(fmt.Sprintf("g%d", i), fmt.Sprintf("https://x.example/%d", i), "calme"), fetchAt(t0))
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = r.VersionID
		}
		b.Run("statement", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				s.db.ExecContext(ctx, `UPDATE versions SET evaluated_at = NULL WHERE id = ?`, ids[i%n])
				if _, err := s.SaveFindings(ctx, ids[i%n], nil, nil, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("transaction", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				s.db.ExecContext(ctx, `UPDATE versions SET evaluated_at = NULL WHERE id = ?`, ids[i%n])
				err := s.inTx(ctx, func(tx *txn) error {
					var articleID int64
					var version int
					if err := tx.QueryRowContext(ctx, `SELECT article_id, version FROM versions WHERE id = ?`, ids[i%n]).Scan(&articleID, &version); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `UPDATE versions SET evaluated_at = ? WHERE id = ? AND evaluated_at IS NULL`, ts(t0), ids[i%n]); err != nil {
						return err
					}
					_, err := queryFindings(ctx, tx, `WHERE f.version_id = ?`, ids[i%n])
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
