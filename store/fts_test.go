package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// indexedMatching counts the versions SQLite's full-text index finds for
// an FTS5 query.
func indexedMatching(t *testing.T, s *DB, query string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM versions_fts WHERE versions_fts MATCH ?`, query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkIndex runs FTS5's integrity check against the versions table: it
// fails when the index holds a row the table does not, or misses one, so
// it holds only when no version is queued.
func checkIndex(t *testing.T, s *DB) {
	t.Helper()
	if _, err := s.db.ExecContext(context.Background(), `INSERT INTO versions_fts (versions_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("full-text index out of step with the versions: %v", err)
	}
}

// TestIndexTextQueueAndTriggers: stored versions wait in the queue until
// IndexText adds them, a batch at a time; a version deleted or edited
// while queued, or after it was indexed, leaves the index consistent with
// the table. FTS5 corrupts an external-content index when told to delete
// a row it does not hold, which is what the triggers must avoid.
func TestIndexTextQueueAndTriggers(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "fts.db"))
	save := func(from, n int) []int64 {
		ids := make([]int64, 0, n)
		for i := from; i < from+n; i++ {
			a := testArticle(fmt.Sprintf("g%d", i), fmt.Sprintf("https://www.lemonde.fr/%d.html", i), fmt.Sprintf("Texte numéro %d.", i))
			r, err := s.SaveArticle(ctx, a, fetchAt(t0))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.VersionID)
		}
		return ids
	}
	first := save(0, 2*indexBatch+3)
	if got := count(t, s, "versions_fts_pending"); got != len(first) {
		t.Fatalf("%d versions queued, want %d", got, len(first))
	}
	added, err := s.IndexText(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if added != len(first) || count(t, s, "versions_fts_pending") != 0 || indexedMatching(t, s, "presidentielle") != len(first) {
		t.Fatalf("IndexText added %d, %d still queued, %d indexed; want all %d", added,
			count(t, s, "versions_fts_pending"), indexedMatching(t, s, "presidentielle"), len(first))
	}
	checkIndex(t, s)

	queued := save(len(first), 3)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.db.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`DELETE FROM versions WHERE id = ?`, first[0])  // indexed
	exec(`DELETE FROM versions WHERE id = ?`, queued[0]) // queued
	exec(`UPDATE versions SET title = 'Législatives : premier tour' WHERE id = ?`, first[1])
	exec(`UPDATE versions SET title = 'Législatives : second tour' WHERE id = ?`, queued[1])
	if got := count(t, s, "versions_fts_pending"); got != 2 {
		t.Errorf("%d versions queued after deleting one of three, want 2", got)
	}
	if added, err := s.IndexText(ctx); err != nil || added != 2 {
		t.Fatalf("IndexText = %d, %v; want the 2 still queued", added, err)
	}
	checkIndex(t, s)
	if got := indexedMatching(t, s, "legislatives"); got != 2 {
		t.Errorf("%d versions found by their new title, want 2", got)
	}
	// Every version left but the two retitled ones, and none deleted.
	if got, want := indexedMatching(t, s, "presidentielle"), len(first)+len(queued)-2-2; got != want {
		t.Errorf("%d versions found by the old title, want %d", got, want)
	}
	if added, err := s.IndexText(ctx); err != nil || added != 0 {
		t.Errorf("IndexText on an empty queue = %d, %v; want 0, nil", added, err)
	}
}
