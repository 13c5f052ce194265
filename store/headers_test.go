package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func saveWithHeader(t *testing.T, s *DB, h http.Header) int64 {
	t.Helper()
	id, err := s.SaveResponse(context.Background(), Response{Source: "big", Kind: "feed", URL: "https://big.example/rss",
		FinalURL: "https://big.example/rss", Status: 200, Header: h, Body: []byte("<rss/>"),
		FetchedAt: time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestHeadersStoredBounded saves ten responses, each with 9 MB of headers
// (what one outlet sent on every poll): the store keeps at most
// MaxHeaderBytes of each, compressed, and says how much it dropped.
func TestHeadersStoredBounded(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, path := newStore(t)
		var hookDropped []int
		s.OnHeadersTruncated = func(source, url string, dropped int) { hookDropped = append(hookDropped, dropped) }
		h := http.Header{"Content-Type": {"application/rss+xml"}, "Etag": {`"v1"`}}
		for i := range 9 {
			h.Set(fmt.Sprintf("X-Junk-%d", i), strings.Repeat(fmt.Sprintf("%09d", i), 1<<17/9*8)) // 1 MiB each
		}
		full, _ := json.Marshal(h)
		var id int64
		for range 10 {
			id = saveWithHeader(t, s, h)
		}
		size := storeSize(t, s, path)
		s.Close()
		t.Logf("ten responses with %d bytes of headers each: %d bytes of store", len(full), size)
		if size > 4<<20 {
			t.Errorf("ten responses with %d bytes of headers take %d bytes of store, want well under 4 MiB", len(full), size)
		}

		s = openAt(t, path)
		r, err := s.ResponseByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		kept, _ := json.Marshal(withoutTruncated(r.Header))
		if len(kept) > MaxHeaderBytes {
			t.Errorf("kept %d bytes of headers, cap %d", len(kept), MaxHeaderBytes)
		}
		if want := fmt.Sprintf("%d bytes", len(full)-len(kept)); r.Header.Get(TruncatedHeader) != want || r.HeaderTruncated != len(full)-len(kept) {
			t.Errorf("%s: %q (HeaderTruncated %d), want %q", TruncatedHeader, r.Header.Get(TruncatedHeader), r.HeaderTruncated, want)
		}
		// In key order until the cap: the two real headers sort first.
		if r.Header.Get("Content-Type") != "application/rss+xml" || r.Header.Get("Etag") != `"v1"` {
			t.Errorf("the headers before the cap were not kept: %v", r.Header)
		}
		if len(hookDropped) != 10 || hookDropped[0] != len(full)-len(kept) {
			t.Errorf("OnHeadersTruncated told %v, want 10 times %d", hookDropped, len(full)-len(kept))
		}
	})
}

// storeSize is what a store takes on disk: the SQLite file with its WAL
// (s is closed after), or the responses table with its TOAST and indexes.
func storeSize(t *testing.T, s *DB, path string) int64 {
	t.Helper()
	if s.db.d.postgres {
		var n int64
		if err := s.db.QueryRow(`SELECT pg_total_relation_size('responses')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	size := fi.Size()
	if wal, _ := os.Stat(path + "-wal"); wal != nil {
		size += wal.Size()
	}
	return size
}

func withoutTruncated(h http.Header) http.Header {
	h = h.Clone()
	h.Del(TruncatedHeader)
	return h
}

// TestHeadersRoundTrip checks that ordinary headers read back exactly as
// saved, stored compressed, and that rows written before compression (the
// JSON in headers, no headers_gz) still read.
func TestHeadersRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		for _, h := range []http.Header{
			nil,
			{},
			{"Content-Type": {"text/html; charset=utf-8"}, "Set-Cookie": {"a=1", "b=<2>&"}, "Vary": nil, "Empty": {}},
		} {
			id := saveWithHeader(t, s, h)
			r, err := s.ResponseByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(h)
			got, _ := json.Marshal(r.Header)
			if string(got) != string(want) || r.HeaderTruncated != 0 {
				t.Errorf("headers %s read back as %s (truncated %d)", want, got, r.HeaderTruncated)
			}
			var text string
			var gz []byte
			if err := s.db.QueryRowContext(ctx, `SELECT headers, headers_gz FROM responses WHERE id = ?`, id).Scan(&text, &gz); err != nil {
				t.Fatal(err)
			}
			if gz == nil || text != "{}" {
				t.Errorf("headers stored as %q and %d compressed bytes, want them compressed", text, len(gz))
			}
		}

		// A row as written before migration 00006.
		legacy := `{"Content-Type":["application/rss+xml"],"Etag":["\"x\""]}`
		var id int64
		err := s.db.QueryRowContext(ctx, `INSERT INTO responses (source, kind, url, final_url, status, headers, body, body_size, sha256, fetched_at)
VALUES ('old', 'feed', 'https://old.example/rss', 'https://old.example/rss', 200, ?, NULL, 0, '', '2017-05-06T08:00:00.000000000Z')
RETURNING id`, legacy).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.ResponseByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := (http.Header{"Content-Type": {"application/rss+xml"}, "Etag": {`"x"`}}); !reflect.DeepEqual(r.Header, want) {
			t.Errorf("legacy row's headers %v, want %v", r.Header, want)
		}
	})
}

// TestCapHeaders checks the cap against encoding/json: under the cap the
// bytes are json.Marshal's; over it, a prefix in key and value order that
// decodes, fits, and accounts for every byte dropped.
func TestCapHeaders(t *testing.T) {
	h := http.Header{
		"A": {"1"}, "B": {strings.Repeat("<b>", 20)}, // escapes: JSON longer than the raw text
		"C": {"x", strings.Repeat("y", 40), "z"}, "D": nil, "E": {"tail"},
	}
	full, _ := json.Marshal(h)
	for limit := 2; limit <= len(full)+5; limit++ {
		kept, dropped, err := capHeaders(h, limit)
		if err != nil {
			t.Fatal(err)
		}
		if limit >= len(full) {
			if string(kept) != string(full) || dropped != 0 {
				t.Fatalf("limit %d: %s (dropped %d), want %s", limit, kept, dropped, full)
			}
			continue
		}
		var back http.Header
		if err := json.Unmarshal(kept, &back); err != nil {
			t.Fatalf("limit %d: %s does not decode: %v", limit, kept, err)
		}
		if len(kept) > limit || dropped != len(full)-len(kept) || dropped <= 0 {
			t.Fatalf("limit %d: kept %d bytes, dropped %d, of %d", limit, len(kept), dropped, len(full))
		}
		// A prefix: every kept key but the last is whole, and the last
		// holds a prefix of its values.
		seen, partial := 0, false
		for _, k := range []string{"A", "B", "C", "D", "E"} {
			vs, ok := back[k]
			if !ok {
				break
			}
			if partial {
				t.Fatalf("limit %d: %s kept after a key cut short: %s", limit, k, kept)
			}
			seen++
			if !reflect.DeepEqual(vs, h[k][:len(vs)]) {
				t.Fatalf("limit %d: %s = %q, not a prefix of %q", limit, k, vs, h[k])
			}
			partial = len(vs) < len(h[k])
		}
		if seen != len(back) {
			t.Fatalf("limit %d: kept keys %v are not a prefix in key order", limit, back)
		}
	}
	h9 := http.Header{"Big": {strings.Repeat("x", 9<<20)}}
	kept, dropped, _ := capHeaders(h9, MaxHeaderBytes)
	if string(kept) != "{}" || dropped != 9<<20+len(`{"Big":[""]}`)-2 {
		t.Errorf("one 9 MiB value: kept %q, dropped %d", kept, dropped)
	}
}
