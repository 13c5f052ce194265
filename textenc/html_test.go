package textenc

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func latin1(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHTML(t *testing.T) {
	const text = "Les pêcheurs sétois dénoncent « une décision à deux vitesses »"
	page := func(head string) string {
		return "<html><head>" + head + "<title>t</title></head><body><p>" + text + "</p></body></html>"
	}
	longHead := "<script>" + strings.Repeat("var x = 1; ", 300) + "</script>"
	utf16 := func(s string) []byte {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	tests := []struct {
		name        string
		body        []byte
		contentType string
		charset     string
		noted       bool
	}{
		{"latin-1, meta charset only", latin1(t, page(`<meta charset="iso-8859-1">`)), "text/html", "windows-1252", true},
		{"latin-1, meta charset, file", latin1(t, page(`<meta charset="ISO-8859-1">`)), "", "windows-1252", true},
		{"latin-1, meta charset, server says utf-8", latin1(t, page(`<meta charset="iso-8859-1">`)), "text/html; charset=utf-8", "windows-1252", true},
		{"latin-1, http-equiv", latin1(t, page(`<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">`)), "", "windows-1252", true},
		{"latin-1, http-equiv after 3 KiB of script", latin1(t, page(longHead+`<meta http-equiv="content-type" content="text/html;charset=ISO-8859-1">`)), "", "windows-1252", true},
		{"latin-1, header only", latin1(t, page("")), "text/html; charset=ISO-8859-1", "windows-1252", true},
		{"latin-1, undeclared", latin1(t, page("")), "text/html", "windows-1252", true},
		{"utf-8, undeclared", []byte(page("")), "text/html", "utf-8", false},
		{"utf-8 declared latin-1 in meta", []byte(page(`<meta charset="iso-8859-1">`)), "", "utf-8", false},
		{"utf-8, header says latin-1", []byte(page("")), "text/html; charset=iso-8859-1", "utf-8", true},
		{"utf-8 with BOM", append([]byte("\xEF\xBB\xBF"), page("")...), "", "utf-8", false},
		{"utf-16 with BOM", utf16(page(`<meta charset="utf-16">`)), "", "utf-16", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := HTML(tt.body, tt.contentType)
			if d.Charset != tt.charset {
				t.Errorf("charset = %q, want %q (%s)", d.Charset, tt.charset, d.Note)
			}
			if (d.Note != "") != tt.noted {
				t.Errorf("note = %q, want a note: %v", d.Note, tt.noted)
			}
			if !bytes.Contains(d.Text, []byte(text)) {
				t.Errorf("decoded body lacks %q:\n%s", text, d.Text)
			}
		})
	}
}

// TestHTMLStrayBytes: a UTF-8 page with a stray Latin-1 byte (an ad
// snippet pasted in) stays UTF-8; only the stray byte is replaced.
func TestHTMLStrayBytes(t *testing.T) {
	body := []byte("<html><head><meta charset=utf-8></head><body><p>Élection présidentielle, décision du Conseil d’État</p><p>caf\xe9</p></body></html>")
	d := HTML(body, "")
	if d.Charset != "utf-8" || !bytes.Contains(d.Text, []byte("Conseil d’État")) || !bytes.Contains(d.Text, []byte("caf\uFFFD")) {
		t.Errorf("charset %q, note %q, data %s", d.Charset, d.Note, d.Text)
	}
}

func TestMetaCharset(t *testing.T) {
	tests := map[string]string{
		`<meta charset="windows-1252">`: "windows-1252",
		`<META CHARSET=latin1>`:         "latin1",
		`<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">`: "koi8-r",
		`<meta http-equiv="refresh" content="30"><meta charset="iso-8859-15">`: "iso-8859-15",
		`<meta name="description" content="charset=utf-8 in a description">`:   "",
		`</head><body><p>text</p><meta charset="iso-8859-1">`:                  "",
		`<!-- <meta charset="iso-8859-2"> --><meta charset="iso-8859-1">`:      "iso-8859-1",
	}
	for head, want := range tests {
		if got := MetaCharset([]byte("<html><head>" + head)); got != want {
			t.Errorf("MetaCharset(%q) = %q, want %q", head, got, want)
		}
	}
}
