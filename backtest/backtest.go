// Package backtest replays stored article versions through a rule set and
// says, per rule, what it would have flagged that the record does not
// hold, and what the record holds that it would no longer flag: the
// answer to "what would this rule have caught last night?" and what a
// reload does with a new or changed rule. It reads and judges; saving the
// late findings is the caller's choice.
package backtest

import (
	"context"
	"slices"

	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// Hit is a finding the rule raises on a stored version.
type Hit struct {
	VersionID int64
	ArticleID int64
	Finding   finding.Finding
}

// Result is a backtest of one rule.
type Result struct {
	Rule     string
	Versions int // versions replayed
	// Flagged: raised now, not in the record for that version.
	Flagged []Hit
	// Unflagged: in the record for a replayed version, no longer raised.
	Unflagged []store.StoredFinding
	// Kept: raised now and already in the record.
	Kept int
}

// Run replays versions through evaluate for each of rules, against the
// stored findings of each rule (stored[rule]). Only versions replayed are
// compared: a stored finding on a version outside them is neither kept
// nor unflagged.
func Run(ctx context.Context, evaluate func(v *store.Version) []finding.Finding, versions []store.Version, rules []string, stored map[string][]store.StoredFinding) ([]Result, error) {
	type key struct {
		version int64
		id      string
	}
	results := make([]Result, len(rules))
	had := make([]map[key]bool, len(rules))
	replayed := map[int64]bool{}
	for i, r := range rules {
		results[i] = Result{Rule: r, Versions: len(versions)}
		had[i] = map[key]bool{}
		for _, sf := range stored[r] {
			had[i][key{sf.VersionID, sf.Finding.ID}] = true
		}
	}
	raised := make([]map[key]bool, len(rules))
	for i := range raised {
		raised[i] = map[key]bool{}
	}
	for vi := range versions {
		if vi%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		v := &versions[vi]
		replayed[v.VersionID] = true
		for _, f := range evaluate(v) {
			i := slices.Index(rules, f.Rule)
			if i < 0 {
				continue
			}
			k := key{v.VersionID, f.ID}
			raised[i][k] = true
			if had[i][k] {
				results[i].Kept++
				continue
			}
			results[i].Flagged = append(results[i].Flagged, Hit{VersionID: v.VersionID, ArticleID: v.ArticleID, Finding: f})
		}
	}
	for i, r := range rules {
		for _, sf := range stored[r] {
			if replayed[sf.VersionID] && !raised[i][key{sf.VersionID, sf.Finding.ID}] {
				results[i].Unflagged = append(results[i].Unflagged, sf)
			}
		}
	}
	return results, nil
}
