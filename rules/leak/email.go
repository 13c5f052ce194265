package leak

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/silencewatch/silencewatch/htmltext"
	"github.com/silencewatch/silencewatch/textenc"
)

// Mail is read with go-message: header fields, the MIME tree and the
// transfer encodings (base64, quoted-printable). Charsets are left to
// textenc, for the mislabelled text (UTF-8 labelled Latin-1, Latin-1
// labelled UTF-8) go-message would refuse or garble: go-message's
// package-level CharsetReader is never set, so each entity's body comes
// out transfer-decoded and still in its own charset, with an error that
// only says the charset was not converted.

// maxMIMEDepth bounds nested multiparts, so a hostile message cannot make
// the reader recurse without end.
const maxMIMEDepth = 8

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// charsetReader converts an RFC 2047 encoded word from its charset to
// UTF-8 by textenc's rules.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(textenc.Decode(b, label).Text), nil
}

// mimeParts is what the walk over a message's MIME tree collects.
type mimeParts struct {
	plain       []string
	html        []string
	attachments []string
	textAttach  []attachment // text/* attachments, read as documents
}

type attachment struct {
	name string
	text string
	raw  []byte
}

// readEntity reads an entity's header; an error that only says go-message
// did not convert the charset or did not know the transfer encoding is
// not one (the body is then left as it is).
func readEntity(r io.Reader) (*message.Entity, error) {
	e, err := message.Read(r)
	if err != nil && !notConverted(err) {
		return nil, err
	}
	return e, nil
}

func notConverted(err error) bool {
	return message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)
}

