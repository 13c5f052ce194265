package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/crawler/extract"
	"github.com/silencewatch/silencewatch/terminal"
)

// extracted is what `extract` prints for one article.
type extracted struct {
	extract.Result
	Source string `json:"source"` // "page" or "feed"
}

func runExtract(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("extract", env)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: silencewatch extract [-format text|json] [-config FILE] [-allow-private CIDR] TARGET\n\nTARGET is an http(s) URL or a file: an article page, or a feed (each item shown as the feed gives it).\nWith -format json, a page prints one object and a feed an array; the body is the string field \"text\".\n\nflags:")
		fs.PrintDefaults()
	}
	format := fs.String("format", "text", "text or json")
	configPath := fs.String("config", "", "config file whose crawler settings (allow_private, timeout, max_body_bytes, contact_url) apply to a URL; none by default")
	allowPrivate := allowPrivateFlag(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	fopts := crawler.FetcherOptions{Now: env.Now, AllowPrivate: *allowPrivate}
	if *configPath != "" {
		cfg, err := loadConfig(*configPath, env)
		if err != nil {
			printConfigError(env.Stderr, err)
			return ExitUsage
		}
		c := cfg.Crawler
		fopts.ContactURL, fopts.Timeout, fopts.MaxBodyBytes = c.ContactURL, c.Timeout, c.MaxBodyBytes
		fopts.AllowPrivate = append(slices.Clone(c.AllowPrivate), fopts.AllowPrivate...)
	}
	if fs.NArg() != 1 || (*format != "text" && *format != "json") {
		fs.Usage()
		return ExitUsage
	}
	target := fs.Arg(0)
	data, url, contentType, err := loadTarget(ctx, env, crawler.NewFetcher(fopts), target)
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch extract: %v\n", err)
		return ExitUsage
	}
	var out []extracted
	single := false
	switch sniff(target, data) {
	case kindFeed:
		// No config here: a date without a zone is read as UTC.
		feed, err := crawler.ParseFeed(data, contentType, url, env.Now(), nil)
		if err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch extract: %v\n", err)
			return ExitUsage
		}
		for _, it := range feed.Items {
			text := it.Content
			if text == "" {
				text = it.Summary
			}
			r := extract.Result{URL: it.URL, Title: it.Title, Author: it.Author, Language: it.Language, Text: text,
				Extractor: extract.ExtractorFeed, PublishedAt: it.PublishedAt, ModifiedAt: it.UpdatedAt}
			if !it.PublishedAt.IsZero() {
				r.PublishedFrom = extract.FromFeed
			}
			if !it.UpdatedAt.IsZero() {
				r.ModifiedFrom = extract.FromFeed
			}
			out = append(out, extracted{Result: r, Source: "feed"})
		}
	default:
		res, err := extract.Extract(data, contentType, url, extract.Feed{})
		if err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch extract: %s: %v\n", target, err)
			return ExitUsage
		}
		out = append(out, extracted{Result: res, Source: "page"})
		single = true
	}
	if *format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		var v any = out
		if single {
			v = out[0]
		}
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch extract: %v\n", err)
			return ExitUsage
		}
		return ExitOK
	}
	for i, e := range out {
		if i > 0 {
			fmt.Fprintln(env.Stdout, strings.Repeat("─", 60))
		}
		printExtracted(env.Stdout, e)
	}
	return ExitOK
}

// printExtracted prints what a page or feed said, cleaned of terminal
// control sequences (it is the outlet's text, not ours).
func printExtracted(w io.Writer, e extracted) {
	cl := terminal.Clean
	fmt.Fprintf(w, "title:     %s\nurl:       %s\n", cl(e.Title), cl(e.URL))
	if e.Author != "" {
		fmt.Fprintf(w, "author:    %s\n", cl(e.Author))
	}
	if e.Language != "" {
		fmt.Fprintf(w, "language:  %s\n", cl(e.Language))
	}
	fmt.Fprintf(w, "published: %s\nmodified:  %s\nextractor: %s (%d words)\n", timeFrom(e.PublishedAt, e.PublishedFrom),
		timeFrom(e.ModifiedAt, e.ModifiedFrom), e.Extractor, len(strings.Fields(e.Text)))
	for _, n := range e.Notes {
		fmt.Fprintf(w, "note:      %s\n", cl(n))
	}
	fmt.Fprintf(w, "\n%s\n", cl(e.Text))
}

func timeFrom(t time.Time, from string) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.Format(time.RFC3339) + " (from " + from + ")"
}

// loadTarget reads a file, stdin ("-") or an http(s) URL.
func loadTarget(ctx context.Context, env Env, f *crawler.Fetcher, target string) (data []byte, url, contentType string, err error) {
	switch {
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		res, err := f.Fetch(ctx, crawler.FetchRequest{Source: "extract", URL: target})
		if err != nil {
			return nil, "", "", err
		}
		return res.Body, res.FinalURL, res.ContentType, nil
	case target == "-":
		data, err = io.ReadAll(env.Stdin)
		return data, "stdin", "", err
	}
	data, err = os.ReadFile(target)
	if err != nil {
		return nil, "", "", err
	}
	url = target
	if abs, err := filepath.Abs(target); err == nil {
		url = "file://" + abs
	}
	return data, url, "", nil
}
