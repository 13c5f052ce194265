package leak

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
)

// Word classes for rewritten passages (see reuse.go). Two words are
// equivalent when they share a class: the Snowball stem of the word, after
// a small table has mapped frequent synonyms (reporting verbs, "about" and
// "around", "début" and "commencement"…) to one of them. Texts are
// normalised first (case and accents folded), so the stemmers see
// accent-free words; that costs French a few distinctions ("été"/"ete")
// and none that matters for matching.

// lang is the language a text is stemmed in.
type lang uint8

const (
	langEN lang = iota
	langFR
)

// stopwordsEN and stopwordsFR are function words, normalised (no accents).
// They are left out of the content-word alignment: rewrites change them
// freely, and they say nothing about where a passage comes from.
const stopwordsEN = `a about above after again against all also an and any are as at be been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just me more most my no nor not
now of off on once only or other our out over own same she should so some such than that the their
them then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your one two its s t d ll m re ve`

const stopwordsFR = `a au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les
leur leurs lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses
son sur ta te tes toi ton tu un une vos votre vous c d j l m n s t y ete etre etait etaient est sont
ont a avait avaient sera seront fut furent ai as avons avez aussi donc ni car si tout tous toute toutes
plus moins tres ainsi alors dont ou puis lors chez sans sous vers entre apres avant depuis pendant
comme celui celle ceux celles quel quelle quels quelles cela ceci ca`

// synonyms maps a normalised word to the word that stands for its group.
// Groups with the same meaning in both languages share their first
// word, so that a translated reporting verb is no worse than a changed one.
// Kept to frequent reporting words and connectives of news and
// encyclopaedic prose in English and French, written from general usage.
// It was written by the author of testdata/reuse, after that set: groups
// found only in its held-out texts were left out, but it is not blind to
// them.
var synonyms = func() map[string]string {
	groups := []string{
		// English reporting verbs and nouns.
		"say said says saying state stated states declare declared declares tell told",
		"reveal revealed reveals revealing disclose disclosed discloses show showed shown shows",
		"write wrote written writes",
		"report reported reports",
		"claim claimed claims assert asserted",
		"explain explained explains",
		"add added adds",
		"email emails mail mails message messages",
		// English connectives and frequent verbs.
		"about around roughly approximately nearly almost",
		"begin began begun begins start started starts",
		"finish finished complete completed end ended",
		"build built construct constructed",
		"high higher highest tall taller tallest",
		"big bigger biggest large larger largest",
		"first earliest",
		// French reporting verbs and nouns.
		"say dire dit disent declare declarent declaration affirme affirment affirmer",
		"reveal reveler revele revelent reveles revelee montrer montre montrent",
		"write ecrire ecrit ecrivent",
		"explain expliquer explique expliquent",
		"add ajouter ajoute ajoutent",
		"email courriel courriels",
		// French connectives and frequent verbs.
		"about environ presque",
		"begin commencer commence debut debuter debute",
		"finish finir fini terminer termine achever acheve fin",
		"build construire construit batir bati",
		"creer cree fonder fonde",
		"grand grande grands grandes",
		"haut haute hauts hautes",
		"premier premiere premiers",
	}
	m := map[string]string{}
	for _, g := range groups {
		ws := strings.Fields(g)
		for _, w := range ws {
			if _, ok := m[w]; !ok {
				m[w] = ws[0]
			}
		}
	}
	return m
}()

var stopHashes = func() map[uint32]bool {
	m := map[uint32]bool{}
	for _, w := range strings.Fields(stopwordsEN + " " + stopwordsFR) {
		m[fnv32(w)] = true
	}
	return m
}()

// langHints count, for guessing a text's language, words frequent in one
// language and rare in the other.
var langHints = func() map[uint32]lang {
	m := map[uint32]lang{}
	for _, w := range strings.Fields("the and of to is was with that for by from which his her it are were has have") {
		m[fnv32(w)] = langEN
	}
	for _, w := range strings.Fields("le la les et des du est une que qui dans pour par sur au aux il elle sont ont") {
		m[fnv32(w)] = langFR
	}
	return m
}()

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// guessLang returns the language of words (hashes), English unless French
// hints outnumber English ones.
func guessLang(ws []uint32) lang {
	var n [2]int
	for _, h := range ws {
		if l, ok := langHints[h]; ok {
			n[l]++
		}
	}
	if n[langFR] > n[langEN] {
		return langFR
	}
	return langEN
}

// wordClass returns the class of a normalised word in language l.
//
// Classes are memoised (a pure function of word and language): indexes
// rebuilt often over overlapping documents, such as package relay's, stem
// each word once.
func wordClass(w string, l lang) uint32 {
	m := &classCache[l&1]
	if c, ok := m.Load(w); ok {
		return c.(uint32)
	}
	c := stemClass(w, l)
	if classCacheLen.Load() < classCacheMax {
		if _, loaded := m.LoadOrStore(w, c); !loaded {
			classCacheLen.Add(1)
		}
	}
	return c
}

// classCache holds wordClass's results per language, up to classCacheMax
// words in all (about 100 MB at most).
var (
	classCache    [2]sync.Map
	classCacheLen atomic.Int64
)

const classCacheMax = 1 << 20

func stemClass(w string, l lang) uint32 {
	if s, ok := synonyms[w]; ok {
		return fnv32(s)
	}
	if len(w) <= 3 || w[0] >= '0' && w[0] <= '9' {
		return fnv32(w)
	}
	var st string
	if l == langFR {
		st = french.Stem(w, true)
	} else {
		st = english.Stem(w, true)
	}
	// An inflected form of a listed word ("ends", "déclarés").
	if s, ok := synonyms[st]; ok {
		return fnv32(s)
	}
	return fnv32(st)
}

// buildVocab maps the hash of every word of the corpus to its class, each
// document stemmed in its own language; a word found in documents of both
// languages takes the class of its first document's.
func buildVocab(docs []indexedDoc, workers int) map[uint32]uint32 {
	type entry struct {
		doc int
		cls uint32
	}
	parts := make([]map[uint32]entry, max(1, min(workers, len(docs))))
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for p := range parts {
		parts[p] = map[uint32]entry{}
		wg.Go(func() {
			var w wordSeq
			m := parts[p]
			for i := range next {
				tokenize(&w, docs[i].Text)
				l := guessLang(w.hash)
				for j, h := range w.hash {
					if e, ok := m[h]; ok && e.doc <= i {
						continue
					}
					m[h] = entry{i, wordClass(w.word(j), l)}
				}
			}
		})
	}
	for i := range docs {
		next <- i
	}
	close(next)
	wg.Wait()
	out := make(map[uint32]uint32, len(parts[0]))
	first := map[uint32]int{}
	for _, m := range parts {
		for h, e := range m {
			if d, ok := first[h]; ok && d <= e.doc {
				continue
			}
			first[h] = e.doc
			out[h] = e.cls
		}
	}
	return out
}
