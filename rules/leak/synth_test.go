package leak

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// synthCorpus generates realistic mail for the 20,000-mail benchmarks,
// deterministically: sentences of the fixture corpus recombined, one word
// in four replaced by another word of the corpus vocabulary (so that word
// k-grams repeat across mails about as often as phrases do in a real
// mailbox, not 100 times over), the cast's signatures and the legal
// footer (boilerplate), a quarter of the mails replying to an earlier one
// with its text quoted, and the fixtures' mix of encodings (8bit UTF-8,
// quoted-printable, base64, windows-1252).
type synthCorpus struct {
	sentences []string
	vocab     []string
	people    []string
	subjects  []string
	footer    string
}

var sentenceEnd = regexp.MustCompile(`[.!?]\s+`)

func newSynthCorpus(docs []Document) *synthCorpus {
	s := &synthCorpus{}
	seenPeople := map[string]bool{}
	for _, d := range docs {
		own := d.Text[:d.QuoteStart]
		if i := strings.Index(own, "________________________________"); i >= 0 {
			if s.footer == "" {
				s.footer = strings.TrimSpace(own[i:])
			}
			own = own[:i]
		}
		for _, p := range strings.Split(own, "\n\n") {
			p = strings.Join(strings.Fields(p), " ")
			for _, sen := range sentenceEnd.Split(p, -1) {
				if n := len(strings.Fields(sen)); n >= 6 && n <= 60 {
					s.sentences = append(s.sentences, sen+".")
				}
			}
			for _, w := range strings.Fields(p) {
				if len(w) >= 3 {
					s.vocab = append(s.vocab, strings.Trim(w, ".,;:!?«»\"()"))
				}
			}
		}
		if d.Kind == KindEmail && d.From != "" && !seenPeople[d.From] {
			seenPeople[d.From] = true
			s.people = append(s.people, d.From)
		}
		if d.Subject != "" {
			s.subjects = append(s.subjects, d.Subject)
		}
	}
	return s
}

// body returns about n bytes of text.
func (s *synthCorpus) body(rng *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		words := strings.Fields(s.sentences[rng.IntN(len(s.sentences))])
		for i := range words {
			if rng.IntN(4) == 0 {
				words[i] = s.vocab[rng.IntN(len(s.vocab))]
			}
		}
		b.WriteString(strings.Join(words, " "))
		if rng.IntN(3) == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteString(" ")
		}
	}
	return b.String()
}

func (s *synthCorpus) signature(from string) string {
	name, _, _ := strings.Cut(from, " <")
	return "\n\n" + name + "\nRenouveau ! — Campagne présidentielle 2017\n+33 1 00 00 00 10\n"
}

// writeMails writes n mails of about size bytes into dir and returns the
// total bytes written.
func (s *synthCorpus) writeMails(dir string, n, size int, seed uint64) (int64, error) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	start := time.Date(2017, 1, 1, 9, 0, 0, 0, time.FixedZone("", 2*3600))
	var bodies []string // recent own texts, for replies
	var total int64
	for i := range n {
		from := s.people[rng.IntN(len(s.people))]
		to := s.people[rng.IntN(len(s.people))]
		subject := s.subjects[rng.IntN(len(s.subjects))]
		own := s.body(rng, size*2/5)
		text := own + s.signature(from)
		if len(bodies) > 0 && rng.IntN(4) == 0 {
			parent := bodies[rng.IntN(len(bodies))]
			subject = "Re: " + subject
			text += "\nLe 3 mai 2017 à 14:02, " + to + " a écrit :\n\n> " + strings.ReplaceAll(strings.TrimSpace(parent), "\n", "\n> ") + "\n"
		}
		text += "\n________________________________\n" + s.footer + "\n"
		bodies = append(bodies, own)
		if len(bodies) > 200 {
			bodies = bodies[1:]
		}
		var cte, cs string
		var enc []byte
		switch rng.IntN(6) {
		case 0, 1:
			cte, cs, enc = "8bit", "utf-8", []byte(text)
		case 2, 3:
			var b bytes.Buffer
			w := quotedprintable.NewWriter(&b)
			w.Write([]byte(text))
			w.Close()
			cte, cs, enc = "quoted-printable", "utf-8", b.Bytes()
		case 4:
			e := base64.StdEncoding.EncodeToString([]byte(text))
			var b strings.Builder
			for len(e) > 76 {
				b.WriteString(e[:76] + "\r\n")
				e = e[76:]
			}
			b.WriteString(e)
			cte, cs, enc = "base64", "utf-8", []byte(b.String())
		default:
			w1252, err := charmap.Windows1252.NewEncoder().String(text)
			if err != nil {
				w1252 = text
				cs = "utf-8"
			} else {
				cs = "windows-1252"
			}
			var b bytes.Buffer
			w := quotedprintable.NewWriter(&b)
			w.Write([]byte(w1252))
			w.Close()
			cte, enc = "quoted-printable", b.Bytes()
		}
		date := start.Add(time.Duration(i) * 7 * time.Minute)
		var m bytes.Buffer
		fmt.Fprintf(&m, "From: %s\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%d@synth.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=%q\nContent-Transfer-Encoding: %s\n\n",
			encodeAddr(from), encodeAddr(to), mime.QEncoding.Encode("utf-8", subject), date.Format(time.RFC1123Z), i, cs, cte)
		m.Write(enc)
		name := filepath.Join(dir, fmt.Sprintf("%02d", i%100), fmt.Sprintf("%05d.eml", i))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return total, err
		}
		if err := os.WriteFile(name, m.Bytes(), 0o644); err != nil {
			return total, err
		}
		total += int64(m.Len())
	}
	return total, nil
}

func encodeAddr(a string) string {
	name, addr, ok := strings.Cut(a, " <")
	if !ok {
		return a
	}
	return mime.QEncoding.Encode("utf-8", name) + " <" + addr
}
