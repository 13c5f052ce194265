package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/backtest"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/cluster"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/monitor"
	"github.com/silencewatch/silencewatch/notify"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

func runDaemon(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("run", env)
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	listen := fs.String("listen", "127.0.0.1:8080", "address for /healthz and /metrics; empty to disable")
	once := fs.Bool("once", false, "poll every source once, deliver the alerts, and exit")
	initStore := fs.Bool("init", false, "create the store when its file does not exist (a first start)")
	reviewAddr := fs.String("review", "", "address for the review web UI (e.g. 127.0.0.1:8081); empty: off")
	role := fs.String("role", "all", "on a PostgreSQL store: poller, deliverer or all (see the README's cluster section)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	roles, err := cluster.ParseRoles(*role)
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch run: -role: %v\n", err)
		return ExitUsage
	}
	cfg, err := loadConfig(*configPath, env)
	if err != nil {
		printConfigError(env.Stderr, err)
		return ExitUsage
	}
	if *role != "all" && (store.Backend(cfg.Store) != "postgres" || *once) {
		fmt.Fprintf(env.Stderr, "silencewatch run: -role %s needs a PostgreSQL store (store: postgres://...) and no -once: a SQLite store has one process doing everything\n", *role)
		return ExitUsage
	}
	logger := newLogger(env.Stderr, env.IsTerminal)
	opts := DaemonOptions{Config: cfg, Listen: *listen, Clock: clock.Real{}, Logger: logger, Alerts: env.Stdout, Once: *once, Summary: env.Stdout, InitStore: *initStore, Review: *reviewAddr, Roles: roles}
	if !*once && env.Reload != nil {
		path := *configPath
		if path == "" && fileExists(defaultConfig) {
			path = defaultConfig
		}
		if path != "" { // the embedded example cannot change
			opts.Reload = env.Reload
			opts.ReadConfig = func() (*config.Config, error) { return loadConfig(path, env) }
		}
	}
	err = Daemon(ctx, opts)
	switch {
	case errors.Is(err, ErrNoStore) || errors.Is(err, store.ErrLocked):
		// Refused before starting: said plainly, like a config error.
		fmt.Fprintf(env.Stderr, "silencewatch run: %v\n", err)
		return ExitUsage
	case err != nil:
		logger.Error("silencewatch run failed", "err", err)
		printChannelErrors(env.Stderr, err)
		return ExitUsage
	}
	return ExitOK
}

