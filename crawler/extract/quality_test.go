package extract

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/markusmobius/go-trafilatura"
)

// fixture is one page under testdata/ with its human-annotated body
// (name.txt), what a feed said about it and what Extract must find.
type fixture struct {
	name        string // testdata/<name>.html and .txt
	contentType string
	url         string
	feed        Feed

	extractor     string
	published     string // RFC 3339, UTC, to the minute; "" for zero
	publishedFrom string
	modified      string
	modifiedFrom  string
	// absent must not appear in the text: other stories' headlines,
	// comments, cookie and paywall prompts.
	absent []string
	// minF1 is the floor for the chain's shingle F1 against the .txt.
	minF1 float64
}

var markup = regexp.MustCompile(`<[a-zA-Z/!]|&[a-z]+;|&#`)

func feedDate(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// leakTerms are the leak's names that related-story boxes carry.
var leakTerms = []string{"MacronLeaks", "courriels piratés", "Courriels piratés", "hacked emails", "Hacked emails"}

var fixtures = []fixture{
	{
		name: "fr_lire_aussi", contentType: "text/html; charset=utf-8",
		url: "https://www.quotidien-francilien.example/transports/article/2017/05/06/rer-b-trafic-interrompu-week-end_5123456.html",
		feed: Feed{
			Title:       "RER B : le trafic interrompu tout le week-end entre Gare du Nord et Aulnay",
			Content:     "<p>Des travaux de renouvellement des voies privent les voyageurs du RER B de trains entre Paris et la Seine-Saint-Denis.</p>",
			PublishedAt: feedDate("2017-05-06T07:50:00Z"),
		},
		extractor: ExtractorTrafilatura,
		published: "2017-05-06T07:47:00Z", publishedFrom: FromPublishedMeta,
		modified: "2017-05-06T09:02:00Z", modifiedFrom: FromModifiedMeta,
		absent: append([]string{"Lire aussi", "312 partenaires", "Partager sur", "Mentions légales", "Ligne 13"}, leakTerms...),
		minF1:  0.95,
	},
	{
		name: "en_related_box", contentType: "text/html",
		url:       "https://www.dailyledger.example/politics/2017/may/05/local-elections-2017-conservatives-gain-ukip-collapse?CMP=rss",
		extractor: ExtractorTrafilatura,
		published: "2017-05-05T17:42:00Z", publishedFrom: FromJSONLD,
		modified: "2017-05-05T20:08:00Z", modifiedFrom: FromJSONLD,
		absent: append([]string{"Related", "Most viewed", "cookies", "Sign up", "Reuse this content", "Photograph"}, leakTerms...),
		minF1:  0.95,
	},
	{
		name: "fr_blog_comments", contentType: "text/html; charset=UTF-8",
		url:       "https://potager-marion.example/2017/05/06/semis-de-tomates-erreurs/",
		feed:      Feed{Content: "Il y a trois ans, j'ai semé mes premières tomates sur le rebord d'une fenêtre exposée plein nord. [&#8230;]"},
		extractor: ExtractorTrafilatura,
		published: "2017-05-06T09:05:00Z", publishedFrom: FromJSONLD,
		modified: "2017-05-07T06:20:00Z", modifiedFrom: FromJSONLD,
		absent: append([]string{"Jeannot", "LED", "Bahamas", "Laisser un commentaire", "Articles récents", "WordPress"}, leakTerms...),
		minF1:  0.98,
	},
	{
		name: "en_paywall", contentType: "text/html; charset=utf-8",
		url:       "https://www.register.example/technology/europe-cyber-agencies-election-hack",
		feed:      Feed{Content: "Officials in Berlin and Paris say the tools used against the DNC are being turned on European campaigns."},
		extractor: ExtractorTrafilatura,
		published: "2017-05-04T06:00:00Z", publishedFrom: FromPublishedMeta,
		modified: "2017-05-04T06:00:00Z", modifiedFrom: FromModifiedMeta,
		absent: append([]string{"membership", "Subscribe", "Already a member", "Unlimited digital access", "Recommended"}, leakTerms...),
		minF1:  0.95,
	},
	{
		// A static file server labels every .html file UTF-8.
		name: "fr_latin1_meta", contentType: "text/html; charset=utf-8",
		url:       "http://www.petit-heraultais.example/sete/port/thon-rouge-fermeture.html",
		extractor: ExtractorTrafilatura,
		published: "2017-05-06T05:15:00Z", publishedFrom: FromPublishedMeta,
		absent: []string{"\uFFFD", "Ã", "cookies", "Les plus lus", "Imprimer"},
		minF1:  0.95, // trafilatura keeps the section label and the signature line
	},
	{
		name: "fr_cp1252_httpequiv", contentType: "",
		url:       "http://oeil-du-nord.blogs.example/2017/05/05/marche/",
		extractor: ExtractorTrafilatura,
		published: "2017-05-05T17:20:00Z", publishedFrom: FromMicrodata,
		absent: []string{"\uFFFD", "Ã", "Billets récents", "Posté par"},
		minF1:  0.98,
	},
	{
		name: "en_time_only", contentType: "text/html; charset=utf-8",
		url:       "https://fieldnotes.example/2017/05/06/polling-station-volunteer/",
		feed:      Feed{Title: "Notes from a polling station volunteer", PublishedAt: feedDate("2017-05-06T07:20:00Z")},
		extractor: ExtractorTrafilatura,
		published: "2017-05-06T07:15:00Z", publishedFrom: FromTimeElement,
		absent: []string{"May Day", "Recent posts", "Webmentions", "Tweet", "Jekyll"},
		minF1:  0.98,
	},
	{
		name: "fr_no_date", contentType: "text/html; charset=utf-8",
		url: "https://www.montreuil-sur-loire.example/demarches/elections/pieces-a-presenter",
		feed: Feed{
			Content:     "Carte d'électeur, pièce d'identité, procuration : ce qu'il faut savoir avant d'aller voter.",
			PublishedAt: feedDate("2017-05-05T16:12:45+02:00"),
		},
		extractor: ExtractorTrafilatura,
		published: "2017-05-05T14:12:00Z", publishedFrom: FromFeed,
		absent: []string{"cookies", "Gérer mes préférences", "Mes démarches", "Imprimer", "Plan du site"},
		minF1:  0.92, // trafilatura keeps the contact box and drops a subheading
	},
	{
		name: "fr_js_shell", contentType: "text/html; charset=utf-8",
		url: "https://www.info-limousin.example/politique/gueret-dernier-meeting",
		feed: Feed{
			Title: "Présidentielle : à Guéret, un dernier meeting devant deux cents fidèles",
			Content: "<p>Devant environ deux cents militants réunis vendredi soir salle André-Lejeune, le député de la circonscription a tenu le dernier meeting de la campagne dans la Creuse, quelques heures avant l'entrée en vigueur de la période de réserve.</p>" +
				"<p>Pendant près d'une heure, il a défendu le bilan de son camp sur la ruralité et les services publics, promettant le maintien des lignes ferroviaires régionales et de la maternité de Guéret.</p>" +
				"<p>Les militants ont ensuite distribué leurs derniers tracts sur le marché couvert, avant de ranger les affiches : à partir de minuit, plus aucune propagande n'était autorisée.</p>",
			PublishedAt: feedDate("2017-05-05T21:48:30Z"),
		},
		extractor: ExtractorFeed,
		published: "2017-05-05T21:48:00Z", publishedFrom: FromFeed,
		absent: []string{"JavaScript", "APOLLO", "Info Limousin"},
		minF1:  0.99,
	},
	{
		name: "en_odd_structure", contentType: "text/html; charset=utf-8",
		url:       "https://electionwatch.example/france/overseas-territories-vote-early",
		extractor: ExtractorReadability,
		published: "2017-05-06T17:05:00Z", publishedFrom: FromPublishedMeta,
		modified: "2017-05-06T17:40:00Z", modifiedFrom: FromModifiedMeta,
		absent: append([]string{"Also on Election Watch", "38 shares", "Comments"}, leakTerms...),
		minF1:  0.98,
	},
	{
		// The article is about the guidance: its own mentions stay.
		name: "fr_guidance_jsonld", contentType: "text/html; charset=utf-8",
		url:       "https://www.actu-nationale.example/politique/macronleaks-commission-controle-medias-7789.html",
		extractor: ExtractorTrafilatura,
		published: "2017-05-06T08:21:00Z", publishedFrom: FromJSONLD,
		modified: "2017-05-06T10:47:00Z", modifiedFrom: FromJSONLD,
		absent: []string{"À lire aussi", "premier tour", "cookies", "À la une", "Mots-clés"},
		minF1:  0.98,
	},
	{
		// Unzoned page times: the feed's zoned date wins.
		name: "en_naive_dates", contentType: "text/html; charset=utf-8",
		url:       "https://eubriefing.example/policy/digital-single-market-review",
		feed:      Feed{PublishedAt: feedDate("2017-05-06T10:30:59+02:00"), UpdatedAt: feedDate("2017-05-06T11:45:00+02:00")},
		extractor: ExtractorTrafilatura,
		published: "2017-05-06T08:30:00Z", publishedFrom: FromFeed,
		modified: "2017-05-06T09:45:00Z", modifiedFrom: FromFeed,
		absent: []string{"Share:", "Advertise", "Subscribe"},
		minF1:  0.95, // trafilatura keeps the "Posted" line
	},
}

func readFixture(t testing.TB, name string) (html []byte, body string) {
	t.Helper()
	h, err := os.ReadFile(filepath.Join("testdata", name+".html"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return h, string(b)
}

// TestExtractFixtures checks each page's text against its annotated body
// and the times against what the page (or the feed) says.
func TestExtractFixtures(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			page, want := readFixture(t, f.name)
			res, err := Extract(page, f.contentType, f.url, f.feed)
			if err != nil {
				t.Fatal(err)
			}
			if res.Extractor != f.extractor {
				t.Errorf("Extractor = %q, want %q (notes %q)", res.Extractor, f.extractor, res.Notes)
			}
			checkTime(t, "published", res.PublishedAt, res.PublishedFrom, f.published, f.publishedFrom)
			checkTime(t, "modified", res.ModifiedAt, res.ModifiedFrom, f.modified, f.modifiedFrom)
			for _, s := range f.absent {
				if strings.Contains(res.Text, s) {
					t.Errorf("text contains %q", s)
				}
			}
			if markup.MatchString(res.Text) {
				t.Errorf("text contains markup:\n%s", res.Text)
			}
			if got := shingleF1(want, res.Text, 3); got < f.minF1 {
				t.Errorf("shingle F1 = %.3f, want >= %.2f; text:\n%s", got, f.minF1, res.Text)
			}
		})
	}
}

