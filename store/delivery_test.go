package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/finding"
)

// storyText is long enough to identify a story across outlets.
var storyText = strings.Repeat("Selon les documents publiés vendredi soir, le trésorier de la campagne aurait demandé un report des factures. ", 4)

func TestThreadsAndSyndication(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		at := t0.Add(time.Hour)
		save := func(source, guid, content string, key string) int64 {
			t.Helper()
			a := testArticle(guid, "https://"+source+".example/"+guid, content)
			a.Source = source
			r, err := s.SaveArticle(ctx, a, fetchAt(at))
			if err != nil {
				t.Fatal(err)
			}
			f := testFinding(key)
			f.Article.Source = source
			stored, err := s.SaveFindings(ctx, r.VersionID, []finding.Finding{f}, routeTo("#c"), at)
			if err != nil {
				t.Fatal(err)
			}
			return stored[0].ID
		}
		alertOf := func(findingID int64) Alert {
			t.Helper()
			as, _ := s.Alerts(ctx)
			for _, a := range as {
				if a.FindingID == findingID {
					return a
				}
			}
			t.Fatalf("no alert for finding %d", findingID)
			return Alert{}
		}

		first := save("lemonde", "g1", storyText, "f1")
		if _, found, err := s.ThreadRoot(ctx, "#c", first, alertOf(first).ID); err != nil || found {
			t.Fatalf("a first alert has no thread: %v %v", found, err)
		}
		if err := s.MarkAlertAttempt(ctx, alertOf(first).ID, at); err != nil {
			t.Fatal(err)
		}
		if a := alertOf(first); !a.AttemptAt.Equal(at) || a.Status != "pending" {
			t.Errorf("attempt not recorded: %+v", a)
		}
		if err := s.MarkAlertDelivered(ctx, alertOf(first).ID, Delivery{TS: "100.1"}, at); err != nil {
			t.Fatal(err)
		}

		// A new version of the same article: same thread.
		edited := save("lemonde", "g1", storyText+" Mise à jour.", "f1")
		th, found, err := s.ThreadRoot(ctx, "#c", edited, alertOf(edited).ID)
		if err != nil || !found || th.RootTS != "100.1" || !th.SameArticle || !th.Repeat {
			t.Fatalf("new version: %+v %v %v", th, found, err)
		}
		// Another rule's finding on the article: same thread, not a repeat.
		other := save("lemonde", "g1", storyText+" Deuxième mise à jour.", "f2")
		th, found, _ = s.ThreadRoot(ctx, "#c", other, alertOf(other).ID)
		if !found || th.RootTS != "100.1" || !th.SameArticle || th.Repeat {
			t.Fatalf("another rule on the article: %+v %v", th, found)
		}
		// The same story at another outlet: grouped, marked as syndication.
		copyID := save("lefigaro", "x9", storyText, "f9")
		th, found, _ = s.ThreadRoot(ctx, "#c", copyID, alertOf(copyID).ID)
		if !found || th.RootTS != "100.1" || th.SameArticle || th.Repeat {
			t.Fatalf("syndicated copy: %+v %v", th, found)
		}
		s.MarkAlertDelivered(ctx, alertOf(copyID).ID, Delivery{TS: "101.1", ThreadTS: "100.1"}, at)
		srcs, err := s.ThreadSources(ctx, "#c", "100.1")
		if err != nil || strings.Join(srcs, ",") != "lefigaro,lemonde" {
			t.Errorf("thread sources %v %v", srcs, err)
		}
		// A short teaser shared by unrelated items does not group.
		teaser := save("liberation", "t1", "Lire la suite.", "f7")
		if _, found, _ := s.ThreadRoot(ctx, "#c", teaser, alertOf(teaser).ID); found {
			t.Error("a short teaser was grouped as syndication")
		}
		// Another channel has its own threads.
		if _, found, _ := s.ThreadRoot(ctx, "#other", edited, alertOf(edited).ID); found {
			t.Error("thread found in another channel")
		}
	})
}

func TestVerdicts(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		r, err := s.SaveArticle(ctx, testArticle("g", "https://x.example/g", "x"), fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.SaveFindings(ctx, r.VersionID, []finding.Finding{testFinding("f")}, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		id := stored[0].ID
		if _, found, _ := s.Verdict(ctx, id); found {
			t.Fatal("verdict before any")
		}
		s.SetVerdict(ctx, id, Verdict{Verdict: "confirmed", User: "U1", At: t0})
		s.SetVerdict(ctx, id, Verdict{Verdict: "false_positive", User: "U2", At: t0.Add(time.Minute)})
		v, found, err := s.Verdict(ctx, id)
		if err != nil || !found || v.Verdict != "false_positive" || v.User != "U2" || !v.At.Equal(t0.Add(time.Minute)) {
			t.Errorf("verdict %+v %v %v", v, found, err)
		}
		if err := s.SetVerdict(ctx, id, Verdict{Verdict: "maybe", User: "U", At: t0}); err == nil {
			t.Error("an unknown verdict must be refused")
		}
	})
}

