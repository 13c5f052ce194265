package config

// The raw types mirror config.yaml exactly. Every value that needs parsing
// (durations, instants, zones, regexes, cron specs) is read as a string
// here and converted during validation, so that a bad value is reported
// with its line like every other error instead of aborting the decode.

type rawFile struct {
	Store      string              `yaml:"store"`
	Crawler    rawCrawler          `yaml:"crawler"`
	Evaluation rawEvaluation       `yaml:"evaluation"`
	Evidence   rawEvidence         `yaml:"evidence"`
	Slack      rawSlack            `yaml:"slack"`
	Sources    []rawSource         `yaml:"sources"`
	Elections  []rawElection       `yaml:"elections"`
	Guidance   []rawGuidance       `yaml:"guidance"`
	Leaks      []rawLeak           `yaml:"leaks"`
	Lists      map[string][]string `yaml:"lists"`
	Rules      []rawRule           `yaml:"rules"`
	Tiers      []string            `yaml:"tiers"`
	Relay      rawRelay            `yaml:"relay"`
	Cluster    rawCluster          `yaml:"cluster"`
}

type rawCluster struct {
	Lease string `yaml:"lease"`
}

type rawRelay struct {
	Enabled         *bool  `yaml:"enabled"`
	Window          string `yaml:"window"`
	MinWords        int    `yaml:"min_words"`
	CrossingTier    string `yaml:"crossing_tier"`
	VelocityOutlets *int   `yaml:"velocity_outlets"`
	VelocityWithin  string `yaml:"velocity_within"`
}

type rawCrawler struct {
	ContactURL         string   `yaml:"contact_url"`
	Workers            int      `yaml:"workers"`
	Timeout            string   `yaml:"timeout"`
	MaxBodyBytes       int64    `yaml:"max_body_bytes"`
	PerHostConcurrency int      `yaml:"per_host_concurrency"`
	PerHostDelay       string   `yaml:"per_host_delay"`
	FailureReport      int      `yaml:"failure_report_after"`
	AllowPrivate       []string `yaml:"allow_private"`
	MaxFullTextPerPoll int      `yaml:"max_full_text_per_poll"`
	MaxItemsPerPoll    int      `yaml:"max_items_per_poll"`
	FirstPollSpread    string   `yaml:"first_poll_spread"`
}

type rawEvidence struct {
	Retention string `yaml:"retention"`
}

type rawEvaluation struct {
	BackdateTolerance string `yaml:"backdate_tolerance"`
	AlertLate         bool   `yaml:"alert_late"`
}

type rawSlack struct {
	Token          string     `yaml:"token"`
	TokenFile      string     `yaml:"token_file"`
	WebhookURL     string     `yaml:"webhook_url"`
	WebhookURLFile string     `yaml:"webhook_url_file"`
	AppToken       string     `yaml:"app_token"`
	AppTokenFile   string     `yaml:"app_token_file"`
	APIURL         string     `yaml:"api_url"`
	Channel        string     `yaml:"channel"`
	Routes         []rawRoute `yaml:"routes"`
	Pace           string     `yaml:"pace"`
	Digest         rawDigest  `yaml:"digest"`
	VerdictAllow   []string   `yaml:"verdict_allow"`
}

type rawRoute struct {
	Channel     string   `yaml:"channel"`
	MinSeverity string   `yaml:"min_severity"`
	Rules       []string `yaml:"rules"`
	Tags        []string `yaml:"tags"`
	Sources     []string `yaml:"sources"`
	Zones       []string `yaml:"zones"`
	Continue    bool     `yaml:"continue"`
}

type rawDigest struct {
	Threshold int    `yaml:"threshold"`
	Interval  string `yaml:"interval"`
	Batch     int    `yaml:"batch"`
}

