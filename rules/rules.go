// Package rules owns the rule engine: it compiles the declarative rules of
// a config into one literal automaton plus per-rule match trees, decides
// which windows of the election calendar an article falls in, and turns an
// article into findings that say which rule, which window and zones, which
// time was used, and the evidence, with offsets into the original text.
package rules

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/rules/leak"
	"github.com/silencewatch/silencewatch/textmatch"
)

// Engine evaluates articles against compiled rules. It is safe for
// concurrent use.
type Engine struct {
	cal       *calendar.Calendar
	set       *textmatch.Set
	rules     []*compiledRule
	byPattern [][]int // pattern id → indexes of rules that use it positively
	always    []int   // rules that must be evaluated whatever the literal hits
	sources   map[string]config.Source
	tolerance time.Duration
	scratch   sync.Pool
	leaks     map[string]LeakIndex
	// configLeaks are the config's leaks, for the indexes leak_report
	// builds when no corpus index is given.
	configLeaks map[string]config.Leak
	// zoneLocations are the calendar's zones' time zones, by zone id;
	// commonLocation the one they all share, if they do (see Location).
	zoneLocations  map[string]*time.Location
	commonLocation *time.Location
}

// LeakIndex is what the engine asks of a leak's index.
type LeakIndex interface {
	Quotes(text string, minWords int) []leak.Passage
	Classify(a *article.Article) leak.Report
}

// Option configures New.
type Option func(*Engine)

// WithLeakIndexes gives the engine the indexes leak_quote and leak_report
// conditions use, by leak id.
func WithLeakIndexes(ix map[string]LeakIndex) Option {
	return func(e *Engine) { e.leaks = ix }
}

type windowRef struct {
	ref     string
	windows []calendar.Window
}

type compiledRule struct {
	cfg     config.Rule
	refs    []windowRef
	root    *node
	langs   map[string]bool
	tags    map[string]bool
	sources map[string]bool
}

type nodeKind int

const (
	nodeGroup nodeKind = iota
	nodeLiteral
	nodeRegex
	nodeNear
	nodeLeakQuote
	nodeLeakReport
)

// manyPatterns is the size above which a literal node is decided from the
// patterns the text hit rather than by checking each of its own.
const manyPatterns = 16

type node struct {
	kind           nodeKind
	any, all, none []*node
	patterns       []int       // literal: any of these; near: one per term
	patternSet     map[int]int // literal with many patterns: id → index in patterns
	written        []string    // the patterns as written, parallel to patterns
	label          string      // term, phrase, list, regex, near
	regex          *regexp.Regexp
	within         int
	hasLiteral     bool // a positive literal exists below: its absence can rule the node out
	leak           string
	leakLabel      string
	minScore       float64
}

