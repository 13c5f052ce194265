// Package silencewatch holds what the binary embeds from the repository's
// top level: the example configuration, used when no config.yaml is found.
package silencewatch

import _ "embed"

// ExampleConfig is config.yaml as shipped: the 2017 French presidential
// second round.
//
//go:embed config.yaml
var ExampleConfig []byte
