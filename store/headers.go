package store

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

// MaxHeaderBytes caps the response headers stored with a response, as
// serialised (JSON). Past it, headers are kept in key order until the cap
// and the number of bytes dropped is recorded.
const MaxHeaderBytes = 64 << 10

// TruncatedHeader is the header readers see on a response whose stored
// headers were cut at MaxHeaderBytes: "N bytes", the serialised bytes
// dropped. The server did not send it.
const TruncatedHeader = "X-Silencewatch-Truncated"

// capHeaders serialises h as encoding/json does (keys sorted, values in
// order) but at most limit bytes: keys, and values within a key, are kept
// in that order until the next would pass the limit; nothing after it is
// kept. dropped is the serialised size of h minus what was kept.
func capHeaders(h http.Header, limit int) (kept []byte, dropped int, err error) {
	if h == nil {
		return []byte("null"), 0, nil
	}
	raw := 2
	for k, vs := range h {
		raw += len(k) + 4
		for _, v := range vs {
			raw += len(v) + 3
		}
	}
	if raw <= limit { // about the JSON's size before escaping: the common case is well under
		b, err := json.Marshal(h)
		if err != nil {
			return nil, 0, err
		}
		if len(b) <= limit {
			return b, 0, nil
		}
	}

	out := []byte{'{'}
	full := 2 // the braces
	cut := false
	for i, k := range slices.Sorted(maps.Keys(h)) {
		kj, err := json.Marshal(k)
		if err != nil {
			return nil, 0, err
		}
		vs := h[k]
		vjs := make([][]byte, len(vs))
		entry := len(kj) + 1 // "key":
		if vs == nil {
			entry += len("null")
		} else {
			entry += 2 + max(len(vs)-1, 0) // brackets and commas
		}
		for j, v := range vs {
			if vjs[j], err = json.Marshal(v); err != nil {
				return nil, 0, err
			}
			entry += len(vjs[j])
		}
		if i > 0 {
			full++
		}
		full += entry
		if cut {
			continue
		}
		sep := 0
		if len(out) > 1 {
			sep = 1
		}
		if len(out)+sep+entry+1 <= limit {
			out = appendEntry(out, sep == 1, kj, vs == nil, vjs)
			continue
		}
		// This key does not fit whole: keep its values that do, then stop.
		cut = true
		size, fit := len(out)+sep+len(kj)+2, 0 // "key":[
		for j, vj := range vjs {
			add := len(vj)
			if j > 0 {
				add++
			}
			if size+add+2 > limit { // "]}"
				break
			}
			size += add
			fit++
		}
		if fit > 0 {
			out = appendEntry(out, sep == 1, kj, false, vjs[:fit])
		}
	}
	out = append(out, '}')
	return out, full - len(out), nil
}

func appendEntry(out []byte, comma bool, key []byte, null bool, values [][]byte) []byte {
	if comma {
		out = append(out, ',')
	}
	out = append(append(out, key...), ':')
	if null {
		return append(out, "null"...)
	}
	out = append(out, '[')
	for j, v := range values {
		if j > 0 {
			out = append(out, ',')
		}
		out = append(out, v...)
	}
	return append(out, ']')
}

// gzipBytes compresses p with a pooled writer.
func gzipBytes(p []byte) ([]byte, error) {
	var b bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&b)
	_, err := zw.Write(p)
	if err == nil {
		err = zw.Close()
	}
	gzipWriters.Put(zw)
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeHeaders is what SaveResponse stores of a response's headers: the
// capped JSON, compressed, and the bytes the cap dropped.
func encodeHeaders(h http.Header) (gz []byte, dropped int, err error) {
	kept, dropped, err := capHeaders(h, MaxHeaderBytes)
	if err != nil {
		return nil, 0, fmt.Errorf("store: encode headers: %w", err)
	}
	if gz, err = gzipBytes(kept); err != nil {
		return nil, 0, fmt.Errorf("store: compress headers: %w", err)
	}
	return gz, dropped, nil
}

// decodeHeaders reads stored headers: gz when the row has it, else the
// JSON text of rows written before headers were compressed. A row whose
// headers were cut gets TruncatedHeader.
func decodeHeaders(text string, gz []byte, dropped int) (http.Header, error) {
	data := []byte(text)
	if gz != nil {
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			return nil, fmt.Errorf("store: headers: %w", err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("store: headers: %w", err)
		}
	}
	var h http.Header
	if len(data) > 0 {
		if err := json.Unmarshal(data, &h); err != nil {
			return nil, fmt.Errorf("store: headers: %w", err)
		}
	}
	if dropped > 0 {
		if h == nil {
			h = http.Header{}
		}
		h.Set(TruncatedHeader, strconv.Itoa(dropped)+" bytes")
	}
	return h, nil
}