// parseEmail reads one RFC 5322 message. Text attachments become extra
// documents after the message itself.
func parseEmail(raw []byte, id, fileName string) ([]Document, error) {
	msg, err := readEntity(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	h := gomail.Header{Header: msg.Header}
	d := Document{ID: id, Kind: KindEmail, FileName: fileName, SHA256: sha(raw)}
	d.Subject = decodeHeader(h.Get("Subject"))
	d.From = firstAddress(h, "From")
	d.To = addresses(h, "To")
	d.Cc = addresses(h, "Cc")
	if t, err := h.Date(); err == nil {
		d.Date = t
	}
	var parts mimeParts
	if err := walkEntity(msg, &parts, 0); err != nil {
		return nil, err
	}
	var body string
	switch {
	case len(parts.plain) > 0:
		body = strings.Join(parts.plain, "\n\n")
	case len(parts.html) > 0:
		// HTML is converted only when the message has no text/plain
		// alternative: the plain part is what the sender's client wrote.
		var texts []string
		for _, h := range parts.html {
			if _, t, err := htmltext.Document(h, htmltext.Options{Lines: true}); err == nil {
				texts = append(texts, t)
			}
		}
		body = strings.Join(texts, "\n\n")
	}
	body = normalizeNewlines(body)
	own, quoted := splitQuoted(body)
	d.Text = own
	d.QuoteStart = len(own)
	d.Quoted = quoted
	d.Attachments = parts.attachments
	docs := []Document{d}
	seen := map[string]int{}
	for _, a := range parts.textAttach {
		// Two attachments of one name get distinct IDs ("a.txt~2").
		aid := id + "#" + a.name
		if seen[a.name]++; seen[a.name] > 1 {
			aid += "~" + strconv.Itoa(seen[a.name])
		}
		docs = append(docs, Document{
			ID: aid, Kind: KindText, Subject: a.name, FileName: a.name,
			From: d.From, To: d.To, Cc: d.Cc, Date: d.Date,
			Text: a.text, QuoteStart: len(a.text), SHA256: sha(a.raw),
		})
	}
	return docs, nil
}

// contentType is an entity's media type and parameters. RFC 2045: a
// missing or broken Content-Type means text/plain; the parameters of a
// broken one (spaces around "=") are still read when they can be.
func contentType(h message.Header) (string, map[string]string) {
	mediaType, params, err := h.ContentType()
	if err == nil && mediaType != "" {
		return mediaType, params
	}
	params = map[string]string{}
	if ct := h.Get("Content-Type"); ct != "" {
		if _, p, err := mime.ParseMediaType(strings.ReplaceAll(ct, " ", "")); err == nil {
			params = p
		}
	}
	return "text/plain", params
}

// walkEntity collects the text, HTML and attachments of one MIME entity.
func walkEntity(e *message.Entity, out *mimeParts, depth int) error {
	if depth > maxMIMEDepth {
		return errors.New("MIME parts nested too deep")
	}
	mediaType, params := contentType(e.Header)
	disp, dparams, _ := e.Header.ContentDisposition()
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if name == "" {
		name = extendedParam(e.Header.Get("Content-Disposition"), "filename")
	}
	if name == "" {
		name = extendedParam(e.Header.Get("Content-Type"), "name")
	}
	name = decodeHeader(name)

	if strings.HasPrefix(mediaType, "multipart/") {
		mr := e.MultipartReader()
		if params["boundary"] == "" || mr == nil {
			return errors.New("multipart without boundary")
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil && (p == nil || !notConverted(err)) {
				if depth > 0 {
					return nil // a truncated inner multipart keeps what was read
				}
				return fmt.Errorf("multipart: %w", err)
			}
			if err := walkEntity(p, out, depth+1); err != nil {
				return err
			}
		}
	}
	data, err := io.ReadAll(e.Body)
	if err != nil {
		// A broken base64 or QP tail still leaves readable text.
		if len(data) == 0 {
			return fmt.Errorf("decoding %s part: %w", mediaType, err)
		}
	}
	if mediaType == "message/rfc822" {
		if inner, err := readEntity(bytes.NewReader(data)); err == nil {
			return walkEntity(inner, out, depth+1)
		}
	}
	isAttachment := disp == "attachment" || (name != "" && disp != "inline")
	if isAttachment {
		if name == "" {
			name = "attachment"
		}
		out.attachments = append(out.attachments, name)
		if strings.HasPrefix(mediaType, "text/") && mediaType != "text/html" {
			out.textAttach = append(out.textAttach, attachment{name: name, text: normalizeNewlines(textenc.String(data, params["charset"])), raw: data})
		}
		return nil
	}
	switch mediaType {
	case "text/plain":
		out.plain = append(out.plain, textenc.String(data, params["charset"]))
	case "text/html":
		// The part's charset, else the page's own <meta> declaration.
		ct := "text/html"
		if cs := params["charset"]; cs != "" {
			ct = mime.FormatMediaType(ct, map[string]string{"charset": cs})
		}
		out.html = append(out.html, string(textenc.HTML(data, ct).Text))
	}
	return nil
}

// extendedParamRE finds an RFC 2231 extended parameter (key*=charset'lang'value).
var extendedParamRE = regexp.MustCompile(`(?i)(?:^|;)\s*([a-z]+)\*=\s*"?([^'";\s]*)'[^']*'([^";\s]*)`)

// extendedParam decodes the RFC 2231 parameter key of a header in a
// charset other than UTF-8 and US-ASCII, the only ones mime.ParseMediaType
// decodes (it drops the others): "filename*=iso-8859-1”r%E9sum%E9.xls".
func extendedParam(header, key string) string {
	for _, m := range extendedParamRE.FindAllStringSubmatch(header, -1) {
		if !strings.EqualFold(m[1], key) {
			continue
		}
		v, err := url.PathUnescape(m[3])
		if err != nil {
			return ""
		}
		return textenc.String([]byte(v), m[2])
	}
	return ""
}

func decodeHeader(s string) string {
	if s == "" {
		return ""
	}
	if out, err := wordDecoder.DecodeHeader(s); err == nil {
		s = out
	}
	if !utf8.ValidString(s) {
		s = textenc.String([]byte(s), "windows-1252")
	}
	return strings.Join(strings.Fields(s), " ")
}

var addrParser = mail.AddressParser{WordDecoder: wordDecoder}

func formatAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

func addresses(h gomail.Header, key string) []string {
	v := h.Get(key)
	if v == "" {
		return nil
	}
	list, err := addrParser.ParseList(v)
	if err != nil {
		return []string{decodeHeader(v)}
	}
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = formatAddress(a)
	}
	return out
}

func firstAddress(h gomail.Header, key string) string {
	if l := addresses(h, key); len(l) > 0 {
		return l[0]
	}
	return ""
}

// splitMbox cuts an mbox file into messages at "From " lines preceded by a
// blank line (or at the start), and undoes mboxrd escaping: one ">" is
// removed from lines matching ^>+From .
func splitMbox(raw []byte) [][]byte {
	var msgs [][]byte
	var cur *bytes.Buffer
	prevBlank := true
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64*1024), MaxFileSize)
	for sc.Scan() {
		line := sc.Bytes()
		trim := bytes.TrimSuffix(line, []byte("\r"))
		if bytes.HasPrefix(trim, []byte("From ")) && prevBlank {
			if cur != nil {
				msgs = append(msgs, cur.Bytes())
			}
			cur = &bytes.Buffer{}
			prevBlank = false
			continue
		}
		prevBlank = len(trim) == 0
		if cur == nil {
			continue // text before the first separator is not a message
		}
		if i := bytes.IndexFunc(trim, func(r rune) bool { return r != '>' }); i > 0 && bytes.HasPrefix(trim[i:], []byte("From ")) {
			line = line[1:]
		}
		cur.Write(line)
		cur.WriteByte('\n')
	}
	if cur != nil {
		msgs = append(msgs, cur.Bytes())
	}
	// The blank line before each separator belongs to the mbox format.
	for i, m := range msgs {
		msgs[i] = bytes.TrimRight(m, "\r\n")
		msgs[i] = append(msgs[i], '\n')
	}
	return msgs
}

