package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// secret reads a credential from a ${VAR} reference or a *_file path.
// A literal credential in the file is refused: config files get committed.
func (v *validator) secret(section p, key, value, fileKey, filePath string) Secret {
	switch {
	case value != "" && filePath != "":
		v.errorf(section.with(key), "set %s or %s, not both", key, fileKey)
	case value != "":
		m := envRef.FindStringSubmatch(value)
		if m == nil {
			v.errorf(section.with(key), "must be a ${ENV_VAR} reference (or use %s); credentials are not written in the config", fileKey)
			return Secret{}
		}
		val, found := v.lookupEnv(m[1])
		val = strings.TrimSpace(val)
		if val == "" {
			v.noteUnset(key, "${"+m[1]+"}", found)
		}
		return NewSecret(val, "${"+m[1]+"}")
	case filePath != "":
		path := filePath
		if !filepath.IsAbs(path) {
			path = filepath.Join(v.dir, path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			v.errorf(section.with(fileKey), "cannot read %s: %v", filePath, errors.Unwrap(err))
			return Secret{}
		}
		val := strings.TrimSpace(string(data))
		if val == "" {
			v.noteUnset(key, fileKey+" "+filePath, true)
		}
		return NewSecret(val, fileKey+" "+filePath)
	}
	return Secret{}
}
