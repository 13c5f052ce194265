// Package app owns the command line: it parses each command's flags, loads
// the configuration, wires the packages together and maps outcomes to exit
// codes, so that tests can run every command in-process.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	silencewatch "github.com/silencewatch/silencewatch"
	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/config"
)

// Exit codes shared by every command.
const (
	ExitOK       = 0
	ExitFindings = 1 // check: something reached -fail-on
	ExitUsage    = 2 // bad flags, config or input
)

// Env is what a command may touch of the outside world.
type Env struct {
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	Now       func() time.Time
	LookupEnv config.LookupEnv
	// IsTerminal reports whether Stdout is a terminal (for colour and log
	// format choices).
	IsTerminal bool
	// SlackTransport, when set, carries validate's Slack API calls (tests
	// point it at a local fake). Fetches of outlets never use it.
	SlackTransport http.RoundTripper
	// Reload, when set, asks a running `run` to re-read its config (the
	// binary sends SIGHUP here).
	Reload <-chan struct{}
}

// StdEnv is the process's own environment.
func StdEnv() Env {
	fi, err := os.Stdout.Stat()
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Now: time.Now, LookupEnv: os.LookupEnv,
		IsTerminal: err == nil && fi.Mode()&os.ModeCharDevice != 0,
	}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env Env) int
}

func commands() []command {
	return []command{
		{"init", "write a commented config.yaml for a country preset and election date", runInit},
		{"validate", "check a config file and print a summary", runValidate},
		{"windows", "print every silence, ban and guidance window in UTC and local time", runWindows},
		{"check", "evaluate feeds, pages or text against the rules", runCheck},
		{"extract", "print what the crawler sees of a page or feed: text, extractor, times", runExtract},
		{"run", "poll every source, evaluate, store and alert until stopped", runDaemon},
		{"export", "write findings with their evidence as WARC, JSON lines or CSV", runExport},
		{"backtest", "replay stored articles through a rule: what it would flag, what it would no longer flag", runBacktest},
		{"demo", "replay a leak weekend offline through the whole pipeline", runDemo},
		{"leaks", "index a leaked corpus (leaks index), or evaluate the leak detector (leaks eval)", runLeaks},
		{"users", "manage the review web UI's accounts and API tokens (add, list, remove, token)", runUsers},
		{"spread", "show how a leak spread: articles by tier and outlet, who relayed whom (json, csv, gexf, svg)", runSpread},
	}
}

// Main runs the command named by args[0] and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env)
		}
	}
	fmt.Fprintf(env.Stderr, "silencewatch: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: silencewatch COMMAND [flags] [args]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'silencewatch COMMAND -h' for a command's flags.")
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("silencewatch "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// prefixList is a repeatable flag of CIDR ranges (or single addresses).
type prefixList []netip.Prefix

func (l *prefixList) String() string {
	parts := make([]string, len(*l))
	for i, p := range *l {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func (l *prefixList) Set(v string) error {
	p, err := config.ParseAddressRange(v)
	if err != nil {
		return err
	}
	*l = append(*l, p)
	return nil
}

// allowPrivateFlag registers -allow-private on fs.
func allowPrivateFlag(fs *flag.FlagSet) *prefixList {
	l := &prefixList{}
	fs.Var(l, "allow-private", "let fetches reach this non-public `CIDR` (repeatable; added to crawler.allow_private); loopback, private, link-local and similar addresses are refused otherwise")
	return l
}

// parseFlags returns ExitOK (and done) for -h, ExitUsage for bad flags.
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, true
		}
		return ExitUsage, true
	}
	return 0, false
}

// parseInterspersed parses flags wherever they stand among the
// positional arguments ("check a.html -fail-on high" as well as "check
// -fail-on high a.html"); "--" ends the flags, and "-" alone is a
// positional argument (stdin).
func parseInterspersed(fs *flag.FlagSet, args []string) (positional []string, code int, done bool) {
	for {
		if code, done := parseFlags(fs, args); done {
			return nil, code, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, 0, false
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), 0, false
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

const defaultConfig = "config.yaml"

// loadConfig reads -config; when it was not given and there is no
// config.yaml here, the embedded example is used, so the commands work on a
// fresh clone from any directory.
func loadConfig(path string, env Env) (*config.Config, error) {
	if path == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			path = defaultConfig
		} else {
			fmt.Fprintln(env.Stderr, "silencewatch: no config.yaml here and no -config given: using the embedded example (French presidential election 2017, round 2)")
			return config.Parse(defaultConfig+" (embedded example)", silencewatch.ExampleConfig, env.LookupEnv)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return config.Parse(path, data, env.LookupEnv)
}

func printConfigError(w io.Writer, err error) {
	var errs config.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Fprintln(w, e.Error())
		}
		fmt.Fprintf(w, "%d error%s\n", len(errs), plural(len(errs)))
		return
	}
	fmt.Fprintln(w, err)
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func runValidate(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("validate", env)
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	offline := fs.Bool("offline", false, "do not ask Slack whether the configured channels exist")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "silencewatch validate: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	cfg, err := loadConfig(*configPath, env)
	if err != nil {
		printConfigError(env.Stderr, err)
		return ExitUsage
	}
	if !*offline && !checkSlackChannels(ctx, cfg.Slack, env.SlackTransport, env.Stderr) {
		return ExitUsage
	}
	fmt.Fprintln(env.Stdout, summary(cfg))
	return ExitOK
}

func summary(cfg *config.Config) string {
	rounds, zones := 0, 0
	for _, e := range cfg.Elections {
		rounds += len(e.Rounds)
		for _, r := range e.Rounds {
			zones += len(r.Zones)
		}
	}
	windows := 0
	if cal, err := calendar.New(cfg.Elections, cfg.Guidance); err == nil {
		windows = len(cal.Windows())
	}
	slack := "off (alerts print to the console)"
	switch {
	case cfg.Slack.Token.IsSet():
		slack = "bot token from " + cfg.Slack.Token.Origin() + ", channel " + cfg.Slack.Channel
	case cfg.Slack.WebhookURL.IsSet():
		slack = "webhook from " + cfg.Slack.WebhookURL.Origin()
	case cfg.Slack.Token.Origin() != "":
		slack = "off (" + strings.Trim(cfg.Slack.Token.Origin(), "${}") + " is not set; alerts print to the console)"
	}
	return fmt.Sprintf("%s: ok: %s, %s, %s (%s, %s, %s), %s, %s, %s; slack %s",
		cfg.Path, count(len(cfg.Sources), "source"), count(len(cfg.Rules), "rule"), count(len(cfg.Elections), "election"),
		count(rounds, "round"), count(zones, "zone"), count(windows, "window"),
		count(len(cfg.Guidance), "guidance entry"), count(len(cfg.Leaks), "leak"), count(len(cfg.Lists), "list"), slack)
}
