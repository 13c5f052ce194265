package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/rules/leak"
	"github.com/silencewatch/silencewatch/textmatch"
)

// segmentSep joins an article's fields: a control byte survives
// normalisation as a non-word byte, so no phrase runs from title to body.
// Its edges are ASCII, as textmatch.NormalizeJoined needs.
const segmentSep = "\n\x1f\n"

const maxEvidencePerLeaf = 5

// maxFocusBytes bounds the leak classifier's focus sentence shown as
// evidence: longer, it is a paragraph the sentence splitter could not cut.
const maxFocusBytes = 600

// scratch is the per-evaluation state, pooled so that steady-state
// evaluation does not allocate buffers per article.
type scratch struct {
	segTexts  []string // the article's fields, matched as one text joined by segmentSep
	segStarts []int    // where each starts in that text
	segFields []article.Field
	folded    textmatch.Text
	cased     textmatch.Text
	casedDone bool
	matches   []textmatch.Match
	hits      [][]textmatch.Match // by pattern id
	touched   []int
	cand      []int    // candidate rule indexes, ascending
	mark      []uint32 // per rule: generation it was last marked in
	gen       uint32
	words     []int // start offsets of words in folded text, built on demand
	wordsDone bool
	snippets  map[snippetKey]snippet // contexts built for this article
	evKeys    []evKey
	arena     []hitRef // the hits of the rule being decided
	ctxBuf    []byte   // the contexts of this article that are not substrings of it
	fixups    []fixup
	findings  []finding.Finding
	engine    *Engine
	article   *article.Article
	quotes    map[string][]finding.Evidence // leak id + min words → passages
	reports   map[string]*leak.Report
}

// snippetKey identifies a span whose context several findings may share:
// its segment (an article has at most three) and its offsets in the
// segment, which fit in 31 bits as textmatch's do.
type snippetKey uint64

func snippetKeyOf(seg, start, end int) snippetKey {
	return snippetKey(uint64(seg)<<62 | uint64(start)<<31 | uint64(end))
}

type snippet struct{ before, after piece }

// piece is a context string: s itself, or, while the article is being
// evaluated, n bytes at off in the scratch's context buffer, which becomes
// one string when the evaluation ends (one allocation for every context
// of the article instead of one each).
type piece struct {
	s      string
	off, n int
}

// fixup is a context field of the evidence still to be set from the
// buffer.
type fixup struct {
	dst *string
	p   piece
}

type hitRef struct {
	n      *node
	m      textmatch.Match
	regex  bool              // m holds cased-text offsets from a regex
	direct *finding.Evidence // evidence already in original field offsets (leak conditions)
	report *leak.Report
}

func (e *Engine) getScratch() *scratch {
	if s, ok := e.scratch.Get().(*scratch); ok {
		return s
	}
	return &scratch{snippets: map[snippetKey]snippet{}, quotes: map[string][]finding.Evidence{}, reports: map[string]*leak.Report{}}
}

func (s *scratch) prepare(a *article.Article, set *textmatch.Set) {
	s.segTexts, s.segStarts, s.segFields = s.segTexts[:0], s.segStarts[:0], s.segFields[:0]
	off := 0
	for i, seg := range a.Segments() {
		if i > 0 {
			off += len(segmentSep)
		}
		s.segTexts = append(s.segTexts, seg.Text)
		s.segStarts = append(s.segStarts, off)
		s.segFields = append(s.segFields, seg.Field)
		off += len(seg.Text)
	}
	clear(s.snippets)
	s.ctxBuf = s.ctxBuf[:0]
	clear(s.quotes)
	clear(s.reports)
	s.article = a
	textmatch.NormalizeJoined(&s.folded, s.segTexts, segmentSep, true)
	s.casedDone, s.wordsDone = false, false
	var casedText *textmatch.Text
	if set.HasCased() {
		s.ensureCased()
		casedText = &s.cased
	}
	for _, id := range s.touched {
		s.hits[id] = s.hits[id][:0]
	}
	s.touched = s.touched[:0]
	if len(s.hits) < set.Len() {
		s.hits = make([][]textmatch.Match, set.Len())
	}
	s.matches = set.Find(s.matches[:0], &s.folded, casedText)
	for _, m := range s.matches {
		if len(s.hits[m.Pattern]) == 0 {
			s.touched = append(s.touched, m.Pattern)
		}
		s.hits[m.Pattern] = append(s.hits[m.Pattern], m)
	}
}

