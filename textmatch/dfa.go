package textmatch

import "math/bits"

// dfa is an Aho-Corasick automaton compiled to a full transition table: one
// table load per byte of text, whatever the number of patterns. It reports
// what the standard overlapping search of github.com/petar-dambovaliev/aho-corasick
// reports, in the same order (FuzzAutomaton checks it against that
// library): at each end position, the longest pattern first, then each
// shorter pattern that is a suffix of it.
//
// Bytes that occur in no pattern share one class, so a table row has one
// cell per distinct pattern byte plus one (rounded up to a power of two so
// a state number is a shift of its row). States are numbered so that every
// state at which some pattern ends comes after every state at which none
// does: the search loop tests one comparison per byte.
type dfa struct {
	classes   [256]uint8
	shift     uint     // log2 of the row width
	trans     []uint32 // row-premultiplied: next = trans[state + class]
	matchFrom uint32   // premultiplied states >= matchFrom end a pattern
	// For each match state (index (state - matchFrom) >> shift): the
	// pattern ending there, or -1, and the next match state down the
	// failure chain (its premultiplied number), or 0 for none.
	own    []int32
	next   []uint32
	lens   []int32 // pattern lengths
	maxLen int     // the longest pattern
}

// newDFA compiles patterns (non-empty, distinct).
func newDFA(patterns []string) *dfa {
	d := &dfa{lens: make([]int32, len(patterns))}
	var used [256]bool
	for i, p := range patterns {
		d.lens[i] = int32(len(p))
		d.maxLen = max(d.maxLen, len(p))
		for j := 0; j < len(p); j++ {
			used[p[j]] = true
		}
	}
	nclass := 1 // class 0: bytes in no pattern
	for b := range 256 {
		if used[b] {
			d.classes[b] = uint8(nclass)
			nclass++
		}
	}
	d.shift = uint(bits.Len(uint(nclass - 1)))
	width := 1 << d.shift

	// The trie, as rows of the future table; -1 is no edge yet.
	const none = -1
	trie := make([]int32, width)
	for i := range trie {
		trie[i] = none
	}
	own := []int32{-1}
	for id, p := range patterns {
		s := 0
		for j := 0; j < len(p); j++ {
			cell := s*width + int(d.classes[p[j]])
			if trie[cell] == none {
				trie[cell] = int32(len(own))
				own = append(own, -1)
				for range width {
					trie = append(trie, none)
				}
			}
			s = int(trie[cell])
		}
		own[s] = int32(id)
	}
	n := len(own)

	// Breadth first: failure links, the full transitions, and each
	// state's nearest match state down its failure chain (dict).
	fail := make([]int32, n)
	dict := make([]int32, n) // -1 for none
	dict[0] = -1
	queue := make([]int32, 0, n)
	for c := range width {
		if t := trie[c]; t != none {
			fail[t], dict[t] = 0, -1
			queue = append(queue, t)
		} else {
			trie[c] = 0
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := int(queue[qi])
		f := int(fail[s])
		for c := range width {
			cell := s*width + c
			t := trie[cell]
			if t == none {
				trie[cell] = trie[f*width+c]
				continue
			}
			tf := trie[f*width+c]
			fail[t] = tf
			if own[tf] >= 0 {
				dict[t] = tf
			} else {
				dict[t] = dict[tf]
			}
			queue = append(queue, t)
		}
	}

	// Renumber: states ending no pattern first (the start state stays 0),
	// each group in breadth-first order, so that the shallow states most
	// text runs through share the first rows of the table and stay cached.
	isMatch := func(s int) bool { return own[s] >= 0 || dict[s] >= 0 }
	order := make([]int32, n) // old → new
	k := int32(1)
	for _, s := range queue {
		if !isMatch(int(s)) {
			order[s] = k
			k++
		}
	}
	firstMatch := k
	for _, s := range queue {
		if isMatch(int(s)) {
			order[s] = k
			k++
		}
	}
	d.matchFrom = uint32(firstMatch) << d.shift
	d.trans = make([]uint32, n*width)
	d.own = make([]int32, n-int(firstMatch))
	d.next = make([]uint32, n-int(firstMatch))
	for s := range n {
		row := int(order[s]) * width
		for c := range width {
			d.trans[row+c] = uint32(order[trie[s*width+c]]) << d.shift
		}
		if isMatch(s) {
			m := order[s] - firstMatch
			d.own[m] = own[s]
			if dict[s] >= 0 {
				d.next[m] = uint32(order[dict[s]]) << d.shift
			}
		}
	}
	return d
}

// scan calls emit(pattern, start, end) for every occurrence of every
// pattern in text, by end position, longest first at one end.
//
// A long text is run as four quarters at once: each step of the search
// waits for the table load of the step before, and most of the table is
// out of the first-level cache, so four independent chains keep the
// processor busy four times as often. Each chain after the first starts
// maxLen bytes before its quarter, where the state it reaches by the
// quarter's start is exactly the chain before's (a state is the longest
// suffix of what was read that begins a pattern, never longer than
// maxLen); its matches in its quarter are held until the quarters before
// are done, so the order is unchanged.
func (d *dfa) scan(text []byte, emit func(pattern, start, end int)) {
	trans, classes, matchFrom := d.trans, &d.classes, d.matchFrom
	n, w := len(text), d.maxLen
	if n < 256 || n < 8*w {
		d.run(text, 0, 0, 0, emit)
		return
	}
	q := n / 4
	i0, i1, i2, i3 := 0, q-w, 2*q-w, 3*q-w
	var s0, s1, s2, s3 uint32
	var h1, h2, h3 holds
	for i0 < q {
		s0 = trans[s0+uint32(classes[text[i0]])]
		s1 = trans[s1+uint32(classes[text[i1]])]
		s2 = trans[s2+uint32(classes[text[i2]])]
		s3 = trans[s3+uint32(classes[text[i3]])]
		i0++
		i1++
		i2++
		i3++
		if s0 >= matchFrom {
			d.matches(s0, i0, emit)
		}
		if s1 >= matchFrom && i1 > q {
			h1.add(s1, i1)
		}
		if s2 >= matchFrom && i2 > 2*q {
			h2.add(s2, i2)
		}
		if s3 >= matchFrom && i3 > 3*q {
			h3.add(s3, i3)
		}
		if h1.full() || h2.full() || h3.full() {
			break // a chain can hold no more: the rest one at a time
		}
	}
	// Each quarter's rest, after what its chain held.
	d.run(text[:q], i0, s0, 0, emit)
	h1.emit(d, emit)
	d.run(text[:2*q], i1, s1, q, emit)
	h2.emit(d, emit)
	d.run(text[:3*q], i2, s2, 2*q, emit)
	h3.emit(d, emit)
	d.run(text, i3, s3, 3*q, emit)
}

// holds are the match states a chain reached, and where, while the
// chains before it were not done.
type holds struct {
	n   int
	buf [32]struct {
		s   uint32
		end int
	}
}

func (h *holds) add(s uint32, end int) {
	h.buf[h.n].s, h.buf[h.n].end = s, end
	h.n++
}

func (h *holds) full() bool { return h.n == len(h.buf) }

func (h *holds) emit(d *dfa, emit func(pattern, start, end int)) {
	for _, m := range h.buf[:h.n] {
		d.matches(m.s, m.end, emit)
	}
}

// run searches text[from:] from state s, reporting matches ending past
// after, and returns the state it ends in.
func (d *dfa) run(text []byte, from int, s uint32, after int, emit func(pattern, start, end int)) uint32 {
	trans, classes, matchFrom := d.trans, &d.classes, d.matchFrom
	for i := from; i < len(text); i++ {
		s = trans[s+uint32(classes[text[i]])]
		if s >= matchFrom && i+1 > after {
			d.matches(s, i+1, emit)
		}
	}
	return s
}

// matches reports the patterns ending at end in match state s.
func (d *dfa) matches(s uint32, end int, emit func(pattern, start, end int)) {
	for s != 0 {
		m := (s - d.matchFrom) >> d.shift
		if p := d.own[m]; p >= 0 {
			emit(int(p), end-int(d.lens[p]), end)
		}
		s = d.next[m]
	}
}
