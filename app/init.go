package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/preset"
)

// runInit writes a commented config for a country preset and election
// date(s). It asks for the preset and date when stdin is a terminal and
// they were not given, validates what it wrote before writing it, and never
// overwrites a file without -force.
func runInit(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("init", env)
	code := fs.String("preset", "", "country `preset` (silencewatch windows -presets lists them)")
	date := fs.String("date", "", "election `date`, YYYY-MM-DD: the main zone's voting day (first round)")
	date2 := fs.String("date2", "", "`date` of a second round, YYYY-MM-DD (optional)")
	out := fs.String("o", defaultConfig, "`file` to write")
	force := fs.Bool("force", false, "overwrite the file if it exists")
	if c, done := parseFlags(fs, args); done {
		return c
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "silencewatch init: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if (*code == "" || *date == "") && isTerminal(env.Stdin) {
		var err error
		*code, *date, *date2, err = askInit(env.Stdin, env.Stderr, *code, *date, *date2, env.Now())
		if err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch init: %v\n", err)
			return ExitUsage
		}
	}
	if *code == "" || *date == "" {
		fmt.Fprintln(env.Stderr, "silencewatch init: -preset and -date are required (e.g. init -preset fr -date 2027-04-25 -date2 2027-05-09); silencewatch windows -presets lists the presets")
		return ExitUsage
	}
	p, err := preset.Lookup(*code)
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch init: %v\n", err)
		return ExitUsage
	}
	e, err := presetElection(p.Code, *date, *date2)
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch init: %v\n", err)
		return ExitUsage
	}
	invocation := "silencewatch init -preset " + p.Code + " -date " + *date
	if *date2 != "" {
		invocation += " -date2 " + *date2
	}
	data := initConfig(p, e, invocation, false)
	cfg, err := config.Parse(*out, data, env.LookupEnv)
	if err != nil {
		// A bug in the generator, never the user's doing: say so.
		fmt.Fprintln(env.Stderr, "silencewatch init: the generated config does not validate (please report this):")
		printConfigError(env.Stderr, err)
		return ExitUsage
	}
	if err := writeNew(*out, data, *force); err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch init: %v\n", err)
		return ExitUsage
	}
	windows := 0
	if cal, err := calendar.New(cfg.Elections, cfg.Guidance); err == nil {
		windows = len(cal.Windows())
	}
	flag := ""
	if *out != defaultConfig {
		flag = " -config " + *out
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %s, %s, %s per round, %s in all, %s\n",
		*out, e.ID, count(len(e.Rounds), "round"), count(len(p.Zones), "zone"), count(windows, "window"), count(len(cfg.Rules), "rule"))
	fmt.Fprintf(env.Stdout, "Read the preset's notes at the top of the file, add sources (and any leak), then:\n  silencewatch validate%s\n  silencewatch windows%s\n  silencewatch run -init%s\n", flag, flag, flag)
	return ExitOK
}

// isTerminal reports whether r is a terminal (an interactive stdin).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// askInit asks for what the flags did not give, with defaults: the French
// preset, and a Sunday at least four weeks after now.
func askInit(in io.Reader, out io.Writer, code, date, date2 string, now time.Time) (string, string, string, error) {
	sc := bufio.NewScanner(in)
	ask := func(question, def string) (string, error) {
		if def != "" {
			fmt.Fprintf(out, "%s [%s]: ", question, def)
		} else {
			fmt.Fprintf(out, "%s: ", question)
		}
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return "", err
			}
			return "", errors.New("no answer (end of input)")
		}
		if a := strings.TrimSpace(sc.Text()); a != "" {
			return a, nil
		}
		return def, nil
	}
	codes, err := preset.Codes()
	if err != nil {
		return "", "", "", err
	}
	for code == "" {
		a, err := ask("Country preset ("+strings.Join(codes, ", ")+")", "fr")
		if err != nil {
			return "", "", "", err
		}
		if _, err := preset.Lookup(a); err != nil {
			fmt.Fprintln(out, err)
			continue
		}
		code = a
	}
	if date == "" {
		def := now.AddDate(0, 0, 28)
		for def.Weekday() != time.Sunday {
			def = def.AddDate(0, 0, 1)
		}
		for date == "" {
			a, err := ask("Election date, the main zone's voting day (YYYY-MM-DD)", def.Format(time.DateOnly))
			if err != nil {
				return "", "", "", err
			}
			if _, err := calendar.ParseDate(a); err != nil {
				fmt.Fprintln(out, err)
				continue
			}
			date = a
		}
		for date2 == "" {
			a, err := ask("Second round date (YYYY-MM-DD; empty for none)", "")
			if err != nil {
				return "", "", "", err
			}
			if a == "" {
				break
			}
			if _, err := calendar.ParseDate(a); err != nil {
				fmt.Fprintln(out, err)
				continue
			}
			date2 = a
		}
	}
	return code, date, date2, nil
}

