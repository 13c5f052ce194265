// Package review is the review web UI and its JSON API, for media-law
// researchers and editors: a dashboard, the findings (filtered, searched,
// paged), each finding with its article text and evidence highlighted, its
// versions, times, and verdict history (shared with Slack's), and the
// sources' health. Pages are rendered on the server with html/template and
// need no JavaScript; nothing an outlet wrote is ever rendered as HTML.
//
// Access: accounts with a role (viewer reads, reviewer also records
// verdicts, admin everything), sessions in an HttpOnly cookie stored
// hashed, CSRF tokens on every form, throttled logins; the API takes
// bearer tokens.
package review

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/store"
)

// Store is what the review UI needs of the store; *store.DB.
type Store interface {
	UserByName(ctx context.Context, name string) (store.User, error)
	UserByAPIToken(ctx context.Context, tokenHash string, at time.Time) (store.User, error)
	CreateSession(ctx context.Context, idHash string, userID int64, csrf string, created, expires time.Time) error
	SessionByID(ctx context.Context, idHash string, now time.Time) (store.Session, error)
	DeleteSession(ctx context.Context, idHash string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)

	ReviewFindings(ctx context.Context, q store.FindingQuery) ([]store.FindingRow, int, error)
	CountFindings(ctx context.Context) (store.ReviewCounts, error)
	Timeline(ctx context.Context, limit int) ([]store.TimelinePoint, error)
	FindingByID(ctx context.Context, id int64) (store.StoredFinding, error)
	VersionInfo(ctx context.Context, versionID int64) (store.VersionInfo, error)
	ArticleVersions(ctx context.Context, articleID int64) ([]store.VersionInfo, error)
	ArticleEvents(ctx context.Context, articleID int64) ([]store.ArticleEvent, error)
	Verdict(ctx context.Context, findingID int64) (store.Verdict, bool, error)
	VerdictEntries(ctx context.Context, findingID int64) ([]store.VerdictEntry, error)
	RecordVerdict(ctx context.Context, findingID int64, v store.Verdict, source, note string) error
	SlackMessages(ctx context.Context, findingID int64) ([]store.SlackMessage, error)

	SourceState(ctx context.Context, name string) (store.SourceState, bool, error)
	Events(ctx context.Context, source string) ([]store.Event, error)

	// What a WARC export of a finding reads.
	Findings(ctx context.Context) ([]store.StoredFinding, error)
	ResponseByID(ctx context.Context, id int64) (store.Response, error)

	// What a leak's spread and a finding's relays read.
	RelayEdges(ctx context.Context, since time.Time) ([]store.RelayEdge, error)
	EdgesOfVersion(ctx context.Context, versionID int64) ([]store.VersionRelay, error)
}

// Options configures a Server.
type Options struct {
	Store  Store
	Config *config.Config
	Clock  clock.Clock
	Logger *slog.Logger
	// SessionTTL is how long a session lasts from login; DefaultSessionTTL
	// when zero.
	SessionTTL time.Duration
	// Wake, when set, asks the outbox to edit the Slack alerts of a
	// finding whose verdict changed now rather than at its next pass.
	Wake func()
	// Check and Backtest, when set, power the self-check and backtest
	// pages (the caller owns fetching and the rule engine).
	Check    Checker
	Backtest Backtester
}

// DefaultSessionTTL is how long a login lasts.
const DefaultSessionTTL = 12 * time.Hour

// Server is the review UI's HTTP handler.
type Server struct {
	st       Store
	cfg      *config.Config
	cal      *calendar.Calendar
	clock    clock.Clock
	log      *slog.Logger
	ttl      time.Duration
	wake     func()
	check    Checker
	backtest Backtester
	limit    *limiter
	mux      *http.ServeMux
	dummy    string // a password hash checked when the account does not exist
	tmpl     templates
	rules    map[string]config.Rule
	// The list's filter choices, from the config.
	ruleIDs, zoneIDs, outlets []string
	lastGC                    atomic.Int64 // unix seconds of the last sweep of expired sessions
}

// New makes the review UI's handler.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Config == nil || o.Clock == nil {
		return nil, errors.New("review: New needs a store, a config and a clock")
	}
	cal, err := calendar.New(o.Config.Elections, o.Config.Guidance)
	if err != nil {
		return nil, fmt.Errorf("review: calendar: %w", err)
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	dummy, err := HashPassword("not a password of anyone's", DefaultHashParams())
	if err != nil {
		return nil, err
	}
	s := &Server{
		st: o.Store, cfg: o.Config, cal: cal, clock: o.Clock, log: o.Logger, ttl: o.SessionTTL, wake: o.Wake,
		check: o.Check, backtest: o.Backtest,
		limit: newLimiter(), mux: http.NewServeMux(), dummy: dummy, tmpl: tmpl, rules: map[string]config.Rule{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ttl <= 0 {
		s.ttl = DefaultSessionTTL
	}
	for _, r := range o.Config.Rules {
		s.rules[r.ID] = r
		s.ruleIDs = append(s.ruleIDs, r.ID)
	}
	for _, w := range cal.Windows() {
		if w.Zone != "" && !slices.Contains(s.zoneIDs, w.Zone) {
			s.zoneIDs = append(s.zoneIDs, w.Zone)
		}
	}
	for _, src := range o.Config.Sources {
		s.outlets = append(s.outlets, src.Name)
	}
	slices.Sort(s.ruleIDs)
	slices.Sort(s.outlets)
	s.routes()
	return s, nil
}

// Security headers of every answer. The CSP allows only the embedded
// style sheet and images from the UI itself: no script runs, whatever an
// article holds.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /static/style.css", s.serveCSS)
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.Handle("POST /logout", s.page(store.RoleViewer, s.logout))
	m.Handle("GET /{$}", s.page(store.RoleViewer, s.dashboard))
	m.Handle("GET /findings", s.page(store.RoleViewer, s.findingsPage))
	m.Handle("GET /findings/{id}", s.page(store.RoleViewer, s.findingPage))
	m.Handle("GET /findings/{id}/json", s.page(store.RoleViewer, s.findingJSON))
	m.Handle("GET /findings/{id}/warc", s.page(store.RoleViewer, s.findingWARC))
	m.Handle("POST /findings/{id}/verdict", s.page(store.RoleReviewer, s.verdictForm))
	m.Handle("GET /sources", s.page(store.RoleViewer, s.sourcesPage))
	m.Handle("GET /leaks", s.page(store.RoleViewer, s.leaksPage))
	m.Handle("GET /leaks/{id}", s.page(store.RoleViewer, s.leakPage))
	m.Handle("GET /leaks/{id}/{file}", s.page(store.RoleViewer, s.spreadFile))
	m.Handle("GET /check", s.page(store.RoleViewer, s.checkPage))
	m.Handle("POST /check", s.page(store.RoleViewer, s.checkPage))
	m.Handle("GET /backtest", s.page(store.RoleViewer, s.backtestPage))

	m.Handle("GET /api/findings", s.api(store.RoleViewer, s.apiFindings))
	m.Handle("GET /api/findings/{id}", s.api(store.RoleViewer, s.findingJSON))
	m.Handle("POST /api/findings/{id}/verdict", s.api(store.RoleReviewer, s.apiVerdict))
	m.Handle("POST /api/check", s.api(store.RoleViewer, s.apiCheck))
	m.HandleFunc("/", s.notFound)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.errorPage(w, r, http.StatusNotFound, "No such page.")
}
