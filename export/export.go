// Package export owns what leaves silencewatch for researchers and
// prosecutors: findings with their evidence as JSON lines or CSV, and the
// raw responses they came from as a standard WARC 1.1 file that replays
// in standard WARC tools.
package export

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/store"
)

// Source is what export reads of the store.
type Source interface {
	Findings(ctx context.Context) ([]store.StoredFinding, error)
	VersionInfo(ctx context.Context, versionID int64) (store.VersionInfo, error)
	ResponseByID(ctx context.Context, id int64) (store.Response, error)
	Verdict(ctx context.Context, findingID int64) (store.Verdict, bool, error)
	VerdictEntries(ctx context.Context, findingID int64) ([]store.VerdictEntry, error)
	EdgesOfVersion(ctx context.Context, versionID int64) ([]store.VersionRelay, error)
}

// Filter selects findings: created at or after Since (zero: all), and,
// when IDs is not empty, only those whose key (the finding id shown in
// alerts) or row number is listed.
type Filter struct {
	Since time.Time
	IDs   []string
}

// Item is one finding with what it was found in.
type Item struct {
	Finding  store.StoredFinding
	Version  store.VersionInfo
	Response *store.Response // nil when the response was not kept
	Verdict  *store.Verdict  // the latest
	// History is every verdict of the finding, from Slack and the web,
	// oldest first: who decided what, when, from where, with what note.
	History []store.VerdictEntry
	// Relays are the relay edges touching the finding's version: an
	// earlier article of another outlet whose words it reuses, or a later
	// one reusing its words.
	Relays []store.VersionRelay
}

// Collect gathers the selected findings with their versions, responses
// and verdicts.
func Collect(ctx context.Context, src Source, f Filter) ([]Item, error) {
	all, err := src.Findings(ctx)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range f.IDs {
		want[strings.TrimPrefix(id, "#")] = true
	}
	var out []Item
	responses := map[int64]*store.Response{}
	relays := map[int64][]store.VersionRelay{} // by version: findings of one version share them
	for _, sf := range all {
		if !f.Since.IsZero() && sf.CreatedAt.Before(f.Since) {
			continue
		}
		if len(want) > 0 && !want[sf.Finding.ID] && !want[strconv.FormatInt(sf.ID, 10)] {
			continue
		}
		v, err := src.VersionInfo(ctx, sf.VersionID)
		if err != nil {
			return nil, err
		}
		it := Item{Finding: sf, Version: v}
		if v.ResponseID != 0 {
			r, ok := responses[v.ResponseID]
			if !ok {
				resp, err := src.ResponseByID(ctx, v.ResponseID)
				if err != nil {
					return nil, err
				}
				r = &resp
				responses[v.ResponseID] = r
			}
			it.Response = r
		}
		if vd, found, err := src.Verdict(ctx, sf.ID); err != nil {
			return nil, err
		} else if found {
			it.Verdict = &vd
		}
		if it.History, err = src.VerdictEntries(ctx, sf.ID); err != nil {
			return nil, err
		}
		rs, ok := relays[sf.VersionID]
		if !ok {
			if rs, err = src.EdgesOfVersion(ctx, sf.VersionID); err != nil {
				return nil, err
			}
			relays[sf.VersionID] = rs
		}
		it.Relays = rs
		out = append(out, it)
	}
	if len(want) > 0 && len(out) == 0 {
		return nil, fmt.Errorf("export: no finding matches %s", strings.Join(f.IDs, ", "))
	}
	return out, nil
}

func hexSum(sum [32]byte) string {
	if sum == ([32]byte{}) {
		return ""
	}
	return hex.EncodeToString(sum[:])
}
