package config

import (
	"net/url"
	"regexp"
	"time"
)

func (v *validator) slack(cfg *Config, raw *rawSlack, zoneIDs map[string]bool) {
	cfg.Slack.Token = v.secret(p{"slack"}, "token", raw.Token, "token_file", raw.TokenFile)
	cfg.Slack.WebhookURL = v.secret(p{"slack"}, "webhook_url", raw.WebhookURL, "webhook_url_file", raw.WebhookURLFile)
	cfg.Slack.AppToken = v.secret(p{"slack"}, "app_token", raw.AppToken, "app_token_file", raw.AppTokenFile)
	if cfg.Slack.Token.IsSet() && cfg.Slack.WebhookURL.IsSet() {
		v.errorf(p{"slack", "webhook_url"}, "set a bot token or a webhook URL, not both")
	}
	cfg.Slack.Pace = v.duration(p{"slack", "pace"}, raw.Pace, time.Second)
	d := raw.Digest
	cfg.Slack.DigestThreshold, cfg.Slack.DigestBatch = d.Threshold, d.Batch
	if d.Threshold < 0 || d.Batch < 0 {
		v.errorf(p{"slack", "digest"}, "threshold and batch must be positive")
	}
	if cfg.Slack.DigestThreshold <= 0 {
		cfg.Slack.DigestThreshold = 20
	}
	if cfg.Slack.DigestBatch <= 0 {
		cfg.Slack.DigestBatch = 40
	}
	cfg.Slack.DigestInterval = v.duration(p{"slack", "digest", "interval"}, d.Interval, time.Minute)
	rules := map[string]bool{}
	for _, r := range cfg.Rules {
		rules[r.ID] = true
	}
	for i, rr := range raw.Routes {
		path := p{"slack", "routes", i}
		r := Route{Channel: rr.Channel, Rules: rr.Rules, Tags: rr.Tags, Sources: rr.Sources, Zones: rr.Zones, Continue: rr.Continue}
		v.required(path.with("channel"), rr.Channel)
		if rr.MinSeverity != "" {
			sev, err := ParseSeverity(rr.MinSeverity)
			if err != nil {
				v.errorf(path.with("min_severity"), "unknown severity %q (expected info, low, medium, high or critical)", rr.MinSeverity)
			}
			r.MinSeverity = sev
		}
		for j, id := range rr.Rules {
			if !rules[id] {
				v.errorf(path.with("rules", j), "unknown rule %q", id)
			}
		}
		for j, z := range rr.Zones {
			if !zoneIDs[z] {
				v.errorf(path.with("zones", j), "unknown zone %q", z)
			}
		}
		for j, src := range rr.Sources {
			if !hasSource(cfg.Sources, src) {
				v.errorf(path.with("sources", j), "unknown source %q", src)
			}
		}
		cfg.Slack.Routes = append(cfg.Slack.Routes, r)
	}
	cfg.Slack.APIURL = raw.APIURL
	if raw.APIURL != "" {
		if u, err := url.Parse(raw.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.errorf(p{"slack", "api_url"}, "%q is not an http(s) URL", raw.APIURL)
		}
	}
	cfg.Slack.Channel = raw.Channel
	if (raw.Token != "" || raw.TokenFile != "") && raw.Channel == "" {
		v.errorf(p{"slack", "channel"}, "is required with a bot token")
	}
	for i, id := range raw.VerdictAllow {
		if !slackPrincipal.MatchString(id) {
			v.errorf(p{"slack", "verdict_allow", i}, "%q is not a Slack user id (U…, W…) or user-group id (S…); names are not accepted, they can change", id)
			continue
		}
		cfg.Slack.VerdictAllow = append(cfg.Slack.VerdictAllow, id)
	}
	if len(raw.VerdictAllow) > 0 && raw.AppToken == "" && raw.AppTokenFile == "" {
		v.errorf(p{"slack", "verdict_allow"}, "needs slack.app_token: verdicts are recorded through Socket Mode")
	}
}

// slackPrincipal is a Slack user id (U…, W… for Enterprise Grid) or
// user-group id (S…).
var slackPrincipal = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)
