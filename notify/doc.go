// Package notify delivers alerts: it turns stored findings into Block Kit
// messages, routes them to channels, and drains the store's outbox with
// pacing, threads, digests and exactly-once delivery across crashes (every
// message carries its alert key in metadata, and history is read back
// before any retry). Senders are Slack (the slack-go client), a webhook
// and the console; Socket Mode brings verdicts back from Slack buttons.
// It fetches nothing and judges nothing: findings arrive as data.
package notify
