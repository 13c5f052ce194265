package htmltext

import "testing"

func TestFragment(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain text", "Bonjour", "Bonjour"},
		{"entities decoded", "l&rsquo;&eacute;t&eacute; &amp; &lt;b&gt; &#8364;", "l’été & <b> €"},
		{"script and style dropped", "<p>Avant</p><script>alert('x<p>')</script><style>p{}</style><p>Après</p>", "Avant\n\nAprès"},
		{"noscript, template, svg dropped", "<noscript><img src=x></noscript><template><p>t</p></template><svg><title>icône</title></svg>Texte", "Texte"},
		{"paragraphs", "<p>Un</p><p>Deux</p>", "Un\n\nDeux"},
		{"whitespace collapsed inside paragraphs", "<p>  Un \n\t  deux  </p>\n\n<p>trois</p>", "Un deux\n\ntrois"},
		{"no-break spaces become spaces", "20&nbsp;h&#8239;: 31\u00a0%", "20 h : 31 %"},
		{"single br is a line break", "Ligne un<br>ligne deux", "Ligne un\nligne deux"},
		{"double br is a paragraph", "Un<br/><br/>Deux", "Un\n\nDeux"},
		{"inline tags add no spaces", "élec<b>tion</b> <i>européenne</i>", "élection européenne"},
		{"soft hyphen and zero-width space removed", "candi\u00addat&shy;e\u200b!", "candidate!"},
		{"table cells kept apart", "<table><tr><td>A</td><td>1</td></tr><tr><th>B</th><td>2</td></tr></table>", "A 1\n\nB 2"},
		{"list items are paragraphs", "<ul><li>un</li><li>deux</li></ul>", "un\n\ndeux"},
		{"comments dropped", "a<!-- secret -->b", "ab"},
		{"unclosed tags", "<p>Texte <b>gras", "Texte gras"},
		{"empty blocks leave no gaps", "<div><p></p><div> </div><p>x</p></div>", "x"},
		{"plain text keeps blank-line paragraphs", "Ligne un\nsuite\n\n  Paragraphe deux", "Ligne un suite\n\nParagraphe deux"},
		{"markup ignores source blank lines", "<b>Un</b>\n\ndeux", "Un deux"},
		{"lone ampersand and less-than", "Tom & Jerry < 3", "Tom & Jerry < 3"},
		{"control characters dropped", "a\x00b\x07c", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fragment(tt.in); got != tt.want {
				t.Errorf("Fragment(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNodeLines(t *testing.T) {
	tests := []struct{ name, in, title, want string }{
		{"blocks one per line, head and style hidden", "<html><head><title> Plan\n presse </title><style>p{font-family:x}</style></head><body><p>Le co\u00fbt <b>final</b></p><p>Deux</p></body></html>",
			"Plan presse", "Le coût final\nDeux\n"},
		{"table cells on lines of their own", "<table><caption>Agenda</caption><tr><td>Lundi</td><td>Lille</td></tr><tr><th>Mardi</th><td>Lyon</td></tr></table>",
			"", "Agenda\nLundi\nLille\nMardi\nLyon\n"},
		{"br ends a line, never a blank line", "<p>Un<br><br>deux</p><div></div><ul><li>trois</li></ul>", "", "Un\ndeux\ntrois\n"},
		{"svg title is not the page title", "<body><svg><title>icône</title></svg>Texte</body>", "", "Texte\n"},
		{"empty", "<html><body> </body></html>", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title, text, err := Document(tt.in, Options{Lines: true})
			if err != nil {
				t.Fatal(err)
			}
			if title != tt.title || text != tt.want {
				t.Errorf("Document(%q)\n got %q, %q\nwant %q, %q", tt.in, title, text, tt.title, tt.want)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	page := "<html><head><title>Le  titre</title><script>var p = '<p>';</script></head><body><p>Un</p>Deux<br>trois<table><tr><td>A</td><td>B</td></tr></table><noscript>x</noscript></body></html>"
	title, text := Tokens([]byte(page))
	if title != "Le titre" || text != "Un\n\nDeux\ntrois\n\nA B" {
		t.Errorf("Tokens = %q, %q", title, text)
	}
}
