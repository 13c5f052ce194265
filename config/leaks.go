package config

import (
	"path/filepath"
	"strings"
)

func (v *validator) leaks(cfg *Config, raws []rawLeak) {
	seen := map[string]bool{}
	for i, rl := range raws {
		path := p{"leaks", i}
		v.id(path.with("id"), rl.ID, seen, "leak")
		l := Leak{ID: rl.ID, Name: rl.Name, Identifiers: rl.Identifiers, Names: rl.Names, Corpus: rl.Corpus}
		if v.required(path.with("disclosed_at"), rl.DisclosedAt) {
			l.DisclosedAt = v.instant(path.with("disclosed_at"), rl.DisclosedAt)
		}
		for j, n := range rl.Names {
			if strings.TrimSpace(n) == "" {
				v.errorf(path.with("names", j), "empty name")
			}
		}
		if l.Corpus != "" && !filepath.IsAbs(l.Corpus) {
			l.Corpus = filepath.Join(v.dir, l.Corpus)
		}
		cfg.Leaks = append(cfg.Leaks, l)
	}
}
