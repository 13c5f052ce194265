package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/silencewatch/silencewatch/clock"
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
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, err := loadConfig(*configPath, env)
	if err != nil {
		printConfigError(env.Stderr, err)
		return ExitUsage
	}
	logger := newLogger(env.Stderr, env.IsTerminal)
	if err := Daemon(ctx, DaemonOptions{Config: cfg, Listen: *listen, Clock: clock.Real{}, Logger: logger, Alerts: env.Stdout, Once: *once}); err != nil {
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
	// Transport, when set, carries every fetch (tests, the demo).
	Transport http.RoundTripper
	// SlackHTTP, when set, is the HTTP client for Slack.
	SlackHTTP *http.Client
	// Ready, when set, receives the HTTP listener's address once serving.
	Ready func(addr string)
	// Once polls every source once and returns instead of running.
	Once bool
	// DeliveryClock paces alert delivery; Clock when nil. The demo runs
	// the pipeline on simulated time but talks to Slack in real time.
	DeliveryClock clock.Clock
}

// Daemon runs the whole pipeline until ctx is cancelled: the store, the
// schedules and fetch pool, evaluation, the outbox and, when Listen is
// set, /healthz and /metrics.
func Daemon(ctx context.Context, o DaemonOptions) error {
	cfg := o.Config
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
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
		Now: o.Clock.Now, Transport: o.Transport,
	})
	metrics := monitor.NewMetrics()
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
	mon := monitor.New(monitor.Options{
		Config: cfg, Store: st, Engine: engine, Fetcher: fetcher,
		Delivery: notifier, Clock: o.Clock, Logger: o.Logger, Metrics: metrics, Transport: o.Transport,
	})

	var srv *http.Server
	if o.Listen != "" {
		ln, err := net.Listen("tcp", o.Listen)
		if err != nil {
			return fmt.Errorf("app: -listen %s: %w", o.Listen, err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "ok")
		})
		mux.Handle("GET /metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
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
	if bot := notifier.Bot(); bot != nil && cfg.Slack.Interactive() {
		verdicts := &notify.Verdicts{Store: st, Reply: bot, Clock: o.Clock, Logger: o.Logger, Metrics: notifier.Metrics,
			Allow: notify.NewAllowList(cfg.Slack.VerdictAllow, bot.GroupMembers, o.Clock), Wake: notifier.Wake}
		socket.Go(func() {
			notify.RunSocketMode(socketCtx, cfg.Slack.AppToken, bot, verdicts, cfg.Slack.APIURL, o.Logger)
		})
	}
	if o.Once {
		err = mon.PollOnce(ctx)
	} else {
		err = mon.Run(ctx)
	}
	stopHTTP(srv)
	return err
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
func openStore(ctx context.Context, cfg *config.Config) (*store.SQLite, error) {
	if dir := filepath.Dir(cfg.Store); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("app: store directory: %w", err)
		}
	}
	return store.OpenSQLite(ctx, cfg.Store)
}
