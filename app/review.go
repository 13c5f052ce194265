package app

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/silencewatch/silencewatch/review"
	"github.com/silencewatch/silencewatch/store"
)

// startReview serves the review web UI on o.Review (run -review ADDR)
// until the returned server is stopped; nil when o.Review is empty.
func startReview(o DaemonOptions, st *store.SQLite, wake func()) (*http.Server, error) {
	if o.Review == "" {
		return nil, nil
	}
	h, err := review.New(review.Options{Store: st, Config: o.Config, Clock: o.Clock, Logger: o.Logger, Wake: wake})
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
