package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// childEnv, when set in the environment, makes the process the feed
// server instead of the benchmark. Its value is a URL query with the
// server's parameters (serverOptions.encode).
const childEnv = "POLLBENCH_SERVE"

// changeEvery: between two cycles, every changeEvery-th feed (0, 20, 40,
// ...) gets one new item, which pushes its oldest item out: 5% of feeds.
const changeEvery = 20

// changedFeeds is how many of n feeds change at each /advance.
func changedFeeds(n int) int { return (n + changeEvery - 1) / changeEvery }

type serverOptions struct {
	Feeds     int
	Items     int
	Gzip      bool      // compress responses when the client accepts gzip, as news sites do
	Published time.Time // pubDate of item 0 of every feed; item k is 10k minutes later
}

func (o serverOptions) encode() string {
	v := url.Values{}
	v.Set("feeds", strconv.Itoa(o.Feeds))
	v.Set("items", strconv.Itoa(o.Items))
	v.Set("gzip", strconv.FormatBool(o.Gzip))
	v.Set("published", o.Published.Format(time.RFC3339))
	return v.Encode()
}

func decodeServerOptions(s string) (serverOptions, error) {
	v, err := url.ParseQuery(s)
	if err != nil {
		return serverOptions{}, err
	}
	var o serverOptions
	if o.Feeds, err = strconv.Atoi(v.Get("feeds")); err != nil {
		return o, fmt.Errorf("feeds: %w", err)
	}
	if o.Items, err = strconv.Atoi(v.Get("items")); err != nil {
		return o, fmt.Errorf("items: %w", err)
	}
	if o.Gzip, err = strconv.ParseBool(v.Get("gzip")); err != nil {
		return o, fmt.Errorf("gzip: %w", err)
	}
	if o.Published, err = time.Parse(time.RFC3339, v.Get("published")); err != nil {
		return o, fmt.Errorf("published: %w", err)
	}
	return o, nil
}

// serveMain is the child process: it serves the feeds on 127.0.0.1:0,
// writes "listening ADDR" on stdout, and exits when stdin closes (the
// parent died) or when it is killed.
func serveMain(params string) int {
	o, err := decodeServerOptions(params)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pollbench server: %s=%q: %v\n", childEnv, params, err)
		return 2
	}
	fs := newFeedServer(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pollbench server: %v\n", err)
		return 1
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Printf("listening %s\n", ln.Addr())
	srv := &http.Server{Handler: fs.handler(), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintf(os.Stderr, "pollbench server: %v\n", err)
		return 1
	}
	return 0
}

// feedServer serves /feed/N for N in [0, Feeds): RSS 2.0, Items items each,
// with ETag and Last-Modified, 304 on a matching conditional GET.
type feedServer struct {
	o     serverOptions
	mu    sync.RWMutex
	gen   int // number of /advance calls
	feeds []renderedFeed
	stats servedStats
}

// servedStats counts the answers, for a benchmark that cannot read the
// pipeline's own counts (run processes).
type servedStats struct {
	full, notModified, distinct atomic.Int64
	polled                      []atomic.Bool // by feed: asked for at least once
}

// ServedCounts is GET /stats's answer.
type ServedCounts struct {
	Full        int64 `json:"full"`         // 200s
	NotModified int64 `json:"not_modified"` // 304s
	Distinct    int64 `json:"distinct"`     // feeds asked for at least once
}

type renderedFeed struct {
	plain, gz    []byte
	etag         string // of plain; gz's is etag with a "-gz" suffix
	lastModified time.Time
}

func newFeedServer(o serverOptions) *feedServer {
	s := &feedServer{o: o, feeds: make([]renderedFeed, o.Feeds)}
	s.stats.polled = make([]atomic.Bool, o.Feeds)
	for f := range s.feeds {
		s.feeds[f] = s.render(f, 0)
	}
	return s
}

