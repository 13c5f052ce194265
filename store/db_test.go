package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
)

// t0 is Saturday 6 May 2017, 10:00 Paris: inside the silence period. The
// odd nanoseconds check that no precision is lost.
var t0 = time.Date(2017, 5, 6, 8, 0, 0, 123456789, time.UTC)

func openAt(t testing.TB, path string) *DB {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testArticle(guid, url, content string) *article.Article {
	return &article.Article{
		Source:      "lemonde",
		SourceURL:   "https://www.lemonde.fr/rss/une.xml",
		URL:         url,
		GUID:        guid,
		Title:       "Présidentielle : la dernière ligne droite",
		Author:      "Service politique",
		Summary:     "Les candidats ont achevé leur campagne.",
		Content:     content,
		Language:    "fr",
		PublishedAt: time.Date(2017, 5, 5, 21, 30, 0, 0, time.FixedZone("CEST", 2*3600)),
		FirstSeenAt: t0.Add(time.Hour), // the crawler's clock; SaveArticle overrides it
	}
}

func fetchAt(at time.Time) Fetch {
	return Fetch{URL: "https://www.lemonde.fr/rss/une.xml", SHA256: [32]byte{1, 2, 3}, FetchedAt: at}
}

func testFinding(id string) finding.Finding {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return finding.Finding{
		ID: id, Rule: "leak-content", Title: "Contents of the leaked documents",
		Severity: config.SeverityCritical, Reference: "CNCCEP communiqué du 6 mai 2017",
		Election: "fr-pres-2017", Round: "round-2", Window: "silence",
		Zones: []string{"metro", "guadeloupe"},
		ZoneWindows: []finding.ZoneWindow{
			{Zone: "metro", ZoneName: "Métropole", TimeZone: "Europe/Paris",
				Start:   time.Date(2017, 5, 6, 0, 0, 0, 0, paris),
				End:     time.Date(2017, 5, 7, 20, 0, 0, 0, paris),
				Elapsed: "10 h 0 min into"},
			{Zone: "guadeloupe", ZoneName: "Guadeloupe", TimeZone: "America/Guadeloupe",
				Start: time.Date(2017, 5, 5, 0, 0, 0, 0, time.FixedZone("AST", -4*3600)), Elapsed: "1 d into"},
		},
		OtherWindows: []string{"fr-pres-2017/round-2/poll-ban"},
		TimeBasis:    "first_seen", BasisTime: t0.In(paris),
		TimeNotes:           []string{"no publication time claimed"},
		BackdatingSuspected: true,
		Article: finding.ArticleRef{URL: "https://www.lemonde.fr/a", Title: "Fuite", Source: "lemonde",
			GUID: "g1", FirstSeenAt: t0},
		Evidence: []finding.Evidence{
			{Kind: "phrase", Field: article.FieldContent, Text: "« MacronLeaks »", Start: 12, End: 30,
				Pattern: "macronleaks", Before: "le mot-dièse", After: "circule"},
			{Kind: "near", Field: article.FieldTitle, Text: "courriels", Start: 0, End: 9,
				Pattern: "courriels NEAR/5 campagne"},
		},
	}
}

// utcTimes puts every time of f in UTC: JSON keeps the instant and the
// offset but not the *time.Location, which is not what is being tested.
func utcTimes(f finding.Finding) finding.Finding {
	f.BasisTime = f.BasisTime.UTC()
	f.Article.PublishedAt = f.Article.PublishedAt.UTC()
	f.Article.FirstSeenAt = f.Article.FirstSeenAt.UTC()
	zw := make([]finding.ZoneWindow, len(f.ZoneWindows))
	for i, w := range f.ZoneWindows {
		w.Start, w.End = w.Start.UTC(), w.End.UTC()
		zw[i] = w
	}
	f.ZoneWindows = zw
	return f
}

func count(t *testing.T, s *DB, table string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenMigratesAndReopens(t *testing.T) {
	eachBackendRaw(t, func(t *testing.T, b backend) {
		s, path := b.newStore(t)
		if !b.d.postgres {
			var mode string
			if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal", mode, err)
			}
			var fk int
			if err := s.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
				t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
			}
		}
		for _, table := range []string{"sources", "events", "articles", "versions", "findings", "alerts", "verdicts"} {
			count(t, s, table) // fails if the table is missing
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// Twice more: re-applying must be a no-op, not an error.
		for range 2 {
			s = openAt(t, path)
			var applied int
			if err := s.db.QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
				t.Fatal(err)
			}
			files, _ := fs.Glob(migrations, "migrations/"+b.d.dir+"/*.sql")
			if applied != len(files)+1 { // and the Go credential scrub
				t.Errorf("goose_db_version has %d applied migrations, want %d", applied, len(files)+1)
			}
			s.Close()
		}
	})
}

