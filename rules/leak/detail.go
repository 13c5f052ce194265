package leak

import (
	"slices"
	"sort"

	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/silencewatch/silencewatch/article"
)

// Finders of the details real reporting gives when it relays what leaked
// material says, without any copy of that material: quoted lines, sums of
// money, the message a detail comes from (who wrote to whom, when), and,
// on the other side, the size of the leak (a count of documents or bytes),
// which is how its existence is reported.

// wordSpan is words [start, end) of a wordSeq.
type wordSpan struct{ start, end int }

// near reports whether two word spans are at most within words apart.
func (a wordSpan) near(b wordSpan, within int) bool {
	return a.start <= b.end+within && b.start <= a.end+within
}

func nearAny(s wordSpan, hits []phraseHit, within int) bool {
	for _, h := range hits {
		if s.near(wordSpan{h.start, h.end}, within) {
			return true
		}
	}
	return false
}

// findQuotations returns the quoted runs of at least minQuoteWords words:
// normalisation folds « », “ ” and " into '"', which tokenisation skips,
// so quotes are paired on the normalised bytes and mapped to words.
func findQuotations(w *wordSeq) []wordSpan {
	const minQuoteWords, maxQuoteWords = 4, 120
	var out []wordSpan
	b := w.norm.Norm
	open := -1
	for i, c := range b {
		if c != '"' {
			continue
		}
		if open < 0 {
			open = i
			continue
		}
		s := firstWordAfter(w, open)
		e := firstWordAfter(w, i)
		if n := e - s; n >= minQuoteWords && n <= maxQuoteWords {
			out = append(out, wordSpan{s, e})
		}
		open = -1
	}
	return out
}

// firstWordAfter is the index of the first word starting at or after byte
// offset off of the normalised text.
func firstWordAfter(w *wordSeq, off int) int {
	i, _ := slices.BinarySearch(w.start, int32(off))
	return i
}

var (
	currencyWords = map[string]bool{
		"euro": true, "euros": true, "dollar": true, "dollars": true, "livre": true, "livres": true, "pound": true, "pounds": true,
		"franc": true, "francs": true, "usd": true, "eur": true, "gbp": true, "chf": true, "rouble": true, "roubles": true,
	}
	scaleWords = map[string]bool{
		"million": true, "millions": true, "milliard": true, "milliards": true, "billion": true, "billions": true,
		"thousand": true, "thousands": true, "millier": true, "milliers": true, "mille": true, "m": true, "bn": true, "k": true,
	}
	// Things a leak is counted in: "11.5 million documents", "2,6 To".
	// Plural only: "a 2015 email", "document 3" count nothing.
	volumeUnits = map[string]bool{
		"documents": true, "fichiers": true, "files": true,
		"courriels": true, "emails": true, "mails": true, "e": true,
		"messages": true, "pages": true, "records": true,
		"cables": true, "comptes": true, "accounts": true,
		"go": true, "to": false, "gb": true, "tb": true, "gigaoctet": true, "gigaoctets": true, "teraoctet": true, "teraoctets": true,
		"gigabyte": true, "gigabytes": true, "terabyte": true, "terabytes": true, "octets": true, "bytes": true,
		"memos": true, "notes": true, "pieces": true,
	}
)

// numberRun returns the end of the number starting at word i ("11",
// "11 5" for 11.5 or 11,5, "1 200 000"), or i when word i is not a number.
func numberRun(w *wordSeq, i int) int {
	j := i
	for j < len(w.hash) && j-i < 4 && w.end[j]-w.start[j] <= 12 && isNumber(w.word(j)) {
		j++
	}
	return j
}

// currencyBefore reports whether a currency sign ($ € £) stands just
// before word i in the original text (normalisation folds € and £).
func currencyBefore(w *wordSeq, i int) bool {
	os, _ := w.span(i, i+1)
	t := strings.TrimRight(w.norm.Original[max(0, os-4):os], " \u00a0\u202f")
	return strings.HasSuffix(t, "$") || strings.HasSuffix(t, "€") || strings.HasSuffix(t, "£")
}

// scaledNumber reports whether word i is a number with a scale suffix:
// "2m", "100m", "2bn", "30k".
func scaledNumber(w *wordSeq, i int) bool {
	t := w.word(i)
	for _, suf := range []string{"bn", "m", "k", "md", "mds"} {
		if n, ok := strings.CutSuffix(t, suf); ok && n != "" && len(n) <= 6 && isNumber(n) {
			return true
		}
	}
	return false
}

