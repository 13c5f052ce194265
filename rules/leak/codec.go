package leak

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// Serialised form. The blob holds what cannot be recomputed cheaply or at
// all: options, the documents (metadata and text) and the background
// statistics. Word hashes, fingerprints, the inverted table and the term
// model are derived from them again on UnmarshalBinary, which keeps the
// blob close to the size of the corpus's text, compressed.
const (
	codecMagic   = "SWLEAKIX"
	codecVersion = 2
)

// ErrFormat is wrapped by UnmarshalBinary errors for blobs it cannot read
// (another version, truncated, corrupt): the caller rebuilds the index.
var ErrFormat = errors.New("leak: not an index blob of this version")

// MarshalBinary serialises the index (encoding.BinaryMarshaler).
func (ix *Index) MarshalBinary() ([]byte, error) {
	var out bytes.Buffer
	out.WriteString(codecMagic)
	out.WriteByte(codecVersion)
	zw, err := flate.NewWriter(&out, flate.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("leak: %w", err)
	}
	w := &encoder{w: bufio.NewWriterSize(zw, 64<<10)}
	o := ix.opts
	w.uvarint(uint64(o.K))
	w.uvarint(uint64(o.W))
	w.uvarint(uint64(o.MaxDocFreq))
	w.uvarint(math.Float64bits(o.MaxDocFrac))
	w.uvarint(uint64(o.MinWords))
	w.time(o.DisclosedAt)
	w.strings(o.Identifiers)
	w.strings(o.Names)

	w.uvarint(uint64(ix.bg.N))
	terms := make([]string, 0, len(ix.bg.DF))
	for t := range ix.bg.DF {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	w.uvarint(uint64(len(terms)))
	for _, t := range terms {
		w.string(t)
		w.uvarint(uint64(ix.bg.DF[t]))
	}

	w.uvarint(uint64(len(ix.docs)))
	for i := range ix.docs {
		d := &ix.docs[i].Document
		w.string(d.ID)
		w.string(d.Kind)
		w.string(d.Subject)
		w.string(d.From)
		w.strings(d.To)
		w.strings(d.Cc)
		w.time(d.Date)
		w.string(d.FileName)
		w.strings(d.Attachments)
		w.string(d.Text)
		w.uvarint(uint64(d.QuoteStart))
		w.string(d.Quoted)
		w.string(d.SHA256)
	}
	if err := w.w.Flush(); err != nil {
		return nil, fmt.Errorf("leak: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("leak: %w", err)
	}
	return out.Bytes(), nil
}

// UnmarshalBinary restores an index serialised by MarshalBinary
// (encoding.BinaryUnmarshaler), recomputing its derived structures.
func (ix *Index) UnmarshalBinary(data []byte) error {
	if len(data) < len(codecMagic)+1 || string(data[:len(codecMagic)]) != codecMagic {
		return fmt.Errorf("%w: bad magic", ErrFormat)
	}
	if v := data[len(codecMagic)]; v != codecVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrFormat, v, codecVersion)
	}
	r := &decoder{r: bufio.NewReaderSize(flate.NewReader(bytes.NewReader(data[len(codecMagic)+1:])), 64<<10)}
	var o Options
	o.K = int(r.uvarint())
	o.W = int(r.uvarint())
	o.MaxDocFreq = int(r.uvarint())
	o.MaxDocFrac = math.Float64frombits(r.uvarint())
	o.MinWords = int(r.uvarint())
	o.DisclosedAt = r.time()
	o.Identifiers = r.strings()
	o.Names = r.strings()

	bg := background{N: int(r.uvarint()), DF: map[string]int32{}}
	for n := r.count(); n > 0 && r.err == nil; n-- {
		t := r.string()
		bg.DF[t] = int32(r.uvarint())
	}

	n := r.count()
	docs := make([]indexedDoc, 0, min(n, 1<<20))
	for ; n > 0 && r.err == nil; n-- {
		var d Document
		d.ID = r.string()
		d.Kind = r.string()
		d.Subject = r.string()
		d.From = r.string()
		d.To = r.strings()
		d.Cc = r.strings()
		d.Date = r.time()
		d.FileName = r.string()
		d.Attachments = r.strings()
		d.Text = r.string()
		d.QuoteStart = int(r.uvarint())
		d.Quoted = r.string()
		d.SHA256 = r.string()
		if d.QuoteStart > len(d.Text) {
			r.fail("quote start beyond text")
		}
		docs = append(docs, indexedDoc{Document: d})
	}
	if r.err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, r.err)
	}
	if o.K <= 0 || o.W <= 0 || o.K > 64 || o.W > 1024 {
		return fmt.Errorf("%w: k=%d w=%d", ErrFormat, o.K, o.W)
	}
	*ix = Index{opts: o.withDefaults(), docs: docs, bg: bg}
	todo := make([]int, len(docs))
	for i := range todo {
		todo[i] = i
	}
	ix.fingerprintDocs(todo)
	ix.finish()
	return nil
}