// TestMigrationsSameVersions: both dialects have one file per version,
// the same versions, and none at the Go scrub's.
func TestMigrationsSameVersions(t *testing.T) {
	versions := func(dir string) []string {
		files, err := fs.Glob(migrations, "migrations/"+dir+"/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("migrations of %s: %v %v", dir, files, err)
		}
		var out []string
		for _, f := range files {
			v, _, _ := strings.Cut(filepath.Base(f), "_")
			if v == fmt.Sprintf("%05d", scrubVersion) {
				t.Errorf("%s: version %d is the Go credential scrub's", f, scrubVersion)
			}
			out = append(out, v)
		}
		return out
	}
	if lite, pg := versions(sqliteDialect.dir), versions(postgresDialect.dir); !reflect.DeepEqual(lite, pg) {
		t.Errorf("migration versions differ:\nsqlite   %v\npostgres %v", lite, pg)
	}
}

func TestOpenMemory(t *testing.T) {
	s := openAt(t, ":memory:")
	ctx := context.Background()
	if err := s.SaveSourceState(ctx, SourceState{Name: "a", URL: "https://a.example/feed"}); err != nil {
		t.Fatal(err)
	}
	if _, found, err := s.SourceState(ctx, "a"); err != nil || !found {
		t.Fatalf("SourceState = %v, %v; want found", found, err)
	}
}

func TestOpenRejectsBadPath(t *testing.T) {
	for _, p := range []string{"", "x.db?mode=ro"} {
		if _, err := OpenSQLite(context.Background(), p); err == nil || !strings.HasPrefix(err.Error(), "store:") {
			t.Errorf("OpenSQLite(%q) = %v, want a store: error", p, err)
		}
	}
}

func TestSourceStateRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		if _, found, err := s.SourceState(ctx, "never"); err != nil || found {
			t.Fatalf("SourceState(never) = %v, %v; want not found, nil", found, err)
		}
		tests := []struct {
			name string
			st   SourceState
		}{
			{"zero times and nil items", SourceState{Name: "s1", URL: "https://a.example/rss"}},
			{"empty items", SourceState{Name: "s2", URL: "https://b.example/rss", LastItems: []string{}}},
			{"everything", SourceState{
				Name: "s3", URL: "https://c.example/rss", ETag: `W/"abc"`, LastModified: "Sat, 06 May 2017 08:00:00 GMT",
				ConditionalOff: true, Failures: 3,
				LastPollAt: t0, LastSuccessAt: t0.Add(-time.Hour), NextPollAt: t0.Add(90 * time.Second),
				Interval: 90 * time.Second, LastItems: []string{"guid:1", "url:https://c.example/é?x=1"}}},
			{"non-UTC times", SourceState{Name: "s4", URL: "u", LastPollAt: t0.In(time.FixedZone("X", -9*3600-1800))}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.SaveSourceState(ctx, tt.st); err != nil {
					t.Fatal(err)
				}
				got, found, err := s.SourceState(ctx, tt.st.Name)
				if err != nil || !found {
					t.Fatalf("SourceState = %v, %v", found, err)
				}
				want := tt.st
				for _, p := range []*time.Time{&want.LastPollAt, &want.LastSuccessAt, &want.NextPollAt} {
					if !p.IsZero() {
						*p = p.UTC()
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("round trip:\n got %#v\nwant %#v", got, want)
				}
			})
		}
		// An update overwrites every field, back to zero values included.
		if err := s.SaveSourceState(ctx, SourceState{Name: "s3", URL: "https://c.example/rss2"}); err != nil {
			t.Fatal(err)
		}
		got, _, _ := s.SourceState(ctx, "s3")
		if want := (SourceState{Name: "s3", URL: "https://c.example/rss2"}); !reflect.DeepEqual(got, want) {
			t.Errorf("after update: got %#v, want %#v", got, want)
		}
		if err := s.SaveSourceState(ctx, SourceState{}); err == nil {
			t.Error("SaveSourceState without a name succeeded")
		}
	})
}

func TestEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		evs := []Event{
			{Source: "a", Kind: "failing", Detail: "3 failures", At: t0.Add(time.Minute)},
			{Source: "b", Kind: "gap", At: t0},
			{Source: "a", Kind: "recovered", At: t0.Add(2 * time.Minute)},
			{Source: "a", Kind: "gap", Detail: "12 new items", At: t0},
		}
		for _, e := range evs {
			if err := s.AddEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Events(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if want := []Event{evs[3], evs[0], evs[2]}; !reflect.DeepEqual(got, want) {
			t.Errorf("Events(a) =\n%v\nwant\n%v", got, want)
		}
		if all, _ := s.Events(ctx, ""); len(all) != 4 {
			t.Errorf("Events(\"\") returned %d events, want 4", len(all))
		}
	})
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.lemonde.fr/a.html", "https://www.lemonde.fr/a.html"},
		{"HTTPS://WWW.LeMonde.FR/Politique/A.html", "https://www.lemonde.fr/Politique/A.html"},
		{"https://www.lemonde.fr:443/a/", "https://www.lemonde.fr/a"},
		{"http://www.lemonde.fr:80/a", "http://www.lemonde.fr/a"},
		{"http://www.lemonde.fr:443/a", "http://www.lemonde.fr:443/a"},
		{"https://www.lemonde.fr:8443/a", "https://www.lemonde.fr:8443/a"},
		{"https://www.lemonde.fr/a#comments", "https://www.lemonde.fr/a"},
		{"https://x.fr/a?utm_source=rss&id=4&UTM_Medium=x&utm_campaign=y", "https://x.fr/a?id=4"},
		{"https://x.fr/a?utm_source=rss", "https://x.fr/a"},
		{"https://x.fr/a?b=2&a=1", "https://x.fr/a?b=2&a=1"}, // order kept
		{"https://x.fr/", "https://x.fr"},
		{"https://x.fr/caf%C3%A9/", "https://x.fr/caf%C3%A9"},
		{"https://[2001:db8::1]:443/a/", "https://[2001:db8::1]/a"},
		{"  https://x.fr/a  ", "https://x.fr/a"},
		{"", ""},
		{"mailto:Redaction@x.fr", "mailto:Redaction@x.fr"},
		{"%zz not a url", "%zz not a url"},
	}
	for _, tt := range tests {
		if got := normalizeURL(tt.in); got != tt.want {
			t.Errorf("normalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSaveArticle(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		a := testArticle("guid-1", "https://www.lemonde.fr/a.html", "Premier texte.")

		res, err := s.SaveArticle(ctx, a, fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		if !res.New || !res.Changed || res.Version != 1 || res.ArticleID == 0 || res.VersionID == 0 {
			t.Errorf("new article: %+v", res)
		}
		if !a.FirstSeenAt.Equal(t0) {
			t.Errorf("a.FirstSeenAt = %v, want the fetch time %v", a.FirstSeenAt, t0)
		}

		t.Run("same text", func(t *testing.T) {
			again := testArticle("guid-1", "https://www.lemonde.fr/a.html", "Premier texte.")
			again.Author = "someone else" // not part of the text hash
			got, err := s.SaveArticle(ctx, again, fetchAt(t0.Add(time.Minute)))
			if err != nil {
				t.Fatal(err)
			}
			want := SaveResult{ArticleID: res.ArticleID, VersionID: res.VersionID, Version: 1}
			if got != want {
				t.Errorf("unchanged: got %+v, want %+v", got, want)
			}
			if !again.FirstSeenAt.Equal(t0) {
				t.Errorf("FirstSeenAt = %v, want %v", again.FirstSeenAt, t0)
			}
			if n := count(t, s, "versions"); n != 1 {
				t.Errorf("%d versions, want 1", n)
			}
		})

		t.Run("changed text", func(t *testing.T) {
			changed := testArticle("guid-1", "https://www.lemonde.fr/a.html", "Texte mis à jour.")
			got, err := s.SaveArticle(ctx, changed, fetchAt(t0.Add(time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			if got.New || !got.Changed || got.Version != 2 || got.ArticleID != res.ArticleID || got.VersionID == res.VersionID {
				t.Errorf("changed: %+v", got)
			}
			if !changed.FirstSeenAt.Equal(t0) {
				t.Errorf("FirstSeenAt = %v, want the first sighting %v", changed.FirstSeenAt, t0)
			}
			vs, err := s.UnevaluatedVersions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 2 || vs[1].Version != 2 || !vs[1].Article.FirstSeenAt.Equal(t0) {
				t.Errorf("versions: %+v", vs)
			}
		})

		t.Run("moving text between fields is a change", func(t *testing.T) {
			b := testArticle("guid-1", "https://www.lemonde.fr/a.html", "")
			b.Summary, b.Content = "", b.Summary+"Texte mis à jour."
			got, err := s.SaveArticle(ctx, b, fetchAt(t0.Add(2*time.Hour)))
			if err != nil || got.Version != 3 {
				t.Errorf("got %+v, %v; want version 3", got, err)
			}
		})

		t.Run("absurd claimed date", func(t *testing.T) {
			b := testArticle("guid-2", "https://www.lemonde.fr/b.html", "x")
			b.PublishedAt = time.Date(12017, 1, 1, 0, 0, 0, 0, time.UTC)
			if _, err := s.SaveArticle(ctx, b, fetchAt(t0)); err == nil || !strings.HasPrefix(err.Error(), "store:") {
				t.Errorf("SaveArticle = %v, want a store: error", err)
			}
		})
	})
}

func TestSaveArticleDedupeByURL(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		first, err := s.SaveArticle(ctx, testArticle("", "https://www.lemonde.fr/a/?utm_source=rss#top", "x"), fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, guid, url string
			same            bool
		}{
			{"no GUID, same normalised URL", "", "HTTPS://WWW.LEMONDE.FR:443/a?utm_medium=social", true},
			{"GUID that is the URL", "https://www.lemonde.fr/a?utm_campaign=x", "https://www.lemonde.fr/a?utm_campaign=x", true},
			{"no GUID, other URL", "", "https://www.lemonde.fr/b", false},
			{"real GUID, same URL", "tag:lemonde.fr,2017:1", "https://www.lemonde.fr/a", false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.SaveArticle(ctx, testArticle(tt.guid, tt.url, "x"), fetchAt(t0.Add(time.Minute)))
				if err != nil {
					t.Fatal(err)
				}
				if same := got.ArticleID == first.ArticleID; same != tt.same || got.New == tt.same {
					t.Errorf("got %+v (first %+v), want same article %v", got, first, tt.same)
				}
			})
		}
		// Neither GUID nor URL: never merged.
		for range 2 {
			got, err := s.SaveArticle(ctx, testArticle("", "", "x"), fetchAt(t0))
			if err != nil || !got.New {
				t.Errorf("article without GUID or URL: %+v, %v; want a new article each time", got, err)
			}
		}
	})
}

func TestSaveArticleSameGUIDTwoSources(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		a := testArticle("42", "https://www.lemonde.fr/a", "x")
		b := testArticle("42", "https://www.lemonde.fr/a", "x")
		b.Source = "lemonde-international"
		ra, err := s.SaveArticle(ctx, a, fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		rb, err := s.SaveArticle(ctx, b, fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		if !ra.New || !rb.New || ra.ArticleID == rb.ArticleID {
			t.Errorf("same GUID in two sources: %+v and %+v, want two new articles", ra, rb)
		}
	})
}

func TestUnevaluatedVersionsAndSaveFindings(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		a := testArticle("guid-1", "https://www.lemonde.fr/a.html", "Le mot-dièse « MacronLeaks » circule.")
		a.UpdatedAt = time.Date(2017, 5, 6, 9, 0, 0, 0, time.UTC)
		ra, err := s.SaveArticle(ctx, a, fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		b := testArticle("guid-2", "https://www.lemonde.fr/b.html", "Rien à signaler.")
		rb, err := s.SaveArticle(ctx, b, fetchAt(t0.Add(time.Second)))
		if err != nil {
			t.Fatal(err)
		}

		vs, err := s.UnevaluatedVersions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantA := *a
		wantA.PublishedAt, wantA.UpdatedAt, wantA.FirstSeenAt = a.PublishedAt.UTC(), a.UpdatedAt.UTC(), t0
		want := []Version{{ArticleID: ra.ArticleID, VersionID: ra.VersionID, Version: 1, Article: wantA}}
		if len(vs) != 2 || !reflect.DeepEqual(vs[:1], want) || vs[1].VersionID != rb.VersionID {
			t.Fatalf("UnevaluatedVersions =\n%+v\nwant first\n%+v", vs, want)
		}

		channels := []string{"slack:#silence", "console"}
		f := testFinding("9f86d081884c7d65")
		at := t0.Add(5 * time.Second)
		stored, err := s.SaveFindings(ctx, ra.VersionID, []finding.Finding{f}, routeTo(channels...), at)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != 1 || stored[0].ID == 0 || stored[0].VersionID != ra.VersionID ||
			stored[0].ArticleID != ra.ArticleID || !stored[0].CreatedAt.Equal(at) {
			t.Fatalf("SaveFindings = %+v", stored)
		}
		// No finding still marks the version evaluated.
		if got, err := s.SaveFindings(ctx, rb.VersionID, nil, routeTo(channels...), at); err != nil || len(got) != 0 {
			t.Fatalf("SaveFindings(no findings) = %v, %v", got, err)
		}
		if vs, err := s.UnevaluatedVersions(ctx); err != nil || len(vs) != 0 {
			t.Errorf("after SaveFindings, UnevaluatedVersions = %v, %v; want none", vs, err)
		}

		t.Run("twice is a no-op", func(t *testing.T) {
			again, err := s.SaveFindings(ctx, ra.VersionID, []finding.Finding{f}, routeTo(channels...), at.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(again, stored) {
				t.Errorf("second SaveFindings returned\n%+v\nwant\n%+v", again, stored)
			}
			if n := count(t, s, "findings"); n != 1 {
				t.Errorf("%d findings, want 1", n)
			}
			if n := count(t, s, "alerts"); n != 2 {
				t.Errorf("%d alerts, want 2 (one per channel)", n)
			}
			var evaluated string
			s.db.QueryRow(`SELECT evaluated_at FROM versions WHERE id = ?`, ra.VersionID).Scan(&evaluated)
			if want := ts(at); evaluated != want {
				t.Errorf("evaluated_at = %s, want the first evaluation's %s", evaluated, want)
			}
		})

		t.Run("unknown version", func(t *testing.T) {
			_, err := s.SaveFindings(ctx, 9999, []finding.Finding{f}, routeTo(channels...), at)
			if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), "store:") {
				t.Errorf("SaveFindings(9999) = %v, want ErrNotFound", err)
			}
		})

		t.Run("new version alerts again", func(t *testing.T) {
			a2 := *a
			a2.Content += " Mise à jour."
			r2, err := s.SaveArticle(ctx, &a2, fetchAt(t0.Add(time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SaveFindings(ctx, r2.VersionID, []finding.Finding{f}, routeTo(channels[:1]...), at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			all, _ := s.Alerts(ctx)
			if len(all) != 3 || all[2].Key != "9f86d081884c7d65/v2/slack:#silence" {
				t.Errorf("alerts: %+v", all)
			}
		})
	})
}

func TestFindingJSONRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		r, err := s.SaveArticle(ctx, testArticle("g", "https://x.fr/a", "x"), fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		want := []finding.Finding{testFinding("0000000000000001"), testFinding("0000000000000002")}
		want[1].Severity = config.Severity(0) // out of range: must still round-trip
		want[1].Evidence = nil
		want[1].ZoneWindows = nil
		if _, err := s.SaveFindings(ctx, r.VersionID, want, routeTo("console"), t0); err != nil {
			t.Fatal(err)
		}
		got, err := s.Findings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		due, err := s.DueAlerts(ctx, t0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(due) != len(want) {
			t.Fatalf("got %d findings and %d alerts, want %d", len(got), len(due), len(want))
		}
		for i := range want {
			w := utcTimes(want[i])
			if g := utcTimes(got[i].Finding); !reflect.DeepEqual(g, w) {
				t.Errorf("Findings()[%d]:\n got %#v\nwant %#v", i, g, w)
			}
			if g := utcTimes(due[i].Finding.Finding); !reflect.DeepEqual(g, w) {
				t.Errorf("DueAlerts()[%d].Finding:\n got %#v\nwant %#v", i, g, w)
			}
		}
		var sev string
		s.db.QueryRow(`SELECT severity FROM findings WHERE finding_key = ?`, want[0].ID).Scan(&sev)
		if sev != "critical" {
			t.Errorf("severity column = %q, want critical", sev)
		}
	})
}

func TestAlertLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		r, err := s.SaveArticle(ctx, testArticle("g", "https://x.fr/a", "x"), fetchAt(t0))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SaveFindings(ctx, r.VersionID, []finding.Finding{testFinding("aa"), testFinding("bb")},
			routeTo("slack", "console"), t0)
		if err != nil {
			t.Fatal(err)
		}
		ids := func(as []Alert) []int64 {
			var out []int64
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}

		if due, _ := s.DueAlerts(ctx, t0.Add(-time.Nanosecond), 10); len(due) != 0 {
			t.Errorf("due before next_try_at: %v", ids(due))
		}
		due, err := s.DueAlerts(ctx, t0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 4 || due[0].Status != "pending" || due[0].Attempts != 0 || !due[0].NextTryAt.Equal(t0) ||
			due[0].Finding.Finding.ID != "aa" || due[0].Channel != "slack" || due[0].Key != "aa/v1/slack" {
			t.Fatalf("DueAlerts = %+v", due)
		}
		if limited, _ := s.DueAlerts(ctx, t0, 2); !reflect.DeepEqual(ids(limited), ids(due[:2])) {
			t.Errorf("DueAlerts limit 2 = %v, want the oldest two %v", ids(limited), ids(due[:2]))
		}
		sent, retry, failed, untouched := due[0].ID, due[1].ID, due[2].ID, due[3].ID

		if err := s.MarkAlertSent(ctx, sent, "1494057600.000100", t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkAlertRetry(ctx, retry, "slack: 429, retry after 30s", t0.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkAlertFailed(ctx, failed, "slack: channel_not_found", t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}

		if due, _ := s.DueAlerts(ctx, t0.Add(10*time.Second), 10); !reflect.DeepEqual(ids(due), []int64{untouched}) {
			t.Errorf("due at t0+10s = %v, want only %d (retry not yet due, sent and failed never)", ids(due), untouched)
		}
		if due, _ := s.DueAlerts(ctx, t0.Add(time.Hour), 10); !reflect.DeepEqual(ids(due), []int64{retry, untouched}) {
			t.Errorf("due at t0+1h = %v, want %v", ids(due), []int64{retry, untouched})
		}

		all, err := s.Alerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[int64]Alert{}
		for _, a := range all {
			byID[a.ID] = a
		}
		if a := byID[sent]; a.Status != "sent" || a.Attempts != 1 || a.MessageTS != "1494057600.000100" ||
			!a.SentAt.Equal(t0.Add(time.Second)) || !a.NextTryAt.IsZero() {
			t.Errorf("sent alert: %+v", a)
		}
		if a := byID[retry]; a.Status != "pending" || a.Attempts != 1 || a.LastError != "slack: 429, retry after 30s" ||
			!a.NextTryAt.Equal(t0.Add(30*time.Second)) {
			t.Errorf("retried alert: %+v", a)
		}
		if a := byID[failed]; a.Status != "failed" || a.Attempts != 1 || a.LastError != "slack: channel_not_found" {
			t.Errorf("failed alert: %+v", a)
		}

		// Outcomes are final, and unknown alerts are decidable.
		if err := s.MarkAlertRetry(ctx, sent, "x", t0.Add(time.Hour)); !errors.Is(err, ErrNotPending) {
			t.Errorf("retry of a sent alert: %v, want ErrNotPending", err)
		}
		if err := s.MarkAlertSent(ctx, failed, "ts", t0); !errors.Is(err, ErrNotPending) {
			t.Errorf("send of a failed alert: %v, want ErrNotPending", err)
		}
		if err := s.MarkAlertSent(ctx, 9999, "ts", t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown alert: %v, want ErrNotFound", err)
		}
		if due, _ := s.DueAlerts(ctx, t0.Add(24*time.Hour), 0); len(due) != 2 {
			t.Errorf("%d due after the failed marks, want 2", len(due))
		}
	})
}

func TestRestart(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, path := newStore(t)
		ctx := context.Background()
		st := SourceState{Name: "lemonde", URL: "https://www.lemonde.fr/rss/une.xml", ETag: `"e1"`,
			LastPollAt: t0, NextPollAt: t0.Add(time.Minute), Interval: time.Minute, LastItems: []string{"g1"}}
		if err := s.SaveSourceState(ctx, st); err != nil {
			t.Fatal(err)
		}
		if err := s.AddEvent(ctx, Event{Source: "lemonde", Kind: "gap", At: t0}); err != nil {
			t.Fatal(err)
		}
		r1, _ := s.SaveArticle(ctx, testArticle("g1", "https://www.lemonde.fr/1", "un"), fetchAt(t0))
		r2, _ := s.SaveArticle(ctx, testArticle("g2", "https://www.lemonde.fr/2", "deux"), fetchAt(t0))
		if _, err := s.SaveFindings(ctx, r1.VersionID, []finding.Finding{testFinding("aa")}, routeTo("slack"), t0); err != nil {
			t.Fatal(err)
		}
		findings, _ := s.Findings(ctx)
		alerts, _ := s.Alerts(ctx)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s = openAt(t, path)
		if got, found, err := s.SourceState(ctx, "lemonde"); err != nil || !found || !reflect.DeepEqual(got, st) {
			t.Errorf("source state after restart: %+v, %v, %v", got, found, err)
		}
		if evs, _ := s.Events(ctx, "lemonde"); len(evs) != 1 {
			t.Errorf("events after restart: %v", evs)
		}
		if vs, _ := s.UnevaluatedVersions(ctx); len(vs) != 1 || vs[0].VersionID != r2.VersionID {
			t.Errorf("unevaluated after restart: %+v, want version %d", vs, r2.VersionID)
		}
		if got, _ := s.Findings(ctx); !reflect.DeepEqual(got, findings) {
			t.Errorf("findings after restart:\n%+v\nwant\n%+v", got, findings)
		}
		if got, _ := s.Alerts(ctx); !reflect.DeepEqual(got, alerts) {
			t.Errorf("alerts after restart:\n%+v\nwant\n%+v", got, alerts)
		}
		// The crawler resumes: the article it saw before the restart is known.
		if r, err := s.SaveArticle(ctx, testArticle("g1", "https://www.lemonde.fr/1", "un"), fetchAt(t0.Add(time.Hour))); err != nil || r.New || r.Changed {
			t.Errorf("re-seen after restart: %+v, %v", r, err)
		}
	})
}

