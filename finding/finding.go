// Package finding holds what silencewatch concludes about an article, as
// plain data: a rule's finding, its evidence, the windows and times it is
// judged against, and the leak classifier's assessment with its signals.
// The rule engine produces findings; the store, delivery and exports read
// them. It imports no engine, so the record links none.
package finding

import (
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
)

// Finding is one rule firing on one article.
type Finding struct {
	ID        string          `json:"id"`
	Rule      string          `json:"rule"`
	Title     string          `json:"title"`
	Severity  config.Severity `json:"severity"`
	Reference string          `json:"reference"`

	Election     string       `json:"election"` // election id; guidance id for guidance windows; "" for always
	Round        string       `json:"round,omitempty"`
	Window       string       `json:"window"` // window name, "guidance:ID" or "always"
	Zones        []string     `json:"zones"`
	ZoneWindows  []ZoneWindow `json:"zone_windows,omitempty"`
	OtherWindows []string     `json:"other_windows,omitempty"`

	TimeBasis           string    `json:"time_basis"` // "published" (claimed by the outlet) or "first_seen"
	BasisTime           time.Time `json:"basis_time"`
	TimeNotes           []string  `json:"time_notes,omitempty"`
	BackdatingSuspected bool      `json:"backdating_suspected,omitempty"`

	Article  ArticleRef `json:"article"`
	Evidence []Evidence `json:"evidence"`
	// Leak is the leak classifier's assessment, when a leak_report
	// condition decided the finding.
	Leak *LeakAssessment `json:"leak,omitempty"`
}

// LeakAssessment is what the leak classifier concluded about an article.
type LeakAssessment struct {
	Leak    string             `json:"leak"`
	Label   string             `json:"label"`
	Score   float64            `json:"score"`
	Scores  map[string]float64 `json:"scores,omitempty"`
	Signals []Signal           `json:"signals"`
}

// LeakSource is where in the leaked corpus a quoted passage comes from.
type LeakSource struct {
	Leak     string `json:"leak"`
	DocID    string `json:"doc_id"`
	DocTitle string `json:"doc_title"`
	DocStart int    `json:"doc_start"`
	DocEnd   int    `json:"doc_end"`
	Words    int    `json:"words"`
	Matched  int    `json:"matched"`
	DocText  string `json:"doc_text"`
}

// ZoneWindow is the window of one zone a finding falls in.
type ZoneWindow struct {
	Zone     string    `json:"zone"`
	ZoneName string    `json:"zone_name"`
	TimeZone string    `json:"tz"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"`
	Elapsed  string    `json:"elapsed"` // "2 h 14 min into"
}

// ArticleRef identifies the article a finding is about.
type ArticleRef struct {
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	Source      string    `json:"source"`
	GUID        string    `json:"guid,omitempty"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	FirstSeenAt time.Time `json:"first_seen_at,omitzero"`
}

// Evidence is one matched passage. Start and End are byte offsets into the
// ORIGINAL text of Field.
type Evidence struct {
	Kind    string        `json:"kind"` // term, phrase, list, regex, near; leak_quote, leak_signal, leak_focus from the leak rules
	Field   article.Field `json:"field"`
	Text    string        `json:"text"`
	Start   int           `json:"start"`
	End     int           `json:"end"`
	Pattern string        `json:"pattern"` // what the rule asked for, as written
	Before  string        `json:"before"`  // text just before the match, whitespace collapsed
	After   string        `json:"after"`   // text just after the match
	// Source is set on a leak_quote passage: the leaked document it copies.
	Source *LeakSource `json:"source,omitempty"`
}

// Signal is one piece of evidence behind the leak classifier's label.
type Signal struct {
	Name string `json:"name"`
	// Rule is set on the signal of a rule that decided the label whatever
	// the model says (satire, published before the disclosure); its
	// Weight is 0.
	Rule     bool          `json:"rule,omitempty"`
	Weight   float64       `json:"weight"`
	Evidence string        `json:"evidence"`
	Field    article.Field `json:"field,omitempty"`
	// Start and End are byte offsets into Field's text; both 0 when the
	// signal is about the whole article.
	Start int `json:"start"`
	End   int `json:"end"`
}

// Location is where the finding's first zone reads its clocks, by its
// IANA name (a time read back from the store keeps only its offset, and
// "AST" reads better than "-0400"); UTC when the finding has no zone.
func (f *Finding) Location() *time.Location {
	if len(f.ZoneWindows) == 0 {
		return time.UTC
	}
	if loc, err := time.LoadLocation(f.ZoneWindows[0].TimeZone); err == nil && f.ZoneWindows[0].TimeZone != "" {
		return loc
	}
	return f.ZoneWindows[0].Start.Location()
}
