package leak

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// planted is a passage taken from a corpus document, lightly edited and
// embedded into a background text.
type planted struct {
	host           string // background text with the passage inside
	start, end     int    // the edited passage in host
	docID          string
	docStart       int // the source passage in the document's Text
	docEnd         int
	source, edited string
	words          int
	edits          []string
}

// boilerplateWords marks, per document, the words covered by a k-gram that
// occurs in more documents than the index's bound: generated passages are
// drawn from the rest, since boilerplate must not be found.
func boilerplateWords(ix *Index) [][]bool {
	k := ix.opts.K
	df := map[uint64]int{}
	for i := range ix.docs {
		seen := map[uint64]bool{}
		for _, h := range kgrams(nil, ix.docs[i].words, k) {
			if !seen[h] {
				seen[h] = true
				df[h]++
			}
		}
	}
	out := make([][]bool, len(ix.docs))
	for i := range ix.docs {
		ws := ix.docs[i].words
		m := make([]bool, len(ws))
		for p, h := range kgrams(nil, ws, k) {
			if df[h] > ix.dfBound {
				for j := p; j < p+k; j++ {
					m[j] = true
				}
			}
		}
		out[i] = m
	}
	return out
}

// plantPassages draws n passages of 12–40 words from the documents' own
// text (not boilerplate, not kept quotes), applies light edits and embeds
// each into a background text at a random word boundary.
func plantPassages(ix *Index, bg []string, n int, seed uint64) []planted {
	rng := rand.New(rand.NewPCG(seed, seed^0x5EED))
	bp := boilerplateWords(ix)
	var vocab []string
	for _, b := range bg {
		for _, f := range strings.Fields(b) {
			f = strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
			if len(f) >= 4 {
				vocab = append(vocab, strings.ToLower(f))
			}
		}
	}
	var out []planted
	var w wordSeq
	for len(out) < n {
		di := rng.IntN(len(ix.docs))
		d := &ix.docs[di]
		tokenize(&w, d.Text[:d.QuoteStart])
		L := 12 + rng.IntN(29)
		if len(w.hash) < L {
			continue
		}
		i := rng.IntN(len(w.hash) - L + 1)
		clean := true
		for j := i; j < i+L; j++ {
			if bp[di][j] {
				clean = false
				break
			}
		}
		if !clean {
			continue
		}
		s, e := w.span(i, i+L)
		src := d.Text[s:e]
		edited, edits := lightEdit(rng, src, vocab)
		host := bg[rng.IntN(len(bg))]
		// Insert at a sentence or word boundary of the host.
		hw := strings.Fields(host)
		at := rng.IntN(len(hw) + 1)
		before := strings.Join(hw[:at], " ")
		after := strings.Join(hw[at:], " ")
		var hb strings.Builder
		hb.WriteString(before)
		if before != "" {
			hb.WriteString(" ")
		}
		start := hb.Len()
		hb.WriteString(edited)
		end := hb.Len()
		if after != "" {
			hb.WriteString(" ")
			hb.WriteString(after)
		}
		out = append(out, planted{host: hb.String(), start: start, end: end, docID: d.ID, docStart: s, docEnd: e, source: src, edited: edited, words: L, edits: edits})
	}
	return out
}

var quoteVariants = [][]string{{"'", "’"}, {"\"", "«\u00a0", "“"}}