func checkTime(t *testing.T, what string, got time.Time, gotFrom, want, wantFrom string) {
	t.Helper()
	var w time.Time
	if want != "" {
		w = feedDate(want)
	}
	if !got.Equal(w) || gotFrom != wantFrom {
		t.Errorf("%s = %v from %q, want %v from %q", what, got, gotFrom, w, wantFrom)
	}
	if !got.IsZero() && (got.Location() != time.UTC || got.Second() != 0 || got.Nanosecond() != 0) {
		t.Errorf("%s = %v, want UTC to the minute", what, got)
	}
}

// TestChainNeverWorse compares, page by page, the chain with each library
// used alone the way its documentation shows (raw bytes in, its own
// charset detection and text out): the chain must never score lower than
// go-trafilatura alone. The table is logged (go test -v -run NeverWorse).
func TestChainNeverWorse(t *testing.T) {
	var table strings.Builder
	fmt.Fprintf(&table, "%-22s %6s %6s %6s   %-12s %s\n", "page (shingle F1, n=3)", "chain", "traf.", "read.", "extractor", "leak headline kept by")
	var sum [3]float64
	for _, f := range fixtures {
		page, want := readFixture(t, f.name)
		res, err := Extract(page, f.contentType, f.url, f.feed)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(f.url)
		texts := [3]string{res.Text, trafilaturaAlone(page, u), readabilityAlone(page, u)}
		var scores [3]float64
		var leaky []string
		for i, text := range texts {
			scores[i] = shingleF1(want, text, 3)
			sum[i] += scores[i]
			if !strings.Contains(want, "MacronLeaks") && containsAny(text, leakTerms) {
				leaky = append(leaky, [3]string{"chain", "trafilatura", "readability"}[i])
			}
		}
		fmt.Fprintf(&table, "%-22s %6.3f %6.3f %6.3f   %-12s %s\n", f.name, scores[0], scores[1], scores[2], res.Extractor, strings.Join(leaky, ", "))
		if scores[0] < scores[1] {
			t.Errorf("%s: chain F1 %.3f < trafilatura alone %.3f", f.name, scores[0], scores[1])
		}
	}
	n := float64(len(fixtures))
	fmt.Fprintf(&table, "%-22s %6.3f %6.3f %6.3f\n", "mean", sum[0]/n, sum[1]/n, sum[2]/n)
	t.Log("\n" + table.String())
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// trafilaturaAlone is go-trafilatura's text for page with the chain's
// options.
func trafilaturaAlone(page []byte, u *url.URL) string {
	r, err := trafilatura.Extract(bytes.NewReader(page), trafilaturaOptions(u))
	if err != nil {
		return ""
	}
	return r.ContentText
}

// readabilityAlone is go-readability's text for page.
func readabilityAlone(page []byte, u *url.URL) string {
	a, err := readability.FromReader(bytes.NewReader(page), u)
	if err != nil || a.Node == nil {
		return ""
	}
	var b strings.Builder
	if a.RenderText(&b) != nil {
		return ""
	}
	return b.String()
}

// shingleF1 is the F1 of pred against truth over word n-grams counted as
// multisets (tokens are runs of letters, digits and underscores, as in the
// article-extraction benchmarks). An empty prediction scores 0.
func shingleF1(truth, pred string, n int) float64 {
	t, p := shingles(truth, n), shingles(pred, n)
	var tp, nt, np int
	for k, c := range t {
		tp += min(c, p[k])
		nt += c
	}
	for _, c := range p {
		np += c
	}
	if tp == 0 {
		return 0
	}
	precision, recall := float64(tp)/float64(np), float64(tp)/float64(nt)
	return 2 * precision * recall / (precision + recall)
}

func TestShingleF1(t *testing.T) {
	tests := []struct {
		name        string
		truth, pred string
		want        float64
	}{
		{"identical", "a b c d", "a b c d", 1},
		{"empty prediction", "a b c d", "", 0},
		{"punctuation and spacing ignored", "a, b c.\n\nd", "a b  c d", 1},
		{"one shingle in three", "a b c d e", "a b c x y", 1.0 / 3},
		{"repeats count once each", "a b c a b c", "a b c", 2 * 1 * 0.25 / 1.25},
	}
	for _, tt := range tests {
		if got := shingleF1(tt.truth, tt.pred, 3); fmt.Sprintf("%.6f", got) != fmt.Sprintf("%.6f", tt.want) {
			t.Errorf("%s: shingleF1 = %v, want %v", tt.name, got, tt.want)
		}
	}
}