func (s *scratch) ensureCased() {
	if !s.casedDone {
		textmatch.NormalizeJoined(&s.cased, s.segTexts, segmentSep, false)
		s.casedDone = true
	}
}

// candidates lists the rules worth evaluating, in rule order: those using
// a pattern that was hit, and those with no literal to rule them out.
func (s *scratch) candidates(e *Engine) []int {
	if len(s.mark) < len(e.rules) {
		s.mark = make([]uint32, len(e.rules))
	}
	s.gen++
	if s.gen == 0 { // wrapped: forget every old mark
		clear(s.mark)
		s.gen = 1
	}
	s.cand = s.cand[:0]
	add := func(r int) {
		if s.mark[r] != s.gen {
			s.mark[r] = s.gen
			s.cand = append(s.cand, r)
		}
	}
	for _, id := range s.touched {
		for _, r := range e.byPattern[id] {
			add(r)
		}
	}
	for _, r := range e.always {
		add(r)
	}
	sort.Ints(s.cand)
	return s.cand
}

// eval decides a node and returns the hits that made it true. Literal
// children are decided before regexes, so a regex only runs when the
// literals have not already settled the answer. The hits are appended to
// the scratch's arena, which the caller empties once it has used them.
func (s *scratch) eval(n *node) ([]hitRef, bool) {
	start := len(s.arena)
	ok := s.evalInto(n)
	return s.arena[start:], ok
}

// evalInto decides n, appending the hits that made it true to s.arena;
// when n is false, s.arena is left as it was.
func (s *scratch) evalInto(n *node) bool {
	start := len(s.arena)
	if s.decide(n) {
		return true
	}
	s.arena = s.arena[:start]
	return false
}

