package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/silencewatch/silencewatch/weburl"
)

// cronParser accepts an optional seconds field, descriptors such as @every,
// and CRON_TZ= prefixes.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseCron guards against the library's panic on a spec of only CRON_TZ=X
// (robfig/cron issue #554).
func parseCron(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid spec: %v", r)
		}
	}()
	return cronParser.Parse(spec)
}

func (v *validator) sources(cfg *Config, raws []rawSource, zoneIDs map[string]bool) {
	seen := make(map[string]bool, len(raws))
	cfg.Sources = make([]Source, 0, len(raws))
	for i, rs := range raws {
		path := p{"sources", i}
		v.id(path.with("name"), rs.Name, seen, "source")
		s := Source{Name: rs.Name, URL: rs.URL, Kind: rs.Kind, Language: strings.ToLower(rs.Language), Tags: rs.Tags, Zones: rs.Zones, Cron: rs.Cron}
		if s.Kind == "" {
			s.Kind = "feed"
		}
		if s.Kind != "feed" && s.Kind != "site" {
			v.errorf(path.with("kind"), "unknown kind %q (expected feed or site)", rs.Kind)
		}
		s.Username, s.LinkHosts = rs.Username, rs.LinkHosts
		s.Password = v.secret(path, "password", rs.Password, "password_file", rs.PasswordFile)
		if s.Password.IsSet() && s.Username == "" {
			v.errorf(path.with("username"), "is required with password")
		}
		for j, h := range rs.LinkHosts {
			if h == "" || strings.ContainsAny(h, "/:@ ") {
				v.errorf(path.with("link_hosts", j), "%q is not a host name", h)
			}
		}
		if v.required(path.with("url"), rs.URL) {
			if u, err := url.Parse(rs.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.errorf(path.with("url"), "%q is not an http(s) URL", weburl.Redact(rs.URL))
			} else if _, hasPass := u.User.Password(); hasPass {
				v.errorf(path.with("url"), "has a password in it; config files get committed: set username and password: ${ENV_VAR} (or password_file)")
			}
		}
		for j, z := range rs.Zones {
			if !zoneIDs[z] {
				v.errorf(path.with("zones", j), "unknown zone %q (known zones: %s)", z, strings.Join(sortedKeys(zoneIDs), ", "))
			}
		}
		if rs.Every != "" && rs.Cron != "" {
			v.errorf(path.with("cron"), "set every or cron, not both")
		}
		s.Every = v.duration(path.with("every"), rs.Every, 0)
		if rs.Cron != "" {
			sched, err := parseCron(rs.Cron)
			if err != nil {
				v.errorf(path.with("cron"), "cron spec %q: %v", rs.Cron, err)
			}
			s.Schedule = sched
		} else if s.Every == 0 {
			s.Every = 5 * time.Minute
		}
		if s.Every != 0 && s.Every < time.Second {
			v.errorf(path.with("every"), "%s is shorter than one second", s.Every)
		}
		s.SilenceEvery = v.duration(path.with("silence_every"), rs.SilenceEvery, time.Minute)
		s.Preroll = v.duration(path.with("preroll"), rs.Preroll, 6*time.Hour)
		s.MinEvery = v.duration(path.with("min_every"), rs.MinEvery, 30*time.Second)
		s.MaxEvery = v.duration(path.with("max_every"), rs.MaxEvery, 30*time.Minute)
		if s.MinEvery > s.MaxEvery {
			v.errorf(path.with("min_every"), "min_every %s exceeds max_every %s", s.MinEvery, s.MaxEvery)
		}
		s.StartURLs, s.Sitemaps, s.MaxDepth, s.MaxPages, s.FetchFullText = rs.StartURLs, rs.Sitemaps, rs.MaxDepth, rs.MaxPages, rs.FetchFullText
		if s.Kind == "site" && len(s.StartURLs) == 0 {
			s.StartURLs = []string{s.URL}
		}
		for j, u := range append(append([]string{}, rs.StartURLs...), rs.Sitemaps...) {
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				key := "start_urls"
				if j >= len(rs.StartURLs) {
					key, j = "sitemaps", j-len(rs.StartURLs)
				}
				v.errorf(path.with(key, j), "%q is not an http(s) URL", u)
			}
		}
		for j, pat := range rs.Follow {
			re, err := regexp.Compile(pat)
			if err != nil {
				v.errorf(path.with("follow", j), "regex %q does not compile: %v", pat, err)
				continue
			}
			s.Follow = append(s.Follow, re)
		}
		if s.Kind == "site" && len(s.Follow) == 0 && len(s.Sitemaps) == 0 {
			v.errorf(path.with("follow"), "a site source needs follow patterns (article URLs) or sitemaps")
		}
		if s.Kind != "site" && (len(rs.Follow) > 0 || len(rs.StartURLs) > 0 || rs.MaxDepth != 0) {
			v.errorf(path.with("kind"), "start_urls, follow and max_depth are for kind: site")
		}
		if s.MaxDepth <= 0 {
			s.MaxDepth = 2
		}
		if s.MaxPages <= 0 {
			s.MaxPages = 500
		}
		s.RevisitEvery = v.duration(path.with("revisit_every"), rs.RevisitEvery, 10*time.Minute)
		s.RevisitRecent = v.duration(path.with("revisit_recent"), rs.RevisitRecent, 6*time.Hour)
		if rs.Tier != "" {
			if cfg.TierRank(rs.Tier) < 0 {
				v.errorf(path.with("tier"), "unknown tier %q (tiers: %s)", rs.Tier, strings.Join(cfg.Tiers, ", "))
			}
			s.Tier = rs.Tier
		}
		cfg.Sources = append(cfg.Sources, s)
	}
}

