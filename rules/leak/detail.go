package leak

import (
	"slices"

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
