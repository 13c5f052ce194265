// Package weburl holds what every part of silencewatch says the same way
// about a web address. Redact is the form of a URL that may reach a log,
// an error, the store, an export or an alert: credentials never do.
package weburl

import (
	"net/url"
	"strings"
)

// Redact returns raw with any user information replaced by "xxxxx": a
// password, and also a bare user name, which is often a token
// (https://TOKEN@host/feed). An unparsable raw has whatever could be user
// information cut out.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if at := strings.LastIndex(raw, "@"); at >= 0 {
			if scheme := strings.Index(raw, "://"); scheme >= 0 && scheme < at {
				return raw[:scheme+3] + "xxxxx" + raw[at:]
			}
		}
		return raw
	}
	if u.User == nil {
		return raw
	}
	u.User = url.User("xxxxx")
	return u.String()
}

// IsPostgres reports whether raw is a PostgreSQL connection URL: its
// scheme is postgres or postgresql, in any case. The config's store key
// takes such a URL for a PostgreSQL store, anything else as a file.
func IsPostgres(raw string) bool {
	scheme, _, ok := strings.Cut(raw, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}
