// Package benchsite is the local news site the crawl benchmarks run
// against: section pages linking to article pages of 5–15 KB of realistic
// HTML (metadata, navigation, paragraphs of French words, related links,
// a script, a footer), generated deterministically on each request.
package benchsite

import (
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Follow matches the site's article URLs.
var Follow = regexp.MustCompile(`/\d{4}/\d{2}/\d{2}/[a-z0-9-]+\.html$`)

// StartURLs are the section pages of the site at base.
func StartURLs(base string, sections int) []string {
	var out []string
	for i := range sections {
		out = append(out, fmt.Sprintf("%s/section/%d/", base, i))
	}
	return out
}

// Serve listens on a loopback port, prints the site's base URL and a
// newline to stdout once it is ready, and serves until the process ends.
func Serve(pages, sections int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr()) // the parent starts crawling on this line
	log.Fatal(http.Serve(ln, Handler(pages, sections)))
}

// Handler serves the site: /robots.txt (disallowing /private/), sections
// /section/0/ to /section/{sections-1}/ sharing the pages articles between
// them, and the articles.
func Handler(pages, sections int) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	mux.HandleFunc("GET /section/{n}/", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil || n < 0 || n >= sections {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(sectionPage(n, pages, sections))
	})
	mux.HandleFunc("GET /2017/05/{d}/{slug}", func(w http.ResponseWriter, r *http.Request) {
		slug := strings.TrimSuffix(r.PathValue("slug"), ".html")
		i, err := strconv.Atoi(slug[strings.LastIndexByte(slug, '-')+1:])
		if err != nil || i < 0 || i >= pages {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(articlePage(i, pages))
	})
	return mux
}

func articlePath(i int) string {
	day := 1 + i%28
	return fmt.Sprintf("/2017/05/%02d/election-article-%d.html", day, i)
}

func sectionPage(n, pages, sections int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Rubrique %d</title></head><body>", n)
	b.WriteString(nav())
	b.WriteString("<main><h1>Rubrique</h1><ul>")
	for i := n; i < pages; i += sections {
		fmt.Fprintf(&b, "<li><a href=\"%s\">Article %d : le point sur l'élection</a> <span>il y a %d min</span></li>", articlePath(i), i, i%60)
	}
	b.WriteString("</ul></main><footer><a href=\"/mentions-legales\">Mentions légales</a></footer></body></html>")
	return []byte(b.String())
}

func nav() string {
	var b strings.Builder
	b.WriteString("<header><nav><ul>")
	for _, s := range []string{"politique", "international", "economie", "societe", "culture", "sport", "sciences", "idees", "planete", "campus"} {
		fmt.Fprintf(&b, "<li><a href=\"/%s/\">%s</a></li>", s, s)
	}
	b.WriteString("</ul></nav></header>")
	return b.String()
}

var words = strings.Fields(`le la les un une des du de et à au aux en dans par pour sur avec sans
	élection présidentielle candidat candidate campagne second tour scrutin électeurs vote bureaux
	sondage résultats commission réserve silence samedi dimanche vendredi soir minuit préfecture
	courriels fuite données piratage équipe mouvement communiqué journalistes rédaction médias
	publication contenu documents authentiques faux mélangés enquête parquet plainte régulateur
	a été sont ont fait dit selon après avant pendant depuis contre entre leurs cette ces plus
	très déjà encore aussi mais donc or ni car que qui dont où quand comment pourquoi`)

// articlePage is 5–15 KB of HTML: head with metadata, navigation, the
// article's paragraphs, related links, a script and a footer.
func articlePage(i, pages int) []byte {
	rng := rand.New(rand.NewPCG(uint64(i), 2017))
	target := 5000 + rng.IntN(10000)
	var b strings.Builder
	b.Grow(target + 2048)
	title := fmt.Sprintf("Article %d : %s %s %s", i, words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))])
	fmt.Fprintf(&b, `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>%s</title>`+
		`<meta property="og:title" content="%s"><meta property="article:published_time" content="2017-05-%02dT%02d:%02d:00+02:00">`+
		`<link rel="canonical" href="%s"><script>window.dataLayer=[{"page":"article","id":%d}];</script></head><body>`,
		title, title, 1+i%28, rng.IntN(24), rng.IntN(60), articlePath(i), i)
	b.WriteString(nav())
	fmt.Fprintf(&b, "<main><article><h1>%s</h1><p class=\"chapo\">Par la rédaction, publié le %d mai 2017.</p>", title, 1+i%28)
	for b.Len() < target-1200 {
		b.WriteString("<p>")
		for n := 40 + rng.IntN(60); n > 0; n-- {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		b.WriteString("</p>")
	}
	b.WriteString("</article><aside><h2>Sur le même sujet</h2><ul>")
	for k := range 5 {
		fmt.Fprintf(&b, "<li><a href=\"%s\">Lire aussi</a></li>", articlePath((i+k*97+1)%pages))
	}
	b.WriteString("</ul></aside></main><footer><p>© Le Quotidien</p><a href=\"/private/admin\">admin</a></footer></body></html>")
	return []byte(b.String())
}
