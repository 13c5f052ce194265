package crawler

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Localised feed dates. RSS wants RFC 822 dates in English; some CMSs
// format pubDate with the site's locale instead ("sam., 06 mai 2017
// 12:00:00 +0200", "Sábado, 6 de mayo de 2017 12:00"), which gofeed
// cannot read, and the item then has no claimed time at all. localDate
// reads the day, month name, year, time of day and zone of such a date
// in the languages of the presets' countries. A general multilingual date
// parser (go-dateparser, already in the build for page dates) takes 1–2 ms
// a date and silently moves 31 February to the 28th; this reads only
// whole dates with a time of day, exactly, or nothing.

// monthNames maps month names and abbreviations, lower case and without
// accents, to their month: French, Spanish, Italian, German, Portuguese,
// Polish, Dutch and English.
var monthNames = func() map[string]time.Month {
	m := map[string]time.Month{}
	for month, names := range [12]string{
		"janvier janv jan enero ene gennaio gen januar janeiro stycznia styczen sty januari january",
		"fevrier fevr fev febrero feb febbraio februar fevereiro lutego luty lut februari february",
		"mars marzo mar marz maerz marco marca marzec maart march",
		"avril avr abril abr aprile apr april kwietnia kwiecien kwi",
		"mai mayo may maggio mag maio maja maj mei",
		"juin junio jun giugno giu juni junho czerwca czerwiec cze june",
		"juillet juil julio jul luglio lug juli julho lipca lipiec lip july",
		"aout agosto ago august sierpnia sierpien sie augustus aug",
		"septembre sept sep septiembre settembre set september setembro wrzesnia wrzesien wrz",
		"octobre oct octubre ottobre ott oktober outubro out pazdziernika pazdziernik paz october okt",
		"novembre nov noviembre november novembro listopada listopad lis",
		"decembre dec diciembre dic dicembre dezember dez dezembro grudnia grudzien gru december",
	} {
		for _, n := range strings.Fields(names) {
			m[n] = time.Month(month + 1)
		}
	}
	return m
}()

// zoneOffsets are the zone abbreviations feeds write, in seconds east of
// UTC (Go's time.Parse gives an unknown abbreviation offset zero).
var zoneOffsets = map[string]int{
	"z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "west": 3600, "bst": 3600, "cet": 3600, "cest": 7200, "met": 3600,
	"mest": 7200, "eet": 7200, "eest": 10800, "msk": 10800, "est": -5 * 3600, "edt": -4 * 3600, "cst": -6 * 3600,
	"cdt": -5 * 3600, "mst": -7 * 3600, "mdt": -6 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600, "ast": -4 * 3600,
}

var (
	// dateToken: a time of day ("12:00", "12:00:05", "12h00", "12.00"),
	// a numeric offset ("+0200", "-03:00"), a number, or a word.
	dateToken  = regexp.MustCompile(`\d{1,2}[:h.]\d{2}(?:[:.]\d{2})?|[+-]\d{2}:?\d{2}|\d+|\p{L}+`)
	clockParts = regexp.MustCompile(`^(\d{1,2})[:h.](\d{2})(?:[:.](\d{2}))?$`)
)

// localDate parses a localised RFC 822-like date with a time of day: a
// day number next to a month name ("06 mai", "6 de mayo", "May 6"), a
// four-digit year, a time of day and an optional zone after it. A date
// without a zone is a wall clock in local; nil reads it as UTC, as gofeed
// reads one.
func localDate(s string, local *time.Location) (time.Time, bool) {
	toks := dateToken.FindAllString(foldDate(s), -1)
	dayAt := func(i int) int {
		if i < 0 || i >= len(toks) || len(toks[i]) > 2 || toks[i][0] < '0' || toks[i][0] > '9' {
			return -1
		}
		n, _ := strconv.Atoi(toks[i])
		if n < 1 || n > 31 {
			return -1
		}
		return n
	}
	day, year, hour, minute, second := -1, -1, -1, 0, 0
	var month time.Month
	offset, zoned := 0, false
	// The day before its month first ("mar., 02 mai": "mar" is Tuesday
	// there), then the English order ("May 6").
	for i := 0; i < len(toks) && month == 0; i++ {
		if d := dayAt(i); d > 0 {
			j := i + 1
			for j < len(toks) && (toks[j] == "de" || toks[j] == "del") {
				j++
			}
			if j < len(toks) {
				if m, ok := monthNames[toks[j]]; ok {
					day, month = d, m
				}
			}
		}
	}
	for i := 0; i < len(toks) && month == 0; i++ {
		if m, ok := monthNames[toks[i]]; ok && dayAt(i+1) > 0 {
			day, month = dayAt(i+1), m
		}
	}
	for i, t := range toks {
		if len(t) == 4 && t[0] >= '0' && t[0] <= '9' && year < 0 {
			year, _ = strconv.Atoi(t)
		}
		p := clockParts.FindStringSubmatch(t)
		if p == nil || hour >= 0 {
			continue
		}
		hour, _ = strconv.Atoi(p[1])
		minute, _ = strconv.Atoi(p[2])
		if p[3] != "" {
			second, _ = strconv.Atoi(p[3])
		}
		if i+1 < len(toks) {
			z := toks[i+1]
			if off, ok := zoneOffsets[z]; ok {
				offset, zoned = off, true
			} else if z[0] == '+' || z[0] == '-' {
				zoned = true
				d := strings.ReplaceAll(z[1:], ":", "")
				h, _ := strconv.Atoi(d[:2])
				m, _ := strconv.Atoi(d[2:])
				offset = (h*60 + m) * 60
				if z[0] == '-' {
					offset = -offset
				}
			}
		}
	}
	if day < 0 || month == 0 || year < 0 || hour < 0 || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	loc := time.FixedZone("", offset)
	if !zoned && local != nil {
		loc = local
	}
	t := time.Date(year, month, day, hour, minute, second, 0, loc)
	if t.Day() != day { // 31 February
		return time.Time{}, false
	}
	return t.UTC(), true
}

// foldDate lower-cases s and drops its accents ("févr." → "fevr.").
func foldDate(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if r < 0x300 || r > 0x36f { // combining marks
			b.WriteRune(r)
		}
	}
	return strings.ReplaceAll(b.String(), "ł", "l")
}
