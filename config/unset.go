package config

import "slices"

// UnsetSecret is a credential the config refers to whose value is missing:
// a ${VAR} that is not set or is empty, or a *_file that is empty. It
// names where the value was to come from, never a value.
type UnsetSecret struct {
	Key    string // the credential: "slack.token", "slack.webhook_url" or "slack.app_token"
	Origin string // "${SLACK_BOT_TOKEN}" or "token_file /run/secrets/x"
	// Set is true when the variable exists but is empty (or blank).
	Set bool
	// Effect says what the missing value means for the daemon.
	Effect string
}

// String reads "slack.token: ${SLACK_BOT_TOKEN} is not set: alerts go to
// the console".
func (u UnsetSecret) String() string {
	state := "is not set"
	if u.Set {
		state = "is empty"
	}
	return u.Key + ": " + u.Origin + " " + state + ": " + u.Effect
}

// UnsetSecrets lists the credentials the config refers to but that have
// no value, in the order of the slack keys, each with what that means.
func (c *Config) UnsetSecrets() []UnsetSecret { return slices.Clone(c.unsetSecrets) }

// noteUnset records a referenced credential that resolved to nothing.
func (v *validator) noteUnset(key, origin string, set bool) {
	v.unset = append(v.unset, UnsetSecret{Key: "slack." + key, Origin: origin, Set: set})
}

// unsetSecrets says, for each credential noted by noteUnset, what its
// absence means once every slack credential is known.
func (v *validator) unsetSecrets(s Slack) []UnsetSecret {
	out := make([]UnsetSecret, 0, len(v.unset))
	for _, u := range v.unset {
		switch u.Key {
		case "slack.token":
			u.Effect = "alerts go to the console"
			if s.WebhookURL.IsSet() {
				u.Effect = "alerts go to the webhook (no threads, edits or verdict buttons)"
			}
		case "slack.webhook_url":
			u.Effect = "alerts go to the console"
			if s.Token.IsSet() {
				u.Effect = "alerts go through the bot token"
			}
		case "slack.app_token":
			u.Effect = "the verdict buttons (Socket Mode) are off"
		}
		out = append(out, u)
	}
	return out
}
