package leak

import (
	"slices"

	"github.com/silencewatch/silencewatch/textmatch"
)

// wordSeq is the word sequence of a text as every part of this package
// sees it: normalised by textmatch (case, accents, ligatures, quotes,
// dashes and whitespace folded, like the rest of the rule engine), then cut
// at every byte that is not a word byte. Punctuation is therefore invisible
// to matching, and so are line breaks and the choice of quotes.
type wordSeq struct {
	norm  textmatch.Text
	hash  []uint32 // FNV-1a of each normalised word
	start []int32  // byte offset of each word in norm.Norm
	end   []int32
	// ostart and oend are each word's byte offsets in the original text,
	// mapped all at once by the first span after tokenize (mapped).
	ostart, oend []int32
	mapped       bool
}

// tokenize fills w from s, reusing its buffers.
func tokenize(w *wordSeq, s string) {
	textmatch.Normalize(&w.norm, s, true)
	w.hash, w.start, w.end = w.hash[:0], w.start[:0], w.end[:0]
	w.mapped = false
	b := w.norm.Norm
	for i := 0; i < len(b); {
		if !textmatch.IsWordByte(b[i]) {
			i++
			continue
		}
		j := i
		h := uint32(2166136261)
		for j < len(b) && textmatch.IsWordByte(b[j]) {
			h ^= uint32(b[j])
			h *= 16777619
			j++
		}
		w.hash = append(w.hash, h)
		w.start = append(w.start, int32(i))
		w.end = append(w.end, int32(j))
		i = j
	}
}

// word returns the normalised text of word i.
func (w *wordSeq) word(i int) string { return string(w.norm.Norm[w.start[i]:w.end[i]]) }

// span maps words [i, j) back to byte offsets in the original text.
func (w *wordSeq) span(i, j int) (int, int) {
	if !w.mapped {
		n := len(w.start)
		w.ostart = slices.Grow(w.ostart[:0], n)[:n]
		w.oend = slices.Grow(w.oend[:0], n)[:n]
		w.norm.Spans(w.start, w.end, w.ostart, w.oend)
		w.mapped = true
	}
	return int(w.ostart[i]), int(w.oend[j-1])
}

// wordHashes returns only the word hashes of s.
func wordHashes(s string) []uint32 {
	var w wordSeq
	tokenize(&w, s)
	return w.hash
}

// kgramHash combines k word hashes into one 64-bit fingerprint. The
// finaliser (from splitmix64) spreads the bits, so that the low bits used
// for sampling and the ordering used for winnowing are both uniform.
func kgramHash(ws []uint32) uint64 {
	h := uint64(0x9E3779B97F4A7C15)
	for _, x := range ws {
		h = (h ^ uint64(x)) * 0xBF58476D1CE4E5B9
		h ^= h >> 29
	}
	h ^= h >> 31
	h *= 0x94D049BB133111EB
	h ^= h >> 32
	return h
}

// kgrams appends the fingerprint of every k-gram of ws to dst.
func kgrams(dst []uint64, ws []uint32, k int) []uint64 {
	for i := 0; i+k <= len(ws); i++ {
		dst = append(dst, kgramHash(ws[i:i+k]))
	}
	return dst
}

// fingerprint is one selected k-gram of a document: its hash and the index
// of its first word.
type fingerprint struct {
	hash uint64
	pos  uint32
}

// winnow selects fingerprints from the k-gram hashes h with window w
// (Schleimer, Wilkerson and Aiken 2003, robust winnowing): in every run of
// w consecutive k-grams the smallest hash is kept, the rightmost on ties,
// and a position is kept once however many windows select it. Any passage
// of at least w+k-1 identical words therefore shares at least one
// fingerprint with the document. A text shorter than one window keeps its
// smallest k-gram.
func winnow(dst []fingerprint, h []uint64, w int) []fingerprint {
	if len(h) == 0 {
		return dst
	}
	if w <= 1 {
		for i, x := range h {
			dst = append(dst, fingerprint{x, uint32(i)})
		}
		return dst
	}
	last := -1
	if len(h) < w {
		w = len(h)
	}
	for s := 0; s+w <= len(h); s++ {
		m := s
		for i := s + 1; i < s+w; i++ {
			if h[i] <= h[m] {
				m = i
			}
		}
		if m != last {
			dst = append(dst, fingerprint{h[m], uint32(m)})
			last = m
		}
	}
	return dst
}
