package config

import (
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/textmatch"
)

func (v *validator) lists(cfg *Config, raw map[string][]string) {
	for name, terms := range raw {
		path := p{"lists", name}
		if !idPattern.MatchString(name) {
			v.errorf(path, "list name %q: want lower-case letters, digits, '.', '_' or '-'", name)
		}
		if len(terms) == 0 {
			v.errorf(path, "list %q is empty", name)
		}
		for j, t := range terms {
			if textmatch.String(t, true) == "" {
				v.errorf(path.with(j), "term %q is empty once normalised", t)
			}
		}
		cfg.Lists[name] = terms
	}
}

func (v *validator) rules(cfg *Config, raws []rawRule) {
	seen := map[string]bool{}
	leaks := map[string]time.Time{}
	for _, l := range cfg.Leaks {
		leaks[l.ID] = l.DisclosedAt
	}
	guidance := map[string]time.Time{}
	for _, g := range cfg.Guidance {
		guidance[g.ID] = g.IssuedAt
	}
	for i, rr := range raws {
		path := p{"rules", i}
		v.id(path.with("id"), rr.ID, seen, "rule")
		r := Rule{ID: rr.ID, Title: rr.Title, Reference: rr.Reference, Line: v.line(path), Scope: Scope(rr.Scope)}
		v.required(path.with("title"), rr.Title)
		if v.required(path.with("severity"), rr.Severity) {
			sev, err := ParseSeverity(rr.Severity)
			if err != nil {
				v.errorf(path.with("severity"), "unknown severity %q (expected info, low, medium, high or critical)", rr.Severity)
			}
			r.Severity = sev
		}
		if len(rr.Windows) == 0 {
			v.errorf(path.with("windows"), "is required: list window references, or [always]")
		}
		for j, ref := range rr.Windows {
			switch {
			case ref == "always":
				r.Always = true
			case calendar.HasRef(cfg.Elections, cfg.Guidance, ref):
				r.Windows = append(r.Windows, ref)
			default:
				v.errorf(path.with("windows", j), "unknown window %q (expected always, ELECTION/ROUND/WINDOW, ELECTION/WINDOW or guidance:ID; known: %s)", ref, strings.Join(knownWindowRefs(cfg), ", "))
			}
		}
		if r.Always && len(r.Windows) > 0 {
			v.errorf(path.with("windows"), "always cannot be combined with other windows")
		}
		if rr.Since != "" {
			r.SinceRef = rr.Since
			if id, ok := strings.CutPrefix(rr.Since, "leak:"); ok {
				t, found := leaks[id]
				if !found {
					v.errorf(path.with("since"), "unknown leak %q", id)
				}
				r.Since = t
			} else if id, ok := strings.CutPrefix(rr.Since, "guidance:"); ok {
				t, found := guidance[id]
				if !found {
					v.errorf(path.with("since"), "unknown guidance %q", id)
				}
				r.Since = t
			} else if t, err := time.Parse(time.RFC3339, rr.Since); err == nil {
				r.Since = t
			} else {
				v.errorf(path.with("since"), "%q: expected leak:ID, guidance:ID or an RFC 3339 instant", rr.Since)
			}
		}
		for j, src := range rr.Scope.Sources {
			if !hasSource(cfg.Sources, src) {
				v.errorf(path.with("scope", "sources", j), "unknown source %q", src)
			}
		}
		if rr.Match == nil {
			v.errorf(path.with("match"), "is required")
		} else {
			r.Match = v.match(path.with("match"), rr.Match, cfg.Lists, leakIDs(cfg.Leaks))
		}
		cfg.Rules = append(cfg.Rules, r)
	}
}

func hasSource(sources []Source, name string) bool {
	for _, s := range sources {
		if s.Name == name {
			return true
		}
	}
	return false
}

func knownWindowRefs(cfg *Config) []string {
	var out []string
	for _, e := range cfg.Elections {
		for _, r := range e.Rounds {
			for _, w := range r.Windows {
				out = append(out, e.ID+"/"+r.ID+"/"+w.Name)
			}
		}
	}
	for _, g := range cfg.Guidance {
		out = append(out, "guidance:"+g.ID)
	}
	if len(out) == 0 {
		return []string{"none defined"}
	}
	return out
}