func TestConcurrentSaveArticle(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		const workers, perWorker = 8, 40
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			news int
		)
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					// Every worker sees the same articles (as overlapping polls
					// would), and half of them with a worker-specific text.
					content := "texte"
					if i%2 == 1 {
						content = fmt.Sprintf("texte du worker %d", w)
					}
					a := testArticle(fmt.Sprintf("g%d", i), fmt.Sprintf("https://x.fr/%d", i), content)
					r, err := s.SaveArticle(ctx, a, fetchAt(t0.Add(time.Duration(w)*time.Second)))
					if err != nil {
						errs <- err
						return
					}
					if r.New {
						mu.Lock()
						news++
						mu.Unlock()
					}
					if err := s.SaveSourceState(ctx, SourceState{Name: fmt.Sprintf("w%d", w), URL: "u", LastPollAt: t0}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if news != perWorker || count(t, s, "articles") != perWorker {
			t.Errorf("%d new results, %d articles; want %d", news, count(t, s, "articles"), perWorker)
		}
		// Even articles: one version. Odd ones: at most one per worker.
		var bad int
		s.db.QueryRow(`SELECT count(*) FROM (SELECT article_id, max(version) m FROM versions GROUP BY article_id HAVING m > ?)`,
			workers).Scan(&bad)
		if bad != 0 || count(t, s, "versions") < perWorker {
			t.Errorf("%d articles with too many versions; %d versions", bad, count(t, s, "versions"))
		}
	})
}

