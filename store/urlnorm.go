package store

import (
	"net/url"
	"strings"
)

// normalizeURL returns the form of raw under which two sightings of one
// article are the same: scheme and host in lower case, no fragment, no
// default port, no utm_* tracking parameters, no trailing slash on the
// path. Other query parameters keep their order and encoding: they may
// name the article. An unparsable URL is only trimmed.
func normalizeURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if p := u.Port(); (p == "80" && u.Scheme == "http") || (p == "443" && u.Scheme == "https") {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
	u.Fragment, u.RawFragment = "", ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	if u.RawQuery != "" {
		// Filter the raw query rather than via url.Values, which would
		// re-encode and sort it.
		kept := make([]string, 0, strings.Count(u.RawQuery, "&")+1)
		for p := range strings.SplitSeq(u.RawQuery, "&") {
			if p == "" || strings.HasPrefix(strings.ToLower(p), "utm_") {
				continue
			}
			kept = append(kept, p)
		}
		u.RawQuery = strings.Join(kept, "&")
	}
	u.ForceQuery = false
	return u.String()
}
