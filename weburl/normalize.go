package weburl

import (
	"net/url"
	"strings"
)

// Normalize returns the form of raw under which two sightings of one
// article are the same article: the store's article key and the site
// crawler's visited key. The rules, in order:
//
//   - surrounding white space is trimmed;
//   - scheme and host are put in lower case (the path keeps its case: it
//     may name the article);
//   - the scheme's default port is removed (http :80, https :443; a port
//     that is not the scheme's default stays);
//   - user information is removed: it never names an article, and it is
//     often a credential;
//   - the fragment is removed;
//   - one trailing slash is removed from the path, the root's too
//     ("https://x.fr/a/" and "https://x.fr/" become "https://x.fr/a" and
//     "https://x.fr");
//   - utm_* tracking parameters (in any case) and empty parameters are
//     removed; the other parameters keep their order and encoding, since
//     they may name the article; a "?" left with nothing after it goes.
//
// A path with non-ASCII characters comes out percent-encoded, as url.URL
// writes it. A raw that does not parse, or that is opaque (mailto:…), is
// only trimmed; "" stays "".
func Normalize(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return raw
	}
	return NormalizeURL(u)
}

// NormalizeURL is Normalize for a parsed URL; u is not modified.
func NormalizeURL(in *url.URL) string {
	u := *in
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if p := u.Port(); (p == "80" && u.Scheme == "http") || (p == "443" && u.Scheme == "https") {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
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