// TestSaveSourceTimes: a batch of times writes the poll times and the
// interval of each source, leaves the rest of its state as it was, and
// saves no source that was never saved.
func TestSaveSourceTimes(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		saved := SourceState{Name: "a", URL: "https://a.example/rss", ETag: `"1"`, LastModified: "lm", Failures: 0,
			LastPollAt: t0, LastSuccessAt: t0, NextPollAt: t0.Add(time.Minute), Interval: time.Minute, LastItems: []string{"g1", "g2"}}
		if err := s.SaveSourceState(ctx, saved); err != nil {
			t.Fatal(err)
		}
		moved := SourceState{Name: "a", LastPollAt: t0.Add(time.Minute), LastSuccessAt: t0.Add(time.Minute),
			NextPollAt: t0.Add(3 * time.Minute), Interval: 2 * time.Minute} // the rest left out: not written
		if err := s.SaveSourceTimes(ctx, []SourceState{moved, {Name: "never", NextPollAt: t0}}); err != nil {
			t.Fatal(err)
		}
		want := saved
		want.LastPollAt, want.LastSuccessAt, want.NextPollAt, want.Interval = moved.LastPollAt, moved.LastSuccessAt, moved.NextPollAt, moved.Interval
		got, _, err := s.SourceState(ctx, "a")
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("after SaveSourceTimes: %#v, %v\nwant %#v", got, err, want)
		}
		if _, found, _ := s.SourceState(ctx, "never"); found {
			t.Error("a source never saved was saved by its times")
		}
	})
}

