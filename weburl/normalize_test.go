package weburl

import (
	"net/url"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"already normal", "https://www.lemonde.fr/a.html", "https://www.lemonde.fr/a.html"},
		{"scheme and host lower case, path kept", "HTTPS://WWW.LeMonde.FR/Politique/A.html", "https://www.lemonde.fr/Politique/A.html"},
		{"host without path", "http://Example.ORG", "http://example.org"},
		{"https default port and trailing slash", "https://www.lemonde.fr:443/a/", "https://www.lemonde.fr/a"},
		{"http default port", "http://www.lemonde.fr:80/a", "http://www.lemonde.fr/a"},
		{"https port on http kept", "http://www.lemonde.fr:443/a", "http://www.lemonde.fr:443/a"},
		{"other port kept", "https://www.lemonde.fr:8443/a", "https://www.lemonde.fr:8443/a"},
		{"fragment dropped", "HTTPS://example.org:443/a/b.html#comments", "https://example.org/a/b.html"},
		{"utm parameters dropped, others kept in order", "https://x.fr/a?utm_source=rss&id=4&UTM_Medium=x&utm_campaign=y", "https://x.fr/a?id=4"},
		{"utm between parameters", "http://example.org:80/a?b=1&utm_source=x&c=2&UTM_medium=y", "http://example.org/a?b=1&c=2"},
		{"only utm", "https://x.fr/a?utm_source=rss", "https://x.fr/a"},
		{"order kept", "https://x.fr/a?b=2&a=1", "https://x.fr/a?b=2&a=1"},
		{"empty parameters dropped", "https://x.fr/a?&b=2&&", "https://x.fr/a?b=2"},
		{"user information and bare question mark dropped", "http://user:pw@example.org:8080/a?", "http://example.org:8080/a"},
		{"root slash dropped", "https://x.fr/", "https://x.fr"},
		{"encoded path kept", "https://x.fr/caf%C3%A9/", "https://x.fr/caf%C3%A9"},
		{"non-ASCII path encoded", "https://example.org/2017/05/élection.html", "https://example.org/2017/05/%C3%A9lection.html"},
		{"IPv6 default port", "https://[2001:db8::1]:443/a/", "https://[2001:db8::1]/a"},
		{"white space trimmed", "  https://x.fr/a  ", "https://x.fr/a"},
		{"empty", "", ""},
		{"opaque kept", "mailto:Redaction@x.fr", "mailto:Redaction@x.fr"},
		{"unparsable kept", "%zz not a url", "%zz not a url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeURLLeavesInputAlone(t *testing.T) {
	u, err := url.Parse("https://user:pw@X.fr:443/a/?utm_source=x#f")
	if err != nil {
		t.Fatal(err)
	}
	before := *u
	if got := NormalizeURL(u); got != "https://x.fr/a" {
		t.Errorf("NormalizeURL = %q", got)
	}
	if *u != before {
		t.Errorf("NormalizeURL modified its argument: %v, was %v", u, &before)
	}
}
