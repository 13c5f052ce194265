package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/finding"
)

// TestReviewMigrationKeepsSlackVerdicts migrates a store written before
// 00009 (a finding with a Slack verdict, an article version): the verdict
// history reads back as Slack's, and the old version is searchable.
func TestReviewMigrationKeepsSlackVerdicts(t *testing.T) {
	eachBackendRaw(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		path := b.newDSN(t)
		db := b.openRaw(t, path)
		p, err := migrationProvider(db, b.d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 8); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO articles (id, source, url, first_seen_at) VALUES (1, 'lemonde', 'https://x/1', '2017-05-06T00:00:00.000000000Z')`,
			`INSERT INTO versions (id, article_id, version, title, content, text_sha256) VALUES (1, 1, 1, 'Les courriels révélés', 'Selon les documents consultés', 'x')`,
			`INSERT INTO findings (id, version_id, article_id, finding_key, rule, severity, "window", finding, created_at)
			VALUES (1, 1, 1, 'k1', 'leak-content', 'high', 'silence', '{"id":"k1","severity":"high","basis_time":"2017-05-06T02:14:00+02:00"}', '2017-05-06T00:16:00.000000000Z')`,
			`INSERT INTO verdicts (finding_id, verdict, "user", team, at) VALUES (1, 'confirmed', 'U1', 'T1', '2017-05-06T01:00:00.000000000Z')`,
			`INSERT INTO verdict_history (finding_id, verdict, "user", team, at) VALUES (1, 'confirmed', 'U1', 'T1', '2017-05-06T01:00:00.000000000Z')`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		db.Close()

		s := openAt(t, path)
		hist, err := s.VerdictEntries(ctx, 1)
		if err != nil || len(hist) != 1 || hist[0].Source != VerdictFromSlack || hist[0].User != "U1" || hist[0].Team != "T1" {
			t.Fatalf("history after the migration: %+v, %v", hist, err)
		}
		if v, ok, err := s.Verdict(ctx, 1); err != nil || !ok || v.Verdict != "confirmed" {
			t.Errorf("latest verdict: %+v %v %v", v, ok, err)
		}
		// The backfilled index finds the old version, accents folded.
		rows, total, err := s.ReviewFindings(ctx, FindingQuery{Text: "revéles courriels"})
		if err != nil || total != 1 || len(rows) != 1 || rows[0].Outlet != "lemonde" || rows[0].Verdict != "confirmed" {
			t.Errorf("search after the migration: %d %+v %v", total, rows, err)
		}
		// The basis time is read whatever its offset.
		_, total, err = s.ReviewFindings(ctx, FindingQuery{From: time.Date(2017, 5, 6, 0, 14, 0, 0, time.UTC), To: time.Date(2017, 5, 6, 0, 15, 0, 0, time.UTC)})
		if err != nil || total != 1 {
			t.Errorf("time range on the basis time: %d %v", total, err)
		}
		// A web verdict with a note, then Slack's: one history.
		if err := s.RecordVerdict(ctx, 1, Verdict{Verdict: "needs_legal_review", User: "ed", At: time.Date(2017, 5, 6, 2, 0, 0, 0, time.UTC)}, VerdictFromWeb, "ask counsel"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetVerdict(ctx, 1, Verdict{Verdict: "false_positive", User: "U2", At: time.Date(2017, 5, 6, 3, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		hist, _ = s.VerdictEntries(ctx, 1)
		if len(hist) != 3 || hist[1].Source != VerdictFromWeb || hist[1].Note != "ask counsel" || hist[2].Source != VerdictFromSlack || hist[2].Note != "" {
			t.Errorf("history: %+v", hist)
		}
		if err := s.RecordVerdict(ctx, 99, Verdict{Verdict: "confirmed", User: "ed", At: time.Now()}, VerdictFromWeb, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("verdict on an unknown finding: %v", err)
		}
	})
}

// TestVersionsIndexFollowsEdits checks the triggers: a new version is
// searchable at once, and the index holds each version's own text.
func TestVersionsIndexFollowsEdits(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s, _ := newStore(t)
		at := time.Date(2017, 5, 6, 8, 0, 0, 0, time.UTC)
		a := &article.Article{Source: "lemonde", URL: "https://x/1", GUID: "g1", Title: "Premier titre", Content: "un sondage interdit"}
		r1, err := s.SaveArticle(ctx, a, Fetch{FetchedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		a.Content = "un texte corrigé"
		r2, err := s.SaveArticle(ctx, a, Fetch{FetchedAt: at.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []int64{r1.VersionID, r2.VersionID} {
			f := finding.Finding{ID: "k", Rule: "r", BasisTime: at}
			if _, err := s.SaveFindings(ctx, v, []finding.Finding{f}, nil, at); err != nil {
				t.Fatal(err)
			}
		}
		for text, want := range map[string]int64{"sondage": r1.VersionID, "corrige": r2.VersionID, "premier": 0} {
			rows, _, err := s.ReviewFindings(ctx, FindingQuery{Text: text})
			if err != nil {
				t.Fatal(err)
			}
			if want == 0 && len(rows) != 2 || want != 0 && (len(rows) != 1 || rows[0].VersionID != want) {
				t.Errorf("search %q: %+v", text, rows)
			}
		}
		if rows, total, err := s.ReviewFindings(ctx, FindingQuery{Text: "premier", Limit: 1, Offset: 5}); err != nil || total != 2 || len(rows) != 0 {
			t.Errorf("a search's page past the end: %d %+v %v", total, rows, err)
		}
		vs, err := s.ArticleVersions(ctx, r1.ArticleID)
		if err != nil || len(vs) != 2 || vs[1].Diff == "" {
			t.Errorf("versions: %+v %v", vs, err)
		}
	})
}

func TestAccounts(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s, _ := newStore(t)
		now := time.Date(2017, 5, 6, 8, 0, 0, 0, time.UTC)
		u, err := s.AddUser(ctx, "ed", RoleReviewer, "$argon2id$…", now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddUser(ctx, "ed", RoleAdmin, "h", now); !errors.Is(err, ErrExists) {
			t.Errorf("duplicate name: %v", err)
		}
		if _, err := s.AddUser(ctx, "x", "boss", "h", now); err == nil {
			t.Error("unknown role stored")
		}
		if err := s.AddAPIToken(ctx, u.ID, "tokhash", now); err != nil {
			t.Fatal(err)
		}
		if got, err := s.UserByAPIToken(ctx, "tokhash", now); err != nil || got.Name != "ed" {
			t.Errorf("by token: %+v %v", got, err)
		}
		if err := s.CreateSession(ctx, "sesshash", u.ID, "csrf", now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if se, err := s.SessionByID(ctx, "sesshash", now.Add(59*time.Minute)); err != nil || se.User.Name != "ed" || se.CSRF != "csrf" {
			t.Errorf("session: %+v %v", se, err)
		}
		if _, err := s.SessionByID(ctx, "sesshash", now.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Errorf("expired session: %v", err)
		}
		if n, err := s.DeleteExpiredSessions(ctx, now.Add(time.Hour)); n != 1 || err != nil {
			t.Errorf("expired sessions dropped: %d %v", n, err)
		}
		if err := s.RemoveUser(ctx, "ed"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByAPIToken(ctx, "tokhash", now); !errors.Is(err, ErrNotFound) {
			t.Errorf("token of a removed user: %v", err)
		}
		if err := s.RemoveUser(ctx, "ed"); !errors.Is(err, ErrNotFound) {
			t.Errorf("removing twice: %v", err)
		}
	})
}
