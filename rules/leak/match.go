package leak

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"github.com/silencewatch/silencewatch/article"
)

// Passage is a run of an article's text copied from a leak document,
// verbatim or lightly edited.
type Passage struct {
	// Field is the article field the passage lies in; empty from Quotes.
	Field article.Field `json:"field,omitempty"`
	// ArticleStart and ArticleEnd are byte offsets into the original
	// article text given to Quotes (or into Field's text).
	ArticleStart int    `json:"article_start"`
	ArticleEnd   int    `json:"article_end"`
	DocID        string `json:"doc_id"`
	DocTitle     string `json:"doc_title"` // subject or file name
	// DocStart and DocEnd are byte offsets into the document's Text.
	DocStart int `json:"doc_start"`
	DocEnd   int `json:"doc_end"`
	// Words is the number of words of the document the passage covers,
	// so that a 12-word sentence with one word changed, dropped or
	// inserted still counts 12; Matched is how many of them the article
	// has identically (after normalisation: case, accents, punctuation
	// and quotes do not count as differences).
	Words   int    `json:"words"`
	Matched int    `json:"matched"`
	Text    string `json:"text"`     // the article's text of the passage
	DocText string `json:"doc_text"` // the document's text of the passage
	// Parts, for a rewritten passage found piece by piece (clauses
	// reordered, synonyms swapped: see reuse.go), are its pieces in
	// article order; DocStart and DocEnd then span all of them, Words is
	// the sum of the pieces' document words and Matched counts matched
	// content words only (stop words left out). Empty for a copy aligned
	// in one piece.
	Parts []PassagePart `json:"parts,omitempty"`
}

// PassagePart is one piece of a rewritten passage: byte offsets into the
// article text and into the document's Text.
type PassagePart struct {
	ArticleStart int `json:"article_start"`
	ArticleEnd   int `json:"article_end"`
	DocStart     int `json:"doc_start"`
	DocEnd       int `json:"doc_end"`
}

// Alignment parameters. Scores are per word: a changed, dropped or
// inserted word costs what one matching word earns, so an edit inside a
// quote is bridged by the words around it. Measured on the train split and
// on generated passages: −2 per edit lost passages with two edits close
// together (generated recall 0.96–0.98 instead of 0.98–0.99); extending
// alignments through ties (an edit then one match) gained ~1% recall on
// generated passages but reported a phrase of a train article that only
// shares its neighbour with a mail (see smithWaterman).
const (
	scoreMatch    = 1
	scoreMismatch = -1
	scoreGap      = -1

	// Seeds of one document chain into one region when they are at most
	// chainGap article words apart and their diagonals (document position
	// minus article position) differ by at most chainDrift words (the
	// words dropped or inserted between them).
	chainGap   = 40
	chainDrift = 12
	// alignPad words are added around a chain before aligning; the region
	// grows while the best alignment touches its edge.
	alignPad = 16
	// alignBand: the alignment stays within this many diagonals of its
	// chain's, i.e. at most this many more words dropped than inserted (or
	// the reverse) on either side of the seeds. It grows with the region.
	alignBand = 12
	// minMatchedFrac: at most one word in four of a passage may differ.
	minMatchedFrac = 0.75
)

type seed struct {
	doc uint32
	ai  int32 // article word
	dj  int32 // document word
}

type cluster struct {
	doc            uint32
	aMin, aMax     int32
	dMin, dMax     int32
	diaMin, diaMax int32 // document position minus article position
	lastA, lastDia int32
	seeds          int
}

// matchState holds per-call buffers, pooled across calls.
type matchState struct {
	w        wordSeq
	hs       []uint64
	seeds    []seed
	clusters []cluster
	row      []cell
	prev     []cell
	found    []found
	reuse    reuseState
	// text is the article's words when their text is known (Quotes), so
	// that words absent from the corpus can be stemmed; nil otherwise.
	text *wordSeq
	// The diagonals the current alignment may use (banded alignment).
	diaLo, diaHi int
}

var statePool = sync.Pool{New: func() any { return new(matchState) }}

