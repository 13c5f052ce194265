package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// What the review web UI reads and writes: accounts, API tokens and
// sessions (secrets only as hashes), verdicts given on the web in the same
// history as Slack's, and findings filtered, searched, counted and paged.

// ErrExists is returned when a row that must be unique already exists.
var ErrExists = errors.New("store: already exists")

// Roles of review UI accounts, least to most.
const (
	RoleViewer   = "viewer"
	RoleReviewer = "reviewer"
	RoleAdmin    = "admin"
)

// Verdict sources: where a verdict was given.
const (
	VerdictFromSlack = "slack"
	VerdictFromWeb   = "web"
)

// User is an account of the review UI.
type User struct {
	ID           int64
	Name         string
	Role         string
	PasswordHash string
	CreatedAt    time.Time
}

// Session is a signed-in browser's session.
type Session struct {
	User      User
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// VerdictEntry is one verdict of a finding's history with where it was
// given ("slack" or "web") and the note that came with it.
type VerdictEntry struct {
	Verdict
	Source string
	Note   string
}

// AddUser creates an account; a taken name is ErrExists.
func (s *DB) AddUser(ctx context.Context, name, role, passwordHash string, at time.Time) (User, error) {
	r, err := s.db.ExecContext(ctx, `
INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		name, role, passwordHash, ts(at))
	if err != nil {
		return User{}, fmt.Errorf("store: add user %q: %w", name, err)
	}
	if n, err := r.RowsAffected(); err != nil {
		return User{}, fmt.Errorf("store: add user %q: %w", name, err)
	} else if n == 0 {
		return User{}, fmt.Errorf("store: add user %q: %w", name, ErrExists)
	}
	return s.UserByName(ctx, name)
}

const selectUserSQL = `SELECT u.id, u.name, u.role, u.password_hash, u.created_at FROM users u `

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, timeDest{&u.CreatedAt})
	return u, err
}

// UserByName returns an account; ErrNotFound when there is none.
func (s *DB) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, selectUserSQL+`WHERE u.name = ?`, name))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return User{}, fmt.Errorf("store: user %q: %w", name, ErrNotFound)
	case err != nil:
		return User{}, fmt.Errorf("store: user %q: %w", name, err)
	}
	return u, nil
}

// Users lists every account by name.
func (s *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, selectUserSQL+`ORDER BY u.name`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// RemoveUser deletes an account with its sessions and API tokens.
func (s *DB) RemoveUser(ctx context.Context, name string) error {
	err := s.inTx(ctx, func(tx *txn) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE name = ?`, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM sessions WHERE user_id = ?`, `DELETE FROM api_tokens WHERE user_id = ?`, `DELETE FROM users WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: remove user %q: %w", name, err)
	}
	return nil
}

// AddAPIToken stores the hash of a new API token of a user.
func (s *DB) AddAPIToken(ctx context.Context, userID int64, tokenHash string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)`,
		userID, tokenHash, ts(at))
	if err != nil {
		return fmt.Errorf("store: add API token of user %d: %w", userID, err)
	}
	return nil
}

// UserByAPIToken returns the owner of the token whose hash is given and
// records its use; ErrNotFound when no token has that hash.
func (s *DB) UserByAPIToken(ctx context.Context, tokenHash string, at time.Time) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, selectUserSQL+`JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = ?`, tokenHash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return User{}, fmt.Errorf("store: API token: %w", ErrNotFound)
	case err != nil:
		return User{}, fmt.Errorf("store: API token: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?`, ts(at), tokenHash); err != nil {
		return User{}, fmt.Errorf("store: API token: %w", err)
	}
	return u, nil
}

