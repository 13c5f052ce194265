package leak

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

func TestReadClaimsErrors(t *testing.T) {
	articles := []byte(`{"id":"a1","leak":"none","lang":"en","title":"T","label":"content","text":"The emails show that Smith paid $5m."}
{"id":"a2","leak":"none","lang":"en","title":"T","label":"existence","text":"Emails were hacked."}
`)
	for _, c := range []struct{ claims, want string }{
		{`{"id":"a1","claims":[{"field":"text","quote":"Smith paid $5m"}]}`, ""},
		{`{"id":"zz","claims":[]}`, `claims.jsonl:1: unknown article "zz"`},
		{`{"id":"a2","claims":[]}`, "claims.jsonl:1: a2 is labelled existence, not content"},
		{`{"id":"a1","claims":[{"field":"text","quote":"Jones paid"}]}`, `claims.jsonl:1: a1: quote "Jones paid" is not in its text`},
		{`{"id":"a1","claims":[{"field":"body","quote":"Smith"}]}`, `claims.jsonl:1: a1: field "body" (want title or text)`},
		{"", "content article a1 has no line"},
		{`{"id":"a1","claims":[]}` + "\n" + `{"id":"a1","claims":[]}`, "claims.jsonl:2: a1 has a second line"},
	} {
		corpus, err := parseRealCorpus(articles, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		err = corpus.readClaims([]byte(c.claims))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.claims, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want an error with %q", c.claims, err, c.want)
		}
		if c.want == "" {
			if got := corpus.Articles[0].Claims; len(got) != 1 || got[0] != (ClaimSpan{article.FieldContent, 21, 35}) {
				t.Errorf("claims of a1: %+v", got)
			}
		}
	}
}

// The focus is the sentence that carries the content, not the lede
// about the hack.
func TestFocusIsTheClaimSentence(t *testing.T) {
	ix := Build(nil, Options{Identifiers: []string{"#CampaignLeaks"}, Names: []string{"Jean Dupont"}})
	claim := `Dans un courriel daté du 3 mars, le trésorier écrit à Marie Martin que la facture de 12 000 euros « sera réglée par la société Alpha avant le scrutin ».`
	text := `Des pirates ont publié vendredi des milliers de courriels de l'équipe de Jean Dupont sous le mot-dièse #CampaignLeaks. ` +
		`L'équipe dénonce une opération de déstabilisation. ` + claim + ` Selon les documents, la même société aurait reçu 40 000 euros en février.`
	r := ix.Classify(&article.Article{Title: "Ce que révèlent les courriels", Content: text, Language: "fr"})
	if r.Label != LabelContent {
		t.Fatalf("label %s (%v), want content", r.Label, r.Scores)
	}
	if r.Focus == nil {
		t.Fatal("no focus")
	}
	got := text[r.Focus.Start:r.Focus.End]
	if r.Focus.Field != article.FieldContent || (!strings.Contains(claim, got) && !strings.Contains(got, "aurait reçu")) {
		t.Errorf("focus %q (%+v), want the sentence of a claim", got, r.Focus)
	}
	if strings.Contains(got, "pirates") {
		t.Errorf("focus on the hack: %q", got)
	}
}

func TestReadSecondReviewErrors(t *testing.T) {
	articles := []byte(`{"id":"a1","leak":"none","lang":"en","title":"T","label":"content","text":"The emails show that Smith paid $5m."}
{"id":"a2","leak":"none","lang":"en","title":"T","label":"existence","text":"Emails were hacked."}
`)
	for _, c := range []struct{ review, want string }{
		{`{"id":"a1","label":"content"}` + "\n" + `{"id":"a2","label":"content"}`, ""},
		{`{"id":"zz","label":"content"}`, `second-review.jsonl:1: unknown article "zz"`},
		{`{"id":"a1","label":"contents"}`, `second-review.jsonl:1: a1: unknown label "contents"`},
		{`{"id":"a1","label":"other"}` + "\n" + `{"id":"a1","label":"other"}`, "second-review.jsonl:2: a1 has a second line"},
		{`{"id":"a1",`, "second-review.jsonl:1:"},
	} {
		corpus, err := parseRealCorpus(articles, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		err = corpus.readSecondReview([]byte(c.review))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.review, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want an error with %q", c.review, err, c.want)
		}
		if c.want == "" {
			// a1 agrees, a2 does not: half the same label; the review's
			// content precision 1/2, recall 1.
			ag := corpus.SecondReview(CrossValidation{Predicted: map[string]string{"a1": LabelExistence, "a2": LabelExistence}})
			if ag.Review.Counts[0][0] != 1 || ag.Review.Counts[1][0] != 1 || ag.Review.Precision(LabelContent) != 0.5 || ag.Model.Recall(LabelContent) != 0 {
				t.Errorf("agreement: %+v", ag)
			}
			if s := ag.String(); !strings.Contains(s, "to 2 articles") || !strings.Contains(s, "the same label for 50.0%") {
				t.Errorf("agreement line: %s", s)
			}
		}
	}
}

