// Package config owns silencewatch's configuration file: its strict
// loading, the checks across fields, and the typed values every other
// package reads. Loading reports every error it finds at once, each with
// the file and line it comes from; a config that loads is complete and
// consistent (every reference resolves, every regex and cron spec
// compiles).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/textmatch"
	"github.com/silencewatch/silencewatch/weburl"
)

// Config is a loaded, validated configuration.
type Config struct {
	Path       string // the file it was read from
	Store      string // SQLite file path, relative paths taken from the config's directory
	Crawler    Crawler
	Evaluation Evaluation
	Evidence   Evidence
	Slack      Slack
	Sources    []Source
	Elections  []*calendar.Election
	Guidance   []*calendar.Guidance
	Leaks      []Leak
	Lists      map[string][]string
	Rules      []Rule

	unsetSecrets []UnsetSecret // see UnsetSecrets
}

// Crawler holds fetch settings shared by every source.
type Crawler struct {
	ContactURL         string
	Workers            int
	Timeout            time.Duration
	MaxBodyBytes       int64
	PerHostConcurrency int
	PerHostDelay       time.Duration
	FailureReportAfter int // consecutive failures before a source is reported unhealthy
	// AllowPrivate lists the non-public ranges fetches may reach (by
	// default none: loopback, private, link-local, CGNAT, multicast and
	// unspecified addresses are refused after DNS resolution).
	AllowPrivate []netip.Prefix
	// MaxFullTextPerPoll bounds the item pages one poll of a feed fetches
	// for full text; items past it are judged on the feed's text.
	MaxFullTextPerPoll int
	// MaxItemsPerPoll is how many new or changed items of one feed a poll
	// stores and evaluates; the rest wait for the next poll.
	MaxItemsPerPoll int
}

// Evidence holds what is kept of fetched responses.
type Evidence struct {
	// Retention is how long the raw body of a response no flagged article
	// depends on is kept; flagged articles' are kept forever.
	Retention time.Duration
}

// Evaluation holds rule evaluation settings.
type Evaluation struct {
	// BackdateTolerance is how far an outlet's claimed publication time may
	// precede our first sighting before the finding says so.
	BackdateTolerance time.Duration
}

// Slack holds the credentials, endpoint and routing of alerts. Neither
// credential set means alerts go to the console.
type Slack struct {
	Token      Secret
	WebhookURL Secret
	AppToken   Secret // Socket Mode, for the verdict buttons
	APIURL     string
	Channel    string // the default route
	Routes     []Route
	Pace       time.Duration // minimum gap between two messages to one channel
	// A channel with more than DigestThreshold alerts waiting switches to
	// digest mode: a summary every DigestInterval, the findings listed in
	// its thread DigestBatch per message.
	DigestThreshold int
	DigestInterval  time.Duration
	DigestBatch     int
	// VerdictAllow, when not empty, is who may record verdicts: Slack user
	// ids (U…, W…) and user-group ids (S…, their members).
	VerdictAllow []string
}

// Route sends the findings it matches to Channel. Every criterion set must
// match; the first matching route wins unless it says Continue.
type Route struct {
	Channel     string
	MinSeverity Severity
	Rules       []string
	Tags        []string
	Sources     []string
	Zones       []string
	Continue    bool
}

// Interactive reports whether Socket Mode buttons are configured.
func (s Slack) Interactive() bool { return s.Token.IsSet() && s.AppToken.IsSet() }

// Enabled reports whether Slack credentials are configured.
func (s Slack) Enabled() bool { return s.Token.IsSet() || s.WebhookURL.IsSet() }

// Source is one outlet's feed or site.
type Source struct {
	Name         string
	URL          string
	Kind         string // "feed" or "site"
	Language     string
	Tags         []string
	Zones        []string // zones whose windows bind this outlet; empty means every zone
	Every        time.Duration
	Cron         string
	Schedule     cron.Schedule // parsed Cron, nil when Every is used
	SilenceEvery time.Duration
	Preroll      time.Duration
	MinEvery     time.Duration
	MaxEvery     time.Duration

	// For kind site: pages to start from (url when none), regexes of
	// article URLs to follow, sitemaps (incl. Google News), depth and
	// pages per pass.
	StartURLs []string
	Follow    []*regexp.Regexp
	Sitemaps  []string
	MaxDepth  int
	MaxPages  int
	// FetchFullText fetches each new feed item's page for its full text.
	FetchFullText bool
	// Inside the windows, flagged articles and those first seen within
	// RevisitRecent are fetched again every RevisitEvery (0: never).
	RevisitEvery  time.Duration
	RevisitRecent time.Duration
	// LinkHosts are further hosts (besides the registrable domain of URL and
	// of start_urls) whose item links may be fetched for full text and
	// revisits: an outlet's feed cannot make us fetch anyone else's pages.
	LinkHosts []string
	// Username and Password authenticate requests to the source's URL
	// (HTTP basic). Password comes from ${VAR} or password_file only.
	Username string
	Password Secret
	// MaxItems is this feed's MaxItemsPerPoll: its own max_items, else
	// crawler.max_items_per_poll.
	MaxItems int
}