// CreateSession stores a session by the hash of its id.
func (s *DB) CreateSession(ctx context.Context, idHash string, userID int64, csrf string, created, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		idHash, userID, csrf, ts(created), ts(expires))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionByID returns the session whose id hashes to idHash if it has not
// expired at now; ErrNotFound otherwise.
func (s *DB) SessionByID(ctx context.Context, idHash string, now time.Time) (Session, error) {
	var se Session
	u := &se.User
	err := s.db.QueryRowContext(ctx, `
SELECT u.id, u.name, u.role, u.password_hash, u.created_at, s.csrf, s.created_at, s.expires_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = ? AND s.expires_at > ?`, idHash, ts(now)).
		Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, timeDest{&u.CreatedAt}, &se.CSRF,
			timeDest{&se.CreatedAt}, timeDest{&se.ExpiresAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Session{}, fmt.Errorf("store: session: %w", ErrNotFound)
	case err != nil:
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	return se, nil
}

// DeleteSession ends a session (logout).
func (s *DB) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes the sessions expired at now.
func (s *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	r, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, ts(now))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	n, err := r.RowsAffected()
	return int(n), err
}

// RecordVerdict appends a verdict given in source ("web" or "slack") with
// a note to the finding's history, makes it the finding's latest verdict,
// and marks the finding's Slack alerts for an edit, in one transaction.
// An unknown finding is ErrNotFound.
func (s *DB) RecordVerdict(ctx context.Context, findingID int64, v Verdict, source, note string) error {
	err := s.inTx(ctx, func(tx *txn) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM findings WHERE id = ?`, findingID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO verdict_history (finding_id, verdict, "user", team, at, source, note) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			findingID, v.Verdict, v.User, v.Team, ts(v.At), source, note); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO verdicts (finding_id, verdict, "user", team, at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (finding_id) DO UPDATE SET verdict = excluded.verdict, "user" = excluded."user", team = excluded.team, at = excluded.at`,
			findingID, v.Verdict, v.User, v.Team, ts(v.At)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, refreshSQL+`finding_id = ?`, findingID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: verdict on finding %d: %w", findingID, err)
	}
	return nil
}