// findAmounts returns sums of money ("$2 million", "300 000 euros", "2,5
// millions d'euros") and findVolumes the sizes of a leak ("11,5 millions
// de documents", "2.6 terabytes").
func findAmountsAndVolumes(w *wordSeq) (amounts, volumes []wordSpan) {
	for i := 0; i < len(w.hash); i++ {
		if scaledNumber(w, i) {
			if currencyBefore(w, i) || (i+1 < len(w.hash) && currencyWords[w.word(i+1)]) {
				amounts = append(amounts, wordSpan{i, i + 1})
			}
			continue
		}
		e := numberRun(w, i)
		if e == i {
			continue
		}
		j := e
		if j < len(w.hash) && scaleWords[w.word(j)] {
			j++
		}
		k := j
		if k < len(w.hash) && (w.word(k) == "de" || w.word(k) == "d" || w.word(k) == "of") {
			k++
		}
		switch {
		case currencyBefore(w, i) || (k < len(w.hash) && currencyWords[w.word(k)]):
			amounts = append(amounts, wordSpan{i, min(k+1, len(w.hash))})
		case k < len(w.hash) && volumeUnits[w.word(k)]:
			// "in a March 3 message": a day, not a count.
			if _, month := months[w.word(max(i-1, 0))]; i > 0 && month {
				break
			}
			// "e-mails" tokenises as "e" "mails".
			if w.word(k) == "e" && (k+1 >= len(w.hash) || w.word(k+1) != "mails") {
				break
			}
			volumes = append(volumes, wordSpan{i, k + 1})
		}
		i = e - 1
	}
	return amounts, volumes
}

// findMessageDates finds "March 2015", "mars 2016", "12 avril", "April
// 12" and "12/04/2016": a date a message can be dated by. dates are w's
// days of a month (findDates).
func findMessageDates(w *wordSeq, dates []dateRef) []wordSpan {
	var out []wordSpan
	for _, d := range dates {
		out = append(out, wordSpan{d.start, d.end})
	}
	for i := range w.hash {
		if _, ok := monthOf(w, i); !ok || i+1 >= len(w.hash) {
			continue
		}
		if y, err := strconv.Atoi(w.word(i + 1)); err == nil && y >= 1990 && y <= 2100 {
			out = append(out, wordSpan{i, i + 2})
		}
	}
	return out
}

// sentences returns the word spans of the sentences of w: a sentence ends
// at '.', '!', '?' or ';' between two words, or at a line break of the
// original text.
func sentences(w *wordSeq) []wordSpan {
	var out []wordSpan
	start := 0
	b := w.norm.Norm
	for i := 1; i < len(w.hash); i++ {
		end := false
		for k := w.end[i-1]; k < w.start[i]; k++ {
			if c := b[k]; c == '.' || c == '!' || c == '?' || c == ';' {
				end = true
				break
			}
		}
		if !end {
			_, oe := w.span(i-1, i)
			os, _ := w.span(i, i+1)
			end = strings.ContainsRune(w.norm.Original[oe:os], '\n')
		}
		if end {
			out = append(out, wordSpan{start, i})
			start = i
		}
	}
	if start < len(w.hash) {
		out = append(out, wordSpan{start, len(w.hash)})
	}
	return out
}

// properNouns marks the words written with a capital that do not open a
// sentence and are not function words: names of people, companies,
// places.
func properNouns(w *wordSeq, sents []wordSpan, mark []bool) []bool {
	mark = slices.Grow(mark[:0], len(w.hash))[:len(w.hash)]
	clear(mark)
	for _, s := range sents {
		for i := s.start + 1; i < s.end; i++ {
			os, _ := w.span(i, i+1)
			r, _ := utf8.DecodeRuneInString(w.norm.Original[os:])
			if unicode.IsUpper(r) && w.end[i]-w.start[i] >= 2 && !stopWords[w.word(i)] && !calendarWords[w.word(i)] {
				mark[i] = true
			}
		}
	}
	return mark
}

// calendarWords are capitalised in English without naming anyone.
var calendarWords = map[string]bool{
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"january": true, "february": true, "march": true, "april": true, "june": true, "july": true, "august": true,
	"september": true, "october": true, "november": true, "december": true,
}

// yearRef is a year an article names.
type yearRef struct {
	year int
	ev   evidence
}

