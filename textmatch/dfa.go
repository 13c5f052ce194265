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
// A long text is run as two halves at once: each step of the search waits
// for the table load of the step before, so two independent chains keep
// the processor busy twice as often. The second chain starts maxLen bytes
// before the middle, where the state it reaches by the middle is exactly
// the first chain's (a state is the longest suffix of what was read that
// begins a pattern, never longer than maxLen); its matches past the middle
// are held until the first half's are out, so the order is unchanged.
func (d *dfa) scan(text []byte, emit func(pattern, start, end int)) {
	trans, classes, matchFrom := d.trans, &d.classes, d.matchFrom
	n, w := len(text), d.maxLen
	if n < 256 || n < 4*w {
		d.run(text, 0, 0, 0, emit)
		return
	}
	mid := n / 2
	ia, ib := 0, mid-w
	sa, sb := uint32(0), uint32(0)
	type held struct {
		s   uint32
		end int
	}
	var pend [64]held
	np := 0
	for ia < mid {
		sa = trans[sa+uint32(classes[text[ia]])]
		sb = trans[sb+uint32(classes[text[ib]])]
		ia++
		ib++
		if sa >= matchFrom {
			d.matches(sa, ia, emit)
		}
		if sb >= matchFrom && ib > mid {
			pend[np] = held{sb, ib}
			np++
			if np == len(pend) {
				break
			}
		}
	}
	// The rest of the first half, then what the second chain held, then
	// the rest of the second half.
	d.run(text[:mid], ia, sa, 0, emit)
	for _, h := range pend[:np] {
		d.matches(h.s, h.end, emit)
	}
	d.run(text, ib, sb, mid, emit)
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
