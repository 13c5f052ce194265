module github.com/silencewatch/silencewatch

go 1.26.8

require (
	github.com/mmcdole/gofeed v1.4.2
	github.com/petar-dambovaliev/aho-corasick v0.0.0-20250424160509-463d218d4745
	github.com/robfig/cron/v3 v3.0.1
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/net v0.62.0
	golang.org/x/text v0.44.0
)

require (
	github.com/mmcdole/goxpp/v2 v2.0.0 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)
