package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nlnwa/gowarc/v2"

	"github.com/silencewatch/silencewatch/store"
)

// Software names silencewatch in the warcinfo record.
const Software = "silencewatch"

func recordID() string { return "<urn:uuid:" + uuid.NewString() + ">" }

// WriteWARC writes a WARC 1.1 file: a warcinfo record, then for each
// response the items rest on, a request record, the response record
// (status line, headers and the raw body as fetched) and a metadata
// record naming the findings and the fetch. Block and payload digests
// are SHA-256. now dates the warcinfo record.
func WriteWARC(w io.Writer, items []Item, now time.Time) (records int, err error) {
	m := gowarc.NewMarshaler()
	write := func(rb gowarc.WarcRecordBuilder) error {
		rec, _, err := rb.Build()
		if err != nil {
			return fmt.Errorf("export: warc: build record: %w", err)
		}
		if _, _, err := m.Marshal(w, rec, 0); err != nil {
			return fmt.Errorf("export: warc: write record: %w", err)
		}
		records++
		return nil
	}
	opts := []gowarc.WarcRecordOption{
		gowarc.WithAddMissingDigest(true), gowarc.WithDefaultDigestAlgorithm("sha256"),
		gowarc.WithFixContentLength(true), gowarc.WithAddMissingContentLength(true),
	}

	info := gowarc.NewRecordBuilder(gowarc.Warcinfo, opts...)
	info.AddWarcHeader(gowarc.WarcRecordID, recordID())
	info.AddWarcHeaderTime(gowarc.WarcDate, now)
	info.AddWarcHeader(gowarc.ContentType, gowarc.ApplicationWarcFields)
	info.WriteString("software: " + Software + "\r\nformat: WARC File Format 1.1\r\n" +
		"description: responses silencewatch fetched, with the findings made on them\r\n")
	if err := write(info); err != nil {
		return records, err
	}

	// One set of records per response, however many findings rest on it.
	byResponse := map[int64][]Item{}
	var order []int64
	for _, it := range items {
		if it.Response == nil {
			continue
		}
		id := it.Response.ID
		if _, ok := byResponse[id]; !ok {
			order = append(order, id)
		}
		byResponse[id] = append(byResponse[id], it)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	for _, id := range order {
		group := byResponse[id]
		r := group[0].Response
		if r.Pruned {
			continue // the row stays in JSON and CSV exports; no body to archive
		}
		respID, reqID := recordID(), recordID()

		req := gowarc.NewRecordBuilder(gowarc.Request, opts...)
		req.AddWarcHeader(gowarc.WarcRecordID, reqID)
		req.AddWarcHeaderTime(gowarc.WarcDate, r.FetchedAt)
		req.AddWarcHeader(gowarc.WarcTargetURI, r.FinalURL)
		req.AddWarcHeader(gowarc.WarcConcurrentTo, respID)
		req.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
		req.WriteString(requestBlock(r))
		if err := write(req); err != nil {
			return records, err
		}

		resp := gowarc.NewRecordBuilder(gowarc.Response, opts...)
		resp.AddWarcHeader(gowarc.WarcRecordID, respID)
		resp.AddWarcHeaderTime(gowarc.WarcDate, r.FetchedAt)
		resp.AddWarcHeader(gowarc.WarcTargetURI, r.FinalURL)
		resp.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
		resp.Write(responseBlock(r))
		if err := write(resp); err != nil {
			return records, err
		}

		meta := gowarc.NewRecordBuilder(gowarc.Metadata, opts...)
		meta.AddWarcHeader(gowarc.WarcRecordID, recordID())
		meta.AddWarcHeaderTime(gowarc.WarcDate, r.FetchedAt)
		meta.AddWarcHeader(gowarc.WarcTargetURI, r.FinalURL)
		meta.AddWarcHeader(gowarc.WarcRefersTo, respID)
		meta.AddWarcHeader(gowarc.ContentType, "application/json")
		meta.Write(metadataBlock(group))
		if err := write(meta); err != nil {
			return records, err
		}
	}
	return records, nil
}

func requestBlock(r *store.Response) string {
	u, err := url.Parse(r.URL)
	target, host := r.URL, ""
	if err == nil {
		target, host = u.RequestURI(), u.Host
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\nHost: %s\r\n", r.Method, target, r.Proto, host)
	writeHeader(&b, r.RequestHeader, nil)
	b.WriteString("\r\n")
	return b.String()
}

// responseBlock is the HTTP response as fetched. The body is stored after
// transfer and content decoding, so the headers that described the
// encoding on the wire are dropped and the length set to the body's.
func responseBlock(r *store.Response) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %d %s\r\n", r.Proto, r.Status, http.StatusText(r.Status))
	writeHeader(&b, r.Header, map[string]bool{"Content-Encoding": true, "Transfer-Encoding": true, "Content-Length": true})
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(r.Body))
	b.Write(r.Body)
	return b.Bytes()
}

