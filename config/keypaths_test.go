package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// keyPaths lists every YAML key of t as a dotted path, lists as "[]":
// sources[].name, slack.digest.interval…
func keyPaths(prefix string, t reflect.Type, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	defer delete(seen, t)
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := t.Field(i).Type
		path := prefix + name
		inner := ft
		for inner.Kind() == reflect.Pointer {
			inner = inner.Elem()
		}
		if inner.Kind() == reflect.Slice {
			inner = inner.Elem()
			for inner.Kind() == reflect.Pointer {
				inner = inner.Elem()
			}
			if inner.Kind() == reflect.Struct {
				path += "[]"
			}
		}
		if inner.Kind() == reflect.Struct && !strings.HasPrefix(inner.Name(), "rawMatch") {
			if sub := keyPaths(path+".", inner, seen); len(sub) > 0 {
				out = append(out, sub...)
				continue
			}
		}
		out = append(out, path)
	}
	return out
}

// TestReadmeDocumentsEveryKey: every config key appears, as a dotted path,
// in the README's configuration reference.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	for _, k := range keyPaths("", reflect.TypeFor[rawFile](), map[reflect.Type]bool{}) {
		if !strings.Contains(text, "`"+k+"`") {
			t.Errorf("README.md does not document the config key %s (as `%s`)", k, k)
		}
	}
}
