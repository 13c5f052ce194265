package demo

import (
	"bytes"
	"fmt"
	"text/template"
)

// ConfigParams fill the demo's configuration.
type ConfigParams struct {
	Base    string // the loopback site, http://127.0.0.1:PORT
	Store   string
	Mailbox string // directory holding the leaked mailbox
	Outlets []Outlet
	// Slack, when a token is in the environment.
	SlackChannel string
	SlackAPIURL  string
	SlackPace    string // e.g. "1s"; empty for the default
}

// configTemplate watches the scenario: the real 2017 round-2 calendar
// for metropolitan France and the Antilles (which voted on Saturday), the
// regulator's guidance, the fictional leak and its mailbox, and the rules
// the scenario expects to fire.
var configTemplate = template.Must(template.New("demo").Parse(`# silencewatch demo configuration (generated)
store: {{.Store}}
crawler:
  contact_url: https://github.com/silencewatch/silencewatch
  workers: 8
  timeout: 10s
  per_host_concurrency: 8
  # The scenario's outlets are served on this machine; real outlets never
  # are, and loopback is refused unless allowed here.
  allow_private: [127.0.0.0/8]
evaluation:
  backdate_tolerance: 30m
slack:
  token: ${SLACK_BOT_TOKEN}
  app_token: ${SLACK_APP_TOKEN}
  channel: "{{.SlackChannel}}"
{{- if .SlackAPIURL}}
  api_url: {{.SlackAPIURL}}
{{- end}}
{{- if .SlackPace}}
  pace: {{.SlackPace}}
{{- end}}
elections:
  - id: fr-pres-2017
    name: Élection présidentielle 2017 (demo)
    country: FR
    rounds:
      - id: round-2
        zones:
          - {id: metropole, name: France métropolitaine, tz: Europe/Paris, date: 2017-05-07, opens: "08:00", closes: "20:00"}
          - {id: antilles, name: Antilles, tz: America/Martinique, date: 2017-05-06, opens: "08:00", closes: "18:00"}
        windows:
          - {name: silence, description: "Code électoral L49", start: eve-midnight, end: polls-close}
          - {name: poll-ban, description: "Loi 77-808, art. 11", start: eve-midnight, end: polls-close}
          - {name: results-embargo, description: "Code électoral L52-2", start: polls-open, end: "close:metropole"}
guidance:
  - id: cnccep-content
    authority: CNCCEP
    issued_at: 2017-05-06T00:00:00+02:00
    until: 2017-05-07T20:00:00+02:00
    summary: Media are asked not to report the content of the leaked data.
leaks:
  - id: marchalleaks
    name: "#MarchalLeaks"
    disclosed_at: 2017-05-05T20:35:00+02:00
    identifiers: ["#MarchalLeaks", "MarchalLeaks", "pb-7f3k9q", "marchal_leaks_2017.zip"]
    corpus: {{.Mailbox}}
# Laundering watch: three outlets reporting the contents within an hour is
# "spreading fast" here (the default is five); the crossing tier is the
# default, national.
relay: {velocity_outlets: 3, velocity_within: 1h}
lists:
  leak-names: ["#MarchalLeaks", MarchalLeaks, Marchal leaks, marchal_leaks_2017.zip, pb-7f3k9q, documents piratés, courriels piratés, mails piratés, hacked emails, leaked emails]
  poll-words: [sondage, sondages, intentions de vote, poll]
  results-words: [estimation, estimations, premières estimations, résultats partiels, sortie des urnes, exit poll, projection]
rules:
  - id: leak-quote
    title: Quotes the leaked mailbox
    severity: high
    reference: CNCCEP communiqué of 6 May 2017; Code électoral L49
    windows: [fr-pres-2017/round-2/silence, guidance:cnccep-content]
    since: leak:marchalleaks
    match: {leak_quote: {leak: marchalleaks, min_words: 12}}
  - id: leak-content
    title: Reports the contents of the leaked data
    severity: high
    reference: CNCCEP communiqué of 6 May 2017 (do not report the content of the leaked data)
    windows: [fr-pres-2017/round-2/silence, guidance:cnccep-content]
    since: leak:marchalleaks
    match: {leak_report: {leak: marchalleaks, label: content, min_score: 0.5}}
  - id: leak-mention
    title: Mentions the leak during the silence (lawful; for context)
    severity: info
    reference: Reporting that a leak exists is lawful
    windows: [fr-pres-2017/round-2/silence]
    since: leak:marchalleaks
    match: {list: leak-names}
  - id: poll-published
    title: Poll published or commented on during the poll ban
    severity: high
    reference: Loi 77-808 du 19 juillet 1977, art. 11
    windows: [fr-pres-2017/round-2/poll-ban]
    match:
      all:
        - list: poll-words
        - regex: '\b\d{1,2}(?:[,.]\d)? ?(?:%|pour ?cent)'
  - id: results-before-close
    title: Results or estimates published before the last metropolitan polls close
    severity: critical
    reference: Code électoral L52-2
    windows: [fr-pres-2017/round-2/results-embargo]
    match:
      all:
        - list: results-words
        - regex: '\b\d{1,2}(?:[,.]\d{1,2})? ?(?:%|pour ?cent)'
sources:
{{- range .Outlets}}
  - name: {{.ID}}
    kind: {{if eq .Kind "site"}}site{{else}}feed{{end}}
{{- if eq .Kind "site"}}
    url: {{$.Base}}/{{.ID}}/
    follow: ['^{{$.Base}}/{{.ID}}/[a-z0-9-]+$']
    max_depth: 1
{{- else}}
    url: {{$.Base}}/{{.ID}}/feed.xml
{{- end}}
    language: {{.Language}}
{{- if .Tags}}
    tags: [{{range $i, $t := .Tags}}{{if $i}}, {{end}}{{$t}}{{end}}]
{{- end}}
{{- if .Tier}}
    tier: {{.Tier}}
{{- end}}
{{- if .Zones}}
    zones: [{{range $i, $z := .Zones}}{{if $i}}, {{end}}{{$z}}{{end}}]
{{- end}}
{{- if .FullText}}
    fetch_full_text: true
{{- end}}
    every: 5m
    silence_every: 1m
    min_every: 1m
    preroll: 6h
    revisit_every: 10m
    revisit_recent: 3h
{{- end}}
`))

// Config renders the demo configuration.
func Config(p ConfigParams) ([]byte, error) {
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("demo: config: %w", err)
	}
	return b.Bytes(), nil
}