// New compiles every rule of cfg. A rule that cannot be compiled is an
// error: a compliance monitor never drops a rule silently.
func New(cfg *config.Config, opts ...Option) (*Engine, error) {
	cal, err := calendar.New(cfg.Elections, cfg.Guidance)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	e := &Engine{cal: cal, sources: map[string]config.Source{}, tolerance: cfg.Evaluation.BackdateTolerance}
	for _, o := range opts {
		o(e)
	}
	e.leaks = maps.Clone(e.leaks)
	if e.leaks == nil {
		e.leaks = map[string]LeakIndex{}
	}
	e.configLeaks = map[string]config.Leak{}
	for _, l := range cfg.Leaks {
		e.configLeaks[l.ID] = l
	}
	for _, s := range cfg.Sources {
		e.sources[s.Name] = s
	}
	e.locations()
	var b textmatch.Builder
	var errs []string
	for _, r := range cfg.Rules {
		cr := &compiledRule{cfg: r, langs: set(r.Scope.Languages), tags: set(r.Scope.Tags), sources: set(r.Scope.Sources)}
		for _, ref := range r.Windows {
			cr.refs = append(cr.refs, windowRef{ref: ref, windows: cal.Matching(ref)})
		}
		root, err := e.compileNode(&b, r.Match, cfg.Lists)
		if err != nil {
			errs = append(errs, fmt.Sprintf("rules: rule %q (line %d): %v", r.ID, r.Line, err))
			continue
		}
		cr.root = root
		e.rules = append(e.rules, cr)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	e.set = b.Build()
	e.byPattern = make([][]int, e.set.Len())
	for i, cr := range e.rules {
		trig := triggers(cr.root, e.set)
		if trig == nil {
			e.always = append(e.always, i)
			continue
		}
		for _, id := range trig {
			e.byPattern[id] = append(e.byPattern[id], i)
		}
	}
	return e, nil
}

// triggers returns patterns of which at least one must occur for n to be
// true, or nil when no such set exists (a regex-only branch). A rule is
// only evaluated when one of its triggers is hit, so a common word that
// many rules use as a secondary condition does not make them all run.
func triggers(n *node, set *textmatch.Set) []int {
	switch n.kind {
	case nodeLiteral:
		return n.patterns
	case nodeNear:
		// Every term is required: the longest is the rarest bet.
		best := n.patterns[0]
		for _, id := range n.patterns[1:] {
			if len(set.Pattern(id)) > len(set.Pattern(best)) {
				best = id
			}
		}
		return []int{best}
	case nodeRegex, nodeLeakQuote, nodeLeakReport:
		return nil
	}
	var best []int
	for _, c := range n.all {
		if t := triggers(c, set); t != nil && (best == nil || selectivity(t, set) > selectivity(best, set)) {
			best = t
		}
	}
	if best != nil {
		return best
	}
	if len(n.any) == 0 {
		return nil
	}
	var union []int
	for _, c := range n.any {
		t := triggers(c, set)
		if t == nil {
			return nil
		}
		union = append(union, t...)
	}
	return union
}

// selectivity ranks trigger sets: longer patterns are rarer in text, and
// fewer of them are less likely to be hit.
func selectivity(ids []int, set *textmatch.Set) float64 {
	shortest := 1 << 30
	for _, id := range ids {
		shortest = min(shortest, len(set.Pattern(id)))
	}
	return float64(shortest) - 0.01*float64(len(ids))
}

// Calendar returns the calendar the engine evaluates against.
func (e *Engine) Calendar() *calendar.Calendar { return e.cal }

// Location is the time zone an outlet's wall-clock times are in, for a
// date it writes without a zone: the zone of its first configured zone
// the calendar places; for an outlet of every zone (or an unknown one),
// the calendar's zone when all its zones share one. Nil when it cannot be
// told.
func (e *Engine) Location(source string) *time.Location {
	for _, z := range e.sources[source].Zones {
		if loc := e.zoneLocations[z]; loc != nil {
			return loc
		}
	}
	return e.commonLocation
}

// locations fills zoneLocations and commonLocation from the calendar.
func (e *Engine) locations() {
	e.zoneLocations = map[string]*time.Location{}
	var first *time.Location
	common := true
	for _, el := range e.cal.Elections {
		for _, r := range el.Rounds {
			for _, z := range r.Zones {
				if z.Location == nil {
					continue
				}
				if _, ok := e.zoneLocations[z.ID]; !ok {
					e.zoneLocations[z.ID] = z.Location
				}
				if first == nil {
					first = z.Location
				}
				common = common && z.Location.String() == first.String()
			}
		}
	}
	if common {
		e.commonLocation = first
	}
}

// Patterns is the number of distinct literal patterns compiled.
func (e *Engine) Patterns() int { return e.set.Len() }

func set(list []string) map[string]bool {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[strings.ToLower(s)] = true
	}
	return m
}