// CorpusKey identifies a corpus directory's content and the options that
// shape its index: the hex SHA-256 of every file's relative path, size and
// SHA-256, and of K, W and the boilerplate bound. It reads every file (a
// few hundred MB/s) but parses none, so a caller can look up a stored
// index blob before deciding to re-index:
//
//	key, _ := leak.CorpusKey(dir, opts)
//	if blob, ok := store.Get(leakID, key); ok { ix.UnmarshalBinary(blob) } // unchanged: no parsing
//	else { docs, skipped, _ := leak.ReadCorpus(dir); ix = leak.Update(prev, docs, opts); store.Put(leakID, key, ix.MarshalBinary()) }
func CorpusKey(dir string, opts Options) (string, error) {
	opts = opts.withDefaults()
	files, err := listFiles(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "v%d k=%d w=%d df=%d frac=%g\n", codecVersion, opts.K, opts.W, opts.MaxDocFreq, opts.MaxDocFrac)
	// What the config says of the leak is in the index too: a changed
	// identifier or name must not load the index built before it.
	fmt.Fprintf(h, "disclosed=%s ids=%q names=%q\n", opts.DisclosedAt.UTC().Format(time.RFC3339), opts.Identifiers, opts.Names)
	for _, f := range files {
		sum, size, err := hashFile(f.abs)
		if err != nil {
			// An unreadable file is part of the corpus's state too: it is
			// reported as skipped by ReadCorpus.
			fmt.Fprintf(h, "%s\x00unreadable\n", f.rel)
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00%x\n", f.rel, size, sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type encoder struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
}

func (e *encoder) uvarint(x uint64) {
	n := binary.PutUvarint(e.buf[:], x)
	e.w.Write(e.buf[:n])
}

func (e *encoder) string(s string) {
	e.uvarint(uint64(len(s)))
	e.w.WriteString(s)
}

func (e *encoder) strings(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.string(s)
	}
}

// time writes zero as 0, anything else as 1 + Unix nanoseconds and the
// zone offset, so that a mail's own offset (+0200) survives.
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.uvarint(0)
		return
	}
	_, off := t.Zone()
	e.uvarint(1)
	e.uvarint(uint64(t.UnixNano()))
	e.uvarint(uint64(int64(off) + 1<<32))
}

type decoder struct {
	r   *bufio.Reader
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, err := binary.ReadUvarint(d.r)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		d.err = err
	}
	return x
}

// count reads a length, bounded so that a corrupt blob cannot make the
// reader allocate without end.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > 1<<28 {
		d.fail("length out of range")
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.count()
	if d.err != nil || n == 0 {
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.err = err
		return ""
	}
	return string(b)
}

func (d *decoder) strings() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, 0, min(n, 1024))
	for ; n > 0 && d.err == nil; n-- {
		out = append(out, d.string())
	}
	return out
}

func (d *decoder) time() time.Time {
	if d.uvarint() == 0 {
		return time.Time{}
	}
	ns := int64(d.uvarint())
	off := int64(d.uvarint()) - 1<<32
	return time.Unix(0, ns).In(time.FixedZone("", int(off)))
}
