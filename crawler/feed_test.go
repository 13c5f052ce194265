package crawler

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

var firstSeen = time.Date(2024, 6, 8, 22, 0, 0, 0, time.UTC)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkArticle reports every field of got that differs from want.
func checkArticle(t *testing.T, i int, got, want article.Article) {
	t.Helper()
	str := func(field, g, w string) {
		if g != w {
			t.Errorf("item %d %s:\n got %q\nwant %q", i, field, g, w)
		}
	}
	tm := func(field string, g, w time.Time) {
		if !g.Equal(w) || g.IsZero() != w.IsZero() {
			t.Errorf("item %d %s: got %v, want %v", i, field, g, w)
		}
	}
	str("Source", got.Source, want.Source)
	str("SourceURL", got.SourceURL, want.SourceURL)
	str("URL", got.URL, want.URL)
	str("GUID", got.GUID, want.GUID)
	str("Title", got.Title, want.Title)
	str("Author", got.Author, want.Author)
	str("Summary", got.Summary, want.Summary)
	str("Content", got.Content, want.Content)
	str("Language", got.Language, want.Language)
	tm("PublishedAt", got.PublishedAt, want.PublishedAt)
	tm("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	tm("FirstSeenAt", got.FirstSeenAt, want.FirstSeenAt)
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// latin1Item is the one item of both ISO-8859-1 feeds.
func latin1Item(feedURL string) article.Article {
	return article.Article{
		SourceURL:   feedURL,
		URL:         "https://echo-departement.example/reunion.html",
		GUID:        "https://echo-departement.example/reunion.html",
		Title:       "Élection : réunion publique à Saint-Étienne",
		Summary:     "Le député sortant s'est exprimé « sans détour » devant 300 électeurs.",
		Language:    "fr",
		PublishedAt: utc("2024-06-08T18:00:00+02:00"),
		FirstSeenAt: firstSeen,
	}
}

func TestParseFeed(t *testing.T) {
	const (
		rssURL   = "https://www.quotidien-du-soir.example/rss/politique.xml"
		atomURL  = "https://gazette.example/atom.xml"
		jsonURL  = "https://blog-electoral.example/feed.json"
		latinURL = "https://echo-departement.example/rss"
	)
	tests := []struct {
		name        string
		file        string
		contentType string
		feedURL     string
		title, lang string
		items       []article.Article
	}{
		{
			name:        "RSS 2.0 French feed",
			file:        "rss_fr.xml",
			contentType: "application/rss+xml; charset=utf-8",
			feedURL:     rssURL,
			title:       "Le Quotidien du Soir – Politique",
			lang:        "fr",
			items: []article.Article{
				{
					SourceURL: rssURL,
					// Relative link resolved against the feed URL, fragment dropped.
					URL:     "https://www.quotidien-du-soir.example/politique/article/2024/06/08/sondage-ecart_123456.html",
					GUID:    "lqs-123456",
					Title:   "Sondage : l’écart se resserre à la veille du scrutin",
					Author:  "Marie Dupont",
					Summary: "Selon une enquête publiée samedi soir, l’écart entre les deux listes se resserre.\n\nLes instituts restent prudents & nuancés.",
					Content: "Un écart de deux points\n\nLa liste arrivée en tête obtiendrait 31 % des intentions de vote.\n\n" +
						"Ligne un\nligne deux\n\nNouveau paragraphe.\n\nPremier point\n\nSecond point",
					Language:    "fr",
					PublishedAt: utc("2024-06-08T23:30:00+02:00"),
					FirstSeenAt: firstSeen,
				},
				{
					SourceURL:   rssURL,
					URL:         "https://www.quotidien-du-soir.example/en/brexit-five-years.html",
					GUID:        "https://www.quotidien-du-soir.example/en/brexit-five-years.html", // no guid: the URL
					Title:       "Brexit, five years on",
					Author:      "La Rédaction",
					Summary:     "Plain text summary with an ampersand & a bold word.", // double-escaped HTML
					Language:    "en",                                                  // item dc:language wins
					FirstSeenAt: firstSeen,
				},
				{
					SourceURL:   rssURL,
					URL:         "https://www.quotidien-du-soir.example/politique/resultats-carte.html",
					GUID:        "https://www.quotidien-du-soir.example/politique/resultats-carte.html",
					Title:       "Résultats : carte interactive",
					Summary:     "Liste A 31,4\n\nListe B 29,0", // noscript dropped, cells apart
					Language:    "fr",
					PublishedAt: utc("2024-06-09T20:00:00+02:00"),
					FirstSeenAt: firstSeen,
				},
			},
		},
		{
			name:        "Atom feed",
			file:        "atom.xml",
			contentType: "application/atom+xml",
			feedURL:     atomURL,
			title:       "La Gazette régionale",
			lang:        "fr",
			items: []article.Article{
				{
					SourceURL:   atomURL,
					URL:         "https://gazette.example/2024/06/meeting-final",
					GUID:        "tag:gazette.example,2024:meeting-final",
					Title:       "Meeting final à Liège",
					Author:      "Luc Peeters, Anne Jacobs",
					Summary:     "Le candidat a réuni ses partisans.",
					Content:     "Premier paragraphe.\n\nSecond paragraphe avec un lien.",
					Language:    "fr",
					PublishedAt: utc("2024-06-08T21:55:00+02:00"),
					UpdatedAt:   utc("2024-06-08T22:05:00+02:00"),
					FirstSeenAt: firstSeen,
				},
				{
					SourceURL:   atomURL,
					GUID:        "tag:gazette.example,2024:breve-42",
					Title:       "Brève sans lien",
					Summary:     "Texte brut.",
					Language:    "fr",
					PublishedAt: utc("2024-06-08T22:00:00Z"), // gofeed falls back to <updated>
					UpdatedAt:   utc("2024-06-08T22:00:00Z"),
					FirstSeenAt: firstSeen,
				},
			},
		},
		{
			name:        "JSON Feed",
			file:        "feed.json",
			contentType: "application/feed+json",
			feedURL:     jsonURL,
			title:       "Le Blog Électoral",
			lang:        "fr",
			items: []article.Article{
				{
					SourceURL:   jsonURL,
					URL:         "https://blog-electoral.example/p/42",
					GUID:        "https://blog-electoral.example/p/42",
					Title:       "Projection à 20 h",
					Author:      "Paul Martin",
					Summary:     "Les premières estimations.",
					Content:     "Les premières estimations tomberont à 20 h.\n\nRestez connectés.",
					Language:    "fr",
					PublishedAt: utc("2024-06-09T19:45:00+02:00"),
					UpdatedAt:   utc("2024-06-09T19:50:00+02:00"),
					FirstSeenAt: firstSeen,
				},
				{
					SourceURL:   jsonURL,
					URL:         "https://blog-electoral.example/p/43",
					GUID:        "note-43",
					Title:       "Note brève",
					Content:     "Première ligne suite de la ligne.\n\nDeuxième paragraphe.", // content_text
					Language:    "fr",
					FirstSeenAt: firstSeen,
				},
			},
		},
		{
			name:        "ISO-8859-1, encoding in prolog, no header charset",
			file:        "rss_latin1_prolog.xml",
			contentType: "text/xml",
			feedURL:     latinURL,
			title:       "L'Écho du Département",
			lang:        "fr",
			items:       []article.Article{latin1Item(latinURL)},
		},
		{
			name:        "ISO-8859-1, encoding in prolog and header: decoded once",
			file:        "rss_latin1_prolog.xml",
			contentType: "application/rss+xml; charset=ISO-8859-1",
			feedURL:     latinURL,
			title:       "L'Écho du Département",
			lang:        "fr",
			items:       []article.Article{latin1Item(latinURL)},
		},
		{
			name:        "ISO-8859-1 in prolog, header wrongly says UTF-8: prolog wins",
			file:        "rss_latin1_prolog.xml",
			contentType: "application/rss+xml; charset=utf-8",
			feedURL:     latinURL,
			title:       "L'Écho du Département",
			lang:        "fr",
			items:       []article.Article{latin1Item(latinURL)},
		},
		{
			name:        "ISO-8859-1, no prolog encoding, charset in header",
			file:        "rss_latin1_noprolog.xml",
			contentType: "application/rss+xml; charset=ISO-8859-1",
			feedURL:     latinURL,
			title:       "La Dépêche Côtière",
			lang:        "fr",
			items:       []article.Article{latin1Item(latinURL)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feed, err := ParseFeed(readTestdata(t, tt.file), tt.contentType, tt.feedURL, firstSeen, nil)
			if err != nil {
				t.Fatalf("ParseFeed: %v", err)
			}
			if feed.Title != tt.title {
				t.Errorf("Title = %q, want %q", feed.Title, tt.title)
			}
			if feed.Language != tt.lang {
				t.Errorf("Language = %q, want %q", feed.Language, tt.lang)
			}
			if len(feed.Items) != len(tt.items) {
				t.Fatalf("got %d items, want %d", len(feed.Items), len(tt.items))
			}
			for i := range tt.items {
				checkArticle(t, i, feed.Items[i], tt.items[i])
			}
		})
	}
}

func TestParseFeedErrors(t *testing.T) {
	tests := []struct {
		name        string
		body        []byte
		contentType string
		feedURL     string
		wantInMsg   []string
		notInMsg    []string
	}{
		{
			name:      "JSON feed with a null item panics gofeed",
			body:      readTestdata(t, "json_null_item.json"),
			feedURL:   "https://broken.example/feed.json",
			wantInMsg: []string{"https://broken.example/feed.json", "panicked"},
		},
		{
			name:      "malformed XML",
			body:      readTestdata(t, "malformed.xml"),
			feedURL:   "https://tronque.example/rss",
			wantInMsg: []string{"https://tronque.example/rss", "parse feed: XML syntax error on line 8: unexpected EOF"},
		},
		{
			name:      "empty body",
			body:      []byte(" \n"),
			feedURL:   "https://empty.example/rss",
			wantInMsg: []string{"https://empty.example/rss", "empty body"},
		},
		{
			name:        "HTML page instead of a feed",
			body:        []byte("<!doctype html><html><body><p>Page d'accueil</p></body></html>"),
			contentType: "text/html",
			feedURL:     "https://moved.example/rss",
			wantInMsg:   []string{"not an RSS, Atom or JSON feed", `"text/html"`},
		},
		{
			name:      "password in feed URL is redacted",
			body:      readTestdata(t, "malformed.xml"),
			feedURL:   "https://reader:s3cr3t@private.example/rss",
			wantInMsg: []string{"https://xxxxx@private.example/rss"},
			notInMsg:  []string{"s3cr3t"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feed, err := ParseFeed(tt.body, tt.contentType, tt.feedURL, firstSeen, nil)
			if err == nil {
				t.Fatalf("ParseFeed succeeded with %d items, want an error", len(feed.Items))
			}
			var fe *FetchError
			if !errors.As(err, &fe) || fe.Kind != KindParse {
				t.Fatalf("error %#v is not a *FetchError of KindParse", err)
			}
			if fe.Retryable() {
				t.Error("parse error is retryable")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "crawler: ") {
				t.Errorf("message %q does not start with \"crawler: \"", msg)
			}
			for _, s := range tt.wantInMsg {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q lacks %q", msg, s)
				}
			}
			for _, s := range tt.notInMsg {
				if strings.Contains(msg, s) {
					t.Errorf("message %q contains %q", msg, s)
				}
			}
		})
	}
}

// TestFetchThenParseLatin1 runs the path a scheduler will: bodies whose
// charset is only in the Content-Type header, fetched over HTTP and parsed
// with the response's header.
func TestFetchThenParseLatin1(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/rss", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
		w.Write(readTestdata(t, "rss_latin1_noprolog.xml"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, Now: func() time.Time { return firstSeen }})

	res, err := f.Fetch(t.Context(), FetchRequest{Source: "depeche", URL: srv.URL + "/rss"})
	if err != nil {
		t.Fatal(err)
	}
	feed, err := ParseFeed(res.Body, res.ContentType, res.FinalURL, res.FetchedAt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if feed.Title != "La Dépêche Côtière" || len(feed.Items) != 1 {
		t.Fatalf("feed = %q with %d items", feed.Title, len(feed.Items))
	}
	checkArticle(t, 0, feed.Items[0], latin1Item(srv.URL+"/rss"))
}

func TestFeedUTF8(t *testing.T) {
	latin := "<rss><channel><title>R\xe9sum\xe9 \xe0 la une</title></channel></rss>"
	tests := []struct {
		name, body, contentType, want string
	}{
		{"UTF-8 untouched", "<rss>é</rss>", "", "<rss>é</rss>"},
		{"header charset transcodes", latin, "text/xml; charset=iso-8859-1", "<rss><channel><title>Résumé à la une</title></channel></rss>"},
		{"header lies, body is UTF-8", "<rss>é</rss>", "text/xml; charset=iso-8859-1", "<rss>é</rss>"},
		{"prolog encoding left to gofeed", `<?xml version="1.0" encoding='windows-1252'?><rss>` + "\xe9</rss>", "text/xml; charset=iso-8859-1",
			`<?xml version="1.0" encoding='windows-1252'?><rss>` + "\xe9</rss>"},
		{"prolog says Latin-1 over UTF-8 text: the text wins", `<?xml version="1.0" encoding="ISO-8859-1"?><rss>Élysée</rss>`, "",
			`<?xml version="1.0" encoding="UTF-8"?><rss>Élysée</rss>`},
		{"after a BOM too", "\xef\xbb\xbf" + `<?xml version='1.0' encoding='windows-1252'?><rss>é</rss>`, "",
			"\xef\xbb\xbf" + `<?xml version='1.0' encoding='UTF-8'?><rss>é</rss>`},
		{"prolog Latin-1, ASCII body: left to gofeed", `<?xml version="1.0" encoding="ISO-8859-1"?><rss>a</rss>`, "",
			`<?xml version="1.0" encoding="ISO-8859-1"?><rss>a</rss>`},
		{"undeclared Latin-1 guessed", latin, "", "<rss><channel><title>Résumé à la une</title></channel></rss>"},
		{"stray bad byte in UTF-8 replaced", "<rss>é è \xff</rss>", "", "<rss>é è \uFFFD</rss>"},
		{"unknown header charset ignored", "<rss>é</rss>", "text/xml; charset=x-bogus", "<rss>é</rss>"},
		{"prolog says UTF-8, header Latin-1, stray byte replaced", `<?xml version="1.0" encoding="utf-8"?><rss>é è ` + "\xff</rss>", "text/xml; charset=iso-8859-1",
			`<?xml version="1.0" encoding="utf-8"?><rss>é è ` + "\uFFFD</rss>"},
		{"UTF-16 left to gofeed", "\xff\xfe<\x00r\x00", "text/xml; charset=iso-8859-1", "\xff\xfe<\x00r\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := feedUTF8([]byte(tt.body), tt.contentType); string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseFeedKeepsPasswordsOut(t *testing.T) {
	body := []byte(`<rss version="2.0"><channel><title>x</title><item><link>/a#b</link></item></channel></rss>`)
	feed, err := ParseFeed(body, "", "https://reader:s3cr3t@private.example/rss", firstSeen, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := feed.Items[0]
	if a.URL != "https://private.example/a" || a.GUID != a.URL {
		t.Errorf("URL %q GUID %q", a.URL, a.GUID)
	}
	if a.SourceURL != "https://xxxxx@private.example/rss" {
		t.Errorf("SourceURL %q", a.SourceURL)
	}
}

func TestParseFeedSynthesisesGUID(t *testing.T) {
	body := []byte(`<rss version="2.0"><channel><title>x</title><item><title>Sans lien</title><description>Texte</description></item></channel></rss>`)
	feed, err := ParseFeed(body, "", "https://x.example/rss", firstSeen, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := feed.Items[0].GUID
	if !strings.HasPrefix(g, "sha256:") || len(g) != len("sha256:")+64 {
		t.Errorf("GUID = %q, want sha256:<64 hex>", g)
	}
	again, _ := ParseFeed(body, "", "https://x.example/rss", firstSeen.Add(time.Hour), nil)
	if again.Items[0].GUID != g {
		t.Error("synthesised GUID is not stable")
	}
}

func TestPrimaryLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"fr-FR": "fr", "fr_FR": "fr", "FR": "fr", " fr ": "fr", "fra": "fr",
		"en-GB": "en", "iw": "he", "": "", "und": "", "french": "", "x-klingon": "", "zz": "",
	} {
		if got := primaryLanguage(in); got != want {
			t.Errorf("primaryLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

// Feeds their generators broke in ways a reader gets past are read; what
// cannot be mended (a body cut short, a page that is not a feed) stays an
// error, tested in TestParseFeedErrors.
func TestParseFeedRepairs(t *testing.T) {
	rss := func(prolog, items string) string {
		return prolog + `<rss version="2.0"><channel><title>T</title>` + items + `</channel></rss>`
	}
	const two = `<item><title>A</title><link>https://ex.example/a</link></item><item><title>B</title><link>https://ex.example/b</link></item>`
	for _, c := range []struct {
		name, body string
		titles     []string
	}{
		{"PHP warning before the document",
			"<br />\n<b>Warning</b>:  Cannot modify header information - headers already sent in <b>/var/www/feed.php</b> on line <b>12</b><br />\n" +
				rss(`<?xml version="1.0" encoding="UTF-8"?>`, two), []string{"A", "B"}},
		{"a blank line and a BOM before the prolog", "\xef\xbb\xbf\n\n" + rss(`<?xml version="1.0"?>`, two), []string{"A", "B"}},
		{"XML 1.1 prolog", rss(`<?xml version="1.1" encoding="UTF-8"?>`, two), []string{"A", "B"}},
		{"a < that opens no tag", rss(``, `<item><title>Taux < 3 % et 2<3</title><link>https://ex.example/a</link></item>`), []string{"Taux < 3 % et 2<3"}},
		{"CDATA and comments untouched", rss(``, `<!-- a < b --><item><title><![CDATA[x < y]]></title><link>https://ex.example/a</link></item>`), []string{"x < y"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			feed, err := ParseFeed([]byte(c.body), "application/rss+xml", "https://ex.example/rss", firstSeen, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range feed.Items {
				got = append(got, a.Title)
			}
			if !slices.Equal(got, c.titles) {
				t.Errorf("titles %q, want %q", got, c.titles)
			}
		})
	}
	// Nothing to mend: a well-formed feed, a JSON feed, UTF-16.
	for _, b := range []string{rss(`<?xml version="1.0"?>`, two), `{"version":"https://jsonfeed.org/version/1.1","items":[]}`, "\xff\xfe<\x00"} {
		if _, changed := repairFeed([]byte(b)); changed {
			t.Errorf("%q: repaired", b)
		}
	}
}

// FuzzRepairFeed: mending never panics, and what it mends needs no more
// mending.
func FuzzRepairFeed(f *testing.F) {
	for _, s := range []string{"<br />x<?xml version=\"1.1\"?><rss><a>1 < 2</a></rss>", "<rss><![CDATA[<]]><!-- < --></rss>", "{}", "<", "\xff\xfe<"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, changed := repairFeed(b)
		if !changed && !bytes.Equal(out, b) {
			t.Errorf("%q: unchanged but different: %q", b, out)
		}
		if again, _ := repairFeed(out); changed && !bytes.Equal(again, out) && startsFeed(bytes.TrimLeft(out, " \t\r\n")) {
			t.Errorf("%q: mended twice: %q then %q", b, out, again)
		}
	})
}