// VerdictEntries returns a finding's whole verdict history, Slack's and
// the web's, oldest first.
func (s *DB) VerdictEntries(ctx context.Context, findingID int64) ([]VerdictEntry, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT verdict, "user", team, at, source, note FROM verdict_history WHERE finding_id = ? ORDER BY id`, findingID)
	if err != nil {
		return nil, fmt.Errorf("store: verdict history of finding %d: %w", findingID, err)
	}
	defer rows.Close()
	var out []VerdictEntry
	for rows.Next() {
		var e VerdictEntry
		if err := rows.Scan(&e.Verdict.Verdict, &e.User, &e.Team, timeDest{&e.At}, &e.Source, &e.Note); err != nil {
			return nil, fmt.Errorf("store: verdict history of finding %d: %w", findingID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// FindingQuery selects findings for review. Empty fields do not limit;
// Verdict "none" selects findings without a verdict.
type FindingQuery struct {
	Rule, Severity, Zone, Outlet, Verdict string
	From, To                              time.Time // on the finding's basis time, [From, To)
	// Text is a full-text search over the found version's title, summary
	// and content: words (all must occur, accents ignored), "quoted
	// phrases", word* prefixes.
	Text string
	// Sort is "time" (newest first, the default), "time-asc",
	// "severity" (most severe first) or "severity-asc".
	Sort          string
	Limit, Offset int // Limit <= 0: 50
}

// FindingRow is a finding as listed for review.
type FindingRow struct {
	StoredFinding
	Outlet  string
	Verdict string // the latest verdict, "" when none
}

// ReviewFindings returns one page of the findings q selects and how many
// it selects in all.
func (s *DB) ReviewFindings(ctx context.Context, q FindingQuery) ([]FindingRow, int, error) {
	where, args := q.where(s.db.d)
	// With a search, the page and the total come from one query, so the
	// full-text index is read once.
	withTotal := s.db.d.textQuery(q.Text) != ""
	if withTotal {
		// Versions stored since the monitor last indexed are indexed
		// first: a search must not miss the newest articles.
		if _, err := s.IndexText(ctx); err != nil {
			return nil, 0, fmt.Errorf("store: review findings: %w", err)
		}
	}
	total := -1
	count := func() error {
		return s.db.QueryRowContext(ctx, `
SELECT count(*) FROM findings f JOIN articles a ON a.id = f.article_id LEFT JOIN verdicts vd ON vd.finding_id = f.id `+where, args...).Scan(&total)
	}
	if !withTotal {
		if err := count(); err != nil {
			return nil, 0, fmt.Errorf("store: review findings: %w", err)
		}
	}
	order := `f.basis_unix DESC, f.id DESC`
	switch q.Sort {
	case "time-asc":
		order = `f.basis_unix, f.id`
	case "severity":
		order = `f.severity_rank DESC, f.basis_unix DESC, f.id DESC`
	case "severity-asc":
		order = `f.severity_rank, f.basis_unix DESC, f.id DESC`
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT f.id, f.version_id, f.article_id, f.finding, f.created_at, f.late, a.source, COALESCE(vd.verdict, ''),
	`+map[bool]string{true: "count(*) OVER ()", false: "-1"}[withTotal]+`
FROM findings f JOIN articles a ON a.id = f.article_id LEFT JOIN verdicts vd ON vd.finding_id = f.id `+where+`
ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: review findings: %w", err)
	}
	defer rows.Close()
	var out []FindingRow
	for rows.Next() {
		var (
			r   FindingRow
			doc string
		)
		var n int
		if err := rows.Scan(&r.ID, &r.VersionID, &r.ArticleID, &doc, timeDest{&r.CreatedAt}, &r.Late, &r.Outlet, &r.Verdict, &n); err != nil {
			return nil, 0, fmt.Errorf("store: review findings: %w", err)
		}
		if r.Finding, err = decodeFinding(doc); err != nil {
			return nil, 0, fmt.Errorf("store: review findings: finding %d: %w", r.ID, err)
		}
		if withTotal {
			total = n
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: review findings: %w", err)
	}
	if total < 0 { // a search's page past the end: count apart
		if err := count(); err != nil {
			return nil, 0, fmt.Errorf("store: review findings: %w", err)
		}
	}
	return out, total, nil
}

func (q FindingQuery) where(d *dialect) (string, []any) {
	var (
		conds []string
		args  []any
	)
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if q.Rule != "" {
		add(`f.rule = ?`, q.Rule)
	}
	if q.Severity != "" {
		add(`f.severity = ?`, q.Severity)
	}
	if q.Outlet != "" {
		add(`a.source = ?`, q.Outlet)
	}
	if q.Zone != "" {
		add(d.contains(`f.zone_list`, `',' || CAST(? AS TEXT) || ','`), q.Zone)
	}
	switch q.Verdict {
	case "":
	case "none":
		add(`vd.verdict IS NULL`)
	default:
		add(`vd.verdict = ?`, q.Verdict)
	}
	if !q.From.IsZero() {
		add(`f.basis_unix >= ?`, unixSeconds(q.From))
	}
	if !q.To.IsZero() {
		add(`f.basis_unix < ?`, unixSeconds(q.To))
	}
	if m := d.textQuery(q.Text); m != "" {
		if d.postgres {
			add(`f.version_id IN (SELECT id FROM versions WHERE fts @@ to_tsquery('simple', unaccent(CAST(? AS TEXT))))`, m)
		} else {
			add(`f.version_id IN (SELECT rowid FROM versions_fts WHERE versions_fts MATCH ?)`, m)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return "WHERE " + strings.Join(conds, " AND "), args
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// FTSQuery turns what a person types into an FTS5 query that cannot be a
// syntax error: every word and "quoted phrase" becomes a string (all must
// occur), a trailing * keeps its prefix meaning, and FTS5's operators are
// taken as words. "" when nothing is left to search for.
func FTSQuery(text string) string {
	var terms []string
	for _, t := range searchTerms(text) {
		q := `"` + strings.ReplaceAll(t.text, `"`, `""`) + `"`
		if t.prefix {
			q += "*"
		}
		terms = append(terms, q)
	}
	return strings.Join(terms, " ")
}

