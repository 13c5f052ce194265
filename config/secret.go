package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret holds a credential (a Slack token, a webhook URL). Every way of
// printing it prints "<secret>"; only Reveal gives the value, at the one
// place that sends it.
type Secret struct {
	value  string
	origin string // "${SLACK_BOT_TOKEN}" or "token_file /run/secrets/x": safe to show
}

// NewSecret wraps a value; origin says where it came from, for messages.
func NewSecret(value, origin string) Secret { return Secret{value: value, origin: origin} }

// Reveal returns the credential itself.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s.value != "" }

// Origin says where the value came from, without revealing it.
func (s Secret) Origin() string { return s.origin }

func (s Secret) String() string               { return "<secret>" }
func (s Secret) GoString() string             { return "<secret>" }
func (s Secret) LogValue() slog.Value         { return slog.StringValue("<secret>") }
func (s Secret) MarshalText() ([]byte, error) { return []byte("<secret>"), nil }
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal("<secret>") }

// Format makes %v, %s, %q, %x and %#v all print "<secret>".
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte("<secret>")) }
