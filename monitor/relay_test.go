package monitor

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/store"
)

type fakeRelay struct {
	mu       sync.Mutex
	versions []int64
	findings []int // how many stored findings came with each version
	err      error
}

func (f *fakeRelay) Observe(_ context.Context, versionID int64, _ *article.Article, fs []store.StoredFinding) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.versions = append(f.versions, versionID)
	f.findings = append(f.findings, len(fs))
	return f.err
}

// TestRelayObservesEvaluatedVersions: every evaluated version is shown to
// Options.Relay once, and its failure is counted, not fatal.
func TestRelayObservesEvaluatedVersions(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		text := "Un article sans histoire."
		if n >= 2 {
			text = "Les #MacronLeaks : selon les courriels, tout est prêt."
		}
		io.WriteString(w, rss(rssItem("g1", text)))
	})
	h := newHarness(t, f)
	rel := &fakeRelay{err: errors.New("relay: boom")}
	h.m.opts.Relay = rel
	h.poll(t)
	h.poll(t) // a new version
	h.poll(t) // unchanged
	if len(rel.versions) != 2 || rel.versions[0] == rel.versions[1] {
		t.Errorf("observed versions %v, want two distinct", rel.versions)
	}
	if len(rel.findings) != 2 || rel.findings[0] != 0 || rel.findings[1] != 1 {
		t.Errorf("stored findings shown with each version %v, want [0 1]", rel.findings)
	}
	fs, _ := h.st.Findings(context.Background())
	if len(fs) != 1 {
		t.Errorf("findings %d, want 1: a failing relay stops nothing", len(fs))
	}
	if got := testutil.ToFloat64(h.m.opts.Metrics.relayErrors); got != 2 {
		t.Errorf("relay errors = %v, want 2", got)
	}
}