func (s *feedServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /feed/{n}", s.serveFeed)
	// POST /advance: every 20th feed publishes one new item.
	mux.HandleFunc("POST /advance", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, s.advance())
	})
	// GET /stats: the answers so far (ServedCounts).
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(ServedCounts{Full: s.stats.full.Load(), NotModified: s.stats.notModified.Load(), Distinct: s.stats.distinct.Load()})
	})
	// GET /rusage: the server's own CPU and peak RSS, for the report.
	mux.HandleFunc("GET /rusage", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(getRusage())
	})
	return mux
}

// advance moves every changeEvery-th feed on by one item and returns how
// many feeds changed.
func (s *feedServer) advance() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	n := 0
	for f := 0; f < len(s.feeds); f += changeEvery {
		s.feeds[f] = s.render(f, s.gen)
		n++
	}
	return n
}

func (s *feedServer) serveFeed(w http.ResponseWriter, r *http.Request) {
	f, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || f < 0 || f >= s.o.Feeds {
		http.NotFound(w, r)
		return
	}
	s.mu.RLock()
	feed := s.feeds[f]
	s.mu.RUnlock()
	body, etag := feed.plain, feed.etag
	h := w.Header()
	h.Set("Content-Type", "application/rss+xml; charset=utf-8")
	h.Set("Cache-Control", "max-age=60")
	if s.o.Gzip {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = feed.gz, strings.TrimSuffix(etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers 304 to a matching If-None-Match, or failing
	// one, to an If-Modified-Since not before lastModified, and sets
	// Last-Modified.
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	http.ServeContent(sw, r, "", feed.lastModified, bytes.NewReader(body))
	switch sw.code {
	case http.StatusOK:
		s.stats.full.Add(1)
	case http.StatusNotModified:
		s.stats.notModified.Add(1)
	}
	if !s.stats.polled[f].Swap(true) {
		s.stats.distinct.Add(1)
	}
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, e := range strings.Split(v, ",") {
			if name, _, _ := strings.Cut(strings.TrimSpace(e), ";"); name == "gzip" {
				return true
			}
		}
	}
	return false
}

// render builds feed f after gen advances: items gen' .. gen'+Items-1,
// where gen' counts the advances that touched f. An item renders the
// same bytes whatever the generation, so an unchanged item is not a new
// version.
func (s *feedServer) render(f, gen int) renderedFeed {
	first := 0
	if f%changeEvery == 0 {
		first = gen
	}
	newest := first + s.o.Items - 1
	var b bytes.Buffer
	b.Grow(s.o.Items * 900)
	site := fmt.Sprintf("https://www.%s-%04d.example", outlets[f%len(outlets)], f)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>%s %04d – À la une</title>
<link>%s/</link>
<description>Toute l&#39;actualité en continu</description>
<language>fr-FR</language>
<lastBuildDate>%s</lastBuildDate>
`, strings.ToUpper(outlets[f%len(outlets)][:1])+outlets[f%len(outlets)][1:], f, site, s.pubDate(f, newest).Format(time.RFC1123Z))
	for k := newest; k >= first; k-- { // newest first, as news feeds list them
		s.writeItem(&b, site, f, k)
	}
	b.WriteString("</channel>\n</rss>\n")
	plain := b.Bytes()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	return renderedFeed{
		plain:        plain,
		gz:           gz.Bytes(),
		etag:         fmt.Sprintf(`"f%d-g%d"`, f, first),
		lastModified: s.pubDate(f, newest),
	}
}

func (s *feedServer) pubDate(f, k int) time.Time {
	return s.o.Published.Add(time.Duration(k)*10*time.Minute + time.Duration(f%600)*time.Second)
}

func (s *feedServer) writeItem(b *bytes.Buffer, site string, f, k int) {
	r := rand.New(rand.NewPCG(uint64(f), uint64(k)))
	rubric := rubrics[r.IntN(len(rubrics))]
	title := pick(r, titlePrefixes) + pick(r, subjects) + " " + pick(r, verbs) + " " + pick(r, objects)
	slug := fmt.Sprintf("%s/%s/article-%d-%d.html", rubric, s.pubDate(f, k).Format("2006/01/02"), f, k)
	desc := description(r, (f*s.o.Items+k)%leakEvery == leakEvery/2)
	fmt.Fprintf(b, "<item>\n<title>%s</title>\n<link>%s/%s</link>\n<guid isPermaLink=\"false\">%s-%04d-%06d</guid>\n",
		xmlEscape(title), site, slug, outlets[f%len(outlets)], f, k)
	fmt.Fprintf(b, "<dc:creator>%s</dc:creator>\n<category>%s</category>\n<pubDate>%s</pubDate>\n",
		xmlEscape(pick(r, authors)), rubric, s.pubDate(f, k).Format(time.RFC1123Z))
	if f%3 == 0 { // HTML in CDATA, as many CMSs write it
		fmt.Fprintf(b, "<description><![CDATA[<p>%s</p>]]></description>\n</item>\n", desc)
	} else {
		fmt.Fprintf(b, "<description>%s</description>\n</item>\n", xmlEscape(desc))
	}
}

// leakEvery: one item in leakEvery mentions the leak, which the example
// config's leak-mention rule reports (an info finding) inside the silence.
const leakEvery = 200

// description is 300 to 600 bytes of sentences.
func description(r *rand.Rand, leak bool) string {
	target := 300 + r.IntN(301)
	var b strings.Builder
	if leak {
		b.WriteString(leakSentence)
	}
	for b.Len() < 300 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(pick(r, sentences))
	}
	for {
		s := pick(r, sentences)
		if b.Len()+1+len(s) > target {
			break
		}
		b.WriteByte(' ')
		b.WriteString(s)
	}
	return b.String()
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

func xmlEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\'':
			b.WriteString("&#39;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// rusage is one process's CPU time and peak RSS.
type rusage struct {
	User, Sys time.Duration
	MaxRSSKiB int64
}

func (u rusage) CPU() time.Duration { return u.User + u.Sys }

// getRusage reads getrusage(RUSAGE_SELF): this process only, all its
// threads, not its children.
func getRusage() rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err) // cannot fail with RUSAGE_SELF and a valid pointer
	}
	return rusage{
		User:      time.Duration(ru.Utime.Nano()),
		Sys:       time.Duration(ru.Stime.Nano()),
		MaxRSSKiB: maxRSSKiB(ru.Maxrss),
	}
}

// readAddr reads the child's "listening ADDR" line.
func readAddr(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("reading the feed server's address: %w", err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		return "", fmt.Errorf("feed server said %q, want \"listening ADDR\"", line)
	}
	return addr, nil
}

// Word banks for French news-like items.
var (
	outlets       = []string{"quotidien", "lecho", "gazette", "depeche", "courrier", "republicain", "tribune", "info"}
	rubrics       = []string{"politique", "societe", "economie", "international", "sport", "culture", "planete", "faits-divers"}
	authors       = []string{"Rédaction", "Service politique", "Claire Dubois", "Thomas Lefèvre", "Agence France-Presse", "Sophie Martin", "Jean-Baptiste Roux"}
	titlePrefixes = []string{"", "", "", "Présidentielle : ", "Direct. ", "Vidéo. ", "Récit. ", "Décryptage : ", "Info locale. "}
	subjects      = []string{
		"Emmanuel Macron", "Marine Le Pen", "Le gouvernement", "La préfecture de la Gironde", "Les électeurs de Seine-Saint-Denis",
		"Le Conseil constitutionnel", "Le maire de Lyon", "Les agriculteurs bretons", "La SNCF", "Météo-France",
		"L'Assemblée nationale", "Le ministère de l'Intérieur", "Les syndicats", "Une association d'Amiens", "Le Premier ministre",
		"La CNCCEP", "Les assesseurs", "Le club de Saint-Étienne", "La mairie de Marseille", "Des chercheurs du CNRS",
	}
	verbs = []string{
		"annonce", "dénonce", "appelle à", "prépare", "s'inquiète de", "réagit à", "confirme", "dément", "lance",
		"critique", "défend", "présente", "suspend", "relance",
	}
	objects = []string{
		"la mobilisation des bureaux de vote", "une hausse de la participation", "la réforme du code du travail",
		"les intempéries dans le Sud-Ouest", "un plan pour l'hôpital public", "la fermeture d'une usine à Amiens",
		"la sécurité des opérations de vote", "un nouveau dispositif de procurations", "la grève des contrôleurs aériens",
		"le bilan de la campagne", "la fin de la campagne officielle", "les retards sur la ligne Paris-Lyon",
		"un projet de tramway à Bordeaux", "la hausse des prix de l'énergie", "un accord sur la pêche en Manche",
		"l'ouverture d'un festival à Cannes", "la qualification en Ligue des champions", "les débats de l'entre-deux-tours",
	}
	sentences = []string{
		"Les bureaux de vote ouvriront à 8 heures dimanche matin et fermeront à 19 heures, à 20 heures dans les grandes villes.",
		"La campagne officielle s'est achevée vendredi à minuit, ouvrant la période de réserve prévue par le code électoral.",
		"Selon la préfecture, près de 1 200 assesseurs ont été mobilisés dans le département pour le second tour.",
		"Les candidats ont multiplié les déplacements dans les dernières heures, de Rodez à Albi en passant par Amiens.",
		"Plusieurs élus locaux ont salué une mobilisation « exceptionnelle » des bénévoles dans les communes rurales.",
		"Le ministère de l'Intérieur rappelle que les procurations peuvent encore être établies au commissariat.",
		"Dans les Hauts-de-France, les agriculteurs s'inquiètent des conséquences de la sécheresse sur les semis de printemps.",
		"La circulation reste perturbée sur l'A7 en raison d'un accident impliquant deux poids lourds près de Valence.",
		"Météo-France a placé douze départements en vigilance orange aux orages pour la journée de samedi.",
		"L'usine, qui emploie 280 salariés, pourrait fermer d'ici à la fin de l'année, selon les représentants du personnel.",
		"Le festival, qui attend 40 000 visiteurs, a dévoilé samedi une programmation largement consacrée aux jeunes talents.",
		"Les enquêteurs privilégient la piste accidentelle, mais aucune hypothèse n'est écartée à ce stade.",
		"Un dernier sondage réalisé avant la fin de la campagne ne peut plus être publié ni commenté jusqu'à dimanche soir.",
		"Les résultats définitifs seront proclamés par le Conseil constitutionnel dans les jours qui suivent le scrutin.",
		"Interrogés sur le marché de Châteauroux, plusieurs électeurs disent avoir arrêté leur choix depuis longtemps.",
		"La ville a investi 3,5 millions d'euros dans la rénovation de ses écoles, une priorité du mandat selon le maire.",
		"Le club a arraché le match nul dans les arrêts de jeu et reste en course pour une place européenne.",
		"Les syndicats appellent à une nouvelle journée de mobilisation la semaine prochaine, sans préciser de date.",
		"À Lyon, la préfecture a renforcé la présence policière autour des lieux de rassemblement prévus dimanche soir.",
		"L'exposition présente plus de 200 œuvres prêtées par des collections privées, dont certaines jamais montrées.",
		"Les outre-mer votent dès samedi afin que leurs résultats ne précèdent pas ceux de la métropole.",
		"Le texte doit être examiné en première lecture à l'Assemblée nationale à la rentrée, a précisé le rapporteur.",
	}
	leakSentence = "Des documents présentés comme des courriels internes de l'équipe de campagne circulent depuis vendredi soir sous le mot-dièse #MacronLeaks."
)
