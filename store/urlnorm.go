package store

import "github.com/silencewatch/silencewatch/weburl"

// normalizeURL is the key under which two sightings of one article are
// the same article: weburl.Normalize, whose rules the site crawler's
// visited keys share.
func normalizeURL(raw string) string { return weburl.Normalize(raw) }