func (e *Engine) compileNode(b *textmatch.Builder, m *config.Match, lists map[string][]string) (*node, error) {
	if m == nil {
		return nil, fmt.Errorf("empty match")
	}
	kind := m.Kind()
	if kind == config.MatchGroup {
		n := &node{kind: nodeGroup}
		for _, part := range []struct {
			src []*config.Match
			dst *[]*node
		}{{m.All, &n.all}, {m.Any, &n.any}, {m.None, &n.none}} {
			for _, c := range part.src {
				cn, err := e.compileNode(b, c, lists)
				if err != nil {
					return nil, err
				}
				*part.dst = append(*part.dst, cn)
			}
		}
		// A group is ruled out by literals when one of its all-children
		// needs a literal, or when every any-child does.
		for _, c := range n.all {
			n.hasLiteral = n.hasLiteral || c.hasLiteral
		}
		if len(n.any) > 0 {
			every := true
			for _, c := range n.any {
				every = every && c.hasLiteral
			}
			n.hasLiteral = n.hasLiteral || every
		}
		return n, nil
	}
	add := func(n *node, words ...string) error {
		for _, w := range words {
			id, err := b.Add(w, m.Cased)
			if err != nil {
				return err
			}
			n.patterns = append(n.patterns, id)
			n.written = append(n.written, w)
		}
		if len(n.patterns) > manyPatterns {
			n.patternSet = make(map[int]int, len(n.patterns))
			for i, id := range n.patterns {
				n.patternSet[id] = i
			}
		}
		return nil
	}
	switch kind {
	case config.MatchTerm:
		n := &node{kind: nodeLiteral, label: "term", hasLiteral: true}
		return n, add(n, m.Term)
	case config.MatchPhrase:
		n := &node{kind: nodeLiteral, label: "phrase", hasLiteral: true}
		return n, add(n, m.Phrase)
	case config.MatchTerms:
		n := &node{kind: nodeLiteral, label: "term", hasLiteral: true}
		return n, add(n, m.Terms...)
	case config.MatchList:
		terms, ok := lists[m.List]
		if !ok {
			return nil, fmt.Errorf("unknown list %q", m.List)
		}
		n := &node{kind: nodeLiteral, label: "list:" + m.List, hasLiteral: true}
		return n, add(n, terms...)
	case config.MatchNear:
		n := &node{kind: nodeNear, label: "near", within: m.Near.Within, hasLiteral: true}
		return n, add(n, m.Near.Terms...)
	case config.MatchRegex:
		return &node{kind: nodeRegex, label: "regex", regex: m.Regex}, nil
	case config.MatchLeakQuote:
		if e.leaks[m.LeakQuote.Leak] == nil {
			return nil, fmt.Errorf("leak_quote needs the index of leak %q: give the leak a corpus and run 'silencewatch leaks index'", m.LeakQuote.Leak)
		}
		return &node{kind: nodeLeakQuote, label: "leak_quote", leak: m.LeakQuote.Leak, within: m.LeakQuote.MinWords}, nil
	case config.MatchLeakReport:
		if e.leaks[m.LeakReport.Leak] == nil {
			// No corpus index: the classifier runs on what the config
			// says of the leak, its identifiers and names.
			l, ok := e.configLeaks[m.LeakReport.Leak]
			if !ok {
				return nil, fmt.Errorf("leak_report: unknown leak %q", m.LeakReport.Leak)
			}
			e.leaks[l.ID] = leak.Build(nil, leak.Options{Identifiers: l.Identifiers, Names: l.Names, DisclosedAt: l.DisclosedAt})
		}
		return &node{kind: nodeLeakReport, label: "leak_report", leak: m.LeakReport.Leak, leakLabel: m.LeakReport.Label, minScore: m.LeakReport.MinScore}, nil
	}
	return nil, fmt.Errorf("match node at line %d has nothing to match", m.Line)
}