// newLogger writes JSON lines when the output is not a terminal (a
// service manager, a file), text for people otherwise.
func newLogger(w io.Writer, terminal bool) *slog.Logger {
	if terminal {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// DaemonOptions configures Daemon.
type DaemonOptions struct {
	Config *config.Config
	Listen string // "" disables the HTTP endpoints
	Clock  clock.Clock
	Logger *slog.Logger
	Alerts io.Writer // where the console notifier prints
	// SlackHTTP, when set, is the HTTP client for Slack.
	SlackHTTP *http.Client
	// Ready, when set, receives the HTTP listener's address once serving.
	Ready func(addr string)
	// Once polls every source once and returns instead of running;
	// Summary, when set, gets one line saying what the cycle did.
	Once    bool
	Summary io.Writer
	// DeliveryClock paces alert delivery; Clock when nil. The demo runs
	// the pipeline on simulated time but talks to Slack in real time.
	DeliveryClock clock.Clock
	// InitStore lets Daemon create the store when its file does not exist
	// (run -init, the demo). Without it a missing store is ErrNoStore: a
	// mistyped path must not start an empty store that alerts everything
	// again.
	InitStore bool
	// Reload, when set, re-reads the config with ReadConfig each time it
	// receives (run wires SIGHUP to it); Reloaded, when set, gets each
	// reload's outcome (for tests).
	Reload     <-chan struct{}
	ReadConfig func() (*config.Config, error)
	Reloaded   func([]backtest.Result, error)
	// Review, when set, is the address of the review web UI;
	// ReviewReady, when set, receives its listener's address.
	Review      string
	ReviewReady func(addr string)
	// Roles are what this process does when the store is PostgreSQL
	// (package cluster); the zero value is both roles.
	Roles cluster.Roles
	// WorkerID names the process in a cluster; default host-pid.
	WorkerID string
}

// Daemon runs the whole pipeline until ctx is cancelled: the store, the
// schedules and fetch pool, evaluation, the outbox and, when Listen is
// set, /healthz and /metrics.
func Daemon(ctx context.Context, o DaemonOptions) error {
	cfg := o.Config
	st, lock, err := openDaemonStore(ctx, cfg.Store, o.InitStore)
	if err != nil {
		return err
	}
	defer func() {
		if err := lock.Release(); err != nil {
			o.Logger.Error("releasing the store lock", "err", err)
		}
	}()
	defer st.Close()
	warnUnsetSecrets(o.Logger, cfg)
	indexes, reports, err := leakIndexes(ctx, cfg, st, o.Clock.Now())
	if err != nil {
		return err
	}
	for _, r := range reports {
		o.Logger.Info("leak index ready", "leak", r.Leak, "documents", r.Documents, "unchanged", r.Unchanged, "took", r.Took)
	}
	engine, err := rules.New(cfg, rules.WithLeakIndexes(indexes))
	if err != nil {
		return err
	}
	fetcher := crawler.NewFetcher(crawler.FetcherOptions{
		ContactURL: cfg.Crawler.ContactURL, Timeout: cfg.Crawler.Timeout, MaxBodyBytes: cfg.Crawler.MaxBodyBytes,
		PerHostConcurrency: cfg.Crawler.PerHostConcurrency, PerHostDelay: cfg.Crawler.PerHostDelay,
		AllowPrivate: cfg.Crawler.AllowPrivate, Now: o.Clock.Now,
	})
	metrics := monitor.NewMetrics()
	st.OnHeadersTruncated = func(source, url string, dropped int) {
		metrics.HeadersTruncated(source)
		o.Logger.Warn("response headers cut at the store's cap", "source", source, "url", url, "dropped_bytes", dropped, "cap_bytes", store.MaxHeaderBytes)
	}
	deliveryClock := o.DeliveryClock
	if deliveryClock == nil {
		deliveryClock = o.Clock
	}
	notifier := notify.New(notify.Options{Config: cfg.Slack, Store: st, Channels: st, Clock: deliveryClock, Logger: o.Logger,
		Console: o.Alerts, HTTP: o.SlackHTTP, Metrics: notify.NewMetrics(metrics.Registry)})
	notifier.OnDelivered, notifier.OnFailed = metrics.AlertsDelivered, metrics.AlertsFailed
	if !cfg.Slack.Enabled() {
		o.Logger.Info("no Slack credentials: alerts print on standard output")
	}
	var rel *relayRecorder
	var relayWatch monitor.Relay // nil, not a nil *relayRecorder, when off
	if cfg.Relay.Off {
		o.Logger.Info("relay.enabled is false: no laundering watch")
	} else {
		if rel, err = newRelayRecorder(ctx, cfg, st, o.Clock, o.Logger); err != nil {
			return err
		}
		relayWatch = rel
	}
	mon := monitor.New(monitor.Options{
		Config: cfg, Store: st, Engine: engine, Fetcher: fetcher,
		Delivery: notifier, Clock: o.Clock, Logger: o.Logger, Metrics: metrics, Relay: relayWatch,
	})

	// On PostgreSQL the work is River's jobs, shared with any other run
	// process on the same database; on SQLite this process does it all.
	var node *cluster.Node
	if store.Backend(cfg.Store) == "postgres" && !o.Once {
		roles := o.Roles
		if roles == (cluster.Roles{}) {
			roles = cluster.Roles{Poll: true, Deliver: true}
		}
		node, err = cluster.New(ctx, cluster.Options{DSN: cfg.Store, Roles: roles, Pipeline: mon, Outbox: notifier,
			Workers: cfg.Crawler.Workers, Lease: cfg.Cluster.Lease, Clock: o.Clock, Logger: o.Logger,
			Metrics: cluster.NewMetrics(metrics.Registry), ID: o.WorkerID})
		if err != nil {
			return err
		}
		defer node.Close()
		if rel != nil {
			rel.shared = true
		}
	}

	var srv *http.Server
	if o.Listen != "" {
		ln, err := net.Listen("tcp", o.Listen)
		if err != nil {
			return fmt.Errorf("app: -listen %s: %w", o.Listen, err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "ok")
			if node != nil {
				st := node.Status()
				delivery := "off"
				switch {
				case st.Leader:
					delivery = "leader"
				case st.Roles.Deliver:
					delivery = "standby"
				}
				fmt.Fprintf(w, "worker: %s\nroles: %s\ndelivery: %s\n", st.Worker, st.Roles, delivery)
			}
		})
		mux.Handle("GET /metrics", metrics.Handler())
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				o.Logger.Error("http server", "err", err)
			}
		}()
		o.Logger.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
		if o.Ready != nil {
			o.Ready(ln.Addr().String())
		}
	}
	reviewSrv, err := startReview(o, st, notifier.Wake, engine, fetcher)
	if err != nil {
		stopHTTP(srv)
		return err
	}
	defer stopHTTP(reviewSrv)
	if err := notifier.Start(ctx); err != nil {
		stopHTTP(srv)
		return err
	}
	// Socket Mode stops, and a verdict being recorded is written, before
	// the store closes (deferred above, so run after this).
	socketCtx, stopSocket := context.WithCancel(ctx)
	var socket sync.WaitGroup
	defer func() {
		stopSocket()
		socket.Wait()
	}()
	if bot := notifier.Bot(); bot != nil && cfg.Slack.Interactive() && (node == nil || node.Status().Roles.Deliver) {
		verdicts := &notify.Verdicts{Store: st, Reply: bot, Clock: o.Clock, Logger: o.Logger, Metrics: notifier.Metrics,
			Allow: notify.NewAllowList(cfg.Slack.VerdictAllow, bot.GroupMembers, o.Clock), Wake: notifier.Wake}
		socket.Go(func() {
			notify.RunSocketMode(socketCtx, cfg.Slack.AppToken, bot, verdicts, cfg.Slack.APIURL, o.Logger)
		})
	}
	if o.Reload != nil && o.ReadConfig != nil {
		r := &reloader{cfg: cfg, read: o.ReadConfig, st: st, mon: mon, logger: o.Logger, now: o.Clock.Now}
		reloadCtx, stopReload := context.WithCancel(ctx)
		var reloads sync.WaitGroup
		defer func() {
			stopReload()
			reloads.Wait()
		}()
		reloads.Go(func() {
			for {
				select {
				case <-reloadCtx.Done():
					return
				case <-o.Reload:
					results, err := r.reload(reloadCtx)
					if o.Reloaded != nil {
						o.Reloaded(results, err)
					}
				}
			}
		})
	}
	if o.Once {
		var c monitor.Cycle
		c, err = mon.PollOnce(ctx)
		if o.Summary != nil && err == nil {
			fmt.Fprintf(o.Summary, "run -once: %s\n", c)
		}
	} else if node != nil {
		err = node.Run(ctx)
	} else {
		err = mon.Run(ctx)
	}
	stopHTTP(srv)
	return err
}

