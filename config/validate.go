package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/silencewatch/silencewatch/calendar"
)

// Error is one problem in a config file.
type Error struct {
	File   string
	Line   int
	Column int    // 1-based, in characters; 0 when not known
	Path   string // e.g. rules[3].windows[0]; "" when not known
	Msg    string
}

func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, in line order.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// p builds a path such as rules[3].match.
type p []any

func (path p) String() string {
	var b strings.Builder
	for _, part := range path {
		switch x := part.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", x)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(x)
		}
	}
	return b.String()
}

func (path p) with(parts ...any) p {
	// A constant capacity lets a path that does not escape its caller
	// (the validator only reads one, to report an error) stay on the
	// stack: validation builds paths for every key of every source.
	out := make(p, 0, 8)
	return append(append(out, path...), parts...)
}

type validator struct {
	file      string
	dir       string
	root      *yaml.Node
	split     *sourcesSplit // the sources, when decodeSplit read them
	batch     int           // sources a batch for decodeSplit; 0 for sourcesBatch
	whole     bool          // parse the document whole, never split (for tests)
	lookupEnv LookupEnv
	errs      Errors
	unset     []UnsetSecret // referenced credentials without a value
}

func (v *validator) errorf(path p, format string, args ...any) {
	v.errs = append(v.errs, Error{File: v.file, Line: v.line(path), Path: path.String(), Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) required(path p, value string) bool {
	if strings.TrimSpace(value) == "" {
		v.errorf(path, "is required")
		return false
	}
	return true
}

func (v *validator) id(path p, value string, seen map[string]bool, what string) {
	if !v.required(path, value) {
		return
	}
	if !idPattern.MatchString(value) {
		v.errorf(path, "%s id %q: want lower-case letters, digits, '.', '_' or '-'", what, value)
	}
	if seen[value] {
		v.errorf(path, "duplicate %s id %q", what, value)
	}
	seen[value] = true
}

func (v *validator) duration(path p, value string, def time.Duration) time.Duration {
	if value == "" {
		return def
	}
	d, err := calendar.ParseDuration(value)
	if err != nil {
		v.errorf(path, "%s", err)
		return def
	}
	return d
}

func (v *validator) instant(path p, value string) time.Time {
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		v.errorf(path, "%q is not an RFC 3339 instant (expected e.g. 2017-05-06T00:00:00+02:00)", value)
	}
	return t
}

func (v *validator) build(raw *rawFile) *Config {
	cfg := &Config{Lists: map[string][]string{}}
	cfg.Store = v.store(raw.Store)
	v.crawler(cfg, &raw.Crawler)
	v.evaluation(cfg, &raw.Evaluation)
	v.evidence(cfg, &raw.Evidence)
	zoneIDs := v.elections(cfg, raw.Elections)
	v.guidance(cfg, raw.Guidance)
	v.leaks(cfg, raw.Leaks)
	v.tiers(cfg, raw)
	v.sources(cfg, raw.Sources, zoneIDs)
	v.relay(cfg, &raw.Relay)
	v.cluster(cfg, &raw.Cluster)
	v.itemCaps(cfg, raw)
	v.lists(cfg, raw.Lists)
	v.rules(cfg, raw.Rules)
	v.slack(cfg, &raw.Slack, zoneIDs)
	cfg.unsetSecrets = v.unsetSecrets(cfg.Slack)
	return cfg
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
