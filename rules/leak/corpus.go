package leak

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/htmltext"
	"github.com/silencewatch/silencewatch/textenc"
)

// Document kinds.
const (
	KindEmail = "email"
	KindText  = "text"
	KindHTML  = "html"
	KindJSON  = "json"
)

// Document is one unit of a leaked corpus, as indexed: a mail message, a
// text, Markdown or HTML file, or one entry of a JSON export.
type Document struct {
	// ID is the path relative to the corpus directory, slash-separated.
	// The Nth message of an mbox file and the Nth entry of a JSON list get
	// "#N" (from 1); a text attachment of a message gets "#" and its file
	// name ("0155-x.eml#budget.csv").
	ID       string
	Kind     string
	Subject  string // mail subject, HTML title, JSON entry title
	From     string // "Name <address>" or address
	To       []string
	Cc       []string
	Date     time.Time // zero when the document gives none
	FileName string    // base name of the file, or the attachment's name
	// Attachments lists the file names of a message's attachments, whether
	// or not their content was read.
	Attachments []string

	// Text is the text that is indexed and that passage offsets refer to.
	// For mail it is the sender's own text (signature and legal footer
	// included: they are bounded as boilerplate by document frequency),
	// followed, from QuoteStart on, by the paragraphs of quoted replies
	// that no other document of the corpus holds. CRLF is normalised to LF.
	Text string
	// QuoteStart is the offset in Text where kept quoted paragraphs begin;
	// len(Text) when there are none.
	QuoteStart int
	// Quoted holds quoted reply text that was not indexed because another
	// document of the corpus already holds it (or it is a reply header),
	// "> " prefixes removed.
	Quoted string

	// SHA256 is the hex SHA-256 of the bytes the document was read from:
	// the file, or for an mbox message or JSON entry that message's or
	// entry's bytes. Update reuses fingerprints of documents whose ID and
	// SHA256 are unchanged.
	SHA256 string
}

// Title is the subject, or the file name when there is none.
func (d *Document) Title() string {
	if d.Subject != "" {
		return d.Subject
	}
	return d.FileName
}

// Skipped is a file of the corpus that was not read, and why.
type Skipped struct {
	Path   string // relative to the corpus directory
	Reason string
}

// MaxFileSize bounds the size of a corpus file; larger files are skipped
// (an mbox of several gigabytes should be split first).
const MaxFileSize = 256 << 20

// ReadCorpus reads every file under dir. Files it cannot read or does not
// support are returned in skipped with a reason, never dropped silently;
// err is only for a directory that cannot be walked. Documents are sorted
// by ID, and quoted replies are deduplicated across the corpus (see
// Document.Text).
func ReadCorpus(dir string) (docs []Document, skipped []Skipped, err error) {
	files, skipped, err := walkCorpus(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		ds, reason, partial := readFile(f.abs, f.rel)
		if reason != "" {
			skipped = append(skipped, Skipped{f.rel, reason})
		}
		skipped = append(skipped, partial...)
		docs = append(docs, ds...)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Path < skipped[j].Path })
	dedupQuotes(docs)
	return docs, skipped, nil
}

// ReadCorpusFS is ReadCorpus on the directory dir of fsys (an embedded
// corpus, or os.DirFS).
func ReadCorpusFS(fsys fs.FS, dir string) (docs []Document, skipped []Skipped, err error) {
	err = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, werr error) error {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		switch {
		case werr != nil && p == dir:
			return werr
		case werr != nil:
			skipped = append(skipped, Skipped{rel, "unreadable: " + werr.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		case p == dir:
			return nil
		case strings.HasPrefix(d.Name(), "."):
			skipped = append(skipped, Skipped{rel, "hidden"})
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			skipped = append(skipped, Skipped{rel, "not a regular file"})
			return nil
		}
		var partial []Skipped
		ds, reason := readFileDocs(fsFile(fsys, p), rel, &partial)
		if reason != "" {
			skipped = append(skipped, Skipped{rel, reason})
		}
		skipped = append(skipped, partial...)
		docs = append(docs, ds...)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("leak: reading corpus %s: %w", dir, err)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Path < skipped[j].Path })
	dedupQuotes(docs)
	return docs, skipped, nil
}