// lightEdit applies the edits a newsroom makes when quoting: punctuation
// changes, casing, one word in ten changed, dropped or inserted, quote and
// apostrophe variants, line breaks.
func lightEdit(rng *rand.Rand, s string, vocab []string) (string, []string) {
	var edits []string
	words := strings.Fields(s)
	// Word edits: one per full ten words.
	nEdits := len(words) / 10
	for range nEdits {
		if len(words) < 3 {
			break
		}
		p := rng.IntN(len(words))
		switch rng.IntN(3) {
		case 0:
			edits = append(edits, fmt.Sprintf("changed %q", words[p]))
			words[p] = vocab[rng.IntN(len(vocab))]
		case 1:
			edits = append(edits, fmt.Sprintf("dropped %q", words[p]))
			words = append(words[:p], words[p+1:]...)
		default:
			nw := vocab[rng.IntN(len(vocab))]
			edits = append(edits, fmt.Sprintf("inserted %q", nw))
			words = append(words[:p], append([]string{nw}, words[p:]...)...)
		}
	}
	// Punctuation: drop or add commas, change colons.
	if rng.IntN(2) == 0 {
		edits = append(edits, "punctuation")
		for i := range words {
			switch {
			case strings.HasSuffix(words[i], ",") && rng.IntN(2) == 0:
				words[i] = strings.TrimSuffix(words[i], ",")
			case words[i] == ":" || words[i] == ";":
				words[i] = ","
			case rng.IntN(12) == 0:
				words[i] += ","
			}
		}
	}
	out := strings.Join(words, " ")
	// Casing.
	switch rng.IntN(5) {
	case 0:
		edits = append(edits, "upper case")
		out = strings.ToUpper(out)
	case 1:
		edits = append(edits, "first letter")
		r, size := utf8.DecodeRuneInString(out)
		out = string(unicode.ToUpper(r)) + out[size:]
	}
	// Quotes and apostrophes.
	if rng.IntN(2) == 0 {
		edits = append(edits, "quotes")
		out = strings.ReplaceAll(out, "’", "'")
		out = strings.ReplaceAll(out, "'", quoteVariants[0][rng.IntN(2)])
		out = strings.ReplaceAll(out, "« ", "\"")
		out = strings.ReplaceAll(out, " »", "\"")
	}
	// Line breaks.
	if rng.IntN(3) == 0 {
		edits = append(edits, "line breaks")
		ws := strings.Split(out, " ")
		for i := 1; i < len(ws); i++ {
			if rng.IntN(8) == 0 {
				ws[i] = "\n" + ws[i]
			}
		}
		out = strings.ReplaceAll(strings.Join(ws, " "), " \n", "\n")
	}
	// Typographic quotes around the whole.
	if rng.IntN(3) == 0 {
		q := quoteVariants[1][rng.IntN(3)]
		closeQ := map[string]string{"\"": "\"", "«\u00a0": "\u00a0»", "“": "”"}[q]
		out = q + out + closeQ
	}
	return out, edits
}

// scorePlanted runs Quotes on each host: a planted passage is found when a
// reported passage overlaps it by half of the shorter in the host and in
// the document (or names another document with the same words); every
// other reported passage is a false positive.
func scorePlanted(ix *Index, ps []planted, minWords int) (s PassageScore) {
	byID := map[string]*indexedDoc{}
	for i := range ix.docs {
		byID[ix.docs[i].ID] = &ix.docs[i]
	}
	for _, p := range ps {
		found := ix.Quotes(p.host, minWords)
		s.Truth++
		hit := false
		for _, f := range found {
			s.Found++
			ok := overlapHalf(p.start, p.end, f.ArticleStart, f.ArticleEnd)
			if ok && f.DocID != p.docID {
				// Another document holding the same words (a forward, a
				// copy of the same interview) is as good an answer.
				ok = sameWords(f.DocText, p.source)
			} else if ok {
				ok = overlapHalf(p.docStart, p.docEnd, f.DocStart, f.DocEnd)
			}
			if ok {
				s.FoundCorrect++
				hit = true
			} else {
				s.Spurious = append(s.Spurious, fmt.Sprintf("%s %d words %q (planted %s %q)", f.DocID, f.Words, clip(f.Text, 70), p.docID, clip(p.edited, 70)))
			}
		}
		if hit {
			s.TruthFound++
		} else {
			s.Misses = append(s.Misses, fmt.Sprintf("%s %d words %v: %q", p.docID, p.words, p.edits, clip(p.edited, 120)))
		}
	}
	return s
}

// sameWords reports whether at least 80% of the words of b occur in a
// (as a multiset, after normalisation).
func sameWords(a, b string) bool {
	have := map[uint32]int{}
	for _, h := range wordHashes(a) {
		have[h]++
	}
	bw := wordHashes(b)
	n := 0
	for _, h := range bw {
		if have[h] > 0 {
			have[h]--
			n++
		}
	}
	return len(bw) > 0 && 5*n >= 4*len(bw)
}