// Reply and forward markers. Only lines that look like a mail client's
// own separators are recognised, so that prose mentioning "-----" or
// "From:" in the middle of a message is left alone.
var (
	separatorRE  = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|message d'origine|message d’origine|forwarded message|message transf[ée]r[ée]|mensaje original|ursprüngliche nachricht|messaggio originale)\s*-{2,}\s*$`)
	forwardRE    = regexp.MustCompile(`(?i)^\s*(d[ée]but du message r[ée]exp[ée]di[ée]|begin forwarded message)\s*:\s*$`)
	headerFromRE = regexp.MustCompile(`(?i)^\s*\*?(de|from|von|da)\s*\*?\s*:\s*\S`)
	headerSentRE = regexp.MustCompile(`(?i)^\s*\*?(envoy[ée]|sent|date|gesendet|inviato)\s*\*?\s*:\s*\S`)
	attribRE     = regexp.MustCompile(`(?i)(a [ée]crit|wrote|schrieb|escribió|ha scritto)\s*:?\s*$`)
	attribStart  = regexp.MustCompile(`(?i)^\s*(le|on|am|el|il)\s.*\d{1,2}:\d{2}`)
	footerRuleRE = regexp.MustCompile(`^\s*_{10,}\s*$`)
)

// splitQuoted separates the sender's own text from quoted replies: lines
// starting with ">" with the attribution line before them, and the
// Outlook-style block that starts at "-----Message d'origine-----" (or a
// "De : … Envoyé : …" header) and runs to the end. A legal footer after a
// line of underscores at the end of an Outlook block is the server's
// trailer of this message and stays in the own text. Quoted paragraphs are
// returned with their ">" prefixes removed, separated by blank lines.
func splitQuoted(body string) (own, quoted string) {
	lines := strings.Split(body, "\n")
	isQuote := make([]bool, len(lines))

	// Outlook block: from the separator or header block to the end.
	block := -1
	for i, l := range lines {
		if separatorRE.MatchString(l) || forwardRE.MatchString(l) {
			block = i
			break
		}
		if headerFromRE.MatchString(l) && i+1 < len(lines) {
			for j := i + 1; j < len(lines) && j <= i+3; j++ {
				if headerSentRE.MatchString(lines[j]) {
					block = i
					break
				}
			}
			if block >= 0 {
				break
			}
		}
	}
	end := len(lines)
	if block >= 0 {
		// The last underscore rule followed only by unquoted footer text
		// starts this message's own trailer.
		for j := len(lines) - 1; j > block; j-- {
			if footerRuleRE.MatchString(lines[j]) {
				end = j
				break
			}
		}
		for j := block; j < end; j++ {
			isQuote[j] = true
		}
	}

	// ">" lines, and the attribution lines just before a ">" block.
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimLeft(lines[i], " \t"), ">") {
			continue
		}
		isQuote[i] = true
		if i > 0 && !strings.HasPrefix(strings.TrimLeft(lines[i-1], " \t"), ">") {
			// Walk back over blank lines to at most two attribution lines.
			j := i - 1
			for j >= 0 && strings.TrimSpace(lines[j]) == "" {
				j--
			}
			if j >= 0 && attribRE.MatchString(lines[j]) {
				isQuote[j] = true
				if j > 0 && !attribStart.MatchString(lines[j]) && attribStart.MatchString(lines[j-1]) {
					isQuote[j-1] = true
				}
			}
		}
	}

	var ob, qb strings.Builder
	prevQuote := false
	for i, l := range lines {
		if !isQuote[i] {
			ob.WriteString(l)
			ob.WriteByte('\n')
			prevQuote = false
			continue
		}
		if !prevQuote && qb.Len() > 0 {
			qb.WriteByte('\n') // a new quoted region is a new paragraph
		}
		qb.WriteString(stripQuotePrefix(l))
		qb.WriteByte('\n')
		prevQuote = true
	}
	own = strings.TrimSpace(blankRunRE.ReplaceAllString(ob.String(), "\n\n"))
	if own != "" {
		own += "\n"
	}
	return own, strings.TrimSpace(blankRunRE.ReplaceAllString(qb.String(), "\n\n"))
}

var blankRunRE = regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)

// stripQuotePrefix removes every level of "> " from a quoted line.
func stripQuotePrefix(l string) string {
	for {
		t := strings.TrimLeft(l, " \t")
		if !strings.HasPrefix(t, ">") {
			return l
		}
		l = strings.TrimPrefix(t[1:], " ")
	}
}
