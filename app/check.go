package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/crawler/extract"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

func runCheck(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("check", env)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: silencewatch check [flags] TARGET...\n\nTARGET is an http(s) URL or a local file of a feed (RSS, Atom, JSON Feed) or an HTML page, a text or markdown file, or - for text on stdin.\n\nflags:")
		fs.PrintDefaults()
	}
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	at := fs.String("at", "", "first-seen time of every article, RFC 3339 (default: now)")
	format := fs.String("format", "text", "output format: text or json")
	failOn := fs.String("fail-on", "low", "exit 1 when a finding reaches this severity: info, low, medium, high, critical")
	sourceName := fs.String("source", "", "treat the targets as published by this configured source (its tags, zones and language apply)")
	allowPrivate := allowPrivateFlag(fs)
	targets, code, done := parseInterspersed(fs, args)
	if done {
		return code
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(env.Stderr, "silencewatch check: -format %q: want text or json\n", *format)
		return ExitUsage
	}
	threshold, err := config.ParseSeverity(strings.ToLower(*failOn))
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch check: -fail-on %q: want info, low, medium, high or critical\n", *failOn)
		return ExitUsage
	}
	firstSeen := env.Now()
	if *at != "" {
		if firstSeen, err = time.Parse(time.RFC3339, *at); err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch check: -at %q: want an RFC 3339 time such as 2017-05-06T10:00:00+02:00\n", *at)
			return ExitUsage
		}
	}
	if len(targets) == 0 {
		fs.Usage()
		return ExitUsage
	}
	cfg, err := loadConfig(*configPath, env)
	if err != nil {
		printConfigError(env.Stderr, err)
		return ExitUsage
	}
	var src config.Source
	if *sourceName != "" {
		var ok bool
		if src, ok = cfg.Source(*sourceName); !ok {
			fmt.Fprintf(env.Stderr, "silencewatch check: -source %q is not a source of %s\n", *sourceName, cfg.Path)
			return ExitUsage
		}
	}
	// Leak indexes come from the store when it holds them current;
	// otherwise they are built in memory for this check.
	var indexStore leakIndexStore
	if store.Backend(cfg.Store) == "postgres" {
		// Reading only: a database without the store's tables stays so.
		st, err := store.OpenPostgresExisting(ctx, cfg.Store)
		switch {
		case err == nil:
			defer st.Close()
			indexStore = st
		case !errors.Is(err, store.ErrNotInitialized):
			fmt.Fprintf(env.Stderr, "silencewatch check: leak indexes are built in memory: %v\n", err)
		}
	} else if fileExists(cfg.Store) {
		if st, err := store.OpenSQLite(ctx, cfg.Store); err == nil {
			defer st.Close()
			indexStore = st
		}
	}
	indexes, _, err := leakIndexes(ctx, cfg, indexStore, env.Now())
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch check: %v\n", err)
		return ExitUsage
	}
	engine, err := rules.New(cfg, rules.WithLeakIndexes(indexes))
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}

	var all []finding.Finding
	var checked []checkedArticle
	inputErrors := 0
	fetcher := crawler.NewFetcher(crawler.FetcherOptions{
		ContactURL: cfg.Crawler.ContactURL, Timeout: cfg.Crawler.Timeout, MaxBodyBytes: cfg.Crawler.MaxBodyBytes,
		AllowPrivate: append(slices.Clone(cfg.Crawler.AllowPrivate), *allowPrivate...), Now: env.Now,
	})
	for _, target := range targets {
		articles, err := readTarget(ctx, fetcher, target, env.Stdin, firstSeen, engine.Location(src.Name))
		if err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch check: %v\n", err)
			inputErrors++
			continue
		}
		for i := range articles {
			a := &articles[i]
			publishedBy(a, src)
			findings := engine.Evaluate(a)
			checked = append(checked, checkedArticle{target: target, article: a, findings: findings})
			all = append(all, findings...)
		}
	}

	switch *format {
	case "json":
		if all == nil {
			all = []finding.Finding{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(all); err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch check: %v\n", err)
			return ExitUsage
		}
	default:
		printCheck(env.Stdout, checked, threshold, env.IsTerminal)
	}
	if inputErrors > 0 {
		return ExitUsage
	}
	for _, f := range all {
		if f.Severity >= threshold {
			return ExitFindings
		}
	}
	return ExitOK
}

type checkedArticle struct {
	target   string
	article  *article.Article
	findings []finding.Finding
}

