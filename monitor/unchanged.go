package monitor

import (
	"context"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/store"
)

// A full response whose body is byte for byte the one this process last
// ingested for the source, when that ingest left nothing for a later poll,
// is taken as a 304: its poll time and validators are recorded, it is
// counted as "unchanged", and it is neither parsed nor stored again nor
// are its items looked up. Ingesting it again would only store a second
// copy of a body already kept, fetched later, and touch items already
// stored unchanged: the source's state (last poll, last success) records
// that it was fetched again.
//
// Most such responses are the validator checks (a full GET every
// VerifyEvery+1 polls) of a feed that did not change, and every poll of a
// source without validators or whose validators were found to lie.
//
// What an ingest can leave for a later poll, and which makes the next
// identical body ingested in full: an error anywhere (parse, store,
// evaluation, the state's write), items deferred by max_items_per_poll.
// A body whose final URL, content type or source settings differ from the
// ingested one's is ingested in full (item links resolve against the final
// URL, the charset comes with the content type). So is one whose stored
// copy is older than half of evidence.retention, so that pruning never
// leaves a feed's current body without a copy in the store. The memory is
// this process's own: empty after a restart, so the first full response
// is always ingested; and a cluster's jobs (PollSource) never use it, as
// another process may have stored a different body since.

// lastBody is a source's last full response body as this process saw it.
type lastBody struct {
	sum [32]byte // SHA-256 of the body: lying validators are caught by it
	// done says the body's ingest completed with nothing left for a later
	// poll; key and storedAt are set with it.
	done     bool
	key      uint64 // ingestKey of the response and the source
	storedAt int64  // when the stored copy was fetched, Unix nanoseconds
}

// ingestKey is a hash of what the ingest of a body depends on besides its
// bytes: the response's final URL and content type, and the source's
// settings the ingest reads.
func ingestKey(src *config.Source, res *crawler.FetchResult) uint64 {
	h := fnv.New64a()
	var b []byte
	for _, s := range []string{res.FinalURL, res.ContentType, src.URL, src.Language} {
		b = append(append(b, s...), 0)
	}
	b = strconv.AppendInt(b, int64(src.MaxItems), 10)
	b = strconv.AppendBool(b, src.FetchFullText)
	h.Write(b)
	return h.Sum64()
}

// sawBody records a full response of the source (after a poll that was
// conditional or not) and catches lying validators. It reports whether
// the body may be taken as unchanged (see above); reuse is false for a
// cluster's jobs. key is the response's ingestKey.
func (m *Monitor) sawBody(ctx context.Context, name string, st *store.SourceState, res *crawler.FetchResult,
	conditional, reuse bool, key uint64) (unchanged bool) {
	fresh := freshFor(m.opts.Config.Evidence.Retention)
	m.mu.Lock()
	prev, hadBody := m.bodies[name]
	unchanged = reuse && prev.done && prev.sum == res.SHA256 && prev.key == key &&
		(fresh <= 0 || res.FetchedAt.UnixNano()-prev.storedAt < int64(fresh))
	if !unchanged {
		m.bodies[name] = lastBody{sum: res.SHA256}
	}
	m.mu.Unlock()
	wasVerify := m.checks.Full(name, conditional, !hadBody)
	// A verification GET that finds a different body after the server kept
	// answering 304: its validators lie, so poll it with full GETs.
	if wasVerify && hadBody && prev.sum != res.SHA256 && !st.ConditionalOff {
		st.ConditionalOff = true
		m.event(ctx, m.opts.Logger.With("source", name), store.Event{Source: name, Kind: "validators-unreliable", Detail: "answered 304 while the content changed; polling with full GETs", At: res.FetchedAt})
	}
	return unchanged
}

// ingested records that the body of res was ingested with nothing left
// for a later poll, and its state saved: the next identical body may be
// taken as unchanged.
func (m *Monitor) ingested(name string, res *crawler.FetchResult, key uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.bodies[name]; ok && b.sum == res.SHA256 {
		m.bodies[name] = lastBody{sum: res.SHA256, done: true, key: key, storedAt: res.FetchedAt.UnixNano()}
	}
}

// freshFor is how long a stored copy of a feed body stands for identical
// ones: half of the evidence retention.
func freshFor(retention time.Duration) time.Duration { return retention / 2 }