func TestByLanguage(t *testing.T) {
	corpus, err := parseRealCorpus([]byte(`{"id":"a1","leak":"none","lang":"en","title":"T","label":"content","text":"x"}
{"id":"a2","leak":"none","lang":"fr","title":"T","label":"existence","text":"y"}
{"id":"a3","leak":"none","lang":"fr","title":"T","label":"content","text":"z"}
`), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	ms := corpus.ByLanguage(CrossValidation{Predicted: map[string]string{"a1": LabelContent, "a2": LabelContent, "a3": LabelOther}})
	if ms["en"].Counts[0][0] != 1 || ms["fr"].Counts[1][0] != 1 || ms["fr"].Counts[0][3] != 1 {
		t.Fatalf("matrices: %+v", ms)
	}
	want := "content by language: en (1 articles) precision 1.000, recall 1.000, F1 1.000; fr (2 articles) precision 0.000, recall 0.000, F1 0.000"
	if got := LanguageString(ms); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A reporting construction reports on material in its own sentence,
// not denied, and a word that is also a noun counts only where the verb
// stands, after the reference. Each text below once counted as reporting.
func TestReportingIsAttributed(t *testing.T) {
	ix := Build(nil, Options{Identifiers: []string{"#CampaignLeaks"}, Names: []string{"Jean Dupont"}})
	reporting := func(text string) []string {
		an := ix.analyse(&article.Article{Title: "#CampaignLeaks", Content: text, Language: "fr"})
		var out []string
		for _, e := range an.ev[fReporting] {
			out = append(out, e.text)
		}
		return out
	}
	for _, c := range []struct {
		text string
		want int
	}{
		// A paragraph ends between the verb and the kinds of data.
		{"Il a fallu attendre janvier pour que le scandale de Jean Dupont soit révélé.\n\nDes photos de pièces d'identité et des factures circulent.", 0},
		// Denied.
		{"Les recherches ne semblaient pas indiquer que des documents de Jean Dupont aient été publiés.", 0},
		{"The search did not show that documents of Jean Dupont were published.", 0},
		{"Les documents de Jean Dupont ne montrent pas qu'il a payé.", 0},
		{"Les courriels n'indiquent rien sur Jean Dupont.", 0},
		{"The emails didn't show that Jean Dupont paid.", 0},
		// Nouns: a date, details, a mention.
		{"Jean Dupont a donné la date des courriels piratés.", 0},
		{"Details of the emails of Jean Dupont were not given.", 0},
		{"The mention of the emails of Jean Dupont angered him.", 0},
		// The material named by its disclosure.
		{"Les courriels révélés par WikiLeaks ont fait scandale chez Jean Dupont.", 0},
		{"The files revealed by the site embarrassed Jean Dupont.", 0},
		// Words that only begin like a name of the material: memory, filed.
		{"It was one of the nastiest in recent memory for Jean Dupont.", 0},
		{"Jean Dupont filed a complaint, the court showed.", 0},
		// The verbs, after the reference, in one sentence.
		{"Un courriel daté du 3 mars montre que Jean Dupont a payé la facture.", 1},
		{"The emails detail how Jean Dupont paid the bill.", 1},
		{"Les documents de Jean Dupont indiquent que la facture a été payée.", 1},
		{"Les courriels ont révélé que Jean Dupont a payé la facture.", 1},
		{"The emails revealed that Jean Dupont paid the bill.", 1},
	} {
		if got := reporting(c.text); len(got) < c.want || (c.want == 0 && len(got) > 0) {
			t.Errorf("%q: reporting %q, want %d", c.text, got, c.want)
		}
	}
	// A message detail (a date) is the material's when the reference is in
	// its sentence.
	an := ix.analyse(&article.Article{Title: "#CampaignLeaks", Content: "Jean Dupont a publié ses courriels. Le 3 mars, il était à Lyon.", Language: "fr"})
	if len(an.ev[fMessageDetail]) != 0 {
		t.Errorf("message detail across a sentence: %v", an.ev[fMessageDetail])
	}
}

// sentenceHits finds by binary search what a scan of every hit finds.
func TestSentenceHitsAsScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		n := 5 + rng.IntN(80)
		var sents []wordSpan
		for s := 0; s < n; {
			e := min(n, s+1+rng.IntN(12))
			sents = append(sents, wordSpan{s, e})
			s = e
		}
		sentOf := sentenceOf(sents, n, nil)
		var hits []phraseHit
		for i := 0; i < n; i++ {
			if rng.IntN(6) == 0 {
				hits = append(hits, phraseHit{start: i, end: min(n, i+1+rng.IntN(5))})
			}
		}
		sh := inSentences(hits, sentOf)
		for range 20 {
			s0 := rng.IntN(n)
			s := wordSpan{s0, min(n, s0+1+rng.IntN(6))}
			within := rng.IntN(8)
			near, before := false, false
			for _, h := range hits {
				same := sameSentence(sentOf, s.start, s.end, h.start, h.end)
				near = near || (same && s.near(wordSpan{h.start, h.end}, within))
				before = before || (same && h.end <= s.start && s.start-h.end <= within)
			}
			if sh.near(s, within) != near || sh.before(s, within) != before {
				t.Fatalf("trial %d: span %v within %d in %v, hits %v: near %v before %v, scan %v %v", trial, s, within, sents, hits, sh.near(s, within), sh.before(s, within), near, before)
			}
		}
	}
}

