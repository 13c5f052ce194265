package config

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// structKeys is the YAML keys one raw type accepts.
type structKeys struct {
	names []string // in field order, for "unknown key" messages
	index map[string]int
	types []reflect.Type
}

// rawKeys holds the keys of every raw type, read from the yaml tags the
// decoder reads.
var rawKeys = collectKeys(reflect.TypeFor[rawFile]())

func collectKeys(root reflect.Type) map[reflect.Type]*structKeys {
	out := map[reflect.Type]*structKeys{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() == reflect.Map {
			if containsStruct(t.Elem()) {
				panic("config: " + t.String() + ": a raw map of structs is not checked for unknown keys")
			}
			return
		}
		if t.Kind() != reflect.Struct || out[t] != nil {
			return
		}
		if t.NumField() > 64 {
			panic("config: " + t.String() + " has more than 64 fields")
		}
		k := &structKeys{index: map[string]int{}}
		out[t] = k
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || opts != "" {
				panic("config: " + t.String() + "." + f.Name + ": only exported fields with plain yaml tags are checked")
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			k.index[name] = len(k.names)
			k.names = append(k.names, name)
			k.types = append(k.types, f.Type)
			add(f.Type)
		}
	}
	add(root)
	return out
}

func containsStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

// keyCheck finds the keys of a node tree that no field of the raw types
// takes, which decoding from a node ignores. It visits the nodes the
// decoder visits and skips what the decoder skips: a mapping with a
// repeated key, a key set twice, a value of the wrong kind, a key already
// given where a merge (<<) adds more.
type keyCheck struct {
	file string
	errs Errors
}

// value checks n as decoded into a value of type t.
func (c *keyCheck) value(n *yaml.Node, t reflect.Type) {
	n = c.resolve(n)
	if n == nil || !containsStruct(t) {
		return
	}
	if t.Kind() == reflect.Pointer {
		if n.ShortTag() == "!!null" {
			return // a nil pointer, even for a mapping tagged !!null
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		c.mapping(n, t, nil)
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == yaml.SequenceNode:
		for _, e := range n.Content {
			c.value(e, t.Elem())
		}
	}
}

// keepsStruct reports whether the decoder keeps the struct it decodes
// from n as an element of a list: n is a mapping it reads.
func (c *keyCheck) keepsStruct(n *yaml.Node) bool {
	n = c.resolve(n)
	return n != nil && n.Kind == yaml.MappingNode && !repeatsKey(n)
}

// resolve follows a document to its content and aliases to their
// anchors, or returns nil for a document the decoder does not read.
func (c *keyCheck) resolve(n *yaml.Node) *yaml.Node {
	// A loop of aliases fails the decode, and the check only runs on a
	// decode that did not fail; the bound only guards against a loop.
	for range 1000 {
		switch {
		case n == nil:
			return nil
		case n.Kind == yaml.DocumentNode:
			if len(n.Content) != 1 {
				return nil
			}
			n = n.Content[0]
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

// mapping checks the keys of n against struct type t; merged holds the
// keys already given when n is merged into another mapping.
func (c *keyCheck) mapping(n *yaml.Node, t reflect.Type, merged map[string]bool) {
	if repeatsKey(n) {
		return // the decoder reports it and decodes nothing of n
	}
	keys := rawKeys[t]
	var done uint64
	var merge *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if isMerge(k) {
			merge = n.Content[i+1]
			continue
		}
		name, ok := c.keyName(k)
		if !ok {
			continue
		}
		if merged != nil {
			if merged[name] {
				continue
			}
			merged[name] = true
		}
		f, ok := keys.index[name]
		if !ok {
			c.errs = append(c.errs, Error{File: c.file, Line: k.Line,
				Msg: fmt.Sprintf("unknown key %q (expected one of: %s)", name, strings.Join(keys.names, ", "))})
			continue
		}
		if done&(1<<f) != 0 {
			continue // "already set", reported by the decoder
		}
		done |= 1 << f
		c.value(n.Content[i+1], keys.types[f])
	}
	if merge == nil {
		return
	}
	if merged == nil {
		merged = map[string]bool{}
		for i := 0; i < len(n.Content); i += 2 {
			if name, ok := c.keyName(n.Content[i]); ok {
				merged[name] = true
			}
		}
	}
	from := []*yaml.Node{merge}
	if merge.Kind == yaml.SequenceNode {
		from = merge.Content
	}
	for _, m := range from {
		if m = c.resolve(m); m != nil && m.Kind == yaml.MappingNode {
			c.mapping(m, t, merged)
		}
	}
}

// keyName is the string the decoder reads from key node k, or false when
// it reads none (a null, a collection).
func (c *keyCheck) keyName(k *yaml.Node) (string, bool) {
	k = c.resolve(k)
	if k == nil || k.Kind != yaml.ScalarNode {
		return "", false
	}
	switch k.ShortTag() {
	case "!!null":
		return "", false
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(k.Value)
		return string(b), err == nil
	}
	return k.Value, true
}

// isMerge is the decoder's test for a merge key.
func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.Tag == "!!merge" || n.Tag == "tag:yaml.org,2002:merge")
}

// repeatsKey is the decoder's test for a mapping it refuses: two keys of
// the same kind and value.
func repeatsKey(n *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		for j := i + 2; j < len(n.Content); j += 2 {
			if n.Content[i].Kind == n.Content[j].Kind && n.Content[i].Value == n.Content[j].Value {
				return true
			}
		}
	}
	return false
}
