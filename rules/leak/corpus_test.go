package leak

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// containsWords reports whether the word sequence of needle occurs in hay.
func containsWords(hay, needle string) bool {
	h, n := wordHashes(hay), wordHashes(needle)
	if len(n) == 0 {
		return false
	}
outer:
	for i := 0; i+len(n) <= len(h); i++ {
		for j := range n {
			if h[i+j] != n[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

func TestCorpusHoldsTruePassages(t *testing.T) {
	docs, _, err := ReadCorpus("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	arts, err := ReadArticles("testdata/articles")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		for _, p := range a.Passages {
			id := strings.TrimPrefix(p.Doc, "corpus/")
			exact, words, elsewhere := false, false, ""
			for _, d := range docs {
				if d.ID == id || strings.HasPrefix(d.ID, id+"#") {
					exact = exact || strings.Contains(d.Text, strings.ReplaceAll(p.LeakText, "\r\n", "\n"))
					words = words || containsWords(d.Text, p.LeakText)
				} else if elsewhere == "" && containsWords(d.Text, p.LeakText) {
					elsewhere = d.ID
				}
			}
			if !words {
				t.Errorf("%s %s: leak_text not in %s (elsewhere: %q): %q", a.ID, p.Edit, id, elsewhere, p.LeakText)
			} else if !exact {
				t.Logf("%s %s: %s holds the words but not the exact text", a.ID, p.Edit, id)
			}
			if !strings.Contains(a.Body, p.ArticleText) {
				t.Errorf("%s: article_text not in body", a.ID)
			}
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	ix, arts := fixtureIndex(t)
	blob, err := ix.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var ix2 Index
	if err := ix2.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	s1, s2 := ix.Stats(), ix2.Stats()
	t.Logf("blob %d bytes; stats %+v", len(blob), s1)
	if s1 != s2 {
		t.Errorf("stats differ after round trip:\n%+v\n%+v", s1, s2)
	}
	for i := range arts {
		a := arts[i].Article()
		r1, r2 := ix.Classify(a), ix2.Classify(a)
		if r1.Label != r2.Label || r1.Score != r2.Score || len(r1.Passages) != len(r2.Passages) {
			t.Errorf("%s: %s %.3f %d passages, after round trip %s %.3f %d", arts[i].ID, r1.Label, r1.Score, len(r1.Passages), r2.Label, r2.Score, len(r2.Passages))
		}
	}
	if err := ix2.UnmarshalBinary(blob[:len(blob)/2]); !errors.Is(err, ErrFormat) {
		t.Errorf("truncated blob: got %v, want ErrFormat", err)
	}
}

func docByID(t *testing.T, docs []Document, id string) *Document {
	t.Helper()
	for i := range docs {
		if docs[i].ID == id {
			return &docs[i]
		}
	}
	t.Fatalf("no document %s", id)
	return nil
}

// TestReadCorpusFixtures checks the decoding the fixtures exercise: MIME
// structure, transfer encodings, charsets, RFC 2047 headers, CRLF, quote
// removal, attachments, mbox, HTML, JSON.
func TestReadCorpusFixtures(t *testing.T) {
	docs, skipped, err := ReadCorpus("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) > 0 {
		t.Errorf("skipped: %v", skipped)
	}
	kinds := map[string]int{}
	for _, d := range docs {
		kinds[d.Kind]++
		if strings.Contains(d.Text, "\r") {
			t.Errorf("%s: CR left in text", d.ID)
		}
		if d.SHA256 == "" || d.QuoteStart > len(d.Text) {
			t.Errorf("%s: sha %q, quote start %d of %d", d.ID, d.SHA256, d.QuoteStart, len(d.Text))
		}
	}
	// 203 .eml + 13 mbox messages = 216 mails; 5 text attachments; 6
	// .txt/.md files; 2 HTML files; JSON entries.
	if kinds[KindEmail] != 216 || kinds[KindHTML] != 2 {
		t.Errorf("kinds %v: want 216 mails and 2 HTML pages", kinds)
	}

	tests := []struct {
		id, subject, from string
		has, hasNot       []string
		quoted            string
	}{
		// windows-1252, 8bit, Outlook reply: the parent (0155) is in the
		// corpus, so its quoted copy is not indexed again.
		{id: "0156-re-lyon-revision-budget.eml", subject: "RE: Lyon : révision du budget", from: "Marc Vidal <marc.vidal@renouveau.example>",
			has: []string{"182 000 euros de dépassement", "« au téléphone avec Julien »", "Ce message et ses pièces jointes"}, hasNot: []string{"Je préfère t'écrire"},
			quoted: "Je préfère t'écrire avant que tu ne l'apprennes par les factures."},
		// ISO-8859-1, base64 encoded words in Subject and From.
		{id: "0018-soutien-madame-marchal.eml", subject: "Soutien à Madame Marchal", from: "Gérard Maillot <gerard.maillot@maillot-logistique.example>",
			has: []string{"Monsieur Lefebvre,", "640 salariés"}},
		// ISO-8859-1 quoted-printable, hard-wrapped; Q-encoded subject.
		{id: "0039-themes-qui-mobilisent-18-30.eml", subject: "Thèmes qui mobilisent les 18-30 ans",
			has: []string{"Voici ce qui ressort des deux dernières enquêtes publiées et de nos\ngroupes qualitatifs."}},
		// UTF-8 base64 with CRLF lines; forward of an Outlook message.
		{id: "0136-fwd-my-idea-in-writing-after.eml", has: []string{"Mme Ellison, donatrice britannique"}, hasNot: []string{"Dear Paul,"}, quoted: "Dear Paul,"},
		// ">" reply with a French attribution line.
		{id: "0007-re-proposition-barometre-hebdomadaire.eml", has: []string{"Notre trésorier a gelé"}, hasNot: []string{"a écrit", "Chère Claire"}, quoted: "Le 2 avril 2017 à 16:40, Olivier Mercier"},
		// mboxrd: ">From " unescaped by one level.
		{id: "archive-presse-ines-haddad.mbox#5", subject: "Schedule check for the last week before the first round",
			has: []string{"\nFrom what we hear, she will be in Saint-Quentin"}, hasNot: []string{">From"}},
		// HTML: visible text, title, no style.
		{id: "plan-presse-second-tour.html", subject: "Plan presse du second tour — Intranet Renouveau !",
			has: []string{"Les demandes de Quotidien Matin sont traitées au cas par cas"}, hasNot: []string{"font-family", "<td>"}},
		// JSON export entry.
		{id: "export-notes-partagees.json#1", subject: "Idées de vidéos courtes - semaine 15", from: "Léa Nguyen", has: []string{"Format une question une réponse"}},
		// Text attachment of a mail.
		{id: "0155-lyon-revision-budget.eml#budget_lyon_v3.csv", from: "Thomas Garnier <thomas.garnier@renouveau.example>"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			d := docByID(t, docs, tt.id)
			if tt.subject != "" && d.Subject != tt.subject {
				t.Errorf("subject %q, want %q", d.Subject, tt.subject)
			}
			if tt.from != "" && d.From != tt.from {
				t.Errorf("from %q, want %q", d.From, tt.from)
			}
			for _, s := range tt.has {
				if !strings.Contains(d.Text, s) {
					t.Errorf("text lacks %q", s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(d.Text, s) {
					t.Errorf("text has %q", s)
				}
			}
			if tt.quoted != "" && !strings.Contains(d.Quoted, tt.quoted) {
				t.Errorf("quoted lacks %q", tt.quoted)
			}
		})
	}
	lyon := docByID(t, docs, "0155-lyon-revision-budget.eml")
	if !slices.Contains(lyon.Attachments, "budget_lyon_v3.csv") {
		t.Errorf("attachments %v", lyon.Attachments)
	}
	if d := docByID(t, docs, "0156-re-lyon-revision-budget.eml"); d.Date.Format(time.RFC3339) != "2017-04-28T19:05:03+02:00" || len(d.Cc) != 1 {
		t.Errorf("date %v, cc %v", d.Date, d.Cc)
	}
}

// TestReadCorpusSkips: every file not read is reported with a reason.
func TestReadCorpusSkips(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.pdf", "%PDF-1.4")
	write("empty.txt", "  \n")
	write("bad.json", "{")
	write(".hidden.eml", "From: x@example\n\nhi")
	write("noext", "text")
	write("bad.eml", "no header separator and no colon")
	write("sub/ok.md", "# Notes\n\nSome notes about the campaign.")
	write("box.mbox", "From a@example Mon Jan  1 00:00:00 2017\nFrom: a@example\nSubject: one\n\nFirst.\n\nFrom b@example Mon Jan  1 00:00:00 2017\nContent-Type: multipart/mixed\n\nbroken\n")
	docs, skipped, err := ReadCorpus(dir)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[s.Path] = s.Reason
	}
	want := map[string]string{
		"a.pdf": "unsupported file type (.pdf)", "empty.txt": "empty file", ".hidden.eml": "hidden", "noext": "unsupported file type (no extension)",
	}
	for p, r := range want {
		if reasons[p] != r {
			t.Errorf("%s: reason %q, want %q", p, reasons[p], r)
		}
	}
	for _, p := range []string{"bad.json", "bad.eml", "box.mbox#2"} {
		if reasons[p] == "" {
			t.Errorf("%s not reported as skipped (skipped: %v)", p, skipped)
		}
	}
	var ids []string
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	if !slices.Equal(ids, []string{"box.mbox#1", "sub/ok.md"}) {
		t.Errorf("documents %v", ids)
	}
	if _, _, err := ReadCorpus(filepath.Join(dir, "missing")); err == nil || !strings.HasPrefix(err.Error(), "leak:") {
		t.Errorf("missing directory: %v", err)
	}
}

func TestParseEmailMIME(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string
		attach    []string
	}{
		{"html only", "Subject: x\nContent-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<html><head><style>p{}</style></head><body><p>Le co=C3=BBt <b>final</b></p><p>Deux</p></body></html>\n--B--\n",
			"Le coût final\nDeux\n", nil},
		{"plain preferred over html", "Content-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nTr=E9sor=\nier\n--B\nContent-Type: text/html\n\n<p>HTML</p>\n--B--\n",
			"Trésorier\n", nil},
		{"mixed with attachment", "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: 8bit\n\nCo\x9bt \x80 \x93ok\x94\n--M\nContent-Type: application/pdf; name=\"devis.pdf\"\nContent-Disposition: attachment; filename=\"=?utf-8?q?devis_=C3=A9t=C3=A9.pdf?=\"\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--M--\n",
			"Co\u203at € “ok”\n", []string{"devis été.pdf"}},
		{"base64 crlf", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nTGlnbmUgdW4NCkxpZ25lIGRldXgNCg==\r\n",
			"Ligne un\nLigne deux\n", nil},
		{"rfc 2231 file name", "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\nVoir la pièce.\n--M\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename*=iso-8859-1''r%E9sum%E9%20d%E9penses.xls\n\nxx\n--M--\n",
			"Voir la pièce.\n", []string{"résumé dépenses.xls"}},
		{"rfc 2231 utf-8 name, continuation", "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\nCi-joint.\n--M\nContent-Type: application/pdf; name*0*=utf-8''%C3%A9t; name*1*=%C3%A9.pdf\n\nxx\n--M--\n",
			"Ci-joint.\n", []string{"été.pdf"}},
		{"forwarded message/rfc822", "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nLe tr=E9sorier\n--M--\n",
			"Le trésorier\n", nil},
		{"indented base64, unknown charset label", "Content-Type: text/plain; charset=x-unknown\nContent-Transfer-Encoding: base64\n\n  w4l0w6k=\n",
			"Été\n", nil},
		{"html part with meta charset only", "Content-Type: text/html\nContent-Transfer-Encoding: 8bit\n\n<html><head><meta charset=\"windows-1252\"></head><body><p>D\xe9j\xe0 \x80</p></body></html>\n",
			"Déjà €\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := parseEmail([]byte(tt.raw), "x.eml", "x.eml")
			if err != nil {
				t.Fatal(err)
			}
			if docs[0].Text != tt.want {
				t.Errorf("text %q, want %q", docs[0].Text, tt.want)
			}
			if !slices.Equal(docs[0].Attachments, tt.attach) {
				t.Errorf("attachments %q, want %q", docs[0].Attachments, tt.attach)
			}
		})
	}
}

func TestSplitQuoted(t *testing.T) {
	tests := []struct {
		name, body, own, quoted string
	}{
		{"gt reply", "Oui.\n\nLe 3 mai 2017 à 14:02, Julien Roche <j@r.example> a écrit :\n\n> Tu viens ?\n> Dis-moi.\n",
			"Oui.\n", "Le 3 mai 2017 à 14:02, Julien Roche <j@r.example> a écrit :\n\nTu viens ?\nDis-moi."},
		{"attribution on two lines", "Ok.\n\nLe sam. 22 avril 2017 à 10:01, Karim Benali <k@b.example>\na écrit :\n> Texte\n",
			"Ok.\n", "Le sam. 22 avril 2017 à 10:01, Karim Benali <k@b.example>\na écrit :\nTexte"},
		{"outlook english", "Fine.\n\n-----Original Message-----\nFrom: A\nSent: Monday\nSubject: x\n\nOld text.\n",
			"Fine.\n", "-----Original Message-----\nFrom: A\nSent: Monday\nSubject: x\n\nOld text."},
		{"outlook header without separator, footer kept", "Vu.\n\nDe : Marc Vidal\nEnvoyé : mardi\nÀ : Julien\n\nAncien.\n\n________________________________\nCe message est confidentiel.\n",
			"Vu.\n\n________________________________\nCe message est confidentiel.\n", "De : Marc Vidal\nEnvoyé : mardi\nÀ : Julien\n\nAncien."},
		{"prose with From: is not a header", "From: the start, we knew.\nIt was hard.\n", "From: the start, we knew.\nIt was hard.\n", ""},
		{"forward", "Pour info.\n\nDébut du message réexpédié :\n\nDe : X\nTexte transféré.\n", "Pour info.\n", "Début du message réexpédié :\n\nDe : X\nTexte transféré."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			own, quoted := splitQuoted(tt.body)
			if own != tt.own || quoted != tt.quoted {
				t.Errorf("own %q\nquoted %q\nwant own %q\nquoted %q", own, quoted, tt.own, tt.quoted)
			}
		})
	}
}

// TestDedupKeepsOrphanQuotes: a quote of a message the corpus does not
// hold is indexed once, after the sender's text; a quote of a message it
// holds is not.
func TestDedupKeepsOrphanQuotes(t *testing.T) {
	parent := "Le budget du meeting de Lyon dépasse largement ce qui était prévu au départ, il faut en parler vite."
	orphan := "Nous avons reçu une offre de financement qui ne respecte pas les règles, je propose de la refuser par écrit."
	docs := []Document{
		{ID: "1", Text: parent + "\n"},
		{ID: "2", Text: "Réponse un.\n", Quoted: parent + "\n\n" + orphan},
		{ID: "3", Text: "Réponse deux.\n", Quoted: orphan},
	}
	dedupQuotes(docs)
	if !strings.Contains(docs[1].Text, orphan) || docs[1].QuoteStart >= len(docs[1].Text) || docs[1].Text[docs[1].QuoteStart:] != orphan+"\n" {
		t.Errorf("doc 2 did not keep the orphan quote: %q (quote start %d)", docs[1].Text, docs[1].QuoteStart)
	}
	if strings.Contains(docs[1].Text, parent) || !strings.Contains(docs[1].Quoted, parent) {
		t.Errorf("doc 2 indexed the parent's text again: %q", docs[1].Text)
	}
	if strings.Contains(docs[2].Text, orphan) {
		t.Errorf("doc 3 indexed the orphan quote a second time: %q", docs[2].Text)
	}
}

func TestUpdateReusesUnchanged(t *testing.T) {
	docs, _, err := ReadCorpus("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	ix := Build(docs, Options{})
	changed := slices.Clone(docs)
	changed[0].Text += "\nUne phrase ajoutée plus tard au premier document du corpus, pour le test."
	changed[0].SHA256 = "changed"
	changed = changed[:len(changed)-1] // one document removed
	up := Update(ix, changed, Options{})
	for i := range up.docs {
		reused := len(up.docs[i].fps) > 0 && &up.docs[i].fps[0] == &ix.docs[i].fps[0]
		if i == 0 && reused {
			t.Error("changed document reused its old fingerprints")
		}
		if i > 0 && !reused {
			t.Errorf("%s: unchanged document fingerprinted again", up.docs[i].ID)
		}
	}
	fresh := Build(changed, Options{})
	if up.Stats() != fresh.Stats() {
		t.Errorf("update %+v, fresh build %+v", up.Stats(), fresh.Stats())
	}
	if len(up.Quotes(changed[0].Text, 12)) == 0 {
		t.Error("changed document not found by its own text")
	}
}

func TestCorpusKey(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("un"), 0o644)
	k1, err := CorpusKey(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k2, _ := CorpusKey(dir, Options{}); k2 != k1 {
		t.Error("key differs on an unchanged corpus")
	}
	if k2, _ := CorpusKey(dir, Options{K: 7}); k2 == k1 {
		t.Error("key ignores K")
	}
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("deux"), 0o644)
	if k2, _ := CorpusKey(dir, Options{}); k2 == k1 {
		t.Error("key ignores a changed file")
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	ix := Build([]Document{{ID: "a", Text: "Le meeting de Lyon va nous coûter environ 412 000 euros au lieu des 230 000 budgétés.", SHA256: "x"}}, Options{})
	blob, _ := ix.MarshalBinary()
	f.Add(blob)
	f.Add([]byte(codecMagic + "\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var x Index
		if err := x.UnmarshalBinary(b); err == nil {
			x.Quotes("Le meeting de Lyon va nous coûter environ 412 000 euros au lieu des 230 000 budgétés.", 12)
		}
	})
}

func FuzzParseEmail(f *testing.F) {
	for _, name := range []string{"0156-re-lyon-revision-budget.eml", "0155-lyon-revision-budget.eml", "0136-fwd-my-idea-in-writing-after.eml"} {
		b, err := os.ReadFile(filepath.Join("testdata/corpus", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		docs, err := parseEmail(b, "x.eml", "x.eml")
		if err == nil {
			for _, d := range docs {
				if d.QuoteStart > len(d.Text) {
					t.Fatal("quote start beyond text")
				}
			}
		}
		splitMbox(b)
	})
}