func BenchmarkSaveSourceState(b *testing.B) {
	eachBackendBench(b, func(b *testing.B, newStore newStoreFunc) {
		s, _ := newStore(b)
		ctx := context.Background()
		items := make([]string, 50)
		for i := range items {
			items[i] = fmt.Sprintf("https://www.lemonde.fr/politique/article/2017/05/06/article-%d.html", i)
		}
		st := SourceState{Name: "lemonde", URL: "https://www.lemonde.fr/rss/une.xml", ETag: `W/"5a0f-1a2b3c"`,
			LastModified: "Sat, 06 May 2017 08:00:00 GMT", LastSuccessAt: t0, Interval: time.Minute, LastItems: items}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			// A poll answered 304: only the poll times move.
			st.LastPollAt = t0.Add(time.Duration(i) * time.Minute)
			st.NextPollAt = st.LastPollAt.Add(time.Minute)
			if err := s.SaveSourceState(ctx, st); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSaveArticleUnchanged(b *testing.B) {
	eachBackendBench(b, func(b *testing.B, newStore newStoreFunc) {
		s, _ := newStore(b)
		ctx := context.Background()
		content := strings.Repeat("Les candidats ont achevé vendredi soir leur campagne. ", 100) // ~5 KB
		a := testArticle("guid-1", "https://www.lemonde.fr/a.html", content)
		if _, err := s.SaveArticle(ctx, a, fetchAt(t0)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r, err := s.SaveArticle(ctx, a, fetchAt(t0.Add(time.Duration(i)*time.Minute)))
			if err != nil || r.Changed {
				b.Fatal(r, err)
			}
		}
	})
}
