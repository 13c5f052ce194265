package extract

import (
	"strings"
	"testing"
	"time"
)

func TestParseStamp(t *testing.T) {
	tests := []struct {
		in       string
		want     string // RFC 3339 UTC; "" for no time
		zoned    bool
		dateOnly bool
	}{
		{"2017-05-06T00:12:59+02:00", "2017-05-05T22:12:00Z", true, false},
		{"2017-05-06T10:21:58.000+02:00", "2017-05-06T08:21:00Z", true, false},
		{"2017-05-05T17:42:31Z", "2017-05-05T17:42:00Z", true, false},
		{"2017-05-06T13:05:09-04:00", "2017-05-06T17:05:00Z", true, false},
		{"2017-05-06T09:15+0200", "2017-05-06T07:15:00Z", true, false},
		{"2017-05-06 09:15:00 +02:00", "2017-05-06T07:15:00Z", true, false},
		{"2017-05-06T09:15:00+02", "2017-05-06T07:15:00Z", true, false},
		{"Sat, 06 May 2017 09:15:00 +0200", "2017-05-06T07:15:00Z", true, false},
		{"Sat, 06 May 2017 09:15:00 GMT", "2017-05-06T09:15:00Z", true, false},
		{" 2017-05-06T09:15:00Z\n", "2017-05-06T09:15:00Z", true, false},
		// A zone abbreviation other than UTC/GMT says nothing reliable.
		{"Sat, 06 May 2017 09:15:00 CEST", "", false, false},
		{"2017-05-06T10:30:00", "2017-05-06T10:30:00Z", false, false},
		{"2017-05-06 10:30", "2017-05-06T10:30:00Z", false, false},
		{"2017-05-06", "2017-05-06T00:00:00Z", false, true},
		{"6 mai 2017", "", false, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		s := parseStamp(tt.in, FromJSONLD)
		var want time.Time
		if tt.want != "" {
			want = feedDate(tt.want)
		}
		if !s.t.Equal(want) || s.zoned != tt.zoned || s.dateOnly != tt.dateOnly {
			t.Errorf("parseStamp(%q) = %v zoned=%v dateOnly=%v, want %v zoned=%v dateOnly=%v",
				tt.in, s.t, s.zoned, s.dateOnly, want, tt.zoned, tt.dateOnly)
		}
		if s.ok() && (s.t.Location() != time.UTC || s.from != FromJSONLD) {
			t.Errorf("parseStamp(%q) = %v from %q, want UTC from json-ld", tt.in, s.t, s.from)
		}
	}
}

func TestPickTime(t *testing.T) {
	zoned := parseStamp("2017-05-06T10:21:58+02:00", FromPublishedMeta)
	zonedLD := parseStamp("2017-05-06T10:25:00+02:00", FromJSONLD)
	naive := parseStamp("2017-05-06T10:21:58", FromPublishedMeta)
	feed := feedDate("2017-05-06T08:30:45Z")
	htmlDate := func() stamp { return stamp{t: feedDate("2017-05-06T00:00:00Z"), from: FromHTMLDate, dateOnly: true} }
	noHTMLDate := func() stamp { return stamp{} }

	tests := []struct {
		name     string
		page     []stamp
		feed     time.Time
		htmlDate func() stamp
		want     string
		from     string
		noteHas  string
	}{
		{"first zoned page time wins over the feed", []stamp{zoned, zonedLD}, feed, htmlDate, "2017-05-06T08:21:00Z", FromPublishedMeta, ""},
		{"a zoned later source beats an unzoned earlier one", []stamp{naive, zonedLD}, feed, htmlDate, "2017-05-06T08:25:00Z", FromJSONLD, ""},
		{"feed beats an unzoned page time", []stamp{naive}, feed, htmlDate, "2017-05-06T08:30:00Z", FromFeed, "no zone offset"},
		{"feed when the page has none", []stamp{{}}, feed, htmlDate, "2017-05-06T08:30:00Z", FromFeed, ""},
		{"htmldate without feed", []stamp{{}}, time.Time{}, htmlDate, "2017-05-06T00:00:00Z", FromHTMLDate, "date only"},
		{"unzoned page time as a last resort", []stamp{naive}, time.Time{}, noHTMLDate, "2017-05-06T10:21:00Z", FromPublishedMeta, "read as UTC"},
		{"nothing", nil, time.Time{}, noHTMLDate, "", "", ""},
		{"no htmldate for modification times", nil, time.Time{}, nil, "", "", ""},
	}
	for _, tt := range tests {
		got, notes := pickTime("published", tt.page, tt.feed, tt.htmlDate)
		var want time.Time
		if tt.want != "" {
			want = feedDate(tt.want)
		}
		if !got.t.Equal(want) || got.from != tt.from {
			t.Errorf("%s: got %v from %q, want %v from %q", tt.name, got.t, got.from, want, tt.from)
		}
		if joined := strings.Join(notes, "; "); tt.noteHas != "" && !strings.Contains(joined, tt.noteHas) {
			t.Errorf("%s: notes %q lack %q", tt.name, joined, tt.noteHas)
		}
	}
}

// TestTimeSelection checks which <time> and which metadata a page's
// publication time comes from.
func TestTimeSelection(t *testing.T) {
	const body = `<p>Body text of the article, long enough to be kept as the article's body by the extractors we chain.</p>`
	tests := []struct {
		name, page, want, from string
	}{
		{"time in article, sidebar and header times ignored",
			`<header>Today <time datetime="2017-05-07T08:00:00+02:00">Sunday</time></header>
			 <aside><time datetime="2017-05-01T08:00:00+02:00">older post</time></aside>
			 <article><h1>T</h1><p>Posted <time datetime="2017-05-06T09:15:00+02:00">6 May</time></p>` + body + `</article>`,
			"2017-05-06T07:15:00Z", FromTimeElement},
		{"itemprop datePublished beats the first time",
			`<article><time datetime="2017-05-01T08:00:00+02:00">x</time><time itemprop="datePublished" datetime="2017-05-06T09:15:00+02:00">y</time>` + body + `</article>`,
			"2017-05-06T07:15:00Z", FromTimeElement},
		{"comment times ignored: the feed's date wins",
			`<article>` + body + `</article><div id="comments"><time datetime="2017-05-06T12:00:00+02:00">c</time>
			 <div itemscope itemtype="https://schema.org/Comment"><meta itemprop="datePublished" content="2017-05-06T12:30:00+02:00">
			 <time itemprop="datePublished" datetime="2017-05-06T12:40:00+02:00">d</time></div></div>`,
			"2017-05-06T08:30:00Z", FromFeed},
		{"meta beats JSON-LD",
			`<meta property="article:published_time" content="2017-05-06T09:15:00+02:00"><script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2017-05-06T09:00:00+02:00"}</script><article>` + body + `</article>`,
			"2017-05-06T07:15:00Z", FromPublishedMeta},
		{"JSON-LD article beats JSON-LD WebPage",
			`<script type="application/ld+json">{"@graph":[{"@type":"WebPage","datePublished":"2010-01-01T00:00:00Z"},{"@type":["NewsArticle"],"datePublished":"2017-05-06T09:00:00+02:00"}]}</script><article>` + body + `</article>`,
			"2017-05-06T07:00:00Z", FromJSONLD},
		{"broken JSON-LD is skipped",
			`<script type="application/ld+json">{"@type":"NewsArticle","datePublished":</script><article><time datetime="2017-05-06T09:15:00Z">x</time>` + body + `</article>`,
			"2017-05-06T09:15:00Z", FromTimeElement},
		{"microdata on a span",
			`<article><span itemprop="datePublished" content="2017-05-06T09:15:00+02:00">6 mai</span>` + body + `</article>`,
			"2017-05-06T07:15:00Z", FromMicrodata},
	}
	for _, tt := range tests {
		feed := Feed{PublishedAt: feedDate("2017-05-06T08:30:45Z")}
		res, err := Extract([]byte("<html><head><title>T</title></head><body>"+tt.page+"</body></html>"), "text/html", "https://example.org/a", feed)
		if err != nil {
			t.Fatal(err)
		}
		var want time.Time
		if tt.want != "" {
			want = feedDate(tt.want)
		}
		if !res.PublishedAt.Equal(want) || res.PublishedFrom != tt.from {
			t.Errorf("%s: published %v from %q, want %v from %q (notes %q)", tt.name, res.PublishedAt, res.PublishedFrom, want, tt.from, res.Notes)
		}
	}
}

// TestNaiveDatesWithoutFeed: with unzoned page times and no feed,
// go-htmldate is asked and the choice is explained.
func TestNaiveDatesWithoutFeed(t *testing.T) {
	page, _ := readFixture(t, "en_naive_dates")
	res, err := Extract(page, "text/html", "https://eubriefing.example/policy/digital-single-market-review", Feed{})
	if err != nil {
		t.Fatal(err)
	}
	if res.PublishedFrom != FromHTMLDate || !res.PublishedAt.Equal(feedDate("2017-05-06T10:30:00Z")) {
		t.Errorf("published %v from %q", res.PublishedAt, res.PublishedFrom)
	}
	if res.ModifiedFrom != FromModifiedMeta || !res.ModifiedAt.Equal(feedDate("2017-05-06T11:45:00Z")) {
		t.Errorf("modified %v from %q", res.ModifiedAt, res.ModifiedFrom)
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{"no zone offset", "htmldate"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

// TestNoDateWithoutFeed: a page without any date and no feed has none.
func TestNoDateWithoutFeed(t *testing.T) {
	page, _ := readFixture(t, "fr_no_date")
	res, err := Extract(page, "text/html", "https://www.montreuil-sur-loire.example/demarches/elections/pieces-a-presenter", Feed{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.PublishedAt.IsZero() || res.PublishedFrom != "" || !res.ModifiedAt.IsZero() {
		t.Errorf("published %v from %q, modified %v", res.PublishedAt, res.PublishedFrom, res.ModifiedAt)
	}
}