type rawSource struct {
	Name         string   `yaml:"name"`
	URL          string   `yaml:"url"`
	Kind         string   `yaml:"kind"`
	Language     string   `yaml:"language"`
	Tags         []string `yaml:"tags"`
	Zones        []string `yaml:"zones"`
	Every        string   `yaml:"every"`
	Cron         string   `yaml:"cron"`
	SilenceEvery string   `yaml:"silence_every"`
	Preroll      string   `yaml:"preroll"`
	MinEvery     string   `yaml:"min_every"`
	MaxEvery     string   `yaml:"max_every"`
	// Sites and full text.
	StartURLs     []string `yaml:"start_urls"`
	Follow        []string `yaml:"follow"`
	Sitemaps      []string `yaml:"sitemaps"`
	MaxDepth      int      `yaml:"max_depth"`
	MaxPages      int      `yaml:"max_pages"`
	FetchFullText bool     `yaml:"fetch_full_text"`
	RevisitEvery  string   `yaml:"revisit_every"`
	RevisitRecent string   `yaml:"revisit_recent"`
	LinkHosts     []string `yaml:"link_hosts"`
	// HTTP basic authentication for the source's own URLs.
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	MaxItems     int    `yaml:"max_items"`
	Tier         string `yaml:"tier"`
}

type rawElection struct {
	ID      string     `yaml:"id"`
	Name    string     `yaml:"name"`
	Country string     `yaml:"country"`
	Rounds  []rawRound `yaml:"rounds"`
}

type rawRound struct {
	ID      string      `yaml:"id"`
	Name    string      `yaml:"name"`
	Zones   []rawZone   `yaml:"zones"`
	Windows []rawWindow `yaml:"windows"`
}

type rawZone struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	TZ     string `yaml:"tz"`
	Date   string `yaml:"date"`
	Opens  string `yaml:"opens"`
	Closes string `yaml:"closes"`
}

type rawWindow struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Start       string   `yaml:"start"`
	End         string   `yaml:"end"`
	Zones       []string `yaml:"zones"`
}

type rawGuidance struct {
	ID        string `yaml:"id"`
	Authority string `yaml:"authority"`
	IssuedAt  string `yaml:"issued_at"`
	Until     string `yaml:"until"`
	URL       string `yaml:"url"`
	Summary   string `yaml:"summary"`
}

type rawLeak struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	DisclosedAt string   `yaml:"disclosed_at"`
	Identifiers []string `yaml:"identifiers"`
	Names       []string `yaml:"names"`
	Corpus      string   `yaml:"corpus"`
}

type rawRule struct {
	ID        string    `yaml:"id"`
	Title     string    `yaml:"title"`
	Severity  string    `yaml:"severity"`
	Reference string    `yaml:"reference"`
	Windows   []string  `yaml:"windows"`
	Since     string    `yaml:"since"`
	Scope     rawScope  `yaml:"scope"`
	Match     *rawMatch `yaml:"match"`
}

type rawScope struct {
	Tags      []string `yaml:"tags"`
	Sources   []string `yaml:"sources"`
	Languages []string `yaml:"languages"`
}

type rawMatch struct {
	Any    []rawMatch `yaml:"any"`
	All    []rawMatch `yaml:"all"`
	None   []rawMatch `yaml:"none"`
	Term   string     `yaml:"term"`
	Terms  []string   `yaml:"terms"`
	Phrase string     `yaml:"phrase"`
	Regex  string     `yaml:"regex"`
	List   string     `yaml:"list"`
	Near   *rawNear   `yaml:"near"`
	Cased  bool       `yaml:"cased"`

	LeakQuote  *rawLeakQuote  `yaml:"leak_quote"`
	LeakReport *rawLeakReport `yaml:"leak_report"`
}

type rawLeakQuote struct {
	Leak     string `yaml:"leak"`
	MinWords int    `yaml:"min_words"`
}

type rawLeakReport struct {
	Leak     string  `yaml:"leak"`
	Label    string  `yaml:"label"`
	MinScore float64 `yaml:"min_score"`
}

type rawNear struct {
	Terms  []string `yaml:"terms"`
	Within int      `yaml:"within"`
}
