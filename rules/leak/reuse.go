package leak

import (
	"cmp"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Rewritten passages. The word alignment of match.go finds copies edited
// a word here and there; a passage whose clauses were reordered, whose
// sentences were merged or split and whose words were swapped for
// synonyms keeps few runs of identical words, but keeps most of its
// content words, in order within each clause. Where a document's seeds
// are left unexplained by the word alignment, its content words (stop
// words left out, words compared by class: see words.go) are aligned
// against the article's around them, piece by piece: the best local
// alignment, then the best among the words left, and so on. Pieces
// adjacent in the article form one passage, however their order differs
// in the document.
//
// Same-topic text shares names, numbers and topic words with a document,
// often several in a row ("Neil Armstrong and Buzz Aldrin"). A passage
// therefore needs, besides its length, a number of matched content words
// that are neither names nor numbers in the document (plain words), and
// matched content words must be dense in its article span.
const (
	// reuseSeedGap: seeds of one document at most this many article words
	// apart are examined together; reusePad words are added around them
	// in the article, reuseDocPad in the document.
	reuseSeedGap = 60
	reusePad     = 50
	reuseDocPad  = 80
	// reuseMinSeeds: fewer seeds than this (of one document, unexplained)
	// are not examined, unless the document is one of the reuseTopDocs
	// sharing most seeds with the article (see findReuse).
	reuseMinSeeds = 2
	reuseTopDocs  = 3
	// A piece scores reuseMatch per matched content word and −1 per
	// changed, dropped or inserted one, and needs reusePieceScore: three
	// matching words, or two and two more after one edit.
	reuseMatch      = 2
	reusePieceScore = 5
	// Pieces at most reuseMergeGap article content words apart are one
	// passage.
	reuseMergeGap = 6
	// A passage of minWords needs minWords×reuseMatchedFrac matched content
	// words, minWords×reusePlainFrac of them plain, and matched words must
	// be reuseDensity of the content words of its article span.
	reuseMatchedFrac = 1.0
	reusePlainFrac   = 1.0 / 3
	reuseDensity     = 0.5
	// A passage a little short of needMatched (reuseProseFrac of it) is
	// taken when its document side is prose: at least reuseProseWords
	// document words per matched content word. A heavy paraphrase
	// matches content words thinly spread through sentences; a list of
	// names and titles (a staff directory, a signature block) matches
	// them back to back, and is what same-topic text meets by chance.
	reuseProseFrac  = 0.9
	reuseProseWords = 2
	// reuseMaxPieces bounds the pieces taken from one window.
	reuseMaxPieces = 12
)

// part is one aligned piece of a rewritten passage, in words.
type part struct {
	a0, a1, d0, d1 int
}

// reuseState holds the buffers of the content-word alignment.
type reuseState struct {
	acls       []uint32 // class of article words (see articleClass)
	aclsOK     []bool   // acls[i] is known
	lang       lang     // the article's language, once langKnown
	langKnown  bool
	apos       []int    // article words of the window's content words
	ac         []uint32 // their classes
	dpos       []int
	dc         []uint32
	dplain     []bool // the document's word is neither a name nor a number
	usedA      []bool
	usedD      []bool
	rrow       []rcell
	rprev      []rcell
	pieces     []rpiece
	top        []int // the documents sharing most seeds with the article (findReuse)
	seedCounts []docSeeds
	bloom      [64]uint64
	dw         wordSeq // the candidate document's words
	dwDoc      int     // which document dw holds, -1 none
	names      map[uint32]uint8
}

type rcell struct {
	score, a0, d0, matched, plain int32
}

type rpiece struct {
	ca0, ca1, cd0, cd1 int // content-word indexes, half open
	matched, plain     int
}

// articleClass returns the class of article word i, computed once per
// call: the corpus vocabulary's class when the word occurs in the corpus;
// else, when the article's text is known (Quotes), the class of its stem
// in the article's language; else (Classify, which passes word hashes
// only) the word's hash, which is the class of a word that is its own
// stem.
func (ix *Index) articleClass(st *matchState, aw []uint32, i int) uint32 {
	r := &st.reuse
	if len(r.acls) != len(aw) {
		r.acls = slices.Grow(r.acls[:0], len(aw))[:len(aw)]
		r.aclsOK = slices.Grow(r.aclsOK[:0], len(aw))[:len(aw)]
		clear(r.aclsOK)
		r.langKnown = false
	}
	if r.aclsOK[i] {
		return r.acls[i]
	}
	c, ok := ix.vocab[aw[i]]
	if !ok {
		c = aw[i]
		if st.text != nil && len(st.text.hash) == len(aw) {
			if !r.langKnown {
				r.lang, r.langKnown = guessLang(aw), true
			}
			c = wordClass(st.text.word(i), r.lang)
		}
	}
	r.acls[i], r.aclsOK[i] = c, true
	return c
}

// findReuse looks for rewritten passages among the seeds (sorted by
// document and article position) that the passages already found leave
// unexplained, and appends them to st.found.
func (ix *Index) findReuse(st *matchState, aw []uint32, minWords int) {
	k := int32(ix.opts.K)
	r := &st.reuse
	r.acls = r.acls[:0]
	r.dwDoc = -1
	seeds := st.seeds
	r.top, r.seedCounts = topDocs(r.top[:0], r.seedCounts, seeds, reuseTopDocs)
	for s := 0; s < len(seeds); {
		e := s
		for e < len(seeds) && seeds[e].doc == seeds[s].doc {
			e++
		}
		// Groups of this document's seeds, in article order: examined
		// when they hold reuseMinSeeds seeds no passage explains, or one
		// next to a passage already found from this document (a clause
		// moved away from the rest of the copy), or one when the document
		// is among the reuseTopDocs sharing most seeds with the article.
		// A heavy paraphrase often keeps a single run of words of its
		// source, which is then among the few documents nearest the
		// article; against a large corpus any article shares a chance
		// run with many documents, and opening a window for each made
		// matching against 100,000 articles eleven times slower.
		doc := int(seeds[s].doc)
		top := slices.Contains(r.top, doc)
		n, free, near := 0, 0, 0
		var aMin, aMax, dMin, dMax int32
		flush := func() {
			if free >= reuseMinSeeds || free > 0 && (near > 0 || top) {
				ix.reuseWindow(st, aw, doc, int(aMin), int(aMax+k), int(dMin), int(dMax+k), minWords)
			}
			n, free, near = 0, 0, 0
		}
		for i := s; i < e; i++ {
			sd := seeds[i]
			if n > 0 && sd.ai-aMax > reuseSeedGap {
				flush()
			}
			switch {
			case coveredBy(st.found, doc, int(sd.ai), int(sd.ai+k)):
				near++
			case covered(st.found, int(sd.ai), int(sd.ai+k)):
				continue // another document's passage
			default:
				free++
			}
			if n == 0 {
				aMin, aMax, dMin, dMax = sd.ai, sd.ai, sd.dj, sd.dj
			}
			aMax = max(aMax, sd.ai)
			dMin, dMax = min(dMin, sd.dj), max(dMax, sd.dj)
			n++
		}
		flush()
		s = e
	}
}

// docSeeds is how many seeds a document shares with the article.
type docSeeds struct{ doc, seeds int }

// topDocs appends to dst the n documents sharing most seeds with the
// article (seeds sorted by document), most first, the earliest on ties;
// cs is a buffer.
func topDocs(dst []int, cs []docSeeds, seeds []seed, n int) ([]int, []docSeeds) {
	cs = cs[:0]
	for s := 0; s < len(seeds); {
		e := s
		for e < len(seeds) && seeds[e].doc == seeds[s].doc {
			e++
		}
		cs = append(cs, docSeeds{int(seeds[s].doc), e - s})
		s = e
	}
	slices.SortStableFunc(cs, func(a, b docSeeds) int { return cmp.Compare(b.seeds, a.seeds) })
	for _, c := range cs[:min(n, len(cs))] {
		dst = append(dst, c.doc)
	}
	return dst, cs
}

// coveredBy reports whether article words [a, b) lie inside a passage
// found from document doc.
func coveredBy(fs []found, doc, a, b int) bool {
	for _, f := range fs {
		if f.doc == doc && f.a0 <= a && b <= f.a1 {
			return true
		}
	}
	return false
}

// reuseWindow aligns the content words of article words [a0, a1) and
// document words [d0, d1), both padded, piece by piece.
func (ix *Index) reuseWindow(st *matchState, aw []uint32, doc, a0, a1, d0, d1, minWords int) {
	// Seeds scattered over a long stretch of the document are chance.
	if d1-d0 > 4*(a1-a0)+2*reuseDocPad {
		return
	}
	r := &st.reuse
	d := ix.docs[doc].words
	a0, a1 = max(0, a0-reusePad), min(len(aw), a1+reusePad)
	d0, d1 = max(0, d0-reuseDocPad), min(len(d), d1+reuseDocPad)
	needMatched := int(float64(minWords)*reuseMatchedFrac + 0.999)
	needPlain := int(float64(minWords)*reusePlainFrac + 0.999)

	// Document content words, and a Bloom filter of their classes.
	r.dpos, r.dc = r.dpos[:0], r.dc[:0]
	clear(r.bloom[:])
	for j := d0; j < d1; j++ {
		if stopHashes[d[j]] {
			continue
		}
		c := ix.vocab[d[j]]
		r.dpos, r.dc = append(r.dpos, j), append(r.dc, c)
		r.bloom[c>>26&63] |= 1 << (c & 63)
	}
	// A cheap bound: enough article content words whose class the
	// document window may hold.
	r.apos, r.ac = r.apos[:0], r.ac[:0]
	hits := 0
	for i := a0; i < a1; i++ {
		if stopHashes[aw[i]] {
			continue
		}
		c := ix.articleClass(st, aw, i)
		r.apos, r.ac = append(r.apos, i), append(r.ac, c)
		if r.bloom[c>>26&63]&(1<<(c&63)) != 0 {
			hits++
		}
	}
	if hits < needMatched {
		return
	}
	// Names and numbers of the document.
	if r.dwDoc != doc {
		r.loadDoc(ix.docs[doc].Text)
		r.dwDoc = doc
	}
	r.dplain = r.dplain[:0]
	for _, j := range r.dpos {
		r.dplain = append(r.dplain, r.names[d[j]]&caseLower != 0)
	}
	// Words inside passages already found are not aligned again.
	r.usedA = slices.Grow(r.usedA[:0], len(r.apos))[:len(r.apos)]
	for x, i := range r.apos {
		r.usedA[x] = covered(st.found, i, i+1)
	}
	r.usedD = slices.Grow(r.usedD[:0], len(r.dpos))[:len(r.dpos)]
	for x, j := range r.dpos {
		r.usedD[x] = docCovered(st.found, doc, j)
	}
	r.pieces = r.pieces[:0]

	for range reuseMaxPieces {
		p, ok := r.bestPiece()
		if !ok {
			break
		}
		r.pieces = append(r.pieces, p)
		for x := p.ca0; x < p.ca1; x++ {
			r.usedA[x] = true
		}
		for x := p.cd0; x < p.cd1; x++ {
			r.usedD[x] = true
		}
	}
	if len(r.pieces) == 0 {
		return
	}
	slices.SortFunc(r.pieces, func(a, b rpiece) int { return cmp.Compare(a.ca0, b.ca0) })
	for s := 0; s < len(r.pieces); {
		e := s + 1
		for e < len(r.pieces) && r.pieces[e].ca0-r.pieces[e-1].ca1 <= reuseMergeGap {
			e++
		}
		ix.reuseRuns(st, doc, r.pieces[s:e], minWords, needMatched, needPlain)
		s = e
	}
}

// reuseRuns records, among runs of consecutive pieces, the one matching
// most words that passes the bounds, then looks for more on either side
// of it.
func (ix *Index) reuseRuns(st *matchState, doc int, ps []rpiece, minWords, needMatched, needPlain int) {
	bs, be, bm := -1, -1, 0
	for s := range ps {
		m := 0
		for e := s; e < len(ps); e++ {
			m += ps[e].matched
			if m > bm && ix.reuseOK(st, ps[s:e+1], minWords, needMatched, needPlain) {
				bs, be, bm = s, e+1, m
			}
		}
	}
	if bs < 0 {
		return
	}
	ix.reusePassage(st, doc, ps[bs:be])
	ix.reuseRuns(st, doc, ps[:bs], minWords, needMatched, needPlain)
	ix.reuseRuns(st, doc, ps[be:], minWords, needMatched, needPlain)
}

// reuseOK reports whether pieces adjacent in the article pass the bounds
// of a passage.
func (ix *Index) reuseOK(st *matchState, ps []rpiece, minWords, needMatched, needPlain int) bool {
	r := &st.reuse
	matched, plain, words := 0, 0, 0
	for _, p := range ps {
		matched += p.matched
		plain += p.plain
		words += r.pieceWords(p)
	}
	span := ps[len(ps)-1].ca1 - ps[0].ca0
	if plain < needPlain || words < minWords || float64(matched) < reuseDensity*float64(span) {
		return false
	}
	return matched >= needMatched || float64(matched) >= reuseProseFrac*float64(needMatched) && words >= reuseProseWords*matched
}

// pieceWords returns the document words a piece covers.
func (r *reuseState) pieceWords(p rpiece) int {
	return r.dpos[p.cd1-1] + 1 - r.dpos[p.cd0]
}

// reusePassage records pieces adjacent in the article as one passage.
func (ix *Index) reusePassage(st *matchState, doc int, ps []rpiece) {
	r := &st.reuse
	f := found{doc: doc, d0: -1}
	for _, p := range ps {
		f.matched += p.matched
		f.words += r.pieceWords(p)
		pt := part{r.apos[p.ca0], r.apos[p.ca1-1] + 1, r.dpos[p.cd0], r.dpos[p.cd1-1] + 1}
		if len(f.parts) == 0 {
			f.a0 = pt.a0
		}
		f.a1 = pt.a1
		if f.d0 < 0 || pt.d0 < f.d0 {
			f.d0 = pt.d0
		}
		f.d1 = max(f.d1, pt.d1)
		f.parts = append(f.parts, pt)
	}
	st.found = append(st.found, f)
}

// docCovered reports whether word j of document doc lies inside a
// passage found from it.
func docCovered(fs []found, doc, j int) bool {
	for _, f := range fs {
		if f.doc == doc && f.d0 <= j && j < f.d1 {
			return true
		}
	}
	return false
}

// bestPiece returns the best local alignment of the article's content
// words against the document's among those not used yet (Smith-Waterman,
// unbanded: the window is small).
func (r *reuseState) bestPiece() (rpiece, bool) {
	n, m := len(r.ac), len(r.dc)
	if cap(r.rrow) < m+1 {
		r.rrow = make([]rcell, m+1)
		r.rprev = make([]rcell, m+1)
	}
	prev, row := r.rprev[:m+1], r.rrow[:m+1]
	clear(prev)
	var best rcell
	bi, bj := -1, -1
	for i := range n {
		if r.usedA[i] {
			// Words already aligned end every path through them.
			clear(row)
			prev, row = row, prev
			continue
		}
		row[0] = rcell{}
		ai := r.ac[i]
		for j := 1; j <= m; j++ {
			var c rcell
			if r.usedD[j-1] {
				row[j] = c
				continue
			}
			p := prev[j-1]
			switch {
			case ai == r.dc[j-1]:
				pl := int32(0)
				if r.dplain[j-1] {
					pl = 1
				}
				if p.score > 0 {
					c = rcell{p.score + reuseMatch, p.a0, p.d0, p.matched + 1, p.plain + pl}
				} else {
					c = rcell{reuseMatch, int32(i), int32(j - 1), 1, pl}
				}
			case p.score-1 > 0:
				c = rcell{p.score - 1, p.a0, p.d0, p.matched, p.plain}
			}
			if u := prev[j]; u.score-1 > c.score {
				c = rcell{u.score - 1, u.a0, u.d0, u.matched, u.plain}
			}
			if l := row[j-1]; l.score-1 > c.score {
				c = rcell{l.score - 1, l.a0, l.d0, l.matched, l.plain}
			}
			row[j] = c
			if c.score > best.score {
				best, bi, bj = c, i, j-1
			}
		}
		prev, row = row, prev
	}
	if bi < 0 || best.score < reusePieceScore {
		return rpiece{}, false
	}
	return rpiece{int(best.a0), bi + 1, int(best.d0), bj + 1, int(best.matched), int(best.plain)}, true
}

const caseLower = 1 // the word occurs in lower case in the document

// loadDoc tokenises a candidate document and notes which of its words
// occur in lower case somewhere in it. The others, words always
// capitalised (names, even at the start of a line or a sentence) and
// numbers, are not plain words.
func (r *reuseState) loadDoc(text string) {
	tokenize(&r.dw, text)
	if r.names == nil {
		r.names = map[uint32]uint8{}
	}
	clear(r.names)
	t := r.dw.norm.Original
	for j, h := range r.dw.hash {
		s, _ := r.dw.span(j, j+1)
		c, _ := utf8.DecodeRuneInString(t[s:])
		if unicode.IsLower(c) {
			r.names[h] |= caseLower
		}
	}
}