// Evaluate returns the findings of every rule that fires on a, most severe
// first. It never reads the clock: the article carries its times.
func (e *Engine) Evaluate(a *article.Article) []finding.Finding {
	basis := e.timeBasis(a)
	src, known := e.sources[a.Source]
	// Outside every rule's windows there is nothing to scan for.
	if !e.anyActive(basis.t, src.Zones) {
		return nil
	}
	s := e.getScratch()
	defer e.scratch.Put(s)
	s.prepare(a, e.set)
	s.engine = e
	findings := s.findings[:0]
	for _, i := range s.candidates(e) {
		cr := e.rules[i]
		if !cr.inScope(a, src, known) || (!cr.cfg.Since.IsZero() && basis.t.Before(cr.cfg.Since)) {
			continue
		}
		hit, ok := cr.windowsAt(basis.t, src.Zones)
		if !ok {
			continue
		}
		s.arena = s.arena[:0]
		ev, ok := s.eval(cr.root)
		if !ok {
			continue
		}
		f := e.finding(cr, a, basis, hit, s.evidence(ev))
		f.Leak = s.assessment(ev)
		findings = append(findings, f)
	}
	s.finishContexts()
	// Built in the scratch's buffer, returned in a slice of their own.
	s.findings = findings
	findings = nil
	if len(s.findings) > 0 {
		findings = slices.Clone(s.findings)
	}
	clear(s.findings)
	slices.SortStableFunc(findings, func(a, b finding.Finding) int {
		if a.Severity != b.Severity {
			return cmp.Compare(b.Severity, a.Severity)
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return findings
}

// anyActive reports whether some rule applies at t for an outlet bound by
// zones, without building anything.
func (e *Engine) anyActive(t time.Time, zones []string) bool {
	for _, cr := range e.rules {
		if cr.cfg.Always {
			return true
		}
		for _, wr := range cr.refs {
			for i := range wr.windows {
				w := &wr.windows[i]
				if w.Contains(t) && (w.Kind == calendar.KindGuidance || len(zones) == 0 || slices.Contains(zones, w.Zone)) {
					return true
				}
			}
		}
	}
	return false
}

type windowHit struct {
	always  bool
	primary string
	windows []calendar.Window
	others  []string
}

func (cr *compiledRule) inScope(a *article.Article, src config.Source, known bool) bool {
	if cr.sources != nil && !cr.sources[strings.ToLower(a.Source)] {
		return false
	}
	if cr.tags != nil {
		ok := false
		for _, t := range src.Tags {
			ok = ok || cr.tags[strings.ToLower(t)]
		}
		if !ok || !known {
			return false
		}
	}
	if cr.langs != nil {
		lang := a.Language
		if lang == "" {
			lang = src.Language
		}
		// An article of unknown language stays in scope: missing a
		// violation costs more than reviewing a false alarm.
		if lang != "" && !cr.langs[strings.ToLower(lang)] {
			return false
		}
	}
	return true
}

// windowsAt finds the windows of the rule containing t, keeping only the
// zones the outlet is bound by (all zones when it names none).
func (cr *compiledRule) windowsAt(t time.Time, zones []string) (windowHit, bool) {
	if cr.cfg.Always {
		return windowHit{always: true}, true
	}
	var hit windowHit
	for _, wr := range cr.refs {
		var in []calendar.Window
		for _, w := range wr.windows {
			if w.Contains(t) && (w.Kind == calendar.KindGuidance || len(zones) == 0 || slices.Contains(zones, w.Zone)) {
				in = append(in, w)
			}
		}
		if len(in) == 0 {
			continue
		}
		if hit.primary == "" {
			hit.primary, hit.windows = wr.ref, in
		} else {
			hit.others = append(hit.others, wr.ref)
		}
	}
	return hit, hit.primary != ""
}

type timeBasis struct {
	t       time.Time
	name    string
	notes   []string
	suspect bool
}

// timeBasis picks the instant windows are checked against: the outlet's
// claimed publication time when it has one, else our first sighting. A
// claimed time well before the first sighting is kept but flagged, since
// backdating is how a publication would dodge the silence.
func (e *Engine) timeBasis(a *article.Article) timeBasis {
	b := e.claimedOrSeen(a)
	if b.name == "published" && article.DateOnly(a.PublishedAt) {
		b.notes = append(b.notes, "the outlet claims a date without a time of day, read as midnight UTC: it may have been published at any hour of that day")
	}
	return b
}

// claimedOrSeen is timeBasis without the note on a date-only claim.
func (e *Engine) claimedOrSeen(a *article.Article) timeBasis {
	switch {
	case a.PublishedAt.IsZero():
		return timeBasis{t: a.FirstSeenAt, name: "first_seen", notes: []string{"the outlet claims no publication time; first-seen time used"}}
	case a.FirstSeenAt.IsZero():
		return timeBasis{t: a.PublishedAt, name: "published"}
	}
	gap := a.FirstSeenAt.Sub(a.PublishedAt)
	switch {
	case article.DateOnly(a.PublishedAt) && gap >= 0 && gap < 24*time.Hour:
		// Seen on the day it claims: the gap is the missing hour, not
		// backdating.
		return timeBasis{t: a.PublishedAt, name: "published"}
	case gap > e.tolerance:
		return timeBasis{t: a.PublishedAt, name: "published", suspect: true, notes: []string{
			fmt.Sprintf("claimed publication time is %s before first seen, more than the %s allowed: possible backdating", roundDuration(gap), roundDuration(e.tolerance))}}
	case -gap > e.tolerance:
		return timeBasis{t: a.FirstSeenAt, name: "first_seen", notes: []string{
			fmt.Sprintf("claimed publication time is %s after first seen: first-seen time used", roundDuration(-gap))}}
	}
	return timeBasis{t: a.PublishedAt, name: "published"}
}

// roundDuration prints d to the minute (in days from 48 h), or to the
// second under an hour, so a gap just over a tolerance never reads as
// equal to it.
func roundDuration(d time.Duration) string {
	if d < time.Hour {
		return d.Round(time.Second).String()
	}
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return d.Truncate(time.Minute).String()
}

func (e *Engine) finding(cr *compiledRule, a *article.Article, basis timeBasis, hit windowHit, evidence []finding.Evidence) finding.Finding {
	f := finding.Finding{
		Rule: cr.cfg.ID, Title: cr.cfg.Title, Severity: cr.cfg.Severity, Reference: cr.cfg.Reference,
		TimeBasis: basis.name, BasisTime: basis.t, TimeNotes: basis.notes, BackdatingSuspected: basis.suspect,
		Article: finding.ArticleRef{URL: a.URL, Title: a.Title, Source: a.Source, GUID: a.GUID,
			PublishedAt: a.PublishedAt, FirstSeenAt: a.FirstSeenAt},
		Evidence:     evidence,
		Zones:        []string{},
		OtherWindows: hit.others,
	}
	switch {
	case hit.always:
		f.Window = "always"
	case len(hit.windows) > 0 && hit.windows[0].Kind == calendar.KindGuidance:
		w := hit.windows[0]
		f.Election, f.Window = w.Name, w.Ref()
		f.ZoneWindows = []finding.ZoneWindow{zoneWindow(&w, basis.t)}
	default:
		f.Election, f.Round, f.Window = hit.windows[0].Election, hit.windows[0].Round, hit.windows[0].Name
		for i := range hit.windows {
			w := &hit.windows[i]
			f.Zones = append(f.Zones, w.Zone)
			f.ZoneWindows = append(f.ZoneWindows, zoneWindow(w, basis.t))
		}
	}
	var buf [256]byte // the key's input, on the stack when it is short
	in := append(append(append(append(append(buf[:0], cr.cfg.ID...), 0), a.Source...), 0), firstNonEmpty(a.GUID, a.URL, a.Title)...)
	key := sha256.Sum256(in)
	f.ID = hex.EncodeToString(key[:8])
	return f
}

func zoneWindow(w *calendar.Window, t time.Time) finding.ZoneWindow {
	return finding.ZoneWindow{Zone: w.Zone, ZoneName: w.ZoneName, TimeZone: w.Location.String(),
		Start: w.Start.In(w.Location), End: endIn(w.End, w.Location), Elapsed: calendar.Elapsed(w, t)}
}

func endIn(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(loc)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
