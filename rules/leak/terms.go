package leak

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/silencewatch/silencewatch/textmatch"
)

// background holds document frequencies of terms in a sample of general
// news.
type background struct {
	N  int
	DF map[string]int32
}

func newBackground(texts []string) background {
	bg := background{N: len(texts), DF: map[string]int32{}}
	var w wordSeq
	seen := map[string]bool{}
	for _, t := range texts {
		tokenize(&w, t)
		clear(seen)
		for i := range w.hash {
			if term := w.word(i); isTerm(term) && !seen[term] {
				seen[term] = true
				bg.DF[term]++
			}
		}
	}
	return bg
}

// isTerm says which words are worth learning: words of at least three
// bytes that are not stop words, and numbers of at least two digits
// (amounts and dates survive translation: "412 000 euros", "412,000").
func isTerm(t string) bool { return isTermBytes([]byte(t)) }

func isTermBytes(t []byte) bool {
	if len(t) < 2 {
		return false
	}
	digits := true
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		return true
	}
	return utf8.RuneCount(t) >= 3 && !stopWords[string(t)]
}

// Term learning parameters.
const (
	// maxSpecificTerms leak-specific terms are kept, best log-odds first.
	maxSpecificTerms = 300
	// A term must occur in at least this many documents to be learned as
	// leak-specific: one document's typo is not a signature of the leak.
	minTermDocs = 2
	// Terms found in more than this fraction of the corpus documents (the
	// candidate's name, the movement, signature words) say which leak an
	// article is about but not what it reports: they are kept as "target"
	// terms and left out of document matching.
	targetDocFrac = 0.10
	// docTermMaxFrac and docTermMaxDocs bound the terms used to find the
	// one document an article is about: a term in more documents points at
	// none in particular, and its postings cost time for every article.
	docTermMaxFrac = 0.05
	docTermMaxDocs = 200
	// A term whose background document frequency exceeds this fraction is
	// ordinary news vocabulary.
	bgCommonFrac = 0.05
)

// termModel is what the index learned about the corpus's vocabulary.
type termModel struct {
	// specific: terms frequent in the corpus and rare in general news
	// (log-odds of corpus versus background document frequency), the top
	// maxSpecificTerms of them.
	specific map[string]float64
	// target: specific terms found in many corpus documents (names of the
	// mailbox's people and organisation).
	target map[string]bool
	// docTerms: for terms rare in the corpus and in general news, the
	// documents holding them and an idf weight, to find the document an
	// article paraphrases or translates.
	docTerms map[string]*docTerm
	nDocs    int
}

type docTerm struct {
	term   string
	weight float64
	docs   []uint32 // ascending
}

func (t *termModel) size() int {
	n := len(t.specific)*48 + len(t.target)*32
	for k, d := range t.docTerms {
		n += len(k) + 40 + 4*len(d.docs)
	}
	return n
}

// learnTerms computes the term model from the indexed documents and the
// background sample.
func learnTerms(docs []indexedDoc, boiler [][]bool, bg background) *termModel {
	m := &termModel{specific: map[string]float64{}, target: map[string]bool{}, docTerms: map[string]*docTerm{}, nDocs: len(docs)}
	postings := map[string][]uint32{}
	var w wordSeq
	seen := map[string]bool{}
	for i := range docs {
		tokenize(&w, docs[i].Text)
		clear(seen)
		mask := boiler[i]
		for j := range w.hash {
			if mask != nil && j < len(mask) && mask[j] {
				continue // signature, footer, reply header
			}
			if t := w.word(j); isTerm(t) && !seen[t] {
				seen[t] = true
				postings[t] = append(postings[t], uint32(i))
			}
		}
	}
	nc, nb := float64(len(docs)), float64(max(bg.N, 0))
	type scored struct {
		term  string
		score float64
	}
	var cands []scored
	for t, ds := range postings {
		cdf := float64(len(ds))
		bdf := float64(bg.DF[t])
		pc := (cdf + 0.5) / (nc + 1)
		pb := (bdf + 0.5) / (nb + 1)
		if bg.N == 0 {
			pb = 0.5 / (nc + 1) // no background: rank by corpus frequency alone
		}
		lo := math.Log(pc / pb)
		if len(ds) >= minTermDocs && lo > math.Log(4) && !isNumber(t) {
			cands = append(cands, scored{t, lo})
		}
		// Document matching uses rare terms: rare in the corpus (so they
		// point at a few documents) and uncommon in general news.
		if cdf <= min(max(3, docTermMaxFrac*nc), docTermMaxDocs) && (bg.N == 0 || bdf <= bgCommonFrac*nb) {
			m.docTerms[t] = &docTerm{term: t, weight: math.Log(nc / cdf), docs: ds}
		}
	}
	slices.SortFunc(cands, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return strings.Compare(a.term, b.term)
	})
	for i, c := range cands {
		if i >= maxSpecificTerms {
			break
		}
		m.specific[c.term] = c.score
		if float64(len(postings[c.term])) > targetDocFrac*nc {
			m.target[c.term] = true
		}
	}
	return m
}

func isNumber(t string) bool {
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return true
}

// identifierSet holds the phrases that name the leak or its people: the
// configured identifiers, and the display names and addresses of the
// corpus's senders and recipients.
type identifierSet struct {
	ids    *phraseSet // configured identifiers
	people *phraseSet // names of correspondents, two words or more
}

func newIdentifierSet(ids, configured []string, docs []indexedDoc) *identifierSet {
	s := &identifierSet{ids: newPhraseSet(), people: newPhraseSet()}
	for _, id := range ids {
		s.ids.add(id, "identifier")
		// "#MarchalLeaks" is also written "MarchalLeaks" or "Marchal Leaks".
		if t := strings.TrimPrefix(id, "#"); t != id {
			s.ids.add(t, "identifier")
		}
	}
	count := map[string]int{}
	for i := range docs {
		d := &docs[i]
		for _, a := range append(append([]string{d.From}, d.To...), d.Cc...) {
			name, _, _ := strings.Cut(a, " <")
			if strings.Contains(name, "@") {
				continue
			}
			if n := strings.Fields(name); len(n) >= 2 && len(n) <= 4 {
				count[strings.Join(n, " ")]++
			}
		}
	}
	// A person counts when they appear on at least two messages: the
	// mailbox's owners and regular correspondents, not a one-off sender.
	names := make([]string, 0, len(count))
	for n, c := range count {
		if c >= 2 {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	names = append(names, configured...)
	for _, n := range names {
		s.people.add(n, "person")
	}
	return s
}

// normTerm normalises a phrase like article text.
func normTerm(s string) string { return textmatch.String(s, true) }