// An article dated only with the disclosure's day (midnight UTC, how a
// date-only page date is read) is not before the leak: it may follow it.
func TestBeforeDisclosureDateOnly(t *testing.T) {
	disclosed := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	ix := Build(nil, Options{Identifiers: []string{"#CampaignLeaks"}, DisclosedAt: disclosed})
	for _, c := range []struct {
		published time.Time
		before    bool
	}{
		{time.Date(2017, 5, 5, 0, 0, 0, 0, time.UTC), false}, // that day, hour unknown
		{time.Date(2017, 5, 4, 0, 0, 0, 0, time.UTC), true},  // the day before
		{time.Date(2017, 5, 5, 14, 0, 0, 0, time.UTC), true}, // that afternoon, before 18:35
		{time.Date(2017, 5, 5, 19, 0, 0, 0, time.UTC), false},
	} {
		an := ix.analyse(&article.Article{Title: "#CampaignLeaks", Content: "Des courriels ont été publiés.", PublishedAt: c.published})
		if got := an.x[fBeforeDisclosure] > 0; got != c.before {
			t.Errorf("published %v: before the disclosure %v, want %v", c.published, got, c.before)
		}
	}
}

// A signal without spans says what it measured in words, its scaling
// undone.
func TestMeasure(t *testing.T) {
	for _, c := range []struct {
		f    int
		x    float64
		want string
	}{
		{fClaimDensity, 1.25, "phrases of what the material says someone did: 1.2 per 100 words"},
		{fEventDensity, 0.5, "phrases of the hack, the trial, the reactions: 1.0 per 100 words"},
		{fNameDensity, densityCap, "distinct capitalised names: 15.0 or more per 100 words"},
		{fPastYears, 2, "past_years 2"},
	} {
		if got := measure(c.f, c.x); got != c.want {
			t.Errorf("measure(%s, %v) = %q, want %q", featureNames[c.f], c.x, got, c.want)
		}
	}
}
