package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/export"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runExport(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("export", env)
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	format := fs.String("format", "jsonl", "warc, jsonl or csv")
	sinceFlag := fs.String("since", "", "only findings recorded at or after this RFC 3339 time")
	out := fs.String("o", "", "output file (default: standard output; required for warc)")
	var ids listFlag
	fs.Var(&ids, "finding", "only this finding (its id as shown in alerts, or #row); repeatable")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *format != "warc" && *format != "jsonl" && *format != "csv" {
		fmt.Fprintf(env.Stderr, "silencewatch export: -format %q: want warc, jsonl or csv\n", *format)
		return ExitUsage
	}
	if *format == "warc" && *out == "" {
		fmt.Fprintln(env.Stderr, "silencewatch export: -format warc needs -o FILE")
		return ExitUsage
	}
	var since time.Time
	if *sinceFlag != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, *sinceFlag); err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch export: -since %q: want an RFC 3339 time\n", *sinceFlag)
			return ExitUsage
		}
	}
	_, st, code := configAndStore(ctx, "export", *configPath, env)
	if st == nil {
		return code
	}
	defer st.Close()
	items, err := export.Collect(ctx, st, export.Filter{Since: since, IDs: ids})
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	err = writeOutput(*out, env.Stdout, func(w io.Writer) error {
		var err error
		switch *format {
		case "warc":
			var n int
			n, err = export.WriteWARC(w, items, env.Now())
			if err == nil {
				fmt.Fprintf(env.Stderr, "%s: %d WARC records for %d findings\n", *out, n, len(items))
			}
		case "jsonl":
			err = export.WriteJSONL(w, items)
		case "csv":
			err = export.WriteCSV(w, items)
		}
		return err
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	return ExitOK
}