// tiers reads the ordered list of source tiers (DefaultTiers when absent).
func (v *validator) tiers(cfg *Config, raw *rawFile) {
	if len(raw.Tiers) == 0 {
		cfg.Tiers = append([]string(nil), DefaultTiers...)
		return
	}
	seen := map[string]bool{}
	for i, t := range raw.Tiers {
		v.id(p{"tiers", i}, t, seen, "tier")
	}
	cfg.Tiers = append([]string(nil), raw.Tiers...)
}

// relay reads relay detection's window and passage length.
func (v *validator) relay(cfg *Config, raw *rawRelay) {
	cfg.Relay.Off = raw.Enabled != nil && !*raw.Enabled
	cfg.Relay.Window = v.duration(p{"relay", "window"}, raw.Window, 72*time.Hour)
	if cfg.Relay.Window < 0 {
		v.errorf(p{"relay", "window"}, "is negative")
	}
	cfg.Relay.MinWords = raw.MinWords
	switch {
	case raw.MinWords == 0:
		cfg.Relay.MinWords = 12
	case raw.MinWords < 6:
		v.errorf(p{"relay", "min_words"}, "%d is below 6 (the shortest run the index guarantees to see)", raw.MinWords)
	}
	cfg.Relay.CrossingTier = raw.CrossingTier
	if cfg.Relay.CrossingTier == "" && len(cfg.Tiers) > 0 {
		// national media, or the mainstream end of a list without it
		cfg.Relay.CrossingTier = cfg.Tiers[len(cfg.Tiers)-1]
		if cfg.TierRank("national") >= 0 {
			cfg.Relay.CrossingTier = "national"
		}
	}
	if cfg.TierRank(cfg.Relay.CrossingTier) < 0 {
		v.errorf(p{"relay", "crossing_tier"}, "unknown tier %q (tiers: %s)", cfg.Relay.CrossingTier, strings.Join(cfg.Tiers, ", "))
	}
	cfg.Relay.VelocityOutlets = 5
	if n := raw.VelocityOutlets; n != nil {
		cfg.Relay.VelocityOutlets = *n
		if *n < 0 {
			v.errorf(p{"relay", "velocity_outlets"}, "%d is negative (0 turns velocity alerts off)", *n)
		}
	}
	cfg.Relay.VelocityWithin = v.duration(p{"relay", "velocity_within"}, raw.VelocityWithin, time.Hour)
}

// cluster reads the lease of the jobs several run processes share. A poll
// must end well within it (its fetch, full texts and store writes), or a
// live worker's poll would be taken for a dead one's and run twice.
func (v *validator) cluster(cfg *Config, raw *rawCluster) {
	least := 3 * cfg.Crawler.Timeout
	cfg.Cluster.Lease = v.duration(p{"cluster", "lease"}, raw.Lease, max(2*time.Minute, least))
	if raw.Lease != "" && cfg.Cluster.Lease < least {
		v.errorf(p{"cluster", "lease"}, "%s is less than three times crawler.timeout (%s): a slow poll would be taken for a dead worker's", cfg.Cluster.Lease, cfg.Crawler.Timeout)
	}
}
