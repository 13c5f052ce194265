package leak

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Defaults, chosen by measurement on the train split and on generated
// passages (see TestTuneParameters and the package README).
const (
	// DefaultK is the number of words per k-gram.
	DefaultK = 4
	// DefaultW is the winnowing window, in k-grams. Together with DefaultK
	// it guarantees a shared fingerprint for every run of W+K-1 = 6
	// identical words: a 12-word passage with one word changed in its
	// middle still has one.
	DefaultW = 3
	// DefaultMaxDocFreq and DefaultMaxDocFrac bound document frequency,
	// as passim does: a fingerprint found in more than
	// max(MaxDocFreq, MaxDocFrac×documents) documents is boilerplate
	// (signatures, legal footers, reply headers) and seeds nothing.
	DefaultMaxDocFreq = 20
	DefaultMaxDocFrac = 0.005
	// DefaultMinWords is the passage length Classify looks for.
	DefaultMinWords = 12
)

// Options configure Build and Update. Zero values take the defaults.
type Options struct {
	K          int
	W          int
	MaxDocFreq int
	MaxDocFrac float64
	MinWords   int // passage length that counts as a quote in Classify

	// Identifiers are the leak's configured identifiers (hashtag, paste
	// id, archive name…): Classify reports them as leak references.
	Identifiers []string
	// Names are the people and bodies the leak is about, as configured
	// (mailbox owners, the target, its campaign): Classify counts them
	// like the corpus's regular correspondents, and needs no corpus for it.
	Names []string
	// DisclosedAt is when the leak became public. An article published
	// before it cannot be reporting its content: what it shares with the
	// corpus was public (a press release, an interview). Zero: unknown.
	DisclosedAt time.Time
	// Background is a sample of general news (for instance articles stored
	// before the leak): words common there are not leak-specific. Without
	// it, leak-specific terms are learned from the corpus alone (weaker).
	Background []string
	// Workers bounds the goroutines that fingerprint documents; 0 means
	// GOMAXPROCS.
	Workers int
	// QuotesOnly builds what Quotes needs and no term model: for indexes
	// that never Classify (package relay's rolling index of articles,
	// rebuilt often). Classify on such an index sees no leak-specific
	// terms. The per-document fingerprints are not kept either (Update
	// re-derives them from the word hashes).
	QuotesOnly bool
	// MaxAligned bounds the candidate passages aligned word by word for
	// one text, those sharing most fingerprints first (0: no bound). A
	// text copied by many documents (wire copy carried by every outlet)
	// otherwise costs one alignment per copy, most of them of words a
	// better copy already covers.
	MaxAligned int
}