// pastYears counts the distinct years an article names before its news
// year (its publication year, or the latest year it names): content
// reporting tells what people did years before the leak, the leak's news
// happens now. Each year's first mention is recorded as evidence.
func pastYears(an *analysis, a *article.Article, years []yearRef) int {
	ref := a.PublishedAt.Year()
	if a.PublishedAt.IsZero() {
		ref = 0
	}
	for _, y := range years {
		ref = max(ref, y.year)
	}
	seen := map[int]bool{}
	for _, y := range years {
		if y.year >= ref || seen[y.year] {
			continue
		}
		seen[y.year] = true
		an.ev[fPastYears] = append(an.ev[fPastYears], y.ev)
	}
	return len(seen)
}

// sentenceOf maps every word to the index of its sentence in sents.
func sentenceOf(sents []wordSpan, n int, dst []int32) []int32 {
	dst = slices.Grow(dst[:0], n)[:n]
	for k, s := range sents {
		for i := s.start; i < s.end && i < n; i++ {
			dst[i] = int32(k)
		}
	}
	return dst
}

// sameSentence reports whether spans [s0, e0) and [s1, e1) share a
// sentence: a span may run over a boundary, so either end counts.
func sameSentence(sentOf []int32, s0, e0, s1, e1 int) bool {
	a0, a1 := sentOf[s0], sentOf[max(e0-1, s0)]
	b0, b1 := sentOf[s1], sentOf[max(e1-1, s1)]
	return a0 <= b1 && b0 <= a1
}

// afterReference tags the phrases that count only after a leak reference
// (nounlikeReportCues, nounlikeMessageCues).
const afterReference = "after-reference"

// sentenceHits are a word sequence's hits of one kind (in order of
// start, as phraseSet.find gives them), to ask which lie near a span in
// a sentence it shares: what a detail is attributed to lies in its own
// sentence.
type sentenceHits struct {
	hits    []phraseHit
	longest int     // the most words a hit spans
	sentOf  []int32 // per word, its sentence
}

func inSentences(hits []phraseHit, sentOf []int32) sentenceHits {
	sh := sentenceHits{hits: hits, sentOf: sentOf}
	for _, h := range hits {
		sh.longest = max(sh.longest, h.end-h.start)
	}
	return sh
}

// candidates returns the hits that may lie within words of s: by start
// order, only those from s.start-within-longest on, up to s.end+within.
func (sh sentenceHits) candidates(s wordSpan, within int) []phraseHit {
	lo := sort.Search(len(sh.hits), func(i int) bool { return sh.hits[i].start >= s.start-within-sh.longest })
	hi := sort.Search(len(sh.hits), func(i int) bool { return sh.hits[i].start > s.end+within })
	return sh.hits[lo:max(lo, hi)]
}

// near reports whether a hit lies within words of s in a sentence s
// shares.
func (sh sentenceHits) near(s wordSpan, within int) bool {
	for _, h := range sh.candidates(s, within) {
		if s.near(wordSpan{h.start, h.end}, within) && sameSentence(sh.sentOf, s.start, s.end, h.start, h.end) {
			return true
		}
	}
	return false
}

// before reports whether a hit ends before s, within words of it, in a
// sentence s shares.
func (sh sentenceHits) before(s wordSpan, within int) bool {
	for _, h := range sh.candidates(s, within) {
		if h.end <= s.start && s.start-h.end <= within && sameSentence(sh.sentOf, s.start, s.end, h.start, h.end) {
			return true
		}
	}
	return false
}

// negators are the words that, just before a reporting verb, deny what
// it reports: "ne semblaient pas indiquer", "les documents ne montrent
// pas", "n'indiquent", "did not show", "didn't show" (tokenised "didn",
// "t").
var negators = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`pas ne n jamais aucun aucune rien ni not never no nothing cannot didn doesn don isn wasn
		aren weren hasn haven hadn couldn wouldn shouldn t`) {
		m[w] = true
	}
	return m
}()

// negatedBefore reports whether one of the three words before word i is
// a negator.
func negatedBefore(w *wordSeq, i int) bool {
	for k := max(0, i-3); k < i; k++ {
		if negators[w.word(k)] {
			return true
		}
	}
	return false
}

// isDigits reports whether b is all ASCII digits (strconv.Atoi allocates
// an error for every word that is not).
func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// adjectival are the French past participles that, right after the
// material's name and with no auxiliary, qualify it ("les documents
// révélés par") rather than report what it says ("ont révélé que").
var adjectival = map[string]bool{"revele": true, "revelee": true, "reveles": true, "revelees": true}