// tsQuery is FTSQuery for PostgreSQL: a tsquery text in which every
// word and phrase must occur, a phrase's words in order (<->), a
// trailing * a prefix (:*). Words are split as SQLite's unicode61
// tokenizer splits them, at whatever is not a letter or a digit, so that
// nothing of the input is an operator. "" when no word is left.
func tsQuery(text string) string {
	var terms []string
	for _, t := range searchTerms(text) {
		words := strings.FieldsFunc(t.text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
		if len(words) == 0 {
			continue
		}
		for i, w := range words {
			words[i] = "'" + w + "'"
		}
		if t.prefix {
			words[len(words)-1] += ":*"
		}
		terms = append(terms, "("+strings.Join(words, " <-> ")+")")
	}
	return strings.Join(terms, " & ")
}

// textQuery is the full-text query of text in d's syntax.
func (d *dialect) textQuery(text string) string {
	if d.postgres {
		return tsQuery(text)
	}
	return FTSQuery(text)
}

type searchTerm struct {
	text   string // a word or a phrase
	prefix bool   // a word typed with a trailing *
}

// searchTerms splits what a person types into words and "quoted
// phrases"; a word's trailing * marks a prefix, other * are dropped at
// the ends.
func searchTerms(text string) []searchTerm {
	var (
		terms []searchTerm
		cur   strings.Builder
	)
	flush := func(phrase bool) {
		w := strings.TrimSpace(cur.String())
		cur.Reset()
		if w == "" {
			return
		}
		prefix := !phrase && strings.HasSuffix(w, "*")
		w = strings.TrimRight(w, "*")
		if strings.Trim(w, "*") == "" {
			return
		}
		terms = append(terms, searchTerm{text: w, prefix: prefix})
	}
	inQuote := false
	for _, r := range text {
		switch {
		case r == '"':
			flush(inQuote)
			inQuote = !inQuote
		case !inQuote && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			flush(false)
		default:
			cur.WriteRune(r)
		}
	}
	flush(inQuote)
	return terms
}

// Count is a number of findings with one value of a dimension.
type Count struct {
	Key string
	N   int
}

// ReviewCounts are the findings counted by rule, severity, zone, outlet
// and latest verdict ("none" for findings without one), most first.
type ReviewCounts struct {
	Total                                           int
	ByRule, BySeverity, ByZone, ByOutlet, ByVerdict []Count
}

// CountFindings counts every stored finding by dimension.
func (s *DB) CountFindings(ctx context.Context) (ReviewCounts, error) {
	var c ReviewCounts
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM findings`).Scan(&c.Total); err != nil {
		return c, fmt.Errorf("store: count findings: %w", err)
	}
	for _, d := range []struct {
		dst   *[]Count
		query string
	}{
		{&c.ByRule, `SELECT rule, count(*) FROM findings GROUP BY rule`},
		{&c.BySeverity, `SELECT severity, count(*) FROM findings GROUP BY severity ORDER BY max(severity_rank) DESC`},
		{&c.ByOutlet, `SELECT a.source, count(*) FROM findings f JOIN articles a ON a.id = f.article_id GROUP BY a.source`},
		{&c.ByVerdict, `SELECT COALESCE(vd.verdict, 'none'), count(*) FROM findings f LEFT JOIN verdicts vd ON vd.finding_id = f.id GROUP BY 1`},
	} {
		q := d.query
		if !strings.Contains(q, "ORDER BY") {
			q += ` ORDER BY 2 DESC, 1`
		}
		rows, err := s.db.QueryContext(ctx, q)
		if err != nil {
			return c, fmt.Errorf("store: count findings: %w", err)
		}
		for rows.Next() {
			var n Count
			if err := rows.Scan(&n.Key, &n.N); err != nil {
				rows.Close()
				return c, fmt.Errorf("store: count findings: %w", err)
			}
			*d.dst = append(*d.dst, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return c, fmt.Errorf("store: count findings: %w", err)
		}
	}
	// Zones: a finding counts once in each of its zones; few distinct
	// zone lists exist, so they are split here.
	rows, err := s.db.QueryContext(ctx, `SELECT zone_list, count(*) FROM findings GROUP BY zone_list`)
	if err != nil {
		return c, fmt.Errorf("store: count findings: %w", err)
	}
	defer rows.Close()
	zones := map[string]int{}
	for rows.Next() {
		var (
			list string
			n    int
		)
		if err := rows.Scan(&list, &n); err != nil {
			return c, fmt.Errorf("store: count findings: %w", err)
		}
		for _, z := range strings.Split(strings.Trim(list, ","), ",") {
			if z != "" {
				zones[z] += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("store: count findings: %w", err)
	}
	for z, n := range zones {
		c.ByZone = append(c.ByZone, Count{z, n})
	}
	slices.SortFunc(c.ByZone, func(a, b Count) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Key, b.Key)
	})
	return c, nil
}

// TimelinePoint is one finding placed in time.
type TimelinePoint struct {
	FindingID int64
	At        time.Time // the finding's basis time
	Severity  string
	Rule      string
	Outlet    string
}

// Timeline returns the most recent findings by basis time (at most limit;
// <= 0: all), oldest first.
func (s *DB) Timeline(ctx context.Context, limit int) ([]TimelinePoint, error) {
	if limit <= 0 {
		limit = noLimit
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT * FROM (
	SELECT f.id, f.basis_unix, f.severity, f.rule, a.source
	FROM findings f JOIN articles a ON a.id = f.article_id
	WHERE f.basis_unix IS NOT NULL
	ORDER BY f.basis_unix DESC, f.id DESC LIMIT ?) latest
ORDER BY 2, 1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: timeline: %w", err)
	}
	defer rows.Close()
	var out []TimelinePoint
	for rows.Next() {
		var (
			p    TimelinePoint
			unix float64
		)
		if err := rows.Scan(&p.FindingID, &unix, &p.Severity, &p.Rule, &p.Outlet); err != nil {
			return nil, fmt.Errorf("store: timeline: %w", err)
		}
		sec := int64(unix)
		p.At = time.Unix(sec, int64((unix-float64(sec))*1e9)).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// ArticleVersions returns every stored version of an article, first
// first.
func (s *DB) ArticleVersions(ctx context.Context, articleID int64) ([]VersionInfo, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT v.id, v.article_id, v.version, v.title, v.summary, v.content, v.extractor, v.times_from, v.diff, v.response_id, v.fetched_at
FROM versions v WHERE v.article_id = ? ORDER BY v.version`, articleID)
	if err != nil {
		return nil, fmt.Errorf("store: versions of article %d: %w", articleID, err)
	}
	defer rows.Close()
	var out []VersionInfo
	for rows.Next() {
		var (
			v    VersionInfo
			resp sql.NullInt64
		)
		if err := rows.Scan(&v.VersionID, &v.ArticleID, &v.Version, &v.Title, &v.Summary, &v.Content,
			&v.Extractor, &v.TimesFrom, &v.Diff, &resp, timeDest{&v.FetchedAt}); err != nil {
			return nil, fmt.Errorf("store: versions of article %d: %w", articleID, err)
		}
		v.ResponseID = resp.Int64
		out = append(out, v)
	}
	return out, rows.Err()
}

// SlackMessage is where a finding's alert was posted in Slack.
type SlackMessage struct {
	Channel   string // as routed (#name or id)
	ChannelID string // resolved id; "" when never resolved
	TS        string
}

// SlackMessages lists the Slack messages a finding's alerts were posted
// as, for links from the review UI.
func (s *DB) SlackMessages(ctx context.Context, findingID int64) ([]SlackMessage, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT a.channel, COALESCE(c.id, ''), a.message_ts FROM alerts a LEFT JOIN slack_channels c ON c.name = a.channel
WHERE a.finding_id = ? AND a.status = 'sent' AND a.message_ts != '' AND a.message_ts NOT LIKE 'console%' AND a.message_ts != 'webhook'
ORDER BY a.id`, findingID)
	if err != nil {
		return nil, fmt.Errorf("store: slack messages of finding %d: %w", findingID, err)
	}
	defer rows.Close()
	var out []SlackMessage
	for rows.Next() {
		var m SlackMessage
		if err := rows.Scan(&m.Channel, &m.ChannelID, &m.TS); err != nil {
			return nil, err
		}
		if m.ChannelID == "" && !strings.HasPrefix(m.Channel, "#") {
			m.ChannelID = m.Channel // routed by id
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
