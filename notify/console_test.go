package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// TestConsoleMarksFollowUps delivers through the outbox to the console: a
// new version of an alerted article, another rule's finding on it, a copy
// of its story at another outlet and its deletion print as follow-ups,
// each with its lead, and only the first as a new alert.
func TestConsoleMarksFollowUps(t *testing.T) {
	st, _ := openStore(t)
	ctx := context.Background()
	var out strings.Builder
	o := newOutbox(t, st, &Console{W: &out}, &logBuffer{})
	story := strings.Repeat("Selon les courriels publiés vendredi soir, le trésorier de la campagne aurait demandé un report des factures. ", 4)
	save := func(source, guid, content, findingID, rule string) {
		t.Helper()
		a := &article.Article{Source: source, GUID: guid, URL: "https://" + source + ".example/" + guid, Title: "Titre " + guid, Content: content, FirstSeenAt: time.Now()}
		r, err := st.SaveArticle(ctx, a, store.Fetch{FetchedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		f := sampleFinding(findingID, source, a.Title, config.SeverityHigh)
		f.Rule = rule
		if _, err := st.SaveFindings(ctx, r.VersionID, []finding.Finding{f}, routeTo(ConsoleChannel), time.Now()); err != nil {
			t.Fatal(err)
		}
		deliverAll(t, o, st)
	}
	save("lemonde", "g1", story, "f1", "leak-content")
	save("lemonde", "g1", story+" Mise à jour.", "f1", "leak-content")                                   // new version
	save("lemonde", "g1", story+" Deuxième mise à jour.", "f2", "leak-quote")                            // another rule
	save("lefigaro", "x9", story+" Deuxième mise à jour.", "f9", "leak-content")                         // the same story
	if _, err := st.QueueArticleAlert(ctx, 1, "deleted", "HTTP 410", "gone-1", time.Now()); err != nil { // its deletion
		t.Fatal(err)
	}
	deliverAll(t, o, st)

	var leads []string
	for _, msg := range strings.Split(strings.TrimSpace(out.String()), "\n  finding ") {
		line, _, _ := strings.Cut(strings.TrimLeft(msg, "0123456789abcdef\n"), "\n")
		lead, _, _ := strings.Cut(line, "  ")
		leads = append(leads, lead)
	}
	want := []string{"HIGH", "updated: HIGH", "same article: HIGH", "same story: HIGH", "updated: deleted: Titre g1 (lemonde)"}
	if strings.Join(leads, " | ") != strings.Join(want, " | ") {
		t.Errorf("console printed, by message:\n  %s\nwant:\n  %s\n\n%s", strings.Join(leads, "\n  "), strings.Join(want, "\n  "), out.String())
	}
}

// TestConsoleShowsTimesBeside: with a second zone, each time of an alert
// shows also in it, when its clock reads differently.
func TestConsoleShowsTimesBeside(t *testing.T) {
	antilles, _ := time.LoadLocation("America/Martinique")
	f := sampleFinding("7df14393d1296523", "echoantilles", "Titre", config.SeverityHigh)
	f.ZoneWindows[0].TimeZone = "America/Martinique"
	f.Article.PublishedAt = time.Date(2017, 5, 5, 14, 50, 0, 0, antilles)
	f.Article.FirstSeenAt = time.Date(2017, 5, 5, 18, 30, 0, 0, antilles)
	var out strings.Builder
	c := newConsole(&ConsoleWriter{W: &out, Beside: Beside{Loc: paris, Name: "Paris"}})
	if _, err := c.Post(context.Background(), ConsoleChannel, Alert(storedFinding(45, f), false, nil, nil)); err != nil {
		t.Fatal(err)
	}
	want := "published Fri 05 May 14:50 AST (20:50 Paris), first seen Fri 05 May 18:30 AST (Sat 00:30 Paris)"
	if !strings.Contains(out.String(), want) {
		t.Errorf("console printed:\n%s\nwant a line with %q", out.String(), want)
	}
	// In Paris's own zone, nothing beside.
	f.ZoneWindows[0].TimeZone = "Europe/Paris"
	out.Reset()
	c.Post(context.Background(), ConsoleChannel, Alert(storedFinding(46, f), false, nil, nil))
	if strings.Contains(out.String(), "Paris)") || !strings.Contains(out.String(), "published Fri 05 May 20:50 CEST,") {
		t.Errorf("a Paris-time alert printed:\n%s", out.String())
	}
}
