package crawler

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

func TestParsePage(t *testing.T) {
	tests := []struct {
		name        string
		body        []byte
		contentType string
		pageURL     string
		want        article.Article
	}{
		{
			name:        "Latin-1 page with only a meta charset",
			body:        readTestdata(t, "page_latin1.html"),
			contentType: "text/html",
			pageURL:     "https://echo-gard.example/politique/campagne.html",
			want: article.Article{
				SourceURL: "https://echo-gard.example/politique/campagne.html",
				URL:       "https://echo-gard.example/politique/campagne.html",
				GUID:      "https://echo-gard.example/politique/campagne.html",
				Title:     "Législatives : dernière soirée de campagne à Nîmes",
				Content: "Législatives : dernière soirée de campagne à Nîmes\n\n" +
					"Publié le 7 juin à 21 h 05\n\n" +
					"Les candidats ont tenu leurs derniers meetings vendredi soir, à quelques heures de l'ouverture de la période de réserve.\n\n" +
					"« Nous irons jusqu'au bout », a déclaré la tête de liste, devant un public clairsemé.",
				Language:    "fr",
				PublishedAt: utc("2024-06-07T21:05:00+02:00"), // first <time datetime>
				FirstSeenAt: firstSeen,
			},
		},
		{
			name:        "metadata, canonical, JSON-LD and page chrome",
			body:        readTestdata(t, "page_meta.html"),
			contentType: "text/html; charset=utf-8",
			pageURL:     "https://www.quotidien-du-soir.example/live?from=home#direct",
			want: article.Article{
				SourceURL:   "https://www.quotidien-du-soir.example/live?from=home#direct",
				URL:         "https://www.quotidien-du-soir.example/politique/live/resultats-europeennes.html",
				GUID:        "https://www.quotidien-du-soir.example/politique/live/resultats-europeennes.html",
				Title:       "Européennes : les résultats en direct", // og:title beats <title>
				Author:      "Service politique",
				Summary:     "Suivez la soirée électorale minute par minute.",
				Content:     "20 h : les premières estimations sont tombées.\n\nLa participation s’établirait autour de 52 %.",
				Language:    "fr",
				PublishedAt: utc("2024-06-09T20:00:00+02:00"), // meta beats JSON-LD
				UpdatedAt:   utc("2024-06-09T20:42:00+02:00"),
				FirstSeenAt: firstSeen,
			},
		},
		{
			name: "JSON-LD article dates, h1 title, main content, no canonical",
			body: []byte(`<html><head>
<script type="application/ld+json">[{"@type":"Organization","name":"X","datePublished":"1999-01-01T00:00:00Z"},
 {"@type":["NewsArticle"],"datePublished":"2024-06-09T19:59:00+02:00","dateModified":"2024-06-09T21:00:00+02:00","author":{"@type":"Person","name":"Léa Roux"}}]</script>
<script type="application/ld+json">{not json</script>
</head><body><nav>Menu</nav><h1>Estimations &amp; projections</h1><main><p>Contenu principal.</p><aside>Pub</aside></main></body></html>`),
			pageURL: "https://site.example/a#b",
			want: article.Article{
				SourceURL:   "https://site.example/a#b",
				URL:         "https://site.example/a",
				GUID:        "https://site.example/a",
				Title:       "Estimations & projections",
				Author:      "Léa Roux",
				Content:     "Contenu principal.",
				PublishedAt: utc("2024-06-09T19:59:00+02:00"),
				UpdatedAt:   utc("2024-06-09T21:00:00+02:00"),
				FirstSeenAt: firstSeen,
			},
		},
		{
			name: "naive times are skipped for a zoned one; body fallback",
			body: []byte(`<html lang="en-GB"><head><title> Breaking
   news </title><meta property="article:published_time" content="2024-06-09 20:00"></head>
<body><header>Site</header><p>Body text.</p><time datetime="2024-06-09">9 June</time><time datetime="2024-06-09T18:00:00Z">18:00</time><footer>Foot</footer></body></html>`),
			pageURL: "https://site.example/b",
			want: article.Article{
				SourceURL:   "https://site.example/b",
				URL:         "https://site.example/b",
				GUID:        "https://site.example/b",
				Title:       "Breaking news",
				Content:     "Body text.\n\n9 June18:00",
				Language:    "en",
				PublishedAt: utc("2024-06-09T18:00:00Z"),
				FirstSeenAt: firstSeen,
			},
		},
		{
			name: "undeclared UTF-8 beyond the first KiB is not taken for windows-1252",
			body: []byte("<html><head><title>T</title><!--" + strings.Repeat("x", 1100) + "--></head><body><p>Été électoral</p></body></html>"),
			// No charset anywhere: DetermineEncoding would guess windows-1252.
			pageURL: "https://site.example/c",
			want: article.Article{
				SourceURL:   "https://site.example/c",
				URL:         "https://site.example/c",
				GUID:        "https://site.example/c",
				Title:       "T",
				Content:     "Été électoral",
				FirstSeenAt: firstSeen,
			},
		},
		{
			name:        "header charset wins over meta",
			body:        []byte(`<html><head><meta charset="utf-8"><title>R` + "\xe9" + `sultats</title></head><body></body></html>`),
			contentType: "text/html; charset=ISO-8859-1",
			pageURL:     "https://site.example/d",
			want: article.Article{
				SourceURL:   "https://site.example/d",
				URL:         "https://site.example/d",
				GUID:        "https://site.example/d",
				Title:       "Résultats",
				FirstSeenAt: firstSeen,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePage(tt.body, tt.contentType, tt.pageURL, firstSeen)
			if err != nil {
				t.Fatalf("ParsePage: %v", err)
			}
			checkArticle(t, 0, got, tt.want)
		})
	}
}

func TestParsePageEmpty(t *testing.T) {
	_, err := ParsePage([]byte("  "), "text/html", "https://site.example/e", time.Time{})
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Kind != KindParse {
		t.Fatalf("err = %v, want a KindParse *FetchError", err)
	}
	if want := "crawler: https://site.example/e: parse page: empty body"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}
