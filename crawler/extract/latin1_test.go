package extract

import (
	"strings"
	"testing"
)

// TestExtractLatin1Page runs the whole chain on the Latin-1 fixture with
// the headers a crawler meets: none, a bare text/html, and the "utf-8"
// a static file server adds.
func TestExtractLatin1Page(t *testing.T) {
	page, _ := readFixture(t, "fr_latin1_meta")
	for _, ct := range []string{"", "text/html", "text/html; charset=utf-8", "text/html; charset=iso-8859-1"} {
		res, err := Extract(page, ct, "http://www.petit-heraultais.example/sete/port/thon-rouge-fermeture.html", Feed{})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"pêcheurs sétois", "« à deux vitesses »", "interrégionale", "À la criée"} {
			if !strings.Contains(res.Text, want) {
				t.Errorf("Content-Type %q: text lacks %q", ct, want)
			}
		}
		if strings.ContainsAny(res.Text+res.Title, "\uFFFDÃ") {
			t.Errorf("Content-Type %q: mojibake in %q / %q", ct, res.Title, res.Text)
		}
		if res.Title != "Sète : les pêcheurs inquiets après la fermeture anticipée du thon rouge" {
			t.Errorf("Content-Type %q: Title = %q", ct, res.Title)
		}
	}
}
