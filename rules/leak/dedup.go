package leak

import (
	"strings"
)

// Quote deduplication. A reply quotes its parent; indexing the quote too
// would make every passage of the parent match two or more documents and
// push its fingerprints towards the boilerplate bound. A quoted paragraph
// is dropped when most of it is already held by the corpus (some document's
// own text, or a quoted paragraph kept earlier); otherwise — the parent is
// not in the leak — it is kept, once, after the sender's own text.
//
// Shingles are winnowed rather than sampled at random: a window of shingles
// inside a paragraph selects the same shingle wherever the paragraph is
// copied whole, so even a one-sentence paragraph is recognised, while the
// held set keeps about 2/(w+1) of all shingles.
const (
	dedupShingle  = 6   // words per shingle
	dedupWindow   = 4   // winnowing window
	dedupCoverage = 0.5 // fraction of a paragraph's selected shingles held elsewhere
)

func dedupQuotes(docs []Document) {
	held := make(map[uint64]struct{})
	var w wordSeq
	var hs []uint64
	var fps []fingerprint
	var out []uint64
	sampled := func(s string) []uint64 {
		tokenize(&w, s)
		hs = kgrams(hs[:0], w.hash, dedupShingle)
		fps = winnow(fps[:0], hs, dedupWindow)
		out = out[:0]
		for _, f := range fps {
			out = append(out, f.hash)
		}
		return out
	}
	for i := range docs {
		for _, h := range sampled(docs[i].Text) {
			held[h] = struct{}{}
		}
	}
	for i := range docs {
		d := &docs[i]
		d.QuoteStart = len(d.Text)
		if d.Quoted == "" {
			continue
		}
		var kept, dropped []string
		for _, p := range strings.Split(d.Quoted, "\n\n") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if isReplyHeader(p) {
				dropped = append(dropped, p)
				continue
			}
			sh := sampled(p)
			if len(sh) == 0 {
				// Fewer words than a shingle: greetings, sign-offs.
				dropped = append(dropped, p)
				continue
			}
			n := 0
			for _, h := range sh {
				if _, ok := held[h]; ok {
					n++
				}
			}
			if float64(n) >= dedupCoverage*float64(len(sh)) {
				dropped = append(dropped, p)
				continue
			}
			kept = append(kept, p)
			for _, h := range sh {
				held[h] = struct{}{}
			}
		}
		d.Quoted = strings.Join(dropped, "\n\n")
		if len(kept) > 0 {
			if d.Text != "" && !strings.HasSuffix(d.Text, "\n") {
				d.Text += "\n"
			}
			d.Text += "\n"
			d.QuoteStart = len(d.Text)
			d.Text += strings.Join(kept, "\n\n") + "\n"
		}
	}
}

// isReplyHeader reports whether a quoted paragraph is the header a client
// writes above a quote ("De : … Envoyé : …", "Le … a écrit :").
func isReplyHeader(p string) bool {
	first, _, _ := strings.Cut(p, "\n")
	return separatorRE.MatchString(first) || forwardRE.MatchString(first) || headerFromRE.MatchString(first) ||
		(attribRE.MatchString(first) && len(first) < 200) || (attribStart.MatchString(first) && strings.Count(p, "\n") <= 1)
}