type found struct {
	doc            int
	a0, a1, d0, d1 int // words [a0,a1) of the article, [d0,d1) of the document
	matched        int
	// words and parts: for a rewritten passage (reuse.go), the document
	// words of its pieces and the pieces; else zero and nil.
	words int
	parts []part
}

// Quotes returns the passages of text, of at least minWords words, copied
// from documents of the index, in article order. Where the same words
// occur in several documents, the passage names the one that matches most
// words (the earliest by ID on ties: mails are named in date order).
func (ix *Index) Quotes(text string, minWords int) []Passage {
	if minWords <= 0 {
		minWords = ix.opts.MinWords
	}
	st := statePool.Get().(*matchState)
	defer statePool.Put(st)
	tokenize(&st.w, text)
	st.text = &st.w
	fs := ix.findPassages(st, st.w.hash, minWords)
	st.text = nil
	if len(fs) == 0 {
		return nil
	}
	out := make([]Passage, 0, len(fs))
	var dw wordSeq
	for _, f := range fs {
		out = append(out, ix.passage(f, "", &st.w, &dw))
	}
	return out
}

// passage maps an alignment back to byte offsets in the article text
// (tokenised in aw) and in the document's text (tokenised into dw).
func (ix *Index) passage(f found, field article.Field, aw, dw *wordSeq) Passage {
	d := &ix.docs[f.doc]
	tokenize(dw, d.Text)
	as, ae := aw.span(f.a0, f.a1)
	ds, de := dw.span(f.d0, f.d1)
	p := Passage{
		Field:        field,
		ArticleStart: as, ArticleEnd: ae,
		DocID: d.ID, DocTitle: d.Title(),
		DocStart: ds, DocEnd: de,
		Words: f.d1 - f.d0, Matched: f.matched,
		Text: aw.norm.Original[as:ae], DocText: d.Text[ds:de],
	}
	if f.parts != nil {
		p.Words = f.words
		for _, pt := range f.parts {
			var q PassagePart
			q.ArticleStart, q.ArticleEnd = aw.span(pt.a0, pt.a1)
			q.DocStart, q.DocEnd = dw.span(pt.d0, pt.d1)
			p.Parts = append(p.Parts, q)
		}
	}
	return p
}

// findPassages finds aligned passages between the article words aw and the
// index. The result is sorted by article position, without overlaps.
func (ix *Index) findPassages(st *matchState, aw []uint32, minWords int) []found {
	k := ix.opts.K
	st.hs = kgrams(st.hs[:0], aw, k)
	st.seeds = st.seeds[:0]
	for i, h := range st.hs {
		for _, p := range ix.lookup(h) {
			st.seeds = append(st.seeds, seed{p.doc, int32(i), int32(p.pos)})
		}
	}
	if len(st.seeds) == 0 {
		return nil
	}
	// Chain seeds per document in article order.
	slices.SortFunc(st.seeds, func(a, b seed) int {
		if c := cmp.Compare(a.doc, b.doc); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ai, b.ai); c != 0 {
			return c
		}
		return cmp.Compare(a.dj, b.dj)
	})
	clusters := st.clusters[:0]
	defer func() { st.clusters = clusters[:0] }()
	for s := 0; s < len(st.seeds); {
		e := s
		for e < len(st.seeds) && st.seeds[e].doc == st.seeds[s].doc {
			e++
		}
		first := len(clusters)
		for _, sd := range st.seeds[s:e] {
			dia := sd.dj - sd.ai
			joined := false
			for c := len(clusters) - 1; c >= first; c-- {
				cl := &clusters[c]
				if sd.ai-cl.lastA <= chainGap && abs32(dia-cl.lastDia) <= chainDrift {
					cl.aMax = max(cl.aMax, sd.ai)
					cl.dMin, cl.dMax = min(cl.dMin, sd.dj), max(cl.dMax, sd.dj)
					cl.diaMin, cl.diaMax = min(cl.diaMin, dia), max(cl.diaMax, dia)
					cl.lastA, cl.lastDia = sd.ai, dia
					cl.seeds++
					joined = true
					break
				}
			}
			if !joined {
				clusters = append(clusters, cluster{doc: sd.doc, aMin: sd.ai, aMax: sd.ai, dMin: sd.dj, dMax: sd.dj, diaMin: dia, diaMax: dia, lastA: sd.ai, lastDia: dia, seeds: 1})
			}
		}
		s = e
	}
	// Most seeds first: the document that shares most of a passage is
	// aligned first, and weaker copies of the same words elsewhere are
	// skipped when a passage already covers their seeds.
	slices.SortStableFunc(clusters, func(a, b cluster) int { return cmp.Compare(b.seeds, a.seeds) })

	st.found = st.found[:0]
	aligned := 0
	for _, cl := range clusters {
		if covered(st.found, int(cl.aMin), int(cl.aMax)+k) {
			continue
		}
		d := ix.docs[cl.doc].words
		if !promising(aw, d, &cl, k, minWords) {
			continue
		}
		if aligned++; ix.opts.MaxAligned > 0 && aligned > ix.opts.MaxAligned {
			break
		}
		aLo := max(0, int(cl.aMin)-alignPad)
		aHi := min(len(aw), int(cl.aMax)+k+alignPad)
		dLo := max(0, int(cl.dMin)-alignPad)
		dHi := min(len(d), int(cl.dMax)+k+alignPad)
		st.diaLo, st.diaHi = int(cl.diaMin)-alignBand, int(cl.diaMax)+alignBand
		ix.alignRegion(st, aw, d, int(cl.doc), aLo, aHi, dLo, dHi, minWords, 0)
	}
	// st.seeds is still sorted by document and article position.
	ix.findReuse(st, aw, minWords)
	return resolveOverlaps(st.found)
}