// writeNew writes data to path: only if it does not exist, unless force.
// With force the file is replaced whole (a temporary file renamed over it).
func writeNew(path string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; -force overwrites it, -o FILE writes elsewhere", path)
		}
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(path)
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// quote is s as a YAML double-quoted scalar (a JSON string is one).
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// wrapComment writes text as "# " comment lines of at most about 76
// columns, each prefixed by indent.
func wrapComment(b *strings.Builder, indent, text string) {
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > 74-len(indent) {
			fmt.Fprintf(b, "%s# %s\n", indent, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		fmt.Fprintf(b, "%s# %s\n", indent, line)
	}
}

// example writes an example block: commented out at the block's own
// indentation (so that removing "# " restores it), unless active (the
// tests check that the examples validate once uncommented).
func example(b *strings.Builder, active bool, text string) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	indent := -1
	for _, l := range lines {
		if n := len(l) - len(strings.TrimLeft(l, " ")); strings.TrimSpace(l) != "" && (indent < 0 || n < indent) {
			indent = n
		}
	}
	for _, l := range lines {
		switch {
		case active:
			b.WriteString(l + "\n")
		case strings.TrimSpace(l) == "":
			b.WriteString("#\n")
		default:
			b.WriteString(l[:indent] + "# " + l[indent:] + "\n")
		}
	}
}

func refs(electionID string, names []string) string {
	r := make([]string, len(names))
	for i, n := range names {
		r[i] = electionID + "/" + n
	}
	return "[" + strings.Join(r, ", ") + "]"
}