func (s *scratch) decide(n *node) bool {
	start := len(s.arena)
	switch n.kind {
	case nodeLiteral:
		collect := func(id int) {
			for i, m := range s.hits[id] {
				if i == maxEvidencePerLeaf {
					break
				}
				s.arena = append(s.arena, hitRef{n: n, m: m})
			}
		}
		if n.patternSet != nil && len(s.touched) < len(n.patterns) {
			for _, id := range s.touched {
				if _, ok := n.patternSet[id]; ok {
					collect(id)
				}
			}
		} else {
			for _, id := range n.patterns {
				collect(id)
			}
		}
		return len(s.arena) > start
	case nodeNear:
		return s.near(n)
	case nodeLeakQuote:
		for i := range s.leakQuotes(n.leak, n.within) {
			s.arena = append(s.arena, hitRef{n: n, direct: &s.quotes[quoteKey(n.leak, n.within)][i]})
		}
		return len(s.arena) > start
	case nodeLeakReport:
		r := s.leakReport(n.leak)
		if r.Label != n.leakLabel || r.Score < n.minScore {
			return false
		}
		s.arena = append(s.arena, hitRef{n: n, report: r})
		// The sentence weighing most towards the label, when it is short
		// enough to read in an alert; signals inside it are then shown
		// as part of it.
		if f := r.Focus; f != nil && f.End-f.Start <= maxFocusBytes {
			s.arena = append(s.arena, hitRef{n: n, direct: &finding.Evidence{Kind: "leak_focus", Field: f.Field, Start: f.Start, End: f.End,
				Pattern: fmt.Sprintf("sentence weighing most towards %s (%+.2f)", r.Label, f.Weight)}})
		}
		for i, sig := range r.Signals {
			if i == maxEvidencePerLeaf {
				break
			}
			if sig.Field == "" || sig.End <= sig.Start {
				continue
			}
			s.arena = append(s.arena, hitRef{n: n, direct: &finding.Evidence{Kind: "leak_signal", Field: sig.Field, Start: sig.Start, End: sig.End,
				Pattern: fmt.Sprintf("%s (%+.2f)", sig.Name, sig.Weight)}})
		}
		return true
	case nodeRegex:
		s.ensureCased()
		locs := n.regex.FindAllIndex(s.cased.Norm, maxEvidencePerLeaf)
		for _, l := range locs {
			if l[1] > l[0] {
				s.arena = append(s.arena, hitRef{n: n, m: textmatch.Match{Start: l[0], End: l[1], Cased: true}, regex: true})
			}
		}
		return len(s.arena) > start
	}
	for _, pass := range []bool{true, false} { // literal-backed children first
		for _, c := range n.all {
			if c.hasLiteral != pass {
				continue
			}
			if !s.evalInto(c) {
				return false
			}
		}
	}
	if len(n.any) > 0 {
		found := false
		for _, pass := range []bool{true, false} {
			for _, c := range n.any {
				if c.hasLiteral != pass || (found && !pass) {
					continue
				}
				if s.evalInto(c) {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	for _, c := range n.none {
		if s.evalInto(c) {
			return false
		}
	}
	return true
}

// near looks for one occurrence of every term inside a span of at most
// n.within words, measured from the first word of the earliest to the
// first word of the latest.
func (s *scratch) near(n *node) bool {
	type occ struct {
		word int
		term int
		m    textmatch.Match
	}
	var occs []occ
	for t, id := range n.patterns {
		if len(s.hits[id]) == 0 {
			return false
		}
		for _, m := range s.hits[id] {
			occs = append(occs, occ{word: s.wordAt(m.Start), term: t, m: m})
		}
	}
	sort.Slice(occs, func(i, j int) bool { return occs[i].word < occs[j].word })
	// Sliding window over occurrences sorted by word position.
	count := make([]int, len(n.patterns))
	covered, lo := 0, 0
	for hi := range occs {
		if count[occs[hi].term] == 0 {
			covered++
		}
		count[occs[hi].term]++
		for covered == len(n.patterns) {
			if occs[hi].word-occs[lo].word <= n.within {
				seen := make([]bool, len(n.patterns))
				for k := lo; k <= hi; k++ {
					if !seen[occs[k].term] {
						seen[occs[k].term] = true
						s.arena = append(s.arena, hitRef{n: n, m: occs[k].m})
					}
				}
				return true
			}
			count[occs[lo].term]--
			if count[occs[lo].term] == 0 {
				covered--
			}
			lo++
		}
	}
	return false
}

// wordAt is the index of the word containing folded byte offset off.
func (s *scratch) wordAt(off int) int {
	if !s.wordsDone {
		s.words = s.words[:0]
		text := s.folded.Norm
		for i := range text {
			if textmatch.IsWordByte(text[i]) && (i == 0 || !textmatch.IsWordByte(text[i-1])) {
				s.words = append(s.words, i)
			}
		}
		s.wordsDone = true
	}
	return sort.SearchInts(s.words, off+1) - 1
}

// maxEvidence bounds the evidence of one finding: enough to judge it,
// little enough to read in an alert.
const maxEvidence = 12

func quoteKey(leakID string, minWords int) string { return fmt.Sprintf("%s/%d", leakID, minWords) }

// leakQuotes finds, once per article, the passages each field copies
// from the leak's corpus.
func (s *scratch) leakQuotes(leakID string, minWords int) []finding.Evidence {
	key := quoteKey(leakID, minWords)
	if q, ok := s.quotes[key]; ok {
		return q
	}
	ix := s.engine.leaks[leakID]
	var out []finding.Evidence
	for _, seg := range s.article.Segments() {
		for _, p := range ix.Quotes(seg.Text, minWords) {
			out = append(out, finding.Evidence{Kind: "leak_quote", Field: seg.Field, Start: p.ArticleStart, End: p.ArticleEnd,
				Pattern: fmt.Sprintf("%d words of %s", p.Words, p.DocTitle),
				Source: &finding.LeakSource{Leak: leakID, DocID: p.DocID, DocTitle: p.DocTitle, DocStart: p.DocStart, DocEnd: p.DocEnd,
					Words: p.Words, Matched: p.Matched, DocText: p.DocText}})
		}
	}
	s.quotes[key] = out
	return out
}

// leakReport classifies the article, once per leak.
func (s *scratch) leakReport(leakID string) *leak.Report {
	if r, ok := s.reports[leakID]; ok {
		return r
	}
	r := s.engine.leaks[leakID].Classify(s.article)
	s.reports[leakID] = &r
	return &r
}

// assessment is the leak classifier's verdict among the hits, if one
// decided the finding.
func (s *scratch) assessment(hits []hitRef) *finding.LeakAssessment {
	for _, h := range hits {
		if h.report != nil {
			r := h.report
			return &finding.LeakAssessment{Leak: h.n.leak, Label: r.Label, Score: r.Score, Scores: r.Scores, Signals: r.Signals}
		}
	}
	return nil
}

// evidence maps hits back to the original text of their field, drops
// matches contained in longer ones, and adds context to what remains.
// Hits are ordered and thinned as small keys; only the evidence kept is
// built.
func (s *scratch) evidence(hits []hitRef) []finding.Evidence {
	keys := s.evKeys[:0]
	for i, h := range hits {
		if h.report != nil && h.direct == nil {
			continue // the assessment itself, not a span
		}
		if h.direct != nil {
			e := h.direct
			seg := s.segmentIndex(e.Field)
			if seg < 0 || e.End > len(s.segText(seg)) || e.Start < 0 || e.Start >= e.End {
				continue
			}
			keys = append(keys, evKey{order: e.Field.Order(), seg: seg, start: e.Start, end: e.End, hit: i})
			continue
		}
		text := &s.folded
		if h.m.Cased {
			text = &s.cased
		}
		start, end := text.Span(h.m.Start, h.m.End)
		seg := sort.SearchInts(s.segStarts, start+1) - 1
		if seg < 0 {
			seg = 0
		}
		base := s.segStarts[seg]
		if segEnd := s.segEnd(seg); end > segEnd {
			end = segEnd
		}
		keys = append(keys, evKey{order: s.segFields[seg].Order(), seg: seg, start: start - base, end: end - base, hit: i})
	}
	s.evKeys = keys
	sortEvKeys(keys)
	// A match inside a longer one of the same field ("MacronLeaks" inside
	// "#MacronLeaks"), or the same span found by two patterns, adds
	// nothing for a reader.
	kept := keys[:0]
	for _, k := range keys {
		if n := len(kept); n > 0 && kept[n-1].seg == k.seg && k.end <= kept[n-1].end {
			continue
		}
		kept = append(kept, k)
		if len(kept) == maxEvidence {
			break
		}
	}
	out := make([]finding.Evidence, len(kept))
	for i, k := range kept {
		h := hits[k.hit]
		field := s.segText(k.seg)
		if h.direct != nil {
			out[i] = *h.direct
			out[i].Text = field[k.start:k.end]
		} else {
			out[i] = finding.Evidence{
				Kind:    kindOf(h.n),
				Field:   s.segFields[k.seg],
				Text:    field[k.start:k.end],
				Start:   k.start,
				End:     k.end,
				Pattern: patternOf(h),
			}
		}
		key := snippetKeyOf(k.seg, k.start, k.end)
		sn, ok := s.snippets[key]
		if !ok {
			sn.before, sn.after = s.context(field, k.start, k.end)
			s.snippets[key] = sn
		}
		s.setPiece(&out[i].Before, sn.before)
		s.setPiece(&out[i].After, sn.after)
	}
	return out
}

// evKey is a hit as evidence is ordered and thinned: its field, its span
// in the field's original text, and where it came from. It holds no
// pointer, so sorting and copying keys costs the collector nothing.
type evKey struct {
	order      int
	seg        int // the field's segment
	start, end int
	hit        int // index in the hits
}

// evKeyBefore orders evidence by field, then start, the longer span
// first at one start.
func evKeyBefore(a, b *evKey) bool {
	if a.order != b.order {
		return a.order < b.order
	}
	if a.start != b.start {
		return a.start < b.start
	}
	return a.end > b.end
}

// sortEvKeys sorts keys stably by evKeyBefore. A finding's hits are a
// few runs already in order, which an insertion sort without a call per
// comparison takes in a few moves.
func sortEvKeys(keys []evKey) {
	if len(keys) > 32 {
		slices.SortStableFunc(keys, func(a, b evKey) int {
			if evKeyBefore(&a, &b) {
				return -1
			}
			if evKeyBefore(&b, &a) {
				return 1
			}
			return 0
		})
		return
	}
	for i := 1; i < len(keys); i++ {
		if !evKeyBefore(&keys[i], &keys[i-1]) {
			continue
		}
		k := keys[i]
		j := i - 1
		for j > 0 && evKeyBefore(&k, &keys[j-1]) {
			j--
		}
		copy(keys[j+1:i+1], keys[j:i])
		keys[j] = k
	}
}

// segmentIndex is the segment holding field f, or -1.
func (s *scratch) segmentIndex(f article.Field) int {
	return slices.Index(s.segFields, f)
}

// segText is the original text of segment seg.
func (s *scratch) segText(seg int) string { return s.segTexts[seg] }

// segEnd is where segment seg ends in the joined text.
func (s *scratch) segEnd(seg int) int { return s.segStarts[seg] + len(s.segTexts[seg]) }

func kindOf(n *node) string {
	if strings.HasPrefix(n.label, "list:") {
		return "list"
	}
	return n.label
}

func patternOf(h hitRef) string {
	if h.regex {
		return h.n.regex.String()
	}
	for i, id := range h.n.patterns {
		if id == h.m.Pattern {
			if strings.HasPrefix(h.n.label, "list:") {
				return h.n.label + " " + h.n.written[i]
			}
			return h.n.written[i]
		}
	}
	return h.n.label
}

const contextBytes = 80

func (s *scratch) setPiece(dst *string, p piece) {
	if p.n == 0 {
		*dst = p.s
		return
	}
	s.fixups = append(s.fixups, fixup{dst, p})
}

// finishContexts sets the contexts built in the buffer, once the
// evaluation has built every finding's evidence.
func (s *scratch) finishContexts() {
	if len(s.fixups) > 0 {
		all := string(s.ctxBuf)
		for _, f := range s.fixups {
			*f.dst = all[f.p.off : f.p.off+f.p.n]
		}
	}
	clear(s.fixups) // they point into the findings
	s.fixups = s.fixups[:0]
}

// context returns up to contextBytes of text either side of a match, cut
// at rune boundaries, whitespace collapsed, with an ellipsis where cut.
func (s *scratch) context(field string, start, end int) (before, after piece) {
	lo, hi := start-contextBytes, end+contextBytes
	prefix, suffix := "…", "…"
	if lo <= 0 {
		lo, prefix = 0, ""
	}
	if hi >= len(field) {
		hi, suffix = len(field), ""
	}
	for lo > 0 && !utf8.RuneStart(field[lo]) {
		lo--
	}
	for hi < len(field) && !utf8.RuneStart(field[hi]) {
		hi++
	}
	return s.collapsedPiece(prefix, field[lo:start], "", true), s.collapsedPiece("", field[end:hi], suffix, false)
}

// collapsedPiece is collapsed(prefix, t, suffix, before): t itself when it
// needs neither folding nor an ellipsis, else built in the buffer.
func (s *scratch) collapsedPiece(prefix, t, suffix string, before bool) piece {
	if prefix == "" && suffix == "" && clean(t) {
		return piece{s: t} // the usual case after a match: no copy
	}
	off := len(s.ctxBuf)
	s.ctxBuf = appendCollapsed(s.ctxBuf, prefix, t, suffix, before)
	if n := len(s.ctxBuf) - off; n > 0 {
		return piece{off: off, n: n}
	}
	return piece{}
}

// appendCollapsed appends prefix, s with its whitespace runs folded to
// one space, and suffix to b. One space is kept at the edge of s that
// touches the match (its end before a match, its start after one), so
// words stay apart; s with nothing to fold is kept as it is.
//
// Between two runs to fold, s is words with single spaces, which folding
// keeps: those stretches are copied whole rather than byte by byte.
func appendCollapsed(b []byte, prefix, s, suffix string, before bool) []byte {
	b = append(b, prefix...)
	f := foldAt(s)
	if f == len(s) { // nothing to fold: s is kept as it is, edges included
		b = append(b, s...)
		return append(b, suffix...)
	}
	body := len(b)
	i := 0
	if before && f > 0 && s[0] == ' ' {
		i = 1 // a context before a match starts at a word
	}
	for {
		b = append(b, s[i:f]...)
		j := f
		for j < len(s) && contextSpace[s[j]] {
			j++
		}
		if j == len(s) {
			if before && len(b) > body {
				b = append(b, ' ')
			}
			break
		}
		if len(b) > body || !before {
			b = append(b, ' ')
		}
		i = j
		f = j + foldAt(s[j:])
		if f == len(s) {
			if !before && s[f-1] == ' ' {
				f-- // a context after a match ends at a word
			}
			b = append(b, s[i:f]...)
			break
		}
	}
	return append(b, suffix...)
}

// foldAt is the offset of the first whitespace run of s that a context
// folds (a byte other than a space, or more than one byte), or len(s).
// Eight bytes at a time are passed over while they hold no byte below a
// space and no two spaces in a row; the bytes from the first eight that
// may are looked at one by one.
func foldAt(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// zeros flags (with the top bit) every zero byte of x, and maybe some
	// bytes above one: enough to rule a word out, never one in.
	zeros := func(x uint64) uint64 { return (x - ones) &^ x & highs }
	i := 0
	spaceBefore := false
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		spaces := zeros(x ^ 0x2020202020202020)
		if zeros(x&0xe0e0e0e0e0e0e0e0) != 0 || spaces&(spaces<<8) != 0 || spaceBefore && spaces&0x80 != 0 {
			break
		}
		spaceBefore = spaces>>63 != 0
	}
	prev := uint8(0)
	if i > 0 {
		prev = cleanClass[s[i-1]]
	}
	for ; i < len(s); i++ {
		c := cleanClass[s[i]]
		if c+prev >= 2 { // a folded byte, or a second space in a row
			if prev == 1 {
				return i - 1
			}
			return i
		}
		prev = c
	}
	return len(s)
}

// contextSpace marks the bytes a context folds into one space.
var contextSpace = [256]bool{' ': true, '\n': true, '\t': true, '\r': true, '\x1f': true}

// clean reports whether s has no whitespace to fold: no control
// whitespace, no double or edge spaces.
func clean(s string) bool { return foldAt(s) == len(s) }

// cleanClass is 1 for a space, 2 for the other bytes a context folds.
var cleanClass = [256]uint8{' ': 1, '\n': 2, '\t': 2, '\r': 2, '\x1f': 2}