func (o Options) withDefaults() Options {
	if o.K <= 0 {
		o.K = DefaultK
	}
	if o.W <= 0 {
		o.W = DefaultW
	}
	if o.MaxDocFreq <= 0 {
		o.MaxDocFreq = DefaultMaxDocFreq
	}
	if o.MaxDocFrac <= 0 {
		o.MaxDocFrac = DefaultMaxDocFrac
	}
	if o.MinWords <= 0 {
		o.MinWords = DefaultMinWords
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Index is the fingerprint index of one leak's corpus, plus what Classify
// learned from it. It is safe for concurrent use once built.
type Index struct {
	opts Options // resolved; Background is not kept (see bg)
	docs []indexedDoc

	// The inverted table: keys sorted, posts[offs[i]:offs[i+1]] are the
	// occurrences of keys[i]. dir maps the top dirBits bits of a hash to
	// the first key with those bits, so a lookup scans a few keys.
	keys    []uint64
	offs    []uint32
	posts   []posting
	dir     []uint32
	dirBits uint

	dfBound     int // fingerprints in more documents than this were dropped
	boilerplate int // distinct fingerprints dropped as boilerplate
	// boilerMask marks, per document, the words under a dropped
	// fingerprint (nil when none): used while learning terms, then freed.
	boilerMask [][]bool

	// vocab maps every word of the corpus (hash) to its class (words.go).
	vocab map[uint32]uint32

	bg    background // document frequencies of the background sample
	terms *termModel
	ids   *identifierSet

	// The mailbox's period, for dated references (see inPeriod).
	periodFirst, periodLast time.Time
}

type indexedDoc struct {
	Document
	words []uint32      // word hashes, for alignment
	fps   []fingerprint // winnowed fingerprints, reused by Update
}

type posting struct {
	doc uint32
	pos uint32
}

// Stats describes an index.
type Stats struct {
	Documents    int
	Words        int // words in all indexed texts
	Fingerprints int // postings kept in the table
	Distinct     int // distinct fingerprints kept
	Boilerplate  int // distinct fingerprints dropped by the document-frequency bound
	DocFreqBound int
	Terms        int // leak-specific terms learned
	Bytes        int // approximate memory held by the index
}

// Stats reports the size of the index.
func (ix *Index) Stats() Stats {
	s := Stats{
		Documents:    len(ix.docs),
		Fingerprints: len(ix.posts),
		Distinct:     len(ix.keys),
		Boilerplate:  ix.boilerplate,
		DocFreqBound: ix.dfBound,
	}
	bytes := len(ix.keys)*8 + len(ix.offs)*4 + len(ix.posts)*8 + len(ix.dir)*4
	for i := range ix.docs {
		d := &ix.docs[i]
		s.Words += len(d.words)
		bytes += len(d.Text) + len(d.Quoted) + len(d.words)*4 + len(d.fps)*16 + 200
	}
	if ix.terms != nil {
		s.Terms = len(ix.terms.specific)
		bytes += ix.terms.size()
	}
	s.Bytes = bytes
	return s
}

// Options returns the options the index was built with (without the
// background texts).
func (ix *Index) Options() Options { return ix.opts }

// Documents returns the indexed documents. The slice is a copy; the
// documents' fields must not be modified.
func (ix *Index) Documents() []Document {
	out := make([]Document, len(ix.docs))
	for i := range ix.docs {
		out[i] = ix.docs[i].Document
	}
	return out
}

// Build indexes docs.
func Build(docs []Document, opts Options) *Index {
	return Update(nil, docs, opts)
}

// Update builds the index of docs, reusing the fingerprints of prev's
// documents whose ID and SHA256 are unchanged (and prev's background
// statistics when opts gives no background). prev may be nil. When K or W
// differ from prev's, nothing is reused. prev is not modified.
//
// Fingerprinting is the costly step and is done only for new or changed
// documents; the inverted table and the term model are rebuilt from the
// per-document lists (a sort, well under a second for 20,000 mails).
func Update(prev *Index, docs []Document, opts Options) *Index {
	opts = opts.withDefaults()
	ix := &Index{opts: opts}
	ix.opts.Background = nil

	old := map[string]*indexedDoc{}
	if prev != nil && prev.opts.K == opts.K && prev.opts.W == opts.W {
		for i := range prev.docs {
			d := &prev.docs[i]
			old[d.ID+"\x00"+d.SHA256] = d
		}
	}
	ix.docs = make([]indexedDoc, len(docs))
	var todo, rewinnow []int
	for i := range docs {
		ix.docs[i].Document = docs[i]
		if o, ok := old[docs[i].ID+"\x00"+docs[i].SHA256]; ok && o.Text == docs[i].Text {
			ix.docs[i].words, ix.docs[i].fps = o.words, o.fps
			if o.fps == nil && len(o.words) > 0 {
				rewinnow = append(rewinnow, i) // dropped by QuotesOnly
			}
			continue
		}
		todo = append(todo, i)
	}
	ix.fingerprintDocs(todo)
	var hs []uint64
	for _, i := range rewinnow {
		d := &ix.docs[i]
		hs = kgrams(hs[:0], d.words, ix.opts.K)
		d.fps = winnow(make([]fingerprint, 0, len(hs)*2/(ix.opts.W+1)+1), hs, ix.opts.W)
	}

	switch {
	case len(opts.Background) > 0:
		ix.bg = newBackground(opts.Background)
	case prev != nil:
		ix.bg = prev.bg
	}
	ix.finish()
	return ix
}

// fingerprintDocs computes word hashes and winnowed fingerprints of the
// documents at the given indexes, on opts.Workers goroutines.
func (ix *Index) fingerprintDocs(todo []int) {
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range min(ix.opts.Workers, max(1, len(todo))) {
		wg.Go(func() {
			var w wordSeq
			var hs []uint64
			for i := range next {
				d := &ix.docs[i]
				tokenize(&w, d.Text)
				d.words = slices.Clone(w.hash)
				hs = kgrams(hs[:0], w.hash, ix.opts.K)
				d.fps = winnow(make([]fingerprint, 0, len(hs)*2/(ix.opts.W+1)+1), hs, ix.opts.W)
			}
		})
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
}

// finish builds everything derived from the per-document fingerprints:
// the inverted table with the boilerplate bound, and the term model.
func (ix *Index) finish() {
	ix.buildTable()
	if ix.opts.QuotesOnly {
		// Kept only for Update, which re-derives them from the words
		// (cheap: no tokenising): a third of the index's memory.
		for i := range ix.docs {
			ix.docs[i].fps = nil
		}
	}
	ix.vocab = buildVocab(ix.docs, ix.opts.Workers)
	if ix.opts.QuotesOnly {
		ix.terms = &termModel{specific: map[string]float64{}, target: map[string]bool{}, docTerms: map[string]*docTerm{}, nDocs: len(ix.docs)}
	} else {
		ix.terms = learnTerms(ix.docs, ix.boilerMask, ix.bg)
	}
	ix.boilerMask = nil
	ix.ids = newIdentifierSet(ix.opts.Identifiers, ix.opts.Names, ix.docs)
	ix.computePeriod()
}

type entry struct {
	hash uint64
	doc  uint32
	pos  uint32
}

func (ix *Index) buildTable() {
	n := 0
	for i := range ix.docs {
		n += len(ix.docs[i].fps)
	}
	entries := make([]entry, 0, n)
	for i := range ix.docs {
		for _, f := range ix.docs[i].fps {
			entries = append(entries, entry{f.hash, uint32(i), f.pos})
		}
	}
	// Each run of one hash ends up ordered by document and position, which
	// the document-frequency count below relies on.
	slices.SortFunc(entries, func(a, b entry) int {
		if a.hash != b.hash {
			return cmp.Compare(a.hash, b.hash)
		}
		if a.doc != b.doc {
			return cmp.Compare(a.doc, b.doc)
		}
		return cmp.Compare(a.pos, b.pos)
	})

	ix.dfBound = max(ix.opts.MaxDocFreq, int(math.Ceil(ix.opts.MaxDocFrac*float64(len(ix.docs)))))
	ix.boilerMask = make([][]bool, len(ix.docs))
	ix.keys = ix.keys[:0]
	ix.offs = append(ix.offs[:0], 0)
	ix.posts = make([]posting, 0, len(entries))
	ix.boilerplate = 0
	for i := 0; i < len(entries); {
		j := i + 1
		df := 1
		for j < len(entries) && entries[j].hash == entries[i].hash {
			if entries[j].doc != entries[j-1].doc {
				df++
			}
			j++
		}
		if df > ix.dfBound {
			ix.boilerplate++
			// Mark the words of dropped fingerprints, so that the term
			// model does not learn signature and footer words either.
			for _, e := range entries[i:j] {
				m := ix.boilerMask[e.doc]
				if m == nil {
					m = make([]bool, len(ix.docs[e.doc].words))
					ix.boilerMask[e.doc] = m
				}
				for p := int(e.pos); p < int(e.pos)+ix.opts.K && p < len(m); p++ {
					m[p] = true
				}
			}
		} else {
			ix.keys = append(ix.keys, entries[i].hash)
			for _, e := range entries[i:j] {
				ix.posts = append(ix.posts, posting{e.doc, e.pos})
			}
			ix.offs = append(ix.offs, uint32(len(ix.posts)))
		}
		i = j
	}
	ix.posts = slices.Clip(ix.posts)

	// Directory: about four keys per slot.
	bits := uint(4)
	for bits < 24 && (1<<bits)*4 < len(ix.keys) {
		bits++
	}
	ix.dirBits = bits
	ix.dir = make([]uint32, (1<<bits)+1)
	k := 0
	for b := range 1 << bits {
		for k < len(ix.keys) && ix.keys[k]>>(64-bits) < uint64(b) {
			k++
		}
		ix.dir[b] = uint32(k)
	}
	ix.dir[1<<bits] = uint32(len(ix.keys))
}

// lookup returns the postings of hash h.
func (ix *Index) lookup(h uint64) []posting {
	if len(ix.keys) == 0 {
		return nil
	}
	b := h >> (64 - ix.dirBits)
	lo, hi := int(ix.dir[b]), int(ix.dir[b+1])
	for i := lo; i < hi; i++ {
		if ix.keys[i] == h {
			return ix.posts[ix.offs[i]:ix.offs[i+1]]
		}
		if ix.keys[i] > h {
			break
		}
	}
	return nil
}
