package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

var t0 = time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)

func art(v int64, outlet string, at time.Time, content string) Article {
	return Article{VersionID: v, ArticleID: v, Outlet: outlet, Key: outlet + "/" + content[:10], At: at,
		Segments: []article.Segment{{Field: article.FieldTitle, Text: "Une note"}, {Field: article.FieldContent, Text: content}}}
}

const leaked = "Le trésorier propose de transférer les fonds restants vers le compte de la fondation avant la clôture de l'exercice, sans en informer le comité."

func TestObserve(t *testing.T) {
	x := New(Options{})
	src := art(1, "board", t0, "Voici ce que contient le dossier. "+leaked+" Fin du message.")
	if es := x.Observe(src); len(es) != 0 {
		t.Fatalf("first article: %d edges", len(es))
	}
	// Same outlet: no edge.
	if es := x.Observe(art(2, "board", t0.Add(time.Minute), "Encore une fois. "+leaked)); len(es) != 0 {
		t.Errorf("same outlet: %d edges", len(es))
	}
	edited := strings.Replace(leaked, "restants", "disponibles", 1)
	copyText := "Selon les courriels publiés vendredi, " + edited + " Le parti n'a pas répondu."
	es := x.Observe(art(3, "fringe", t0.Add(time.Hour), copyText))
	if len(es) != 1 {
		t.Fatalf("copy: %d edges, want 1", len(es))
	}
	e := es[0]
	if e.From.VersionID != 1 && e.From.VersionID != 2 || e.To.VersionID != 3 || e.Words < 20 {
		t.Errorf("edge %+v", e)
	}
	if e.ToSpan.Field != article.FieldContent || !strings.Contains(copyText[e.ToSpan.Start:e.ToSpan.End], "fondation") {
		t.Errorf("to span %+v: %q", e.ToSpan, copyText[e.ToSpan.Start:e.ToSpan.End])
	}
	// Unrelated text of the same topic: nothing.
	if es := x.Observe(art(4, "paper", t0.Add(2*time.Hour), "Le trésorier du parti a démenti toute irrégularité dans les comptes de la fondation, selon un communiqué.")); len(es) != 0 {
		t.Errorf("unrelated: %d edges", len(es))
	}
	// Seen late but published before its source: the edge points to it.
	es = x.Observe(art(5, "late", t0.Add(-time.Hour), "Archive: "+leaked))
	if len(es) != 1 || es[0].From.VersionID != 5 {
		t.Errorf("earlier article seen late: %+v", es)
	}
	// Outside the window: nothing.
	if es := x.Observe(art(6, "weekly", t0.Add(80*time.Hour), "Retour sur l'affaire. "+leaked)); len(es) != 0 {
		t.Errorf("after the window: %d edges", len(es))
	}
}

func TestNewVersionReplacesOld(t *testing.T) {
	x := New(Options{})
	a := art(1, "fringe", t0, "Premier jet. "+leaked)
	x.Observe(a)
	a2 := a
	a2.VersionID = 2
	a2.Segments = []article.Segment{{Field: article.FieldContent, Text: "Texte retiré, rien ici de comparable ni de copié."}}
	x.Observe(a2)
	if es := x.Observe(art(3, "paper", t0.Add(time.Hour), "Reprise: "+leaked)); len(es) != 0 {
		t.Errorf("matched a replaced version: %+v", es)
	}
	if s := x.Stats(); s.Articles != 2 {
		t.Errorf("stats %+v, want 2 live articles", s)
	}
}

// TestLevelsAgree: the levels' merges lose nothing: the same article is
// matched whether its source sits in the smallest level or a merged one.
func TestLevelsAgree(t *testing.T) {
	g := generate(7, 50, 600, 0.4)
	x := New(Options{Level0: 8, Fanout: 2})
	var edges []Edge
	for _, a := range g.articles {
		edges = append(edges, x.Observe(a.Article)...)
	}
	s := score(g, edges)
	if s.recall() < 0.9 || s.precision() < 0.95 {
		t.Errorf("small levels: recall %.3f precision %.3f (%+v)", s.recall(), s.precision(), s)
	}
	if st := x.Stats(); len(st.Levels) < 5 {
		t.Errorf("levels %v: the merges were not exercised", st.Levels)
	}
}