// Leak is a registered leak of data.
type Leak struct {
	ID          string
	Name        string
	DisclosedAt time.Time
	Identifiers []string
	// Names are the people and bodies the leak is about (mailbox owners,
	// the target, its campaign): leak_report counts them as references to
	// the leak, with or without a corpus.
	Names  []string
	Corpus string // directory, relative paths taken from the config's directory
}

// Severity orders findings.
type Severity int

// Severities, least to most severe.
const (
	SeverityInfo Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{"", "info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < SeverityInfo || s > SeverityCritical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads a severity name.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if i > 0 && n == s {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("config: severity %q: want one of info, low, medium, high, critical", s)
}

// Rule is one declarative rule.
type Rule struct {
	ID        string
	Title     string
	Severity  Severity
	Reference string
	Always    bool     // applies whatever the time
	Windows   []string // window references: ELECTION/ROUND/NAME, ELECTION/NAME, guidance:ID
	Since     time.Time
	SinceRef  string // what Since came from: leak:ID, guidance:ID or an instant
	Scope     Scope
	Match     *Match
	Line      int
}

// Scope limits the articles a rule looks at. Empty lists do not limit.
type Scope struct {
	Tags      []string
	Sources   []string
	Languages []string
}

// Match is one node of a rule's match tree: a group (any, all, none, which
// combine as "every all, at least one any, no none") or one leaf.
type Match struct {
	Any, All, None []*Match

	Term   string
	Terms  []string
	Phrase string
	Regex  *regexp.Regexp
	List   string
	Near   *Near
	Cased  bool

	LeakQuote  *LeakQuote
	LeakReport *LeakReport

	Line int
}

// LeakQuote matches an article that quotes at least MinWords words of a
// document of the leak's corpus, verbatim or lightly edited.
type LeakQuote struct {
	Leak     string
	MinWords int
}

// LeakReport matches an article the leak classifier labels Label
// ("content", "existence", "guidance" or "other") with at least MinScore.
type LeakReport struct {
	Leak     string
	Label    string
	MinScore float64
}

// LeakLabels are the labels an article can get about a leak.
var LeakLabels = []string{"content", "existence", "guidance", "other"}

// Near requires every term within Within words of each other.
type Near struct {
	Terms  []string
	Within int
}

// IsGroup reports whether the node combines other nodes.
func (m *Match) IsGroup() bool { return m.Any != nil || m.All != nil || m.None != nil }

// Load reads and validates a config file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// LookupEnv is the environment as the loader sees it, injectable for tests.
type LookupEnv func(string) (string, bool)

// Parse validates data as if read from path. lookupEnv resolves ${VAR}
// references in secrets.
func Parse(path string, data []byte, lookupEnv LookupEnv) (*Config, error) {
	v := &validator{file: path, lookupEnv: lookupEnv, dir: filepath.Dir(path)}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		v.yamlError(err)
		return nil, v.errs
	}
	v.root = &root
	var raw rawFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		v.yamlError(err)
	}
	cfg := v.build(&raw)
	if len(v.errs) > 0 {
		v.errs.sort()
		return nil, v.errs
	}
	cfg.Path = path
	return cfg, nil
}

// Error is one problem in a config file.
type Error struct {
	File string
	Line int
	Path string // e.g. rules[3].windows[0]; "" when not known
	Msg  string
}

func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
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
	out := make(p, 0, len(path)+len(parts))
	return append(append(out, path...), parts...)
}

type validator struct {
	file      string
	dir       string
	root      *yaml.Node
	lookupEnv LookupEnv
	errs      Errors
	unset     []UnsetSecret // referenced credentials without a value
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var notFound = regexp.MustCompile(`^field (\S+) not found in type config\.(\w+)$`)

// yamlError turns the YAML library's messages into Errors with lines, and
// its Go type names into the keys a user may write.
func (v *validator) yamlError(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, msg := range msgs {
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			fmt.Sscan(m[1], &line)
			msg = m[2]
		}
		if m := notFound.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("unknown key %q (expected one of: %s)", m[1], strings.Join(knownKeys(m[2]), ", "))
		} else {
			msg = strings.ReplaceAll(msg, "cannot unmarshal", "cannot read")
			msg = goTypeNames.Replace(msg)
		}
		v.errs = append(v.errs, Error{File: v.file, Line: line, Msg: msg})
	}
}

var goTypeNames = strings.NewReplacer(
	"into []config.rawMatch", "into a list of match nodes",
	"into config.rawMatch", "into a match node (a mapping)",
	"into []string", "into a list of strings",
	"into map[string][]string", "into a mapping of lists",
	"into int64", "into an integer",
	"into int", "into an integer",
	"into bool", "into true or false",
	"into string", "into a string",
)