// readTarget turns a file, an http(s) URL or - (stdin) into articles:
// every item of a feed, one article for an HTML page, one for text or
// markdown.
// local is the outlet's time zone, for a feed's dates written without one
// (see crawler.ParseFeed).
func readTarget(ctx context.Context, fetcher *crawler.Fetcher, target string, stdin io.Reader, firstSeen time.Time, local *time.Location) ([]article.Article, error) {
	var data []byte
	var err error
	url := target
	contentType := ""
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		res, err := fetcher.Fetch(ctx, crawler.FetchRequest{Source: "check", URL: target})
		if err != nil {
			return nil, err
		}
		data, url, contentType = res.Body, res.FinalURL, res.ContentType
	} else if target == "-" {
		data, err = io.ReadAll(stdin)
		url = "stdin"
	} else {
		data, err = os.ReadFile(target)
		if abs, absErr := filepath.Abs(target); absErr == nil {
			url = "file://" + abs
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty: nothing to check", target)
	}
	switch sniff(target, data) {
	case kindFeed:
		feed, err := crawler.ParseFeed(data, contentType, url, firstSeen, local)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", target, err)
		}
		return feed.Items, nil // an empty feed is 0 articles, not an error
	case kindPage:
		res, err := extract.Extract(data, contentType, url, extract.Feed{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", target, err)
		}
		guid := res.URL
		if strings.HasPrefix(guid, "file://") { // a saved page without its address: identified by content
			sum := sha256.Sum256(data)
			guid = "page:" + hex.EncodeToString(sum[:8])
		}
		return []article.Article{{URL: res.URL, GUID: guid, Title: res.Title, Author: res.Author, Content: res.Text,
			Language: res.Language, PublishedAt: res.PublishedAt, UpdatedAt: res.ModifiedAt, FirstSeenAt: firstSeen}}, nil
	}
	if off, ok := binaryAt(data); ok {
		return nil, fmt.Errorf("%s: binary data, not text (byte %#02x at offset %d): give a feed, an HTML page or a text file", target, data[off], off)
	}
	a := textArticle(string(data), url, firstSeen)
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		// A text from stdin or a file is identified by its content, not by
		// where it was read: the same draft checked from two directories
		// (or machines) gets the same finding ids.
		sum := sha256.Sum256(data)
		a.GUID = "text:" + hex.EncodeToString(sum[:8])
	}
	return []article.Article{a}, nil
}

// binaryAt finds, in the first 8 KiB, what text never holds: a NUL or
// another control character other than tab, line feed, form feed and
// carriage return, or bytes that are not UTF-8.
func binaryAt(data []byte) (int, bool) {
	head := data[:min(len(data), 8<<10)]
	for i := 0; i < len(head); {
		c := head[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
			return i, true
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 && i+utf8.UTFMax < len(head) { // a rune cut at the 8 KiB mark is fine
			return i, true
		}
		i += size
	}
	return 0, false
}

type targetKind int

const (
	kindText targetKind = iota
	kindFeed
	kindPage
)

// sniff decides what a target holds from its first bytes, with the file
// extension only breaking ties for text.
func sniff(name string, data []byte) targetKind {
	head := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(head) > 4096 {
		head = head[:4096]
	}
	lower := bytes.ToLower(head)
	switch {
	case bytes.HasPrefix(lower, []byte("{")) && bytes.Contains(lower, []byte("jsonfeed.org")):
		return kindFeed
	case bytes.HasPrefix(lower, []byte("<")):
		if bytes.Contains(lower, []byte("<rss")) || bytes.Contains(lower, []byte("<feed")) || bytes.Contains(lower, []byte("<rdf:rdf")) {
			return kindFeed
		}
		if bytes.Contains(lower, []byte("<html")) || bytes.Contains(lower, []byte("<!doctype html")) || bytes.Contains(lower, []byte("<body")) {
			return kindPage
		}
	}
	return kindText
}

// textArticle reads plain text or markdown: the first non-empty line is
// the title (a leading # is dropped), the rest the content.
func textArticle(text, url string, firstSeen time.Time) article.Article {
	text = strings.TrimPrefix(text, "\ufeff")
	title, body := text, ""
	trimmed := strings.TrimLeft(text, " \t\r\n")
	if i := strings.IndexByte(trimmed, '\n'); i >= 0 {
		title, body = trimmed[:i], trimmed[i+1:]
	} else {
		title = trimmed
	}
	title = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(title), "#"))
	return article.Article{URL: url, GUID: url, Title: title, Content: strings.TrimSpace(body), FirstSeenAt: firstSeen}
}

// publishedBy makes a as if src published it: its name (so its tags and
// zones apply) and, when a says none, its language. A zero src changes
// nothing.
func publishedBy(a *article.Article, src config.Source) {
	if src.Name == "" {
		return
	}
	a.Source = src.Name
	if a.Language == "" {
		a.Language = src.Language
	}
}