// warnUnsetSecrets names, at WARN, every credential the config refers to
// that has no value, and what that means: an unset ${SLACK_BOT_TOKEN}
// silently sends the alerts to the console otherwise.
func warnUnsetSecrets(logger *slog.Logger, cfg *config.Config) {
	for _, u := range cfg.UnsetSecrets() {
		logger.Warn(u.String(), "key", u.Key, "origin", u.Origin)
	}
}

// ErrNoStore is returned by Daemon when the store's file does not exist
// and InitStore is not set.
var ErrNoStore = errors.New("app: no store")

type noStoreError struct {
	path     string // redacted
	postgres bool
}

func (e *noStoreError) Error() string {
	if e.postgres {
		return "app: store " + e.path + " holds no silencewatch store; pass -init to create a new store in that database"
	}
	return "app: store " + e.path + " does not exist; pass -init to create a new store"
}

func (e *noStoreError) Is(target error) bool { return target == ErrNoStore }

// openDaemonStore opens the store a daemon writes to: it must exist unless
// create is set (then its directory is made too), and the daemon holds its
// exclusive lock, so a second daemon on the same store is refused with
// store.ErrLocked instead of fetching and alerting everything twice.
//
// A PostgreSQL store must hold the store's tables unless create is set
// (an empty database is ErrNoStore, like a missing file), and takes no
// lock: several processes may share the database.
func openDaemonStore(ctx context.Context, path string, create bool) (*store.DB, *store.Lock, error) {
	if store.Backend(path) == "postgres" {
		open := store.OpenPostgresExisting
		if create {
			open = store.OpenPostgres
		}
		st, err := open(ctx, path)
		if errors.Is(err, store.ErrNotInitialized) {
			return nil, nil, &noStoreError{path: store.RedactDSN(path), postgres: true}
		}
		return st, nil, err
	}
	if path == ":memory:" {
		st, err := store.OpenSQLite(ctx, path)
		return st, nil, err
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // messages name the file whatever the working directory
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !create {
		return nil, nil, &noStoreError{path: path}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("app: store: %w", err)
	}
	if create {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, nil, fmt.Errorf("app: store directory: %w", err)
		}
	}
	lock, err := store.AcquireLock(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	return st, lock, nil
}

func stopHTTP(srv *http.Server) {
	if srv == nil {
		return
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	srv.Shutdown(shutdown)
	cancel()
}

// openStore opens the configured store, creating its directory.
// configAndStore loads -config and opens its store, which must exist (the
// commands that read the record never create an empty one); on failure it
// has said why, naming cmd, and returns the exit code.
func configAndStore(ctx context.Context, cmd, configPath string, env Env) (*config.Config, *store.DB, int) {
	cfg, err := loadConfig(configPath, env)
	if err != nil {
		printConfigError(env.Stderr, err)
		return nil, nil, ExitUsage
	}
	st, err := openExistingStore(ctx, cfg.Store)
	if errors.Is(err, ErrNoStore) {
		fmt.Fprintf(env.Stderr, "silencewatch %s: no store at %s (run 'silencewatch run -init' first, or give -config)\n", cmd, store.RedactDSN(cfg.Store))
		return nil, nil, ExitUsage
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch %s: %v\n", cmd, err)
		return nil, nil, ExitUsage
	}
	return cfg, st, ExitOK
}

// writeOutput runs write on a buffered writer to the file out, or to
// standard output when out is "", and reports the first error of
// writing, flushing or closing.
func writeOutput(out string, stdout io.Writer, write func(w io.Writer) error) error {
	w := stdout
	var file *os.File
	if out != "" {
		var err error
		if file, err = os.Create(out); err != nil {
			return err
		}
		defer file.Close() // after a failed write; the good path closes below
		w = file
	}
	bw := bufio.NewWriter(w)
	err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && file != nil {
		err = file.Close()
	}
	return err
}

// openExistingStore opens the store at dsn, which must exist: a SQLite
// file, or a PostgreSQL database holding the store's tables; ErrNoStore
// otherwise.
func openExistingStore(ctx context.Context, dsn string) (*store.DB, error) {
	if store.Backend(dsn) == "postgres" {
		st, err := store.OpenPostgresExisting(ctx, dsn)
		if errors.Is(err, store.ErrNotInitialized) {
			return nil, &noStoreError{path: store.RedactDSN(dsn), postgres: true}
		}
		return st, err
	}
	if _, err := os.Stat(dsn); err != nil {
		return nil, &noStoreError{path: dsn}
	}
	return store.OpenSQLite(ctx, dsn)
}

func openStore(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	if store.Backend(cfg.Store) == "postgres" {
		return store.OpenPostgres(ctx, cfg.Store)
	}
	if dir := filepath.Dir(cfg.Store); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("app: store directory: %w", err)
		}
	}
	return store.OpenSQLite(ctx, cfg.Store)
}
