package config

import (
	"slices"
	"testing"
	"time"
)

func TestTiers(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		wantTiers []string
		wantTier  string
	}{
		{"default list", "sources:\n  - name: a\n    url: https://a.example/rss\n    tier: wire\n", DefaultTiers, "wire"},
		{"no tier", "sources:\n  - name: a\n    url: https://a.example/rss\n", DefaultTiers, ""},
		{"own list", "tiers: [board, paper]\nsources:\n  - name: a\n    url: https://a.example/rss\n    tier: board\n", []string{"board", "paper"}, "board"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("t.yaml", []byte(tt.yaml), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.Tiers, tt.wantTiers) {
				t.Errorf("tiers = %v, want %v", cfg.Tiers, tt.wantTiers)
			}
			if got := cfg.Sources[0].Tier; got != tt.wantTier {
				t.Errorf("tier = %q, want %q", got, tt.wantTier)
			}
			if cfg.Relay.Window != 72*time.Hour || cfg.Relay.MinWords != 12 {
				t.Errorf("relay = %+v, want the defaults", cfg.Relay)
			}
		})
	}
}

// TestRelayEnabled: the laundering watch is on unless relay.enabled is
// false.
func TestRelayEnabled(t *testing.T) {
	src := "sources:\n  - name: a\n    url: https://a.example/rss\n"
	for _, tt := range []struct {
		yaml    string
		wantOff bool
	}{{"", false}, {"relay:\n  enabled: true\n", false}, {"relay:\n  enabled: false\n", true}} {
		cfg, err := Parse("t.yaml", []byte(tt.yaml+src), noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Relay.Off != tt.wantOff {
			t.Errorf("%q: Relay.Off = %v, want %v", tt.yaml, cfg.Relay.Off, tt.wantOff)
		}
	}
	if _, err := Parse("t.yaml", []byte("relay:\n  enabled: sometimes\n"+src), noEnv); err == nil {
		t.Error("relay.enabled: sometimes parsed")
	}
}
