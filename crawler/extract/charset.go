package extract

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gogs/chardet"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// metaScanLimit bounds the search for a <meta> charset declaration. The
// HTML standard's prescan looks at 1 KiB; real pages put kilobytes of
// scripts and styles before their <meta charset>.
const metaScanLimit = 64 << 10

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decoded is an HTML body in UTF-8 and how it was read.
type decoded struct {
	data    []byte
	charset string // WHATWG name of the encoding the body was read in
	note    string // why, when it was not simply valid UTF-8
}

// decodeHTML converts body to UTF-8; see the package documentation for the
// order of evidence.
func decodeHTML(body []byte, contentType string) (decoded, error) {
	switch {
	case bytes.HasPrefix(body, bomUTF8):
		return utf8Body(body[len(bomUTF8):], "utf-8", ""), nil
	case bytes.HasPrefix(body, bomUTF16LE), bytes.HasPrefix(body, bomUTF16BE):
		out, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(body)
		if err != nil {
			return decoded{}, fmt.Errorf("extract: decoding utf-16: %w", err)
		}
		return decoded{data: out, charset: "utf-16", note: "charset utf-16 from byte order mark"}, nil
	}

	header := headerCharset(contentType)
	if utf8.Valid(body) {
		d := decoded{data: body, charset: "utf-8"}
		if _, name := charset.Lookup(header); name != "" && name != "utf-8" && !isASCII(body) {
			d.note = fmt.Sprintf("header declares %s but the body is valid UTF-8: read as UTF-8", name)
		}
		return d, nil
	}

	var (
		enc          encoding.Encoding
		name, how    string
		declaredUTF8 bool
	)
	consider := func(label, where string) {
		if enc != nil || label == "" {
			return
		}
		e, n := charset.Lookup(label)
		switch {
		case e == nil:
		case n == "utf-8":
			declaredUTF8 = true
		default:
			enc, name, how = e, n, where
		}
	}
	consider(header, "Content-Type header")
	consider(metaCharset(body), "<meta> declaration")
	if enc == nil && declaredUTF8 {
		if valid, invalid := utf8Counts(body); valid > invalid {
			return utf8Body(body, "utf-8", fmt.Sprintf("declared UTF-8 with %d invalid bytes: replaced", invalid)), nil
		}
	}
	if enc == nil {
		enc, name, how = detectCharset(body)
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return decoded{}, fmt.Errorf("extract: decoding %s: %w", name, err)
	}
	note := fmt.Sprintf("charset %s from %s", name, how)
	if declaredUTF8 {
		note += " (declared UTF-8, but the body is not)"
	}
	return decoded{data: out, charset: name, note: note}, nil
}

// utf8Body returns body with invalid sequences replaced.
func utf8Body(body []byte, name, note string) decoded {
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	return decoded{data: body, charset: name, note: note}
}

// headerCharset is the charset parameter of a Content-Type header.
func headerCharset(contentType string) string {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return params["charset"]
}

// metaCharset finds a charset declared by <meta charset> or <meta
// http-equiv="Content-Type" content="…; charset=…"> before <body>, in the
// first metaScanLimit bytes. The tokenizer copes with any ASCII-compatible
// encoding, which is all a <meta> declaration can name.
func metaCharset(body []byte) string {
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
					if cs := headerCharset(content); cs != "" {
						return cs
					}
				}
			}
		}
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// utf8Counts counts valid multi-byte sequences and invalid bytes.
func utf8Counts(b []byte) (valid, invalid int) {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size == 1:
			invalid++
		case size > 1:
			valid++
		}
		b = b[size:]
	}
	return valid, invalid
}

// detectCharset guesses the encoding of an undeclared, non-UTF-8 body with
// the detector go-trafilatura and go-readability use on their own, trusting
// it only for encodings x/net/html/charset knows and a confident answer.
func detectCharset(body []byte) (encoding.Encoding, string, string) {
	if r, err := chardet.NewHtmlDetector().DetectBest(body); err == nil && r.Confidence >= 50 {
		if e, name := charset.Lookup(r.Charset); e != nil && name != "utf-8" {
			return e, name, "detection"
		}
	}
	return charmap.Windows1252, "windows-1252", "default (no usable declaration)"
}
