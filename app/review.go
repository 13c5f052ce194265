package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/backtest"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/monitor"
	"github.com/silencewatch/silencewatch/review"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

// startReview serves the review web UI on o.Review (run -review ADDR)
// until the returned server is stopped; nil when o.Review is empty.
func startReview(o DaemonOptions, st *store.DB, wake func(), engine *rules.Engine, fetcher *crawler.Fetcher) (*http.Server, error) {
	if o.Review == "" {
		return nil, nil
	}
	h, err := review.New(review.Options{Store: st, Config: o.Config, Clock: o.Clock, Logger: o.Logger, Wake: wake,
		Check: selfCheck(o.Config, engine, fetcher), Backtest: func(ctx context.Context, rule string, since time.Time) (backtest.Result, error) {
			res, err := monitor.Backtest(ctx, st, engine, []string{rule}, since)
			if err != nil || len(res) == 0 {
				return backtest.Result{}, err
			}
			return res[0], nil
		}})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Review)
	if err != nil {
		return nil, fmt.Errorf("app: -review %s: %w", o.Review, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Logger.Error("review server", "err", err)
		}
	}()
	addr := ln.Addr().String()
	o.Logger.Info("serving the review web UI", "addr", addr, "url", "http://"+addr+"/")
	if ap, err := netip.ParseAddrPort(addr); err == nil && !ap.Addr().IsLoopback() {
		o.Logger.Warn("the review web UI is reachable from other machines: serve it behind TLS (sessions use Secure cookies only over TLS)", "addr", addr)
	}
	if o.ReviewReady != nil {
		o.ReviewReady(addr)
	}
	return srv, nil
}

// serveDemoReview serves the review UI on the demo's store until ctx is
// done, with a reviewer account made for the occasion, whose name and
// password it prints: a newcomer clicks through the night's findings.
func serveDemoReview(ctx context.Context, cfg *config.Config, addr string, env Env) error {
	st, err := store.OpenSQLite(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	password, err := review.NewToken()
	if err != nil {
		return err
	}
	password = password[:16]
	hash, err := review.HashPassword(password, review.DefaultHashParams())
	if err != nil {
		return err
	}
	name := "demo"
	if _, err := st.UserByName(ctx, name); err == nil {
		if err := st.RemoveUser(ctx, name); err != nil { // an earlier -serve's account: a new password
			return err
		}
	}
	if _, err := st.AddUser(ctx, name, store.RoleReviewer, hash, env.Now()); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ready := make(chan string, 1)
	indexes, _, err := leakIndexes(ctx, cfg, st, env.Now())
	if err != nil {
		return err
	}
	engine, err := rules.New(cfg, rules.WithLeakIndexes(indexes))
	if err != nil {
		return err
	}
	fetcher := crawler.NewFetcher(crawler.FetcherOptions{ContactURL: cfg.Crawler.ContactURL, Timeout: cfg.Crawler.Timeout,
		MaxBodyBytes: cfg.Crawler.MaxBodyBytes, AllowPrivate: cfg.Crawler.AllowPrivate, Now: env.Now})
	srv, err := startReview(DaemonOptions{Review: addr, Config: cfg, Clock: clock.Real{}, Logger: logger,
		ReviewReady: func(a string) { ready <- a }}, st, nil, engine, fetcher)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nReview UI: http://%s/  (name %s, password %s; a reviewer account for this demo)\nPress Ctrl-C to stop.\n", <-ready, name, password)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// selfCheck is the review UI's self-check: a draft, a page or a feed
// judged by engine as check would, through the guarded fetcher; nothing is
// stored.
func selfCheck(cfg *config.Config, engine *rules.Engine, fetcher *crawler.Fetcher) review.Checker {
	return func(ctx context.Context, in review.CheckInput) ([]review.CheckedArticle, error) {
		var arts []article.Article
		if in.URL != "" {
			if !strings.HasPrefix(in.URL, "http://") && !strings.HasPrefix(in.URL, "https://") {
				return nil, fmt.Errorf("%s: give an http or https URL", in.URL)
			}
			got, err := readTarget(ctx, fetcher, in.URL, nil, in.At, engine.Location(in.Source))
			if err != nil {
				return nil, err
			}
			arts = got
		}
		if strings.TrimSpace(in.Title) != "" || strings.TrimSpace(in.Text) != "" {
			sum := sha256.Sum256([]byte(in.Title + "\n" + in.Text))
			arts = append(arts, article.Article{GUID: "draft:" + hex.EncodeToString(sum[:8]), Title: strings.TrimSpace(in.Title),
				Content: strings.TrimSpace(in.Text), FirstSeenAt: in.At})
		}
		src, _ := cfg.Source(in.Source)
		var out []review.CheckedArticle
		for i := range arts {
			a := &arts[i]
			publishedBy(a, src)
			if a.FirstSeenAt.IsZero() || !in.At.IsZero() {
				a.FirstSeenAt = in.At
			}
			out = append(out, review.CheckedArticle{Article: *a, Findings: engine.Evaluate(a)})
		}
		return out, nil
	}
}
