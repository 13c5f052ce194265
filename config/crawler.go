package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"time"
)

func (v *validator) crawler(cfg *Config, raw *rawCrawler) {
	c := &cfg.Crawler
	c.ContactURL = raw.ContactURL
	if c.ContactURL != "" {
		if u, err := url.Parse(c.ContactURL); err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "mailto") {
			v.errorf(p{"crawler", "contact_url"}, "%q is not an http(s) or mailto URL", c.ContactURL)
		}
	}
	positive := func(key string, n, def int) int {
		if n < 0 {
			v.errorf(p{"crawler", key}, "must be positive, got %d", n)
		}
		if n <= 0 {
			return def
		}
		return n
	}
	c.Workers = positive("workers", raw.Workers, 16)
	c.PerHostConcurrency = positive("per_host_concurrency", raw.PerHostConcurrency, 2)
	c.FailureReportAfter = positive("failure_report_after", raw.FailureReport, 3)
	c.MaxFullTextPerPoll = positive("max_full_text_per_poll", raw.MaxFullTextPerPoll, 50)
	c.Timeout = v.duration(p{"crawler", "timeout"}, raw.Timeout, 20*time.Second)
	c.PerHostDelay = v.duration(p{"crawler", "per_host_delay"}, raw.PerHostDelay, 0)
	c.FirstPollSpread = v.duration(p{"crawler", "first_poll_spread"}, raw.FirstPollSpread, 0)
	c.MaxBodyBytes = raw.MaxBodyBytes
	if c.MaxBodyBytes < 0 {
		v.errorf(p{"crawler", "max_body_bytes"}, "must be positive, got %d", c.MaxBodyBytes)
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 10 << 20
	}
	for i, cidr := range raw.AllowPrivate {
		pfx, err := ParseAddressRange(cidr)
		if err != nil {
			v.errorf(p{"crawler", "allow_private", i}, "%v", err)
			continue
		}
		c.AllowPrivate = append(c.AllowPrivate, pfx)
	}
}

func (v *validator) evaluation(cfg *Config, raw *rawEvaluation) {
	cfg.Evaluation.BackdateTolerance = v.duration(p{"evaluation", "backdate_tolerance"}, raw.BackdateTolerance, 30*time.Minute)
	cfg.Evaluation.AlertLate = raw.AlertLate
}

func (v *validator) evidence(cfg *Config, raw *rawEvidence) {
	cfg.Evidence.Retention = v.duration(p{"evidence", "retention"}, raw.Retention, 7*24*time.Hour)
}

// ParseAddressRange reads a CIDR range (127.0.0.0/8) or a single address
// (a /32 or /128), as crawler.allow_private and -allow-private take them.
func ParseAddressRange(v string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range such as 127.0.0.0/8 or an IP address", v)
}
