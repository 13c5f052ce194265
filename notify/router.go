package notify

import (
	"slices"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
)

// Router picks the channels a finding goes to.
type Router struct {
	Routes  []config.Route
	Default string
}

// Channels returns the channels of the routes that match f, in order,
// each once; the default channel when none matches.
func (r Router) Channels(f *finding.Finding, src config.Source) []string {
	var out []string
	seen := map[string]bool{}
	for _, route := range r.Routes {
		if !matches(route, f, src) {
			continue
		}
		if !seen[route.Channel] {
			seen[route.Channel] = true
			out = append(out, route.Channel)
		}
		if !route.Continue {
			break
		}
	}
	if len(out) == 0 {
		out = []string{r.Default}
	}
	return out
}

func matches(route config.Route, f *finding.Finding, src config.Source) bool {
	if route.MinSeverity != 0 && f.Severity < route.MinSeverity {
		return false
	}
	if len(route.Rules) > 0 && !slices.Contains(route.Rules, f.Rule) {
		return false
	}
	if len(route.Sources) > 0 && !slices.Contains(route.Sources, f.Article.Source) {
		return false
	}
	if len(route.Tags) > 0 && !intersects(route.Tags, src.Tags) {
		return false
	}
	if len(route.Zones) > 0 && !intersects(route.Zones, f.Zones) {
		return false
	}
	return true
}

func intersects(a, b []string) bool {
	for _, v := range a {
		if slices.Contains(b, v) {
			return true
		}
	}
	return false
}
