package review

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	silencewatch "github.com/silencewatch/silencewatch"
	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

const (
	benchArticles = 100_000
	benchFindings = 10_000
)

var benchWords = strings.Fields(`le la les un une des du de et à en dans pour sur avec par selon courriels campagne
	candidat sondage résultats élection bureau vote dimanche samedi ministre gouvernement parti réunion conseil
	ville région député sénat budget école santé hôpital police justice tribunal procès accord grève météo
	football match équipe marché entreprise emploi prix essence banque euro bourse climat pluie soleil festival`)

// seedBench fills a store with n articles of one version each (about 100
// words), a tenth of them about the leak, and findings on m of them, in
// one transaction through a second connection, as bulk SQL: the store
// API would take minutes for this.
func seedBench(b *testing.B, path string, n, m int) {
	b.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	insA, _ := tx.Prepare(`INSERT INTO articles (id, source, url, guid, first_seen_at) VALUES (?, ?, ?, ?, ?)`)
	insV, _ := tx.Prepare(`INSERT INTO versions (id, article_id, version, title, summary, content, text_sha256, fetched_at) VALUES (?, ?, 1, ?, ?, ?, 'x', ?)`)
	insF, _ := tx.Prepare(`INSERT INTO findings (version_id, article_id, finding_key, rule, severity, window, finding, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2017, 5, 5, 12, 0, 0, 0, time.UTC)
	outlets := []string{"lemonde", "liberation", "lefigaro", "franceinfo", "ouestfrance", "mediapart", "bfmtv", "rtl", "europe1", "martinique-la1ere"}
	rules := []struct{ id, sev string }{{"leak-content", "high"}, {"leak-quote", "high"}, {"leak-mention", "info"}, {"poll-published", "medium"}, {"results-before-close", "critical"}}
	zones := [][]string{{"metropole"}, {"antilles", "guyane"}, {"metropole", "antilles", "reunion"}}
	every := n / m
	var words []string
	for i := 1; i <= n; i++ {
		words = words[:0]
		for range 100 {
			words = append(words, benchWords[rng.IntN(len(benchWords))])
		}
		if i%10 == 0 {
			words = append(words, "MacronLeaks")
		}
		content := strings.Join(words, " ")
		title := strings.Join(words[:8], " ")
		seen := start.Add(time.Duration(i) * 57 * time.Hour / time.Duration(n))
		outlet := outlets[i%len(outlets)]
		u := fmt.Sprintf("https://%s.example/%d", outlet, i)
		if _, err := insA.Exec(i, outlet, u, u, seen.Format(time.RFC3339Nano)); err != nil {
			b.Fatal(err)
		}
		if _, err := insV.Exec(i, i, title, "", content, seen.Format(time.RFC3339Nano)); err != nil {
			b.Fatal(err)
		}
		if i%every != 0 {
			continue
		}
		r := rules[(i/every)%len(rules)]
		sev, _ := config.ParseSeverity(r.sev)
		f := finding.Finding{
			ID: fmt.Sprintf("%016x", i), Rule: r.id, Title: "Rule " + r.id, Severity: sev, Window: "silence",
			Election: "fr-pres-2017", Round: "round-2", Zones: zones[i%len(zones)], TimeBasis: "first_seen", BasisTime: seen,
			Article: finding.ArticleRef{URL: u, Title: title, Source: outlet, FirstSeenAt: seen},
			Evidence: []finding.Evidence{{Kind: "term", Field: article.FieldContent, Text: words[3], Start: len(strings.Join(words[:3], " ")) + 1,
				End: len(strings.Join(words[:4], " ")), Pattern: words[3]}},
		}
		doc, _ := json.Marshal(f)
		if _, err := insF.Exec(i, i, f.ID, r.id, r.sev, "silence", string(doc), seen.Format(time.RFC3339Nano)); err != nil {
			b.Fatal(err)
		}
	}
	// The store adds a version's full-text row with the version; rows
	// inserted below it are indexed here, as SaveArticles does, at once.
	if _, err := tx.Exec(`INSERT INTO versions_fts (rowid, title, summary, content) SELECT id, title, summary, content FROM versions`); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReview answers pages and API calls over 100,000 articles and
// 10,000 findings.
func BenchmarkReview(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now()
	seedBench(b, path, benchArticles, benchFindings)
	b.Logf("seeded %d articles and %d findings in %v", benchArticles, benchFindings, time.Since(t0).Round(time.Millisecond))
	cfg, err := config.Parse("config.yaml", silencewatch.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2017, 5, 8, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: now}
	srv, err := New(Options{Store: st, Config: cfg, Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	u, err := st.AddUser(ctx, "bench", store.RoleViewer, "x", now)
	if err != nil {
		b.Fatal(err)
	}
	sid := "bench-session"
	if err := st.CreateSession(ctx, TokenHash(sid), u.ID, "csrf", now, now.Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	if err := st.AddAPIToken(ctx, u.ID, TokenHash("bench-token"), now); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, path, want string }{
		{"list", "/findings", "1–50 of 10000"},
		{"list-filtered-sorted-page-5", "/findings?severity=high&zone=metropole&sort=severity&page=5", " of "},
		{"search-common-word", "/findings?q=courriels", " of "},
		{"search-phrase", "/findings?q=%22selon+les+courriels%22", " of "},
		{"search-leak-tag", "/findings?q=macronleaks", "1–50 of 10000"}, // every finding's article has the tag
		{"api-search", "/api/findings?q=sondage&severity=medium", `"total"`},
		{"finding", "/findings/5000", "Evidence"},
		{"dashboard", "/", "<svg"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, bc.path, nil)
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sid})
				req.Header.Set("Authorization", "Bearer bench-token")
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), bc.want) {
					b.Fatalf("GET %s: %d\n%.2000s", bc.path, rec.Code, rec.Body.String())
				}
			}
		})
	}
}
