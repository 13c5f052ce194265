package textenc

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gogs/chardet"
	"golang.org/x/net/html"
)

// metaScanLimit bounds the search for a <meta> charset declaration. The
// HTML standard's prescan looks at 1 KiB; real pages put kilobytes of
// scripts and styles before their <meta charset>.
const metaScanLimit = 64 << 10

// HTML converts an HTML page to UTF-8. contentType is the response's
// Content-Type header ("" for a file). The rules are Decode's, with the
// page's own evidence for its label:
//
//  1. A byte order mark decides.
//  2. A page that is entirely valid UTF-8 is UTF-8, whatever is declared.
//  3. Otherwise a non-UTF-8 charset declared by the Content-Type header,
//     then by <meta charset> or <meta http-equiv="Content-Type"> in the
//     first 64 KiB, is used. A header claiming UTF-8 for a page that is
//     not (a static file server's default) does not stop the <meta>
//     declaration from being read.
//  4. A page with more valid multi-byte sequences than invalid bytes is
//     UTF-8 with the stray bytes replaced by U+FFFD.
//  5. Otherwise the charset is detected from the bytes (the detector
//     go-trafilatura and go-readability use on their own), windows-1252
//     when unsure.
func HTML(body []byte, contentType string) Result {
	header := HeaderCharset(contentType)
	if bytes.HasPrefix(body, bomUTF8) || bytes.HasPrefix(body, bomUTF16LE) || bytes.HasPrefix(body, bomUTF16BE) || utf8.Valid(body) {
		r := Decode(body, header)
		if r.Note != "" && header != "" && !strings.Contains(r.Note, "byte order mark") {
			r.Note = "Content-Type header " + r.Note
		}
		return r
	}

	var label, how string
	declaredUTF8 := false
	for _, c := range []struct{ label, where string }{
		{header, "Content-Type header"},
		{MetaCharset(body), "<meta> declaration"},
	} {
		switch _, name := lookup(c.label); name {
		case "":
		case "utf-8":
			declaredUTF8 = true
		default:
			label, how = c.label, c.where
		}
		if label != "" {
			break
		}
	}
	if label == "" {
		if valid, invalid := utf8Counts(body); valid > invalid {
			r := utf8Text(body, fmt.Sprintf("%d bytes not UTF-8: replaced", invalid))
			if declaredUTF8 {
				r.Note = "declared UTF-8 with " + r.Note
			}
			return r
		}
		label, how = detect(body)
	}
	r := Decode(body, label)
	r.Note = join(fmt.Sprintf("charset %s from %s", r.Charset, how), r.Note)
	if declaredUTF8 {
		r.Note += " (declared UTF-8, but the page is not)"
	}
	return r
}

// HeaderCharset is the charset parameter of a Content-Type header.
func HeaderCharset(contentType string) string {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return params["charset"]
}

// MetaCharset finds a charset declared by <meta charset> or <meta
// http-equiv="Content-Type" content="…; charset=…"> before <body>, in the
// first 64 KiB. The tokenizer copes with any ASCII-compatible encoding,
// which is all a <meta> declaration can name.
func MetaCharset(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body[:min(len(body), metaScanLimit)]))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tag, hasAttr := z.TagName()
			switch string(tag) {
			case "body":
				return ""
			case "meta":
				var cs, equiv, content string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "charset":
						cs = string(v)
					case "http-equiv":
						equiv = string(v)
					case "content":
						content = string(v)
					}
				}
				if cs = strings.TrimSpace(cs); cs != "" {
					return cs
				}
				if strings.EqualFold(strings.TrimSpace(equiv), "content-type") {
					if cs := HeaderCharset(content); cs != "" {
						return cs
					}
				}
			}
		}
	}
}

// detect guesses the charset of an undeclared page that is not UTF-8,
// trusting the detector only for a confident answer naming an encoding
// x/net/html/charset knows.
func detect(body []byte) (label, how string) {
	if r, err := chardet.NewHtmlDetector().DetectBest(body); err == nil && r.Confidence >= 50 {
		if e, name := lookup(r.Charset); e != nil && name != "utf-8" && !isUTF16(name) {
			return name, "detection"
		}
	}
	return "windows-1252", "default (no usable declaration)"
}