// alignRegion finds the best local alignment in the region, grows the
// region while the alignment touches one of its edges, records it when
// long enough, then looks for further passages in the article words
// before and after it.
func (ix *Index) alignRegion(st *matchState, aw, dw []uint32, doc, aLo, aHi, dLo, dHi, minWords, depth int) {
	if depth > 8 || aHi-aLo < minWords/2 || dHi-dLo < minWords {
		return
	}
	var f found
	for {
		f = st.smithWaterman(aw, dw, aLo, aHi, dLo, dHi)
		grown := false
		if f.a0 == aLo && aLo > 0 || f.d0 == dLo && dLo > 0 {
			aLo, dLo = max(0, aLo-alignPad), max(0, dLo-alignPad)
			grown = true
		}
		if f.a1 == aHi && aHi < len(aw) || f.d1 == dHi && dHi < len(dw) {
			aHi, dHi = min(len(aw), aHi+alignPad), min(len(dw), dHi+alignPad)
			grown = true
		}
		if grown {
			st.diaLo, st.diaHi = st.diaLo-alignBand/2, st.diaHi+alignBand/2
		}
		if !grown || f.matched == 0 {
			break
		}
	}
	words := f.d1 - f.d0
	if f.matched == 0 || words < minWords || float64(f.matched) < minMatchedFrac*float64(words) {
		return
	}
	f.doc = doc
	st.found = append(st.found, f)
	ix.alignRegion(st, aw, dw, doc, aLo, f.a0, dLo, dHi, minWords, depth+1)
	ix.alignRegion(st, aw, dw, doc, f.a1, aHi, dLo, dHi, minWords, depth+1)
}

// cell is one Smith-Waterman cell. Instead of a traceback matrix, each
// cell carries where its alignment started and how many words matched,
// so two rows are enough. A cell with score 0 holds no alignment.
type cell struct {
	score   int32
	a0, d0  int32
	matched int32
}