func TestVerdictHistory(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		r, err := s.SaveArticle(ctx, testArticle("g", "https://x.example/g", "x"), fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.SaveFindings(ctx, r.VersionID, []finding.Finding{testFinding("f")}, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		id := stored[0].ID
		for i, v := range []Verdict{
			{Verdict: "confirmed", User: "U1", Team: "T1", At: t0},
			{Verdict: "false_positive", User: "U2", Team: "T2", At: t0.Add(time.Minute)},
			{Verdict: "acknowledged", User: "U1", Team: "T1", At: t0.Add(2 * time.Minute)},
		} {
			if err := s.SetVerdict(ctx, id, v); err != nil {
				t.Fatalf("verdict %d: %v", i, err)
			}
		}
		hist, err := s.VerdictHistory(ctx, id)
		if err != nil || len(hist) != 3 || hist[1].User != "U2" || hist[1].Team != "T2" || !hist[2].At.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("history %+v %v", hist, err)
		}
		if v, _, _ := s.Verdict(ctx, id); v.Verdict != "acknowledged" || v.Team != "T1" {
			t.Errorf("latest %+v", v)
		}
	})
}

// TestMigrationKeepsVerdicts: a store at migration 4 with a verdict gets
// that verdict as the first entry of its history.
func TestMigrationKeepsVerdicts(t *testing.T) {
	eachBackendRaw(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		path := b.newDSN(t)
		db := b.openRaw(t, path)
		p, err := migrationProvider(db, b.d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 4); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO articles (id, source, first_seen_at) VALUES (1, 's', '2017-05-06T08:00:00.000000000Z')`,
			`INSERT INTO versions (id, article_id, version, text_sha256) VALUES (1, 1, 1, 'x')`,
			`INSERT INTO findings (id, version_id, article_id, finding_key, rule, severity, "window", finding, created_at)
			VALUES (1, 1, 1, 'k', 'r', 'high', 'w', '{}', '2017-05-06T08:00:00.000000000Z')`,
			`INSERT INTO verdicts (finding_id, verdict, "user", at) VALUES (1, 'confirmed', 'U1', '2017-05-06T09:00:00.000000000Z')`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		s := openAt(t, path)
		hist, err := s.VerdictHistory(ctx, 1)
		if err != nil || len(hist) != 1 || hist[0].User != "U1" || hist[0].Verdict != "confirmed" {
			t.Errorf("history after migration %+v %v", hist, err)
		}
	})
}

func TestChannelIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, path := newStore(t)
		ctx := context.Background()
		if err := s.SaveChannelID(ctx, "#alerts", "C0001", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveChannelID(ctx, "#alerts", "C0002", t0); err != nil { // renamed, recreated
			t.Fatal(err)
		}
		if err := s.SaveChannelID(ctx, "#x", "", t0); err == nil {
			t.Error("an empty id was stored")
		}
		s.Close()
		s2, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		ids, err := s2.ChannelIDs(ctx)
		if err != nil || len(ids) != 1 || ids["#alerts"] != "C0002" {
			t.Errorf("ids %v %v", ids, err)
		}
	})
}

func TestDigestsAndRefreshes(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		if _, open, _ := s.OpenDigest(ctx, "#c"); open {
			t.Fatal("a digest before any")
		}
		id, err := s.StartDigest(ctx, "#c", 25, t0)
		if err != nil {
			t.Fatal(err)
		}
		d, open, err := s.OpenDigest(ctx, "#c")
		if err != nil || !open || d.ID != id || d.TS != "" || !d.AttemptAt.Equal(t0) || d.Waiting != 25 {
			t.Fatalf("open digest %+v %v %v", d, open, err)
		}
		if err := s.RetryDigest(ctx, id, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDigestPosted(ctx, id, "100.000001", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDigestPosted(ctx, id, "100.000002", t0); !errors.Is(err, ErrNotPending) {
			t.Errorf("a posted digest's ts was replaced: %v", err)
		}
		d, _, _ = s.OpenDigest(ctx, "#c")
		if d.TS != "100.000001" || !d.PostedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("posted digest %+v", d)
		}
		id2, _ := s.StartDigest(ctx, "#c", 5, t0.Add(2*time.Minute)) // closes the first
		if d, _, _ := s.OpenDigest(ctx, "#c"); d.ID != id2 {
			t.Errorf("open digest %d, want the new %d", d.ID, id2)
		}
		if err := s.CloseDigest(ctx, "#c", t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, open, _ := s.OpenDigest(ctx, "#c"); open {
			t.Error("digest still open after the flood drained")
		}

		// Refreshes: a syndicated reply marks its root, in the same write.
		r, _ := s.SaveArticle(ctx, testArticle("g", "https://x.example/g", "x"), fetchAt(t0))
		stored, _ := s.SaveFindings(ctx, r.VersionID, []finding.Finding{testFinding("f")}, routeTo("#c"), t0)
		r2, _ := s.SaveArticle(ctx, testArticle("h", "https://x.example/h", "y"), fetchAt(t0))
		stored2, _ := s.SaveFindings(ctx, r2.VersionID, []finding.Finding{testFinding("f2")}, routeTo("#c"), t0)
		as, _ := s.Alerts(ctx)
		root, reply := as[0], as[1]
		if err := s.MarkAlertDelivered(ctx, root.ID, Delivery{TS: "200.1"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkAlertAttemptIn(ctx, reply.ID, "200.1", t0); err != nil {
			t.Fatal(err)
		}
		if a, _ := s.AlertByID(ctx, reply.ID); a.AttemptThreadTS != "200.1" {
			t.Errorf("attempt thread %q", a.AttemptThreadTS)
		}
		if err := s.MarkAlertDelivered(ctx, reply.ID, Delivery{TS: "201.1", ThreadTS: "200.1", RefreshRoot: root.ID}, t0); err != nil {
			t.Fatal(err)
		}
		pending, _ := s.PendingRefreshes(ctx)
		if len(pending) != 1 || pending[0].ID != root.ID || pending[0].RefreshSeq == 0 {
			t.Fatalf("pending refreshes %+v", pending)
		}
		seq := pending[0].RefreshSeq
		// A verdict marks it again before the edit is done: the edit done as
		// of seq leaves the newer mark pending.
		if n, err := s.RefreshFinding(ctx, stored[0].ID); err != nil || n != 1 {
			t.Errorf("refresh finding: %d %v", n, err)
		}
		if n, _ := s.RefreshFinding(ctx, stored2[0].ID); n != 0 {
			t.Errorf("a reply in a thread was marked for an edit")
		}
		if err := s.MarkRefreshed(ctx, root.ID, seq); err != nil {
			t.Fatal(err)
		}
		pending, _ = s.PendingRefreshes(ctx)
		if len(pending) != 1 {
			t.Fatalf("the newer mark was lost: %+v", pending)
		}
		s.MarkRefreshed(ctx, root.ID, pending[0].RefreshSeq)
		if pending, _ = s.PendingRefreshes(ctx); len(pending) != 0 {
			t.Errorf("still pending: %+v", pending)
		}
	})
}

// TestMigrationScrubsCredentials: a store written before credentials were
// kept out (user:password in URLs, Authorization in request headers)
// holds none after it is opened.
func TestMigrationScrubsCredentials(t *testing.T) {
	eachBackendRaw(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		path := b.newDSN(t)
		db := b.openRaw(t, path)
		p, err := migrationProvider(db, b.d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, scrubVersion-1); err != nil {
			t.Fatal(err)
		}
		const secret = "s3cr3t"
		for _, q := range []string{
			`INSERT INTO sources (name, url) VALUES ('s', 'https://reader:s3cr3t@feeds.example/rss')`,
			`INSERT INTO sources (name, url) VALUES ('plain', 'https://feeds.example/a@b')`,
			`INSERT INTO articles (id, source, source_url, first_seen_at) VALUES (1, 's', 'https://reader:s3cr3t@feeds.example/rss', '2017-05-06T08:00:00.000000000Z')`,
			`INSERT INTO responses (source, kind, url, final_url, request_headers, status, body_size, sha256, fetched_at)
			VALUES ('s', 'feed', 'https://reader:s3cr3t@feeds.example/rss', 'https://reader:s3cr3t@feeds.example/rss',
			'{"Authorization":["Basic cmVhZGVyOnMzY3IzdA=="],"User-Agent":["sw"]}', 200, 0, 'x', '2017-05-06T08:00:00.000000000Z')`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		s := openAt(t, path)
		var dump strings.Builder
		for _, q := range []string{`SELECT url FROM sources`, `SELECT source_url FROM articles`,
			`SELECT url || final_url || request_headers FROM responses`} {
			rows, err := s.db.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v string
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				dump.WriteString(v + "\n")
			}
			rows.Close()
		}
		got := dump.String()
		if strings.Contains(got, secret) || strings.Contains(got, "cmVhZGVyOnMzY3IzdA") {
			t.Errorf("credentials left after migration:\n%s", got)
		}
		for _, want := range []string{"https://xxxxx@feeds.example/rss", RemovedValue, `"User-Agent":["sw"]`, "https://feeds.example/a@b"} {
			if !strings.Contains(got, want) {
				t.Errorf("after migration, no %q in\n%s", want, got)
			}
		}
	})
}

// routeTo routes every finding to the same channels.
func routeTo(channels ...string) Route {
	return func(*finding.Finding) []string { return channels }
}
