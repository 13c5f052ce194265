package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/rules/leak"
)

// leakIndexStore is where leak indexes are kept between runs.
type leakIndexStore interface {
	LeakIndex(ctx context.Context, leak string) (key string, blob []byte, stats string, found bool, err error)
	SaveLeakIndex(ctx context.Context, leak, key string, blob []byte, stats string, at time.Time) error
}

// leakReport is what indexing one leak did.
type leakReport struct {
	Leak      string         `json:"leak"`
	Unchanged bool           `json:"unchanged"`
	Documents int            `json:"documents"`
	Skipped   []leak.Skipped `json:"skipped"`
	Bytes     int            `json:"bytes"`
	Took      time.Duration  `json:"took"`
}

func leakOptions(l config.Leak) leak.Options {
	return leak.Options{Identifiers: l.Identifiers, Names: l.Names, DisclosedAt: l.DisclosedAt, Background: leak.DefaultBackground()}
}

// leakIndexes loads the index of every leak with a corpus, rebuilding it
// (incrementally) when the corpus changed; with st nil, indexes are built
// in memory only. (A leak without a corpus needs none: the rule engine
// runs leak_report on its identifiers and names.)
func leakIndexes(ctx context.Context, cfg *config.Config, st leakIndexStore, now time.Time) (map[string]rules.LeakIndex, []leakReport, error) {
	out := map[string]rules.LeakIndex{}
	var reports []leakReport
	for _, l := range cfg.Leaks {
		if l.Corpus == "" {
			continue
		}
		start := time.Now()
		opts := leakOptions(l)
		key, err := leak.CorpusKey(l.Corpus, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("leak %q: corpus %s: %w", l.ID, l.Corpus, err)
		}
		var prev *leak.Index
		if st != nil {
			storedKey, blob, stats, found, err := st.LeakIndex(ctx, l.ID)
			if err != nil {
				return nil, nil, err
			}
			if found {
				ix := &leak.Index{}
				if err := ix.UnmarshalBinary(blob); err == nil {
					if storedKey == key {
						rep := leakReport{Leak: l.ID, Unchanged: true, Bytes: len(blob)}
						json.Unmarshal([]byte(stats), &rep)
						rep.Unchanged, rep.Took = true, time.Since(start)
						out[l.ID] = ix
						reports = append(reports, rep)
						continue
					}
					prev = ix
				}
			}
		}
		docs, skipped, err := leak.ReadCorpus(l.Corpus)
		if err != nil {
			return nil, nil, fmt.Errorf("leak %q: %w", l.ID, err)
		}
		ix := leak.Update(prev, docs, opts)
		blob, err := ix.MarshalBinary()
		if err != nil {
			return nil, nil, fmt.Errorf("leak %q: %w", l.ID, err)
		}
		rep := leakReport{Leak: l.ID, Documents: ix.Stats().Documents, Skipped: skipped, Bytes: len(blob)}
		if st != nil {
			stats, _ := json.Marshal(rep)
			if err := st.SaveLeakIndex(ctx, l.ID, key, blob, string(stats), now); err != nil {
				return nil, nil, err
			}
		}
		rep.Took = time.Since(start)
		out[l.ID] = ix
		reports = append(reports, rep)
	}
	return out, reports, nil
}

func printLeakReports(w io.Writer, reports []leakReport) {
	for _, r := range reports {
		state := "indexed"
		if r.Unchanged {
			state = "unchanged, index loaded"
		}
		fmt.Fprintf(w, "%s: %s: %d documents, %d skipped, index %.1f MB, %s\n", r.Leak, state, r.Documents, len(r.Skipped),
			float64(r.Bytes)/(1<<20), r.Took.Round(time.Millisecond))
		for _, s := range r.Skipped {
			fmt.Fprintf(w, "  skipped %s: %s\n", s.Path, s.Reason)
		}
	}
}

