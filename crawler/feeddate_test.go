package crawler

import (
	"testing"
	"time"
)

func TestLocalDate(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" for no date
	}{
		{"sam., 06 mai 2017 12:00:00 +0200", "2017-05-06T10:00:00Z"},
		{"mar., 02 mai 2017 08:15:00 +0200", "2017-05-02T06:15:00Z"}, // "mar." is mardi, not March
		{"Samedi 6 mai 2017 - 12h00", "2017-05-06T12:00:00Z"},
		{"6 févr. 2017 à 09:30 CET", "2017-02-06T08:30:00Z"},
		{"Sábado, 6 de mayo de 2017 12:00:00 -0300", "2017-05-06T15:00:00Z"},
		{"Sa, 06 Mär 2021 12:00:00 +01:00", "2021-03-06T11:00:00Z"},
		{"sabato 6 maggio 2017 ore 12:00", "2017-05-06T12:00:00Z"},
		{"sobota, 6 września 2023 18:05:30 CEST", "2023-09-06T16:05:30Z"},
		{"Sat, 06 May 2017 12:00:00 GMT", "2017-05-06T12:00:00Z"},
		{"May 6, 2017 12:00 EDT", "2017-05-06T16:00:00Z"},
		{"6 mai 2017", ""},                         // no time of day: not an instant
		{"sam., 31 févr. 2017 12:00:00 +0200", ""}, // no such day
		{"06/05/2017 12:00", ""},                   // no month name: day and month order unknown
		{"demain", ""},
		{"", ""},
	} {
		got, ok := localDate(c.in, nil)
		switch {
		case c.want == "" && ok:
			t.Errorf("%q: got %v, want no date", c.in, got)
		case c.want != "" && (!ok || !got.Equal(mustTime(t, c.want))):
			t.Errorf("%q: got %v (%v), want %s", c.in, got, ok, c.want)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A feed whose CMS writes pubDate in French: the items keep their claimed
// times, and a date gofeed reads is left as gofeed reads it.
func TestParseFeedLocalisedDates(t *testing.T) {
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Écho</title>
<item><title>A</title><link>https://echo.example/a</link><pubDate>sam., 06 mai 2017 12:00:00 +0200</pubDate></item>
<item><title>B</title><link>https://echo.example/b</link><pubDate>Sat, 06 May 2017 13:00:00 +0200</pubDate></item>
<item><title>C</title><link>https://echo.example/c</link><pubDate>samedi 6 mai</pubDate></item>
</channel></rss>`)
	feed, err := ParseFeed(body, "application/rss+xml", "https://echo.example/rss", firstSeen, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2017-05-06T10:00:00Z", "2017-05-06T11:00:00Z", ""}
	for i, a := range feed.Items {
		if (want[i] == "" && !a.PublishedAt.IsZero()) || (want[i] != "" && !a.PublishedAt.Equal(mustTime(t, want[i]))) {
			t.Errorf("item %s: PublishedAt %v, want %q", a.Title, a.PublishedAt, want[i])
		}
	}
}

// FuzzLocalDate: any text gives a date in UTC with a time of day, or none,
// and never panics.
func FuzzLocalDate(f *testing.F) {
	for _, s := range []string{"sam., 06 mai 2017 12:00:00 +0200", "May 6, 2017 12:00 EDT", "6 de mayo de 2017 12h00", "31 févr. 2017 12:00", "+0200 12:00 6 mai"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := localDate(s, nil); ok && (d.Location() != time.UTC || d.IsZero()) {
			t.Errorf("%q: %v", s, d)
		}
	})
}

// A date written without a zone is the outlet's wall clock: read in the
// zone given, UTC without one; a date with a zone, or a date only, is
// left as it is.
func TestParseFeedZonelessDates(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Écho</title>
<item><title>naive</title><link>https://echo.example/a</link><pubDate>2017-05-05 23:30:00</pubDate></item>
<item><title>zoned</title><link>https://echo.example/b</link><pubDate>Fri, 05 May 2017 23:30:00 +0200</pubDate></item>
<item><title>utc</title><link>https://echo.example/c</link><pubDate>2017-05-05T21:30:00Z</pubDate></item>
<item><title>local naive</title><link>https://echo.example/d</link><pubDate>vendredi 5 mai 2017 23:30</pubDate></item>
</channel></rss>`)
	for _, c := range []struct {
		local *time.Location
		want  []string
	}{
		{paris, []string{"2017-05-05T21:30:00Z", "2017-05-05T21:30:00Z", "2017-05-05T21:30:00Z", "2017-05-05T21:30:00Z"}},
		{nil, []string{"2017-05-05T23:30:00Z", "2017-05-05T21:30:00Z", "2017-05-05T21:30:00Z", "2017-05-05T23:30:00Z"}},
	} {
		feed, err := ParseFeed(body, "application/rss+xml", "https://echo.example/rss", firstSeen, c.local)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range feed.Items {
			if !a.PublishedAt.Equal(mustTime(t, c.want[i])) {
				t.Errorf("in %v, %s: PublishedAt %v, want %s", c.local, a.Title, a.PublishedAt, c.want[i])
			}
		}
	}
	for _, s := range []string{"2017-05-06T12:00:00Z", "Sat, 06 May 2017 12:00:00 GMT", "2017-05-06T12:00:00+02:00", "Sat, 06 May 2017 12:00:00 -0300"} {
		if !hasZone(s) {
			t.Errorf("%q: no zone seen", s)
		}
	}
	for _, s := range []string{"2017-05-06 12:00:00", "2017-05-06T12:00:00", "Sat, 06 May 2017 12:00:00"} {
		if hasZone(s) {
			t.Errorf("%q: a zone seen", s)
		}
	}
}
