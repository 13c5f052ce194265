// Package textenc converts text in a declared or guessed charset to UTF-8,
// the one way every part of silencewatch does it: feeds, article pages, and
// the mail parts, headers and files of a leaked corpus. It imports nothing
// of the project's.
//
// Charset labels are WHATWG labels (golang.org/x/net/html/charset), as
// browsers read them: "iso-8859-1", "latin1" and "us-ascii" read as
// windows-1252, which is what senders who label Latin-1 actually write
// (curly quotes and € in 0x80–0x9F).
package textenc

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Result is text converted to UTF-8 and how it was read.
type Result struct {
	Text    []byte // valid UTF-8
	Charset string // WHATWG name of the encoding the bytes were read in
	Note    string // why, when they were not simply what was declared
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// Decode converts b to UTF-8 from the charset label names ("" when none is
// declared). The rules, in order:
//
//  1. A byte order mark decides (UTF-8 or UTF-16), and is removed.
//  2. Bytes that are all valid UTF-8 are UTF-8, whatever the label says:
//     pure ASCII reads the same in every ASCII-compatible charset, and
//     legacy text with accents is almost never valid UTF-8. A label
//     naming another charset for non-ASCII text earns a note.
//  3. A known label other than UTF-8 is honoured.
//  4. Otherwise (UTF-8, no label or an unknown one), bytes with more valid
//     multi-byte sequences than invalid bytes are UTF-8 with the stray
//     bytes replaced by U+FFFD; the rest is read as windows-1252, the
//     usual legacy encoding of French text. A mislabelled text is still
//     worth reading.
func Decode(b []byte, label string) Result {
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		return utf8Text(b[len(bomUTF8):], "")
	case bytes.HasPrefix(b, bomUTF16LE), bytes.HasPrefix(b, bomUTF16BE):
		return decodeWith(b, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16", "charset utf-16 from byte order mark")
	}
	enc, name := lookup(label)
	var note string
	if label = strings.TrimSpace(label); label != "" && enc == nil {
		note = fmt.Sprintf("unknown charset %q", label)
	}
	if utf8.Valid(b) && !isUTF16(name) {
		if enc != nil && name != "utf-8" && !isASCII(b) {
			note = fmt.Sprintf("declared %s but the text is valid UTF-8: read as UTF-8", name)
		}
		return Result{Text: b, Charset: "utf-8", Note: note}
	}
	if enc != nil && name != "utf-8" {
		return decodeWith(b, enc, name, note)
	}
	if valid, invalid := utf8Counts(b); valid > invalid {
		return utf8Text(b, join(note, fmt.Sprintf("%d bytes not UTF-8: replaced", invalid)))
	}
	return decodeWith(b, charmap.Windows1252, "windows-1252", join(note, "not UTF-8: read as windows-1252"))
}

// String is the text of Decode(b, label).
func String(b []byte, label string) string { return string(Decode(b, label).Text) }

// Lookup returns the encoding a label names and its WHATWG name; nil and
// "" for a label it does not know.
func Lookup(label string) (encoding.Encoding, string) { return lookup(label) }

func lookup(label string) (encoding.Encoding, string) {
	if strings.TrimSpace(label) == "" {
		return nil, ""
	}
	return charset.Lookup(label)
}

func isUTF16(name string) bool { return name == "utf-16le" || name == "utf-16be" }

// decodeWith converts b with enc. The decoders of x/text never fail on
// their input (bytes they cannot map become U+FFFD); should one fail, the
// text is kept with invalid bytes replaced.
func decodeWith(b []byte, enc encoding.Encoding, name, note string) Result {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return utf8Text(b, join(note, fmt.Sprintf("decoding %s: %v", name, err)))
	}
	if !utf8.Valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return Result{Text: out, Charset: name, Note: note}
}

// utf8Text returns b as UTF-8, invalid sequences replaced.
func utf8Text(b []byte, note string) Result {
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return Result{Text: b, Charset: "utf-8", Note: note}
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
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