func runLeaks(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || (args[0] != "index" && args[0] != "eval" && args[0] != "train") {
		fmt.Fprintln(env.Stderr, "usage: silencewatch leaks index [-config FILE]\n       silencewatch leaks eval -real\n       silencewatch leaks eval [-dir DIR]\n       silencewatch leaks train [-synthetic DIR] [-o FILE]")
		return ExitUsage
	}
	if args[0] == "train" {
		return runLeaksTrain(args[1:], env)
	}
	if args[0] == "eval" {
		fs := newFlagSet("leaks eval", env)
		dir := fs.String("dir", "", "an evaluation set laid out like rules/leak/testdata (corpus/, articles/, leak.json) (default: the synthetic set built into the binary)")
		real := fs.Bool("real", false, "cross-validate on the embedded real corpus, leave-one-leak-out, corpus-free (the synthetic train split, of -dir when given, is added to every fold's training)")
		if code, done := parseFlags(fs, args[1:]); done {
			return code
		}
		synth := leak.Synthetic()
		if *dir != "" {
			synth = os.DirFS(*dir)
		}
		if *real {
			corpus, err := leak.ReadRealCorpus()
			if err != nil {
				fmt.Fprintln(env.Stderr, "silencewatch leaks eval:", err)
				return ExitUsage
			}
			ex, err := leak.TrainingSetFS(corpus, synth)
			if err != nil {
				fmt.Fprintln(env.Stderr, "silencewatch leaks eval:", evalDirError(err, *dir))
				return ExitUsage
			}
			cv := leak.CrossValidate(ex)
			fmt.Fprintln(env.Stdout, cv.String())
			fmt.Fprintln(env.Stdout, leak.LanguageString(corpus.ByLanguage(cv)))
			fmt.Fprintln(env.Stdout, corpus.CheckEvidence(cv).String())
			fmt.Fprintln(env.Stdout, corpus.SecondReview(cv).String())
			return ExitOK
		}
		ev, err := leak.EvaluateFS(synth)
		if err != nil {
			fmt.Fprintln(env.Stderr, "silencewatch leaks eval:", evalDirError(err, *dir))
			return ExitUsage
		}
		fmt.Fprintln(env.Stdout, ev.String())
		return ExitOK
	}
	fs := newFlagSet("leaks index", env)
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	cfg, err := loadConfig(*configPath, env)
	if err != nil {
		printConfigError(env.Stderr, err)
		return ExitUsage
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	defer st.Close()
	_, reports, err := leakIndexes(ctx, cfg, st, env.Now())
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch leaks index: %v\n", err)
		return ExitUsage
	}
	if len(reports) == 0 {
		fmt.Fprintln(env.Stdout, "no leak has a corpus in", cfg.Path)
	}
	printLeakReports(env.Stdout, reports)
	return ExitOK
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// evalDirError names the directory -dir gave in an error reading it.
func evalDirError(err error, dir string) error {
	if dir == "" {
		return err
	}
	return fmt.Errorf("-dir %s: %w", dir, err)
}

func realTrainingSet(synth fs.FS) ([]leak.Example, error) {
	corpus, err := leak.ReadRealCorpus()
	if err != nil {
		return nil, err
	}
	return leak.TrainingSetFS(corpus, synth)
}

// runLeaksTrain fits the classifier's weights (leak.Train) and writes
// them where the binary embeds them from.
func runLeaksTrain(args []string, env Env) int {
	fs := newFlagSet("leaks train", env)
	dir := fs.String("synthetic", "rules/leak/testdata", "the synthetic evaluation set whose train split is added to the real corpus")
	out := fs.String("o", "rules/leak/model.json", "where to write the weights (rebuild the binary to ship them)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	ex, err := realTrainingSet(os.DirFS(*dir))
	if err != nil {
		fmt.Fprintln(env.Stderr, "silencewatch leaks train:", evalDirError(err, *dir))
		return ExitUsage
	}
	m := leak.Train(ex)
	b, err := leak.MarshalModel(m)
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "silencewatch leaks train:", err)
		return ExitUsage
	}
	fmt.Fprintf(env.Stdout, "%s: %s\n", *out, m.Trained)
	return ExitOK
}
