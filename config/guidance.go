package config

import (
	"net/url"

	"github.com/silencewatch/silencewatch/calendar"
)

func (v *validator) guidance(cfg *Config, raws []rawGuidance) {
	seen := map[string]bool{}
	for i, rg := range raws {
		path := p{"guidance", i}
		v.id(path.with("id"), rg.ID, seen, "guidance")
		g := &calendar.Guidance{ID: rg.ID, Authority: rg.Authority, URL: rg.URL, Summary: rg.Summary}
		v.required(path.with("authority"), rg.Authority)
		if v.required(path.with("issued_at"), rg.IssuedAt) {
			g.IssuedAt = v.instant(path.with("issued_at"), rg.IssuedAt)
		}
		if rg.Until != "" {
			g.Until = v.instant(path.with("until"), rg.Until)
			if !g.Until.IsZero() && !g.IssuedAt.IsZero() && !g.Until.After(g.IssuedAt) {
				v.errorf(path.with("until"), "%s is not after issued_at %s", rg.Until, rg.IssuedAt)
			}
		}
		if rg.URL != "" {
			if u, err := url.Parse(rg.URL); err != nil || u.Host == "" {
				v.errorf(path.with("url"), "%q is not an absolute URL", rg.URL)
			}
		}
		cfg.Guidance = append(cfg.Guidance, g)
	}
}
