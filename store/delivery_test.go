package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/rules"
)

// storyText is long enough to identify a story across outlets.
var storyText = strings.Repeat("Selon les documents publiés vendredi soir, le trésorier de la campagne aurait demandé un report des factures. ", 4)

func TestThreadsAndSyndication(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	at := t0.Add(time.Hour)
	save := func(source, guid, content string, finding string) int64 {
		t.Helper()
		a := testArticle(guid, "https://"+source+".example/"+guid, content)
		a.Source = source
		r, err := s.SaveArticle(ctx, a, fetchAt(at))
		if err != nil {
			t.Fatal(err)
		}
		f := testFinding(finding)
		f.Article.Source = source
		stored, err := s.SaveFindings(ctx, r.VersionID, []rules.Finding{f}, To("#c"), at)
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
	if err != nil || !found || th.RootTS != "100.1" || !th.SameArticle {
		t.Fatalf("new version: %+v %v %v", th, found, err)
	}
	// The same story at another outlet: grouped, marked as syndication.
	copyID := save("lefigaro", "x9", storyText, "f9")
	th, found, _ = s.ThreadRoot(ctx, "#c", copyID, alertOf(copyID).ID)
	if !found || th.RootTS != "100.1" || th.SameArticle {
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
}

func TestVerdicts(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	r, err := s.SaveArticle(ctx, testArticle("g", "https://x.example/g", "x"), fetchAt(t0))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.SaveFindings(ctx, r.VersionID, []rules.Finding{testFinding("f")}, nil, t0)
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
}
