package crawler

import "testing"

func TestHTMLText(t *testing.T) {
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
			if got := HTMLText(tt.in); got != tt.want {
				t.Errorf("HTMLText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}
