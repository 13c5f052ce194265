package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/silencewatch/silencewatch/calendar"
)

// Config is a loaded, validated configuration.
type Config struct {
	Path string // the file it was read from
	// Store is the record: a SQLite file path (relative paths taken from
	// the config's directory), or a postgres:// or postgresql:// URL. A
	// URL may carry a password: print it only through store.RedactDSN.
	Store      string
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
	// Tiers are the source tiers, from the margin to the mainstream
	// (DefaultTiers unless the config's tiers: says otherwise).
	Tiers []string
	Relay Relay
	// Cluster configures several run processes sharing a PostgreSQL
	// store.
	Cluster Cluster

	unsetSecrets []UnsetSecret // see UnsetSecrets
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
	// FirstPollSpread, when longer than a source's interval, is the span
	// the first polls of sources never polled before are spread over
	// (outside the windows), so that a cold start over many feeds costs
	// its full fetches evenly rather than all in the first interval. 0:
	// over the source's interval.
	FirstPollSpread time.Duration
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
	// AlertLate sends alerts for late findings: what a rule added or
	// changed by a reload would have flagged among the stored articles.
	// Off, they are stored, marked late, and not alerted.
	AlertLate bool
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
	// Tier is one of Config.Tiers, or empty when the config gives none.
	Tier string
}

// DefaultTiers are the source tiers when the config lists none, ordered
// from where a leak first appears to the mainstream.
var DefaultTiers = []string{"leak-site", "fringe", "foreign-state", "foreign", "regional", "national", "wire"}

// Cluster configures the work shared by the run processes of one
// PostgreSQL store.
type Cluster struct {
	// Lease is how long a job may run before it is taken for the job of a
	// dead worker and given to another: a killed worker's polls resume
	// elsewhere within it.
	Lease time.Duration
}

// Relay configures relay detection between outlets' articles.
type Relay struct {
	// Off turns the laundering watch off: no relay index is held and no
	// relay, crossing or velocity alert is raised.
	Off bool
	// Window is how far back an article's earlier copies are looked for.
	Window time.Duration
	// MinWords is the shortest reused passage that makes an edge.
	MinWords int
	// CrossingTier: the first content report of a leak by an outlet of
	// this tier or a later one (Tiers order) raises a crossing alert.
	CrossingTier string
	// VelocityOutlets distinct outlets reporting a leak's contents within
	// VelocityWithin raise a velocity alert; 0 turns it off.
	VelocityOutlets int
	VelocityWithin  time.Duration
}

// TierRank returns the position of tier in c.Tiers, or -1.
func (c *Config) TierRank(tier string) int {
	for i, t := range c.Tiers {
		if t == tier {
			return i
		}
	}
	return -1
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

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

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