type corpusFile struct{ rel, abs string }

// walkCorpus lists the regular files under dir, in lexical order; hidden
// files and directories and special files are reported as skipped.
func walkCorpus(dir string) (files []corpusFile, skipped []Skipped, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, werr error) error {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if werr != nil {
			if p == dir {
				return werr
			}
			skipped = append(skipped, Skipped{rel, "unreadable: " + werr.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p == dir {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			skipped = append(skipped, Skipped{rel, "hidden"})
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			skipped = append(skipped, Skipped{rel, "not a regular file"})
			return nil
		}
		files = append(files, corpusFile{rel, p})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("leak: reading corpus %s: %w", dir, err)
	}
	return files, skipped, nil
}

func listFiles(dir string) ([]corpusFile, error) {
	files, _, err := walkCorpus(dir)
	return files, err
}

func hashFile(name string) ([]byte, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, 0, err
	}
	return h.Sum(nil), n, nil
}

// readFile reads one corpus file into documents, or says why it did not.
// partial lists the parts of a multi-document file (mbox messages) that
// could not be read while the others were.
func readFile(name, rel string) (docs []Document, reason string, partial []Skipped) {
	docs, reason = readFileDocs(osFile(name), rel, &partial)
	return docs, reason, partial
}

// fileSource is how readFileDocs reaches a file's size and bytes: on disk
// (osFile) or in an fs.FS (fsFile).
type fileSource struct {
	stat func() (fs.FileInfo, error)
	read func() ([]byte, error)
}

func osFile(name string) fileSource {
	return fileSource{func() (fs.FileInfo, error) { return os.Stat(name) }, func() ([]byte, error) { return os.ReadFile(name) }}
}

func fsFile(fsys fs.FS, name string) fileSource {
	return fileSource{func() (fs.FileInfo, error) { return fs.Stat(fsys, name) }, func() ([]byte, error) { return fs.ReadFile(fsys, name) }}
}

func readFileDocs(src fileSource, rel string, partial *[]Skipped) ([]Document, string) {
	ext := strings.ToLower(path.Ext(rel))
	kind := ""
	switch ext {
	case ".eml", ".msg822":
		kind = KindEmail
	case ".mbox", ".mbx":
		kind = "mbox"
	case ".txt", ".md", ".markdown", ".text":
		kind = KindText
	case ".html", ".htm", ".xhtml":
		kind = KindHTML
	case ".json":
		kind = KindJSON
	default:
		if ext == "" {
			return nil, "unsupported file type (no extension)"
		}
		return nil, "unsupported file type (" + ext + ")"
	}
	fi, err := src.stat()
	if err != nil {
		return nil, "unreadable: " + err.Error()
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Sprintf("too large (%d bytes, limit %d)", fi.Size(), MaxFileSize)
	}
	raw, err := src.read()
	if err != nil {
		return nil, "unreadable: " + err.Error()
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, "empty file"
	}
	base := path.Base(rel)
	switch kind {
	case KindEmail:
		docs, err := parseEmail(raw, rel, base)
		if err != nil {
			return nil, "malformed message: " + err.Error()
		}
		return docs, ""
	case "mbox":
		msgs := splitMbox(raw)
		if len(msgs) == 0 {
			return nil, "mbox without any \"From \" separator line"
		}
		var docs []Document
		for i, m := range msgs {
			id := rel + "#" + strconv.Itoa(i+1)
			ds, err := parseEmail(m, id, base)
			if err != nil {
				// The other messages of the archive are still read.
				*partial = append(*partial, Skipped{id, "malformed message: " + err.Error()})
				continue
			}
			docs = append(docs, ds...)
		}
		return docs, ""
	case KindText:
		return []Document{{ID: rel, Kind: KindText, FileName: base, Text: normalizeNewlines(decodeUnknown(raw)), SHA256: sha(raw)}}, ""
	case KindHTML:
		title, text, err := htmltext.Document(string(textenc.HTML(raw, "").Text), htmltext.Options{Lines: true})
		if err != nil {
			return nil, "malformed HTML: " + err.Error()
		}
		return []Document{{ID: rel, Kind: KindHTML, Subject: title, FileName: base, Text: text, SHA256: sha(raw)}}, ""
	case KindJSON:
		docs, err := parseJSON(raw, rel, base)
		if err != nil {
			return nil, "malformed JSON: " + err.Error()
		}
		if len(docs) == 0 {
			return nil, "JSON without any text"
		}
		return docs, ""
	}
	return nil, "unsupported file type"
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// normalizeNewlines turns CRLF and lone CR into LF.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// decodeUnknown reads bytes of unknown encoding (textenc.Decode without a
// label): UTF-8 when valid (a BOM removed), windows-1252 otherwise, the
// usual case for files from Windows desktops.
func decodeUnknown(b []byte) string { return textenc.String(b, "") }

// jsonEntry field names, by role, in order of preference.
var (
	jsonTitleKeys = []string{"title", "subject", "name", "titre", "objet"}
	jsonBodyKeys  = []string{"body", "text", "content", "contenu", "texte", "message", "note", "notes", "description"}
	jsonFromKeys  = []string{"author", "from", "auteur", "sender", "de"}
	jsonDateKeys  = []string{"date", "created", "created_at", "updated", "updated_at", "timestamp"}
)

// parseJSON reads a JSON export: a list of entries (or an object holding
// one such list, or a single entry). Each entry becomes a document whose
// text is its title and body.
func parseJSON(raw []byte, rel, base string) ([]Document, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var entries []any
	single := false
	switch t := v.(type) {
	case []any:
		entries = t
	case map[string]any:
		// An object with one list of objects ({"notes": [...]}) is an
		// export wrapper; otherwise the object is the only entry.
		var lists []string
		for k, x := range t {
			if l, ok := x.([]any); ok && len(l) > 0 {
				if _, ok := l[0].(map[string]any); ok {
					lists = append(lists, k)
				}
			}
		}
		if len(lists) == 1 {
			entries = t[lists[0]].([]any)
		} else {
			entries, single = []any{t}, true
		}
	default:
		return nil, errors.New("neither a list nor an object")
	}
	var docs []Document
	for i, e := range entries {
		id := rel + "#" + strconv.Itoa(i+1)
		if single {
			id = rel
		}
		d := Document{ID: id, Kind: KindJSON, FileName: base}
		entryBytes, _ := json.Marshal(e)
		d.SHA256 = sha(entryBytes)
		switch t := e.(type) {
		case string:
			d.Text = t
		case map[string]any:
			d.Subject = firstString(t, jsonTitleKeys)
			d.From = firstString(t, jsonFromKeys)
			if ds := firstString(t, jsonDateKeys); ds != "" {
				d.Date = parseLooseDate(ds)
			}
			body := firstString(t, jsonBodyKeys)
			if body == "" {
				// No known body field: index every string value, so that
				// nothing in an unusual export goes unseen.
				var parts []string
				keys := make([]string, 0, len(t))
				for k := range t {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				for _, k := range keys {
					if s, ok := t[k].(string); ok && !slices.Contains(jsonTitleKeys, k) && !slices.Contains(jsonFromKeys, k) && !slices.Contains(jsonDateKeys, k) {
						parts = append(parts, s)
					}
				}
				body = strings.Join(parts, "\n\n")
			}
			switch {
			case d.Subject != "" && body != "":
				d.Text = d.Subject + "\n\n" + body
			case body != "":
				d.Text = body
			default:
				d.Text = d.Subject
			}
		default:
			continue
		}
		d.Text = normalizeNewlines(d.Text)
		if strings.TrimSpace(d.Text) == "" {
			continue
		}
		d.QuoteStart = len(d.Text)
		docs = append(docs, d)
	}
	return docs, nil
}

func firstString(m map[string]any, keys []string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// parseLooseDate reads the date formats export tools write; zero when none
// fits.
func parseLooseDate(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