// node finds the YAML node at path, or the deepest existing ancestor.
func (v *validator) node(path p) *yaml.Node {
	if v.root == nil || len(v.root.Content) == 0 {
		return nil
	}
	n := v.root.Content[0]
	for _, part := range path {
		var next *yaml.Node
		switch x := part.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == x {
						next = n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && x < len(n.Content) {
				next = n.Content[x]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

func (v *validator) line(path p) int {
	if n := v.node(path); n != nil {
		return n.Line
	}
	return 0
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
	d, err := time.ParseDuration(value)
	if err != nil || d < 0 {
		v.errorf(path, "%q is not a duration (expected e.g. 90s, 5m, 1h30m)", value)
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
	cfg.Store = raw.Store
	if cfg.Store == "" {
		cfg.Store = "silencewatch.db"
	}
	if !filepath.IsAbs(cfg.Store) && cfg.Store != ":memory:" {
		cfg.Store = filepath.Join(v.dir, cfg.Store)
	}
	v.crawler(cfg, &raw.Crawler)
	cfg.Evaluation.BackdateTolerance = v.duration(p{"evaluation", "backdate_tolerance"}, raw.Evaluation.BackdateTolerance, 30*time.Minute)
	cfg.Evidence.Retention = v.duration(p{"evidence", "retention"}, raw.Evidence.Retention, 7*24*time.Hour)
	zoneIDs := v.elections(cfg, raw.Elections)
	v.guidance(cfg, raw.Guidance)
	v.leaks(cfg, raw.Leaks)
	v.sources(cfg, raw.Sources, zoneIDs)
	v.itemCaps(cfg, raw)
	v.lists(cfg, raw.Lists)
	v.rules(cfg, raw.Rules)
	v.slack(cfg, &raw.Slack, zoneIDs)
	cfg.unsetSecrets = v.unsetSecrets(cfg.Slack)
	return cfg
}

func (v *validator) crawler(cfg *Config, raw *rawCrawler) {
	c := &cfg.Crawler
	c.ContactURL = raw.ContactURL
	if c.ContactURL != "" {
		if u, err := url.Parse(c.ContactURL); err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "mailto") {
			v.errorf(p{"crawler", "contact_url"}, "%q is not an http(s) or mailto URL", c.ContactURL)
		}
	}
	positive := func(key string, n, def int) int {
		if n < 0 {
			v.errorf(p{"crawler", key}, "must be positive, got %d", n)
		}
		if n <= 0 {
			return def
		}
		return n
	}
	c.Workers = positive("workers", raw.Workers, 16)
	c.PerHostConcurrency = positive("per_host_concurrency", raw.PerHostConcurrency, 2)
	c.FailureReportAfter = positive("failure_report_after", raw.FailureReport, 3)
	c.MaxFullTextPerPoll = positive("max_full_text_per_poll", raw.MaxFullTextPerPoll, 50)
	c.Timeout = v.duration(p{"crawler", "timeout"}, raw.Timeout, 20*time.Second)
	c.PerHostDelay = v.duration(p{"crawler", "per_host_delay"}, raw.PerHostDelay, 0)
	c.MaxBodyBytes = raw.MaxBodyBytes
	if c.MaxBodyBytes < 0 {
		v.errorf(p{"crawler", "max_body_bytes"}, "must be positive, got %d", c.MaxBodyBytes)
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 10 << 20
	}
	for i, cidr := range raw.AllowPrivate {
		pfx, err := ParseAddressRange(cidr)
		if err != nil {
			v.errorf(p{"crawler", "allow_private", i}, "%v", err)
			continue
		}
		c.AllowPrivate = append(c.AllowPrivate, pfx)
	}
}

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// secret reads a credential from a ${VAR} reference or a *_file path.
// A literal credential in the file is refused: config files get committed.
func (v *validator) secret(section p, key, value, fileKey, filePath string) Secret {
	switch {
	case value != "" && filePath != "":
		v.errorf(section.with(key), "set %s or %s, not both", key, fileKey)
	case value != "":
		m := envRef.FindStringSubmatch(value)
		if m == nil {
			v.errorf(section.with(key), "must be a ${ENV_VAR} reference (or use %s); credentials are not written in the config", fileKey)
			return Secret{}
		}
		val, found := v.lookupEnv(m[1])
		val = strings.TrimSpace(val)
		if val == "" {
			v.noteUnset(key, "${"+m[1]+"}", found)
		}
		return NewSecret(val, "${"+m[1]+"}")
	case filePath != "":
		path := filePath
		if !filepath.IsAbs(path) {
			path = filepath.Join(v.dir, path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			v.errorf(section.with(fileKey), "cannot read %s: %v", filePath, errors.Unwrap(err))
			return Secret{}
		}
		val := strings.TrimSpace(string(data))
		if val == "" {
			v.noteUnset(key, fileKey+" "+filePath, true)
		}
		return NewSecret(val, fileKey+" "+filePath)
	}
	return Secret{}
}

func (v *validator) slack(cfg *Config, raw *rawSlack, zoneIDs map[string]bool) {
	cfg.Slack.Token = v.secret(p{"slack"}, "token", raw.Token, "token_file", raw.TokenFile)
	cfg.Slack.WebhookURL = v.secret(p{"slack"}, "webhook_url", raw.WebhookURL, "webhook_url_file", raw.WebhookURLFile)
	cfg.Slack.AppToken = v.secret(p{"slack"}, "app_token", raw.AppToken, "app_token_file", raw.AppTokenFile)
	if cfg.Slack.Token.IsSet() && cfg.Slack.WebhookURL.IsSet() {
		v.errorf(p{"slack", "webhook_url"}, "set a bot token or a webhook URL, not both")
	}
	cfg.Slack.Pace = v.duration(p{"slack", "pace"}, raw.Pace, time.Second)
	d := raw.Digest
	cfg.Slack.DigestThreshold, cfg.Slack.DigestBatch = d.Threshold, d.Batch
	if d.Threshold < 0 || d.Batch < 0 {
		v.errorf(p{"slack", "digest"}, "threshold and batch must be positive")
	}
	if cfg.Slack.DigestThreshold <= 0 {
		cfg.Slack.DigestThreshold = 20
	}
	if cfg.Slack.DigestBatch <= 0 {
		cfg.Slack.DigestBatch = 40
	}
	cfg.Slack.DigestInterval = v.duration(p{"slack", "digest", "interval"}, d.Interval, time.Minute)
	rules := map[string]bool{}
	for _, r := range cfg.Rules {
		rules[r.ID] = true
	}
	for i, rr := range raw.Routes {
		path := p{"slack", "routes", i}
		r := Route{Channel: rr.Channel, Rules: rr.Rules, Tags: rr.Tags, Sources: rr.Sources, Zones: rr.Zones, Continue: rr.Continue}
		v.required(path.with("channel"), rr.Channel)
		if rr.MinSeverity != "" {
			sev, err := ParseSeverity(rr.MinSeverity)
			if err != nil {
				v.errorf(path.with("min_severity"), "unknown severity %q (expected info, low, medium, high or critical)", rr.MinSeverity)
			}
			r.MinSeverity = sev
		}
		for j, id := range rr.Rules {
			if !rules[id] {
				v.errorf(path.with("rules", j), "unknown rule %q", id)
			}
		}
		for j, z := range rr.Zones {
			if !zoneIDs[z] {
				v.errorf(path.with("zones", j), "unknown zone %q", z)
			}
		}
		for j, src := range rr.Sources {
			if !hasSource(cfg.Sources, src) {
				v.errorf(path.with("sources", j), "unknown source %q", src)
			}
		}
		cfg.Slack.Routes = append(cfg.Slack.Routes, r)
	}
	cfg.Slack.APIURL = raw.APIURL
	if raw.APIURL != "" {
		if u, err := url.Parse(raw.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.errorf(p{"slack", "api_url"}, "%q is not an http(s) URL", raw.APIURL)
		}
	}
	cfg.Slack.Channel = raw.Channel
	if (raw.Token != "" || raw.TokenFile != "") && raw.Channel == "" {
		v.errorf(p{"slack", "channel"}, "is required with a bot token")
	}
	for i, id := range raw.VerdictAllow {
		if !slackPrincipal.MatchString(id) {
			v.errorf(p{"slack", "verdict_allow", i}, "%q is not a Slack user id (U…, W…) or user-group id (S…); names are not accepted, they can change", id)
			continue
		}
		cfg.Slack.VerdictAllow = append(cfg.Slack.VerdictAllow, id)
	}
	if len(raw.VerdictAllow) > 0 && raw.AppToken == "" && raw.AppTokenFile == "" {
		v.errorf(p{"slack", "verdict_allow"}, "needs slack.app_token: verdicts are recorded through Socket Mode")
	}
}

// slackPrincipal is a Slack user id (U…, W… for Enterprise Grid) or
// user-group id (S…).
var slackPrincipal = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)

func (v *validator) elections(cfg *Config, raws []rawElection) map[string]bool {
	zoneIDs := map[string]bool{}
	seen := map[string]bool{}
	for i, re := range raws {
		path := p{"elections", i}
		v.id(path.with("id"), re.ID, seen, "election")
		e := &calendar.Election{ID: re.ID, Name: re.Name, Country: re.Country}
		if len(re.Rounds) == 0 {
			v.errorf(path.with("rounds"), "an election needs at least one round")
		}
		seenRound := map[string]bool{}
		for j, rr := range re.Rounds {
			rpath := path.with("rounds", j)
			v.id(rpath.with("id"), rr.ID, seenRound, "round")
			r := &calendar.Round{ID: rr.ID, Name: rr.Name}
			if len(rr.Zones) == 0 {
				v.errorf(rpath.with("zones"), "a round needs at least one polling zone")
			}
			seenZone := map[string]bool{}
			valid := true
			for k, rz := range rr.Zones {
				zpath := rpath.with("zones", k)
				v.id(zpath.with("id"), rz.ID, seenZone, "zone")
				zoneIDs[rz.ID] = true
				z := &calendar.Zone{ID: rz.ID, Name: rz.Name}
				if z.Name == "" {
					z.Name = rz.ID
				}
				if v.required(zpath.with("tz"), rz.TZ) {
					loc, err := time.LoadLocation(rz.TZ)
					if err != nil || rz.TZ == "Local" {
						v.errorf(zpath.with("tz"), "unknown time zone %q (expected an IANA name such as Europe/Paris)", rz.TZ)
						valid = false
					}
					z.Location = loc
				} else {
					valid = false
				}
				var err error
				if z.Date, err = calendar.ParseDate(rz.Date); err != nil {
					v.errorf(zpath.with("date"), "%q is not a date (expected YYYY-MM-DD)", rz.Date)
					valid = false
				}
				if z.Opens, err = calendar.ParseClock(rz.Opens); err != nil {
					v.errorf(zpath.with("opens"), "%q is not a time of day (expected HH:MM)", rz.Opens)
					valid = false
				}
				if z.Closes, err = calendar.ParseClock(rz.Closes); err != nil {
					v.errorf(zpath.with("closes"), "%q is not a time of day (expected HH:MM)", rz.Closes)
					valid = false
				} else if z.Closes <= z.Opens {
					v.errorf(zpath.with("closes"), "polls close at %s, not after they open at %s", z.Closes, z.Opens)
					valid = false
				}
				r.Zones = append(r.Zones, z)
			}
			seenWindow := map[string]bool{}
			for k, rw := range rr.Windows {
				wpath := rpath.with("windows", k)
				v.id(wpath.with("name"), rw.Name, seenWindow, "window")
				spec := calendar.WindowSpec{Name: rw.Name, Description: rw.Description, Zones: rw.Zones}
				for _, side := range []struct {
					key, value string
					dst        *calendar.Boundary
				}{{"start", rw.Start, &spec.Start}, {"end", rw.End, &spec.End}} {
					if !v.required(wpath.with(side.key), side.value) {
						valid = false
						continue
					}
					b, err := calendar.ParseBoundary(side.value)
					if err != nil {
						v.errorf(wpath.with(side.key), "%s", strings.TrimPrefix(err.Error(), "calendar: "))
						valid = false
						continue
					}
					if b.Anchor == calendar.AnchorZoneClose && !seenZone[b.Zone] {
						v.errorf(wpath.with(side.key), "unknown zone %q (zones of this round: %s)", b.Zone, strings.Join(sortedKeys(seenZone), ", "))
						valid = false
					}
					*side.dst = b
				}
				for l, zid := range rw.Zones {
					if !seenZone[zid] {
						v.errorf(wpath.with("zones", l), "unknown zone %q (zones of this round: %s)", zid, strings.Join(sortedKeys(seenZone), ", "))
						valid = false
					}
				}
				r.Windows = append(r.Windows, spec)
			}
			if valid {
				// Check each window's order now, so the error has a line.
				if _, err := calendar.New([]*calendar.Election{{ID: e.ID, Rounds: []*calendar.Round{r}}}, nil); err != nil {
					v.errorf(rpath.with("windows"), "%s", strings.TrimPrefix(err.Error(), "calendar: "))
				}
			}
			e.Rounds = append(e.Rounds, r)
		}
		cfg.Elections = append(cfg.Elections, e)
	}
	return zoneIDs
}

func (v *validator) guidance(cfg *Config, raws []rawGuidance) {
	seen := map[string]bool{}
	for i, rg := range raws {
		path := p{"guidance", i}
		v.id(path.with("id"), rg.ID, seen, "guidance")
		g := &calendar.Guidance{ID: rg.ID, Authority: rg.Authority, URL: rg.URL, Summary: rg.Summary}
		v.required(path.with("authority"), rg.Authority)
		if v.required(path.with("issued_at"), rg.IssuedAt) {
			g.IssuedAt = v.instant(path.with("issued_at"), rg.IssuedAt)
		}
		if rg.Until != "" {
			g.Until = v.instant(path.with("until"), rg.Until)
			if !g.Until.IsZero() && !g.IssuedAt.IsZero() && !g.Until.After(g.IssuedAt) {
				v.errorf(path.with("until"), "%s is not after issued_at %s", rg.Until, rg.IssuedAt)
			}
		}
		if rg.URL != "" {
			if u, err := url.Parse(rg.URL); err != nil || u.Host == "" {
				v.errorf(path.with("url"), "%q is not an absolute URL", rg.URL)
			}
		}
		cfg.Guidance = append(cfg.Guidance, g)
	}
}

func (v *validator) leaks(cfg *Config, raws []rawLeak) {
	seen := map[string]bool{}
	for i, rl := range raws {
		path := p{"leaks", i}
		v.id(path.with("id"), rl.ID, seen, "leak")
		l := Leak{ID: rl.ID, Name: rl.Name, Identifiers: rl.Identifiers, Names: rl.Names, Corpus: rl.Corpus}
		if v.required(path.with("disclosed_at"), rl.DisclosedAt) {
			l.DisclosedAt = v.instant(path.with("disclosed_at"), rl.DisclosedAt)
		}
		for j, n := range rl.Names {
			if strings.TrimSpace(n) == "" {
				v.errorf(path.with("names", j), "empty name")
			}
		}
		if l.Corpus != "" && !filepath.IsAbs(l.Corpus) {
			l.Corpus = filepath.Join(v.dir, l.Corpus)
		}
		cfg.Leaks = append(cfg.Leaks, l)
	}
}

// cronParser accepts an optional seconds field, descriptors such as @every,
// and CRON_TZ= prefixes.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseCron guards against the library's panic on a spec of only CRON_TZ=X
// (robfig/cron issue #554).
func parseCron(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid spec: %v", r)
		}
	}()
	return cronParser.Parse(spec)
}

func (v *validator) sources(cfg *Config, raws []rawSource, zoneIDs map[string]bool) {
	seen := map[string]bool{}
	for i, rs := range raws {
		path := p{"sources", i}
		v.id(path.with("name"), rs.Name, seen, "source")
		s := Source{Name: rs.Name, URL: rs.URL, Kind: rs.Kind, Language: strings.ToLower(rs.Language), Tags: rs.Tags, Zones: rs.Zones, Cron: rs.Cron}
		if s.Kind == "" {
			s.Kind = "feed"
		}
		if s.Kind != "feed" && s.Kind != "site" {
			v.errorf(path.with("kind"), "unknown kind %q (expected feed or site)", rs.Kind)
		}
		s.Username, s.LinkHosts = rs.Username, rs.LinkHosts
		s.Password = v.secret(path, "password", rs.Password, "password_file", rs.PasswordFile)
		if s.Password.IsSet() && s.Username == "" {
			v.errorf(path.with("username"), "is required with password")
		}
		for j, h := range rs.LinkHosts {
			if h == "" || strings.ContainsAny(h, "/:@ ") {
				v.errorf(path.with("link_hosts", j), "%q is not a host name", h)
			}
		}
		if v.required(path.with("url"), rs.URL) {
			if u, err := url.Parse(rs.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.errorf(path.with("url"), "%q is not an http(s) URL", weburl.Redact(rs.URL))
			} else if _, hasPass := u.User.Password(); hasPass {
				v.errorf(path.with("url"), "has a password in it; config files get committed: set username and password: ${ENV_VAR} (or password_file)")
			}
		}
		for j, z := range rs.Zones {
			if !zoneIDs[z] {
				v.errorf(path.with("zones", j), "unknown zone %q (known zones: %s)", z, strings.Join(sortedKeys(zoneIDs), ", "))
			}
		}
		if rs.Every != "" && rs.Cron != "" {
			v.errorf(path.with("cron"), "set every or cron, not both")
		}
		s.Every = v.duration(path.with("every"), rs.Every, 0)
		if rs.Cron != "" {
			sched, err := parseCron(rs.Cron)
			if err != nil {
				v.errorf(path.with("cron"), "cron spec %q: %v", rs.Cron, err)
			}
			s.Schedule = sched
		} else if s.Every == 0 {
			s.Every = 5 * time.Minute
		}
		if s.Every != 0 && s.Every < time.Second {
			v.errorf(path.with("every"), "%s is shorter than one second", s.Every)
		}
		s.SilenceEvery = v.duration(path.with("silence_every"), rs.SilenceEvery, time.Minute)
		s.Preroll = v.duration(path.with("preroll"), rs.Preroll, 6*time.Hour)
		s.MinEvery = v.duration(path.with("min_every"), rs.MinEvery, 30*time.Second)
		s.MaxEvery = v.duration(path.with("max_every"), rs.MaxEvery, 30*time.Minute)
		if s.MinEvery > s.MaxEvery {
			v.errorf(path.with("min_every"), "min_every %s exceeds max_every %s", s.MinEvery, s.MaxEvery)
		}
		s.StartURLs, s.Sitemaps, s.MaxDepth, s.MaxPages, s.FetchFullText = rs.StartURLs, rs.Sitemaps, rs.MaxDepth, rs.MaxPages, rs.FetchFullText
		if s.Kind == "site" && len(s.StartURLs) == 0 {
			s.StartURLs = []string{s.URL}
		}
		for j, u := range append(append([]string{}, rs.StartURLs...), rs.Sitemaps...) {
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				key := "start_urls"
				if j >= len(rs.StartURLs) {
					key, j = "sitemaps", j-len(rs.StartURLs)
				}
				v.errorf(path.with(key, j), "%q is not an http(s) URL", u)
			}
		}
		for j, pat := range rs.Follow {
			re, err := regexp.Compile(pat)
			if err != nil {
				v.errorf(path.with("follow", j), "regex %q does not compile: %v", pat, err)
				continue
			}
			s.Follow = append(s.Follow, re)
		}
		if s.Kind == "site" && len(s.Follow) == 0 && len(s.Sitemaps) == 0 {
			v.errorf(path.with("follow"), "a site source needs follow patterns (article URLs) or sitemaps")
		}
		if s.Kind != "site" && (len(rs.Follow) > 0 || len(rs.StartURLs) > 0 || rs.MaxDepth != 0) {
			v.errorf(path.with("kind"), "start_urls, follow and max_depth are for kind: site")
		}
		if s.MaxDepth <= 0 {
			s.MaxDepth = 2
		}
		if s.MaxPages <= 0 {
			s.MaxPages = 500
		}
		s.RevisitEvery = v.duration(path.with("revisit_every"), rs.RevisitEvery, 10*time.Minute)
		s.RevisitRecent = v.duration(path.with("revisit_recent"), rs.RevisitRecent, 6*time.Hour)
		cfg.Sources = append(cfg.Sources, s)
	}
}

func (v *validator) lists(cfg *Config, raw map[string][]string) {
	for name, terms := range raw {
		path := p{"lists", name}
		if !idPattern.MatchString(name) {
			v.errorf(path, "list name %q: want lower-case letters, digits, '.', '_' or '-'", name)
		}
		if len(terms) == 0 {
			v.errorf(path, "list %q is empty", name)
		}
		for j, t := range terms {
			if textmatch.String(t, true) == "" {
				v.errorf(path.with(j), "term %q is empty once normalised", t)
			}
		}
		cfg.Lists[name] = terms
	}
}

func (v *validator) rules(cfg *Config, raws []rawRule) {
	seen := map[string]bool{}
	leaks := map[string]time.Time{}
	for _, l := range cfg.Leaks {
		leaks[l.ID] = l.DisclosedAt
	}
	guidance := map[string]time.Time{}
	for _, g := range cfg.Guidance {
		guidance[g.ID] = g.IssuedAt
	}
	for i, rr := range raws {
		path := p{"rules", i}
		v.id(path.with("id"), rr.ID, seen, "rule")
		r := Rule{ID: rr.ID, Title: rr.Title, Reference: rr.Reference, Line: v.line(path), Scope: Scope(rr.Scope)}
		v.required(path.with("title"), rr.Title)
		if v.required(path.with("severity"), rr.Severity) {
			sev, err := ParseSeverity(rr.Severity)
			if err != nil {
				v.errorf(path.with("severity"), "unknown severity %q (expected info, low, medium, high or critical)", rr.Severity)
			}
			r.Severity = sev
		}
		if len(rr.Windows) == 0 {
			v.errorf(path.with("windows"), "is required: list window references, or [always]")
		}
		for j, ref := range rr.Windows {
			switch {
			case ref == "always":
				r.Always = true
			case calendar.HasRef(cfg.Elections, cfg.Guidance, ref):
				r.Windows = append(r.Windows, ref)
			default:
				v.errorf(path.with("windows", j), "unknown window %q (expected always, ELECTION/ROUND/WINDOW, ELECTION/WINDOW or guidance:ID; known: %s)", ref, strings.Join(knownWindowRefs(cfg), ", "))
			}
		}
		if r.Always && len(r.Windows) > 0 {
			v.errorf(path.with("windows"), "always cannot be combined with other windows")
		}
		if rr.Since != "" {
			r.SinceRef = rr.Since
			if id, ok := strings.CutPrefix(rr.Since, "leak:"); ok {
				t, found := leaks[id]
				if !found {
					v.errorf(path.with("since"), "unknown leak %q", id)
				}
				r.Since = t
			} else if id, ok := strings.CutPrefix(rr.Since, "guidance:"); ok {
				t, found := guidance[id]
				if !found {
					v.errorf(path.with("since"), "unknown guidance %q", id)
				}
				r.Since = t
			} else if t, err := time.Parse(time.RFC3339, rr.Since); err == nil {
				r.Since = t
			} else {
				v.errorf(path.with("since"), "%q: expected leak:ID, guidance:ID or an RFC 3339 instant", rr.Since)
			}
		}
		for j, src := range rr.Scope.Sources {
			if !hasSource(cfg.Sources, src) {
				v.errorf(path.with("scope", "sources", j), "unknown source %q", src)
			}
		}
		if rr.Match == nil {
			v.errorf(path.with("match"), "is required")
		} else {
			r.Match = v.match(path.with("match"), rr.Match, cfg.Lists, leakIDs(cfg.Leaks), true)
		}
		cfg.Rules = append(cfg.Rules, r)
	}
}

func hasSource(sources []Source, name string) bool {
	for _, s := range sources {
		if s.Name == name {
			return true
		}
	}
	return false
}

func (v *validator) match(path p, rm *rawMatch, lists map[string][]string, leaks map[string]bool, top bool) *Match {
	m := &Match{Term: rm.Term, Terms: rm.Terms, Phrase: rm.Phrase, List: rm.List, Cased: rm.Cased, Line: v.line(path)}
	leaves := 0
	for _, set := range []bool{rm.Term != "", rm.Terms != nil, rm.Phrase != "", rm.Regex != "", rm.List != "", rm.Near != nil, rm.LeakQuote != nil, rm.LeakReport != nil} {
		if set {
			leaves++
		}
	}
	group := rm.Any != nil || rm.All != nil || rm.None != nil
	switch {
	case group && leaves > 0:
		v.errorf(path, "a match node is either a group (any, all, none) or one of term, terms, phrase, regex, list, near; not both")
		return m
	case !group && leaves == 0:
		v.errorf(path, "empty match node (expected any, all, none, term, terms, phrase, regex, list, near, leak_quote or leak_report)")
		return m
	case leaves > 1:
		v.errorf(path, "a match node holds one of term, terms, phrase, regex, list or near; split them under any or all")
		return m
	case group && rm.Any == nil && rm.All == nil:
		v.errorf(path, "a group of only none matches nothing; add any or all")
	}
	for key, children := range map[string][]rawMatch{"any": rm.Any, "all": rm.All, "none": rm.None} {
		if children != nil && len(children) == 0 {
			v.errorf(path.with(key), "empty %s list", key)
		}
		if children == nil {
			continue
		}
		out := make([]*Match, len(children))
		for i := range children {
			out[i] = v.match(path.with(key, i), &children[i], lists, leaks, false)
		}
		switch key {
		case "any":
			m.Any = out
		case "all":
			m.All = out
		case "none":
			m.None = out
		}
	}
	literal := func(where p, s string, single bool) {
		if textmatch.String(s, !rm.Cased) == "" {
			v.errorf(where, "%q is empty once normalised", s)
		} else if single && textmatch.HasSpace(s) {
			v.errorf(where, "term %q has several words: use phrase", s)
		}
	}
	switch {
	case rm.Term != "":
		literal(path.with("term"), rm.Term, true)
	case rm.Phrase != "":
		literal(path.with("phrase"), rm.Phrase, false)
	case rm.Terms != nil:
		if len(rm.Terms) == 0 {
			v.errorf(path.with("terms"), "empty terms list")
		}
		for i, t := range rm.Terms {
			literal(path.with("terms", i), t, false)
		}
	case rm.List != "":
		if _, ok := lists[rm.List]; !ok {
			v.errorf(path.with("list"), "unknown list %q (known lists: %s)", rm.List, strings.Join(sortedKeys(lists), ", "))
		}
	case rm.Regex != "":
		re, err := CompileRegex(rm.Regex, rm.Cased)
		if err != nil {
			v.errorf(path.with("regex"), "regex %q does not compile: %v", rm.Regex, errors.Unwrap(err))
		}
		m.Regex = re
	case rm.Near != nil:
		if len(rm.Near.Terms) < 2 {
			v.errorf(path.with("near", "terms"), "near needs at least two terms")
		}
		if rm.Near.Within < 1 {
			v.errorf(path.with("near", "within"), "within must be a positive number of words")
		}
		for i, t := range rm.Near.Terms {
			literal(path.with("near", "terms", i), t, false)
		}
		m.Near = &Near{Terms: rm.Near.Terms, Within: rm.Near.Within}
	case rm.LeakQuote != nil:
		q := &LeakQuote{Leak: rm.LeakQuote.Leak, MinWords: rm.LeakQuote.MinWords}
		if !leaks[q.Leak] {
			v.errorf(path.with("leak_quote", "leak"), "unknown leak %q", q.Leak)
		}
		if q.MinWords == 0 {
			q.MinWords = 12
		}
		if q.MinWords < 5 {
			v.errorf(path.with("leak_quote", "min_words"), "min_words %d is too small to mean a quote (at least 5)", q.MinWords)
		}
		m.LeakQuote = q
	case rm.LeakReport != nil:
		r := &LeakReport{Leak: rm.LeakReport.Leak, Label: rm.LeakReport.Label, MinScore: rm.LeakReport.MinScore}
		if !leaks[r.Leak] {
			v.errorf(path.with("leak_report", "leak"), "unknown leak %q", r.Leak)
		}
		if r.Label == "" {
			r.Label = "content"
		}
		if !slices.Contains(LeakLabels, r.Label) {
			v.errorf(path.with("leak_report", "label"), "unknown label %q (expected content, existence, guidance or other)", r.Label)
		}
		if r.MinScore < 0 || r.MinScore > 1 {
			v.errorf(path.with("leak_report", "min_score"), "min_score %g: want a number from 0 to 1", r.MinScore)
		}
		m.LeakReport = r
	}
	return m
}

func leakIDs(leaks []Leak) map[string]bool {
	out := map[string]bool{}
	for _, l := range leaks {
		out[l.ID] = true
	}
	return out
}

// CompileRegex compiles a rule's regex for the text it runs on: accents
// and typographic punctuation folded like the text, and case-insensitive
// unless cased.
func CompileRegex(src string, cased bool) (*regexp.Regexp, error) {
	folded := textmatch.String(src, false)
	if !cased {
		folded = "(?i)" + folded
	}
	re, err := regexp.Compile(folded)
	if err != nil {
		return nil, fmt.Errorf("config: regex %q: %w", src, err)
	}
	return re, nil
}

func knownWindowRefs(cfg *Config) []string {
	var out []string
	for _, e := range cfg.Elections {
		for _, r := range e.Rounds {
			for _, w := range r.Windows {
				out = append(out, e.ID+"/"+r.ID+"/"+w.Name)
			}
		}
	}
	for _, g := range cfg.Guidance {
		out = append(out, "guidance:"+g.ID)
	}
	if len(out) == 0 {
		return []string{"none defined"}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Source returns the source with the given name.
func (c *Config) Source(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseAddressRange reads a CIDR range (127.0.0.0/8) or a single address
// (a /32 or /128), as crawler.allow_private and -allow-private take them.
func ParseAddressRange(v string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range such as 127.0.0.0/8 or an IP address", v)
}
