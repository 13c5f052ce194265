// Package config owns silencewatch's configuration file: its strict
// loading, the checks across fields, and the typed values every other
// package reads. Loading reports every error it finds at once, each with
// the file and line it comes from; a config that loads is complete and
// consistent (every reference resolves, every regex and cron spec
// compiles).
package config

import "path/filepath"

// LookupEnv is the environment as the loader sees it, injectable for tests.
type LookupEnv func(string) (string, bool)

// Parse validates data as if read from path. lookupEnv resolves ${VAR}
// references in secrets.
func Parse(path string, data []byte, lookupEnv LookupEnv) (*Config, error) {
	return parse(&validator{file: path, lookupEnv: lookupEnv, dir: filepath.Dir(path)}, data)
}

// parse validates data with v, which holds the document's nodes until it
// returns: the Config keeps none of them.
func parse(v *validator, data []byte) (*Config, error) {
	raw, ok := v.decode(data)
	if !ok {
		return nil, v.errs
	}
	cfg := v.build(raw)
	if len(v.errs) > 0 {
		v.errs.sort()
		return nil, v.errs
	}
	cfg.Path = v.file
	return cfg, nil
}