// smithWaterman returns the best local alignment of aw[aLo:aHi] against
// dw[dLo:dHi], word by word. A path whose score falls to zero ends: an
// edit is bridged only with at least two matching words before it, and
// kept at the end only with two after it, so that a phrase that merely
// shares its neighbour with a quote ("les habitants de l'Aisne, de la
// Somme…" against "les indécis de l'Aisne, de la Somme…") does not grow
// into one.
func (st *matchState) smithWaterman(aw, dw []uint32, aLo, aHi, dLo, dHi int) found {
	n := dHi - dLo

	if cap(st.row) < n+1 {
		st.row = make([]cell, n+1)
		st.prev = make([]cell, n+1)
	}
	prev, row := st.prev[:n+1], st.row[:n+1]
	clear(prev)
	clear(row)
	var best cell
	bestI, bestJ := -1, -1
	for i := aLo; i < aHi; i++ {
		// Columns of this row inside the band of diagonals; the cells
		// just outside are zeroed so the next row reads no stale value.
		jlo := max(1, i+st.diaLo-dLo+1)
		jhi := min(n, i+st.diaHi-dLo+1)
		if jlo > jhi {
			// The band misses this row entirely.
			clear(row)
			prev, row = row, prev
			continue
		}
		row[0] = cell{}
		row[jlo-1] = cell{}
		if jhi+1 <= n {
			row[jhi+1] = cell{}
		}
		ai := aw[i]
		for j := jlo; j <= jhi; j++ {
			dj := dLo + j - 1
			var c cell
			p := prev[j-1]
			switch {
			case ai == dw[dj] && p.score > 0:
				c = cell{p.score + scoreMatch, p.a0, p.d0, p.matched + 1}
			case ai == dw[dj]:
				c = cell{scoreMatch, int32(i), int32(dj), 1}
			case p.score+scoreMismatch > 0:
				c = cell{p.score + scoreMismatch, p.a0, p.d0, p.matched}
			}
			// Gap in the document (a word inserted in the article).
			if u := prev[j]; u.score+scoreGap > c.score {
				c = cell{u.score + scoreGap, u.a0, u.d0, u.matched}
			}
			// Gap in the article (a word dropped).
			if l := row[j-1]; l.score+scoreGap > c.score {
				c = cell{l.score + scoreGap, l.a0, l.d0, l.matched}
			}
			row[j] = c
			if c.score > best.score {
				best, bestI, bestJ = c, i, dj
			}
		}
		prev, row = row, prev
	}
	if bestI < 0 {
		return found{}
	}
	return found{a0: int(best.a0), a1: bestI + 1, d0: int(best.d0), d1: bestJ + 1, matched: int(best.matched)}
}

// promising is a cheap bound checked before aligning a chain: a passage
// of minWords words through the chain's seeds, with at most a quarter of
// its words edited, has that many words matching on a diagonal near the
// chain's, within minWords+4 words of it. Most chains (a common phrase
// shared by a news text and a mail) fail this at a fraction of the cost of
// an alignment.
func promising(aw, dw []uint32, cl *cluster, k, minWords int) bool {
	if cl.seeds > 1 && int(cl.aMax)+k-int(cl.aMin) >= minWords {
		return true
	}
	need := int(math.Ceil(minMatchedFrac * float64(minWords)))
	span := minWords + 4
	lo, hi := max(0, int(cl.aMin)-span), min(len(aw), int(cl.aMax)+k+span)
	dlo, dhi := int(cl.diaMin)-4, int(cl.diaMax)+4
	n := 0
	for i := lo; i < hi; i++ {
		for d := dlo; d <= dhi; d++ {
			if j := i + d; j >= 0 && j < len(dw) && dw[j] == aw[i] {
				n++
				break
			}
		}
	}
	return n >= need
}

// covered reports whether article words [a, b) lie inside passages found.
func covered(fs []found, a, b int) bool {
	for _, f := range fs {
		if f.a0 <= a && b <= f.a1 {
			return true
		}
	}
	return false
}

// resolveOverlaps keeps, among passages whose article spans overlap by
// more than half of the shorter, the one with most matched words (then
// most words, then the earliest document), and sorts by article position.
func resolveOverlaps(fs []found) []found {
	slices.SortStableFunc(fs, func(a, b found) int {
		if c := cmp.Compare(b.matched, a.matched); c != 0 {
			return c
		}
		if c := cmp.Compare(b.d1-b.d0, a.d1-a.d0); c != 0 {
			return c
		}
		return cmp.Compare(a.doc, b.doc)
	})
	var kept []found
	for _, f := range fs {
		ok := true
		for _, g := range kept {
			ov := min(f.a1, g.a1) - max(f.a0, g.a0)
			if ov > 0 && 2*ov > min(f.a1-f.a0, g.a1-g.a0) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, f)
		}
	}
	slices.SortFunc(kept, func(a, b found) int { return cmp.Compare(a.a0, b.a0) })
	return kept
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}
