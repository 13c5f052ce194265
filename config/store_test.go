package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreKey(t *testing.T) {
	for _, tt := range []struct{ name, store, want string }{
		{"default", "", filepath.Join("dir", "silencewatch.db")},
		{"relative file", "data/sw.db", filepath.Join("dir", "data", "sw.db")},
		{"absolute file", "/var/lib/sw.db", "/var/lib/sw.db"},
		{"memory", ":memory:", ":memory:"},
		{"postgres URL kept as it is", "postgres://sw@db.example:5432/sw?sslmode=require", "postgres://sw@db.example:5432/sw?sslmode=require"},
		{"postgresql scheme", "postgresql://sw@db.example/sw", "postgresql://sw@db.example/sw"},
		{"password accepted", "postgres://sw:s3cr3t@db.example/sw", "postgres://sw:s3cr3t@db.example/sw"},
		{"host and database from PGHOST, PGDATABASE", "postgres://", "postgres://"},
		{"a file named like the scheme", "postgres.db", filepath.Join("dir", "postgres.db")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := "sources:\n  - name: a\n    url: https://a.example/rss\n"
			if tt.store != "" {
				data = "store: \"" + tt.store + "\"\n" + data
			}
			cfg, err := Parse("dir/c.yaml", []byte(data), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Store != tt.want {
				t.Errorf("store %q read as %q, want %q", tt.store, cfg.Store, tt.want)
			}
		})
	}
}

// TestStoreURLErrorHidesPassword: a malformed URL is an error that
// names it without its password.
func TestStoreURLErrorHidesPassword(t *testing.T) {
	_, err := Parse("c.yaml", []byte("store: \"postgres://sw:s3cr3t@db.example:5432/sw%zz\"\n"), noEnv)
	if err == nil {
		t.Fatal("a malformed URL was accepted")
	}
	if strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "store") {
		t.Errorf("error %q: want it to name store, without the password", err)
	}
}
