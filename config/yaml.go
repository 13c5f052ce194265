package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decode reads data into the raw types. It reports false when data is not
// YAML at all; unknown keys and wrong types are recorded as errors and the
// rest is still decoded, so that validation can report its own errors too.
// The document is parsed twice: once into nodes, whose positions give every
// later error its line, and once into the raw types with unknown keys
// refused (which decoding from a node cannot do).
func (v *validator) decode(data []byte) (*rawFile, bool) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		v.yamlError(err)
		return nil, false
	}
	v.root = &root
	var raw rawFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		v.yamlError(err)
	}
	return &raw, true
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var notFound = regexp.MustCompile(`^field (\S+) not found in type config\.(\w+)$`)

// yamlError turns the YAML library's messages into Errors with lines, and
// its Go type names into the keys a user may write.
func (v *validator) yamlError(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, msg := range msgs {
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			fmt.Sscan(m[1], &line)
			msg = m[2]
		}
		if m := notFound.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("unknown key %q (expected one of: %s)", m[1], strings.Join(knownKeys(m[2]), ", "))
		} else {
			msg = strings.ReplaceAll(msg, "cannot unmarshal", "cannot read")
			msg = goTypeNames.Replace(msg)
		}
		v.errs = append(v.errs, Error{File: v.file, Line: line, Msg: msg})
	}
}

var goTypeNames = strings.NewReplacer(
	"into []config.rawMatch", "into a list of match nodes",
	"into config.rawMatch", "into a match node (a mapping)",
	"into []string", "into a list of strings",
	"into map[string][]string", "into a mapping of lists",
	"into int64", "into an integer",
	"into int", "into an integer",
	"into bool", "into true or false",
	"into string", "into a string",
)

// node finds the YAML node at path, or the deepest existing ancestor.
func (v *validator) node(path p) *yaml.Node {
	if v.root == nil || len(v.root.Content) == 0 {
		return nil
	}
	n := v.root.Content[0]
	for _, part := range path {
		var next *yaml.Node
		switch x := part.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == x {
						next = n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && x < len(n.Content) {
				next = n.Content[x]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

func (v *validator) line(path p) int {
	if n := v.node(path); n != nil {
		return n.Line
	}
	return 0
}