func writeHeader(w io.Writer, h http.Header, skip map[string]bool) {
	keys := make([]string, 0, len(h))
	for k := range h {
		if !skip[http.CanonicalHeaderKey(k)] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\r\n", k, v)
		}
	}
}

func metadataBlock(group []Item) []byte {
	r := group[0].Response
	type finding struct {
		Row      int64  `json:"row"`
		ID       string `json:"id"`
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Window   string `json:"window"`
		Title    string `json:"title"`
		URL      string `json:"url"`
		Version  int    `json:"version"`
	}
	doc := struct {
		Software  string    `json:"software"`
		Source    string    `json:"source"`
		SHA256    string    `json:"body_sha256"`
		FetchedAt time.Time `json:"fetched_at"`
		Findings  []finding `json:"findings"`
	}{Software: Software, Source: r.Source, SHA256: hexSum(r.SHA256), FetchedAt: r.FetchedAt}
	for _, it := range group {
		f := it.Finding.Finding
		doc.Findings = append(doc.Findings, finding{it.Finding.ID, f.ID, f.Rule, f.Severity.String(), f.Window, f.Article.Title, f.Article.URL, it.Version.Version})
	}
	out, _ := json.MarshalIndent(doc, "", "  ")
	return out
}

// ReadRecord is one record read back from a WARC file.
type ReadRecord struct {
	Type      string
	TargetURI string
	Date      string
	Body      []byte // for responses: the HTTP payload (the article's raw bytes)
}

// ReadWARC reads a WARC file back, validating every record's digests;
// any invalid digest or malformed record is an error.
func ReadWARC(r io.Reader) ([]ReadRecord, error) {
	reader, err := gowarc.NewWarcFileReaderFromStream(bufio.NewReader(r), 0,
		gowarc.WithStrictValidation(), gowarc.WithBlockErrorPolicy(gowarc.ErrFail))
	if err != nil {
		return nil, fmt.Errorf("export: read warc: %w", err)
	}
	defer reader.Close()
	var out []ReadRecord
	for {
		rec, _, validation, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("export: read warc record %d: %w", len(out)+1, err)
		}
		if validation != nil && !validation.Valid() {
			return nil, fmt.Errorf("export: warc record %d: %s", len(out)+1, validation)
		}
		rr := ReadRecord{Type: rec.Type().String(), TargetURI: rec.WarcHeader().Get(gowarc.WarcTargetURI), Date: rec.WarcHeader().Get(gowarc.WarcDate)}
		if err := rec.ValidateDigest(validation); err != nil {
			return nil, fmt.Errorf("export: warc record %d digest: %w", len(out)+1, err)
		}
		if hb, ok := rec.Block().(gowarc.HttpResponseBlock); ok {
			payload, err := hb.PayloadBytes()
			if err != nil {
				return nil, fmt.Errorf("export: warc record %d payload: %w", len(out)+1, err)
			}
			rr.Body, _ = io.ReadAll(payload)
		}
		if validation != nil && !validation.Valid() {
			return nil, fmt.Errorf("export: warc record %d: %s", len(out)+1, validation)
		}
		out = append(out, rr)
		rec.Close()
	}
}