func references(p *preset.Preset, b preset.Ban) string {
	var out []string
	for _, w := range p.Windows {
		if w.Has(b) && !containsString(out, w.Reference) {
			out = append(out, w.Reference)
		}
	}
	return strings.Join(out, "; ")
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// initConfig renders the config of election e, built from preset p. With
// examples, the commented examples (sources, guidance, leak, leak rules) are
// written uncommented, for the tests.
func initConfig(p *preset.Preset, e *calendar.Election, invocation string, examples bool) []byte {
	var b strings.Builder
	first := e.Rounds[0]
	main := first.Zones[0]
	var dates []string
	for _, r := range e.Rounds {
		dates = append(dates, r.Zones[0].Date.String())
	}
	fmt.Fprintf(&b, "# silencewatch configuration: %s, election of %s.\n", p.Name, strings.Join(dates, " and "))
	fmt.Fprintf(&b, "# Written by: %s\n#\n", invocation)
	fmt.Fprintf(&b, "# The polling zones and the windows come from the %q preset. Check them\n", p.Code)
	b.WriteString(`# against the law and the decree calling this election (the notes below say
# what the preset approximates), then:
#
#   1. add the outlets to watch under sources (two commented examples);
#   2. when a leak happens, describe it under leaks and uncomment the leak
#      rules; add the regulator's requests under guidance;
#   3. silencewatch validate       every error, with its line
#   4. silencewatch windows        every window, per zone, UTC and local
#   5. silencewatch run -init      (-init on the first start: it creates the store)
#
# Every key is listed in the README. Unknown keys are errors.
#
`)
	fmt.Fprintf(&b, "# Preset notes (%s, %s):\n#\n", p.Code, p.Name)
	wrapComment(&b, "", p.Notes)
	b.WriteString(`
# SQLite file that holds articles, findings and the alert outbox. A relative
# path is read from this file's directory.
store: silencewatch.db

crawler:
  # Named in the User-Agent of every request, so outlets can reach you: a
  # page or mailto: address of your organisation.
  # contact_url: https://www.example.org/silencewatch
  workers: 16                 # fetches in flight at once, all sources together
  timeout: 20s                # one whole request, body included
  per_host_concurrency: 2     # requests in flight to one host
  per_host_delay: 500ms       # gap between two request starts to one host

evidence:
  # Raw responses are kept as evidence (compressed). Those no flagged
  # article depends on lose their body after this; flagged ones never do.
  retention: 168h

evaluation:
  # An outlet's claimed publication time earlier than our first sighting by
  # more than this is flagged on the finding as possible backdating.
  backdate_tolerance: 30m

# Alerts go to Slack when a token (or webhook) is set, to the console
# otherwise. Credentials are never written here: use ${ENV_VAR} or *_file.
# An unset variable leaves that part off.
#
# Setting up the Slack app:
#   1. At api.slack.com/apps, create an app "From scratch" in your workspace.
#   2. Under OAuth & Permissions, add the bot scopes chat:write,
#      channels:history, groups:history, channels:read and groups:read
#      (usergroups:read if verdict_allow names user groups). Install the app
#      and copy the Bot User OAuth Token (xoxb-…).
#   3. Invite the bot to each alert channel (/invite @yourapp).
#   4. For the Confirm / False positive / Acknowledge buttons, enable Socket
#      Mode, create an app-level token with connections:write (xapp-…) and
#      turn Interactivity on.
#   5. export SLACK_BOT_TOKEN=xoxb-… SLACK_APP_TOKEN=xapp-…
#      silencewatch validate   (asks Slack about every channel; -offline skips that)
slack:
  token: ${SLACK_BOT_TOKEN}          # bot token: threads, edits, exactly-once checks
  # webhook_url: ${SLACK_WEBHOOK_URL} # instead of a token: no threads, no edits
  app_token: ${SLACK_APP_TOKEN}      # Socket Mode: verdict buttons
  channel: "#silence-alerts"         # the default route; a channel id (C0123ABCD) is best
  pace: 1s                           # Slack allows about one message per second per channel
  # routes:                          # first match wins unless continue: true
  #   - {channel: "#silence-critical", min_severity: critical, continue: true}
  #   - {channel: "#silence-foreign", tags: [foreign]}

# Outlets to watch. kind: feed (RSS, Atom or JSON Feed) or site. zones:
# the polling zones whose windows bind the outlet (none listed: all of
# them). Polling: every outside the windows, silence_every inside them and
# for preroll before they start.
sources:
`)
	example(&b, examples, fmt.Sprintf(`  - name: example-daily
    url: https://www.example.com/rss.xml
    language: %s
    tags: [national, daily]
    every: 5m
    silence_every: 1m
  - name: example-regional
    kind: site                       # no feed: crawl the front page and the sitemap
    url: https://www.example.org/
    language: %s
    tags: [regional]
    zones: [%s]
    follow: ['^https://www\.example\.org/\d{4}/\d{2}/']
    sitemaps: [https://www.example.org/sitemap.xml]
`, p.Language, p.Language, main.ID))
	b.WriteString(`
elections:
`)
	fmt.Fprintf(&b, "  - id: %s\n    name: %s\n    country: %s\n    rounds:\n", e.ID, quote(e.Name), e.Country)
	for _, r := range e.Rounds {
		fmt.Fprintf(&b, "      - id: %s\n        name: %s\n        zones:\n", r.ID, quote(r.Name))
		for i, z := range r.Zones {
			pz := p.Zones[i]
			fmt.Fprintf(&b, "          - id: %s\n            name: %s\n            tz: %s\n            date: %s", z.ID, quote(z.Name), z.Location, z.Date)
			if pz.DayOffset != 0 {
				fmt.Fprintf(&b, "       # %+d day: votes before the main zone", pz.DayOffset)
			}
			fmt.Fprintf(&b, "\n            opens: %q\n            closes: %q\n", z.Opens.String(), z.Closes.String())
		}
		b.WriteString("        windows:\n")
		for _, w := range p.Windows {
			fmt.Fprintf(&b, "          - name: %s\n            description: %s\n            start: %s\n            end: %s\n", w.Name, quote(w.Description()), w.Start, w.End)
			if len(w.Zones) > 0 {
				fmt.Fprintf(&b, "            zones: [%s]\n", strings.Join(w.Zones, ", "))
			}
		}
	}

	eve := main.EveMidnight()
	closes := e.Rounds[len(e.Rounds)-1].Zones[0].PollsClose()
	b.WriteString(`
# Authorities' requests. Each makes a window from issued_at to until, which
# rules can name as guidance:ID.
`)
	if !examples {
		b.WriteString("# guidance:\n")
	} else {
		b.WriteString("guidance:\n")
	}
	example(&b, examples, fmt.Sprintf(`  - id: regulator-request
    authority: The election regulator
    issued_at: %s
    until: %s
    url: https://www.example.org/communique
    summary: >-
      Media are asked not to report the content of the leaked data.
`, eve.Format(time.RFC3339), closes.Format(time.RFC3339)))

	b.WriteString(`
# Leaked data. Rules can start applying at a leak's disclosure
# (since: leak:ID). leak_report (the content / existence / guidance
# classifier) needs only the identifiers and names; a corpus directory of
# the leaked documents, when one is held, adds quote detection.
`)
	if !examples {
		b.WriteString("# leaks:\n")
	} else {
		b.WriteString("leaks:\n")
	}
	leakAt := time.Date(eve.Year(), eve.Month(), eve.Day()-1, 20, 35, 0, 0, main.Location)
	example(&b, examples, fmt.Sprintf(`  - id: example-leak
    name: "#ExampleLeaks"
    disclosed_at: %s
    # What the release is called: hashtags, names of the archive, the sites
    # that published it.
    identifiers: ["#ExampleLeaks", "ExampleLeaks"]
    # Who the leaked data belongs to: the candidate, the campaign.
    names: ["Jane Candidate", "Jane Candidate's campaign"]
    # corpus: leaks/example   # a directory of the leaked documents, if held
`, leakAt.Format(time.RFC3339)))

	b.WriteString(`
# Named lists, reusable in rules with list: NAME. Matching ignores case and
# accents, and whole words only; it does not know inflections, so add the
# forms your media use.
lists:
`)
	example(&b, examples, `  leak-names: ["#ExampleLeaks", ExampleLeaks, leaked emails, leaked documents, hacked emails]
`)
	fmt.Fprintf(&b, "  poll-words: %s\n", quoteList(p.Terms.Polls))
	fmt.Fprintf(&b, "  results-words: %s\n", quoteList(p.Terms.Results))

	campaign := p.WindowsBanning(preset.BanCampaign)
	campaignRefs := refs(e.ID, campaign)
	guidanceRef := ""
	if examples {
		guidanceRef = ", guidance:regulator-request"
	}
	b.WriteString(`
rules:
  # Once a leak is described under leaks, uncomment these two: the contents
  # of the leak reported during the silence, and its mere mention (lawful,
  # for context).
`)
	example(&b, examples, fmt.Sprintf(`  - id: leak-content
    title: Reporting the contents of the leaked data
    severity: high
    reference: %s
    windows: %s   # and guidance:ID for a regulator's request
    since: leak:example-leak
    match:
      any:
        - leak_report: {leak: example-leak, label: content, min_score: 0.5}
  - id: leak-mention
    title: Mentions the leak during the silence (lawful; for context)
    severity: info
    reference: Reporting that a leak exists is lawful; listed for situational awareness
    windows: %s
    since: leak:example-leak
    match:
      any:
        - list: leak-names
`, quote(references(p, preset.BanCampaign)), strings.TrimSuffix(campaignRefs, "]")+guidanceRef+"]", campaignRefs))
	fmt.Fprintf(&b, `
  - id: poll-published
    title: Poll published or commented on during the poll ban
    severity: high
    reference: %s
    windows: %s
    match:
      all:
        - list: poll-words
        - regex: '\b\d{1,2}(?:[,.]\d)? ?(?:%%|pour ?cent|per ?cent|por ?ciento)'
`, quote(references(p, preset.BanPolls)), refs(e.ID, p.WindowsBanning(preset.BanPolls)))
	if results := p.WindowsBanning(preset.BanResults); len(results) > 0 {
		fmt.Fprintf(&b, `
  - id: results-before-close
    title: Results or estimates published before the polls close
    severity: critical
    reference: %s
    windows: %s
    match:
      all:
        - list: results-words
        - regex: '\b\d{1,2}(?:[,.]\d{1,2})? ?(?:%%|pour ?cent|per ?cent|por ?ciento)'
`, quote(references(p, preset.BanResults)), refs(e.ID, results))
	} else {
		fmt.Fprintf(&b, "\n  # No results-before-close rule: the %s preset has no window banning results.\n", p.Code)
	}
	return []byte(b.String())
}
