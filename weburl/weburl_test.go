package weburl

import "testing"

func TestRedact(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no credentials unchanged", "https://example.org/feed?x=1", "https://example.org/feed?x=1"},
		{"user and password", "http://user:pass@example.org/feed", "http://xxxxx@example.org/feed"},
		{"bare token as user", "https://s3cr3t@example.org/feed", "https://xxxxx@example.org/feed"},
		{"unparsable keeps no credentials", "http://us er:pa ss@exa mple.org/%zz", "http://xxxxx@exa mple.org/%zz"},
		{"not a URL", "feed.xml", "feed.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsPostgres(t *testing.T) {
	for raw, want := range map[string]bool{
		"postgres://sw@db/sw":   true,
		"postgresql://db/sw":    true,
		"PostgreSQL://db/sw":    true,
		"postgres:///sw":        true,
		"postgres.db":           false,
		"/srv/postgres://x":     false,
		"https://db/sw":         false,
		"postgres:db":           false,
		"":                      false,
		"file:postgres://db/sw": false,
	} {
		if got := IsPostgres(raw); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", raw, got, want)
		}
	}
}
