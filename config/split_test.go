package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// splitCases are documents around the sources list that splitSources
// reads or refuses; split says which.
var splitCases = []struct {
	name  string
	split bool
	yaml  string
}{
	{"flow sources", true, "sources:\n  - {name: a, url: 'https://a.example/rss'}\n  - {name: b, url: 'https://b.example/rss', every: 1m}\n  - {name: c, url: 'https://c.example/rss'}\n"},
	{"block sources with comments and blank lines", true, "store: x.db\nsources: # the feeds\n\n  # first\n  - name: a\n    url: https://a.example/rss\n\n# between, at column 0\n  - name: b\n    url: https://b.example/rss\n    tags:\n      - national\n      - daily\n  # trailing\ncrawler:\n  workers: 3\n"},
	{"indentless list", true, "sources:\n- name: a\n  url: https://a.example/rss\n- name: b\n  url: https://b.example/rss\nstore: x.db\n"},
	{"leading document marker", true, "---\nsources:\n  - {name: a, url: 'https://a.example/rss'}\n  - {name: b, url: 'https://b.example/rss'}\n"},
	{"CRLF", true, "sources:\r\n  - name: a\r\n    url: https://a.example/rss\r\n  - name: b\r\n    url: https://b.example/rss\r\n"},
	{"block scalar and multi-line flow", true, "sources:\n  - name: a\n    url: https://a.example/rss\n    username: |\n      u\n\n      v\n  - {name: b,\n     url: 'https://b.example/rss'}\n  - name: c\n    url: >-\n      https://c.example/rss\n"},
	{"merge key inside a source", true, "sources:\n  - name: a\n    url: https://a.example/rss\n    <<: {every: 1m, url: 'https://x.example/rss', bogus: 1}\n  - {name: b, url: 'https://b.example/rss'}\n"},
	{"errors in sources", true, "tiers: [local, national]\nsources:\n  - {name: a, url: 'https://a.example/rss', urll: x}\n  - {name: A, url: 'ftp://b.example/rss'}\n  - just a string\n  -\n  - {name: c, url: 'https://c.example/rss', name: d}\n  - {name: e, url: 'https://e.example/rss', every: often, tier: regional, max_items: many}\n  - {name: f, url: 'https://f.example/rss', zones: [nowhere]}\n  - [a, list]\n  - {name: a, url: 'https://a.example/rss', tags: {x: 1}}\nrules:\n  - {id: r, title: t, severity: high, windows: [always], scope: {sources: [zz]}, match: {term: x}}\n"},
	{"sources after the rules", true, "rules:\n  - {id: r, title: t, severity: high, windows: [always], scope: {sources: [b]}, match: {term: x}}\nsources:\n  - {name: a, url: 'https://a.example/rss'}\n  - {name: b, url: 'https://b.example/rss'}\n"},
	{"alias in the rest", true, "lists:\n  a: &l [x, y]\n  b: *l\nsources:\n  - {name: a, url: 'https://a.example/rss'}\n"},
	{"anchor in a source", false, "sources:\n  - &s {name: a, url: 'https://a.example/rss'}\n  - {name: b, url: 'https://b.example/rss'}\n"},
	{"alias from a source to the rest", false, "store: &u https://a.example/rss\nsources:\n  - {name: a, url: *u}\n"},
	{"sources twice", false, "sources:\n  - {name: a, url: 'https://a.example/rss'}\nsources:\n  - {name: b, url: 'https://b.example/rss'}\n"},
	{"flow list", false, "sources: [{name: a, url: 'https://a.example/rss'}]\n"},
	{"list on a mapping", false, "sources:\n  name: a\n"},
	{"directive", false, "%YAML 1.1\n---\nsources:\n  - {name: a, url: 'https://a.example/rss'}\n"},
	{"second document", false, "store: x.db\n---\nsources:\n  - {name: a, url: 'https://a.example/rss'}\n"},
	{"quote left open in a source", false, "sources:\n  - {name: a, url: 'https://a.example/rss}\n  - {name: b, url: 'https://b.example/rss'}\n"},
	{"a line the list does not take", false, "sources:\n  - {name: a, url: 'https://a.example/rss'}\n  nope\n"},
	{"lone carriage return", false, "sources:\n  - {name: a, url: 'https://a.example/rss'}\r  - {name: b, url: 'https://b.example/rss'}\n"},
	{"sources in a string", false, "store: \"x\nsources:\n  - a\"\n"},
}

// splitInputs are splitCases, the rejection fixtures and the shipped
// config.
func splitInputs(t testing.TB) map[string][]byte {
	inputs := map[string][]byte{}
	for _, c := range splitCases {
		inputs[c.name] = []byte(c.yaml)
	}
	files, _ := filepath.Glob("testdata/reject/*.yaml")
	for _, f := range append(files, "../config.yaml") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = data
	}
	return inputs
}

// parseWays parses data whole and split into batches of 1, 2 and the
// default size, and fails t when any two differ in their Config or their
// errors.
func parseWays(t *testing.T, data []byte) (split bool) {
	t.Helper()
	whole := &validator{file: "c.yaml", lookupEnv: noEnv, dir: ".", whole: true}
	wantCfg, wantErr := parse(whole, data)
	for _, batch := range []int{1, 2, 0} {
		v := &validator{file: "c.yaml", lookupEnv: noEnv, dir: ".", batch: batch}
		cfg, err := parse(v, data)
		split = v.split != nil
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("batch %d: errors differ from the whole document's:\n%v\nwant:\n%v", batch, err, wantErr)
		}
		if !reflect.DeepEqual(cfg, wantCfg) {
			t.Fatalf("batch %d: config differs from the whole document's:\n%+v\nwant:\n%+v", batch, cfg, wantCfg)
		}
	}
	return split
}

// TestSplitMatchesWhole checks that parsing the sources a batch at a time
// gives the Config and the errors of parsing the document whole.
func TestSplitMatchesWhole(t *testing.T) {
	for _, c := range splitCases {
		t.Run(c.name, func(t *testing.T) {
			if split := parseWays(t, []byte(c.yaml)); split != c.split {
				t.Errorf("split %v, want %v", split, c.split)
			}
		})
	}
	for name, data := range splitInputs(t) {
		t.Run(name, func(t *testing.T) { parseWays(t, data) })
	}
	t.Run("many sources", func(t *testing.T) {
		data := sourcesConfig(3*sourcesBatch + 7)
		data = bytes.Replace(data, []byte("feed-00400,"), []byte("feed-00400, bogus: 1,"), 1)
		data = bytes.Replace(data, []byte("feed-00700,"), []byte("feed-00001,"), 1)
		if !parseWays(t, data) {
			t.Error("not split")
		}
		_, err := Parse("c.yaml", data, noEnv)
		for _, want := range []string{`c.yaml:404: unknown key "bogus"`, `c.yaml:704: sources[700].name: duplicate source id "feed-00001"`} {
			if !strings.Contains(fmt.Sprint(err), want) {
				t.Errorf("error %v\nwant it to contain %q", err, want)
			}
		}
	})
}

// FuzzSplitMatchesWhole: on any input, the split parse and the whole one
// agree.
func FuzzSplitMatchesWhole(f *testing.F) {
	for _, data := range splitInputs(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { parseWays(t, data) })
}

// oldDecode is the loader's decode before it parsed the document once:
// a parse into nodes, then a second parse into the raw types with unknown
// keys refused by the YAML library itself. It is the reference keyCheck
// and the node decode are held to.
func oldDecode(file string, data []byte) (*rawFile, Errors, bool) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, false
	}
	var raw rawFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&raw)
	if err == nil || errors.Is(err, io.EOF) {
		return &raw, nil, true
	}
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	notFound := regexp.MustCompile(`^field (.*) not found in type config\.(\w+)$`)
	v := &validator{file: file}
	for _, msg := range msgs {
		if m := regexp.MustCompile(`^line (\d+): (.*)$`).FindStringSubmatch(msg); m != nil {
			if nf := notFound.FindStringSubmatch(m[2]); nf != nil {
				t := rawTypeNamed(nf[2])
				msg = fmt.Sprintf("line %s: unknown key %q (expected one of: %s)", m[1], nf[1], strings.Join(rawKeys[t].names, ", "))
				var line int
				fmt.Sscan(m[1], &line)
				v.errs = append(v.errs, Error{File: file, Line: line, Msg: msg[len("line "+m[1]+": "):]})
				continue
			}
		}
		v.yamlErrors([]string{msg})
	}
	return &raw, v.errs, true
}

func rawTypeNamed(name string) reflect.Type {
	for t := range rawKeys {
		if t.Name() == name {
			return t
		}
	}
	return nil
}

// decodeWays decodes data the old way and the new ways (whole, and split
// in batches of two), and fails t when the raw types or the errors differ
// (the errors compared in line order, those of one line in any order).
func decodeWays(t *testing.T, data []byte) {
	t.Helper()
	wantRaw, wantErrs, ok := oldDecode("c.yaml", data)
	if !ok {
		return // not YAML: syntaxError, unchanged
	}
	for _, whole := range []bool{true, false} {
		v := &validator{file: "c.yaml", whole: whole, batch: 2}
		raw, ok := v.decode(data)
		if !ok {
			t.Fatalf("whole %v: not decoded, the old decode read it", whole)
		}
		if !reflect.DeepEqual(raw, wantRaw) && !(len(raw.Sources) == 0 && len(wantRaw.Sources) == 0) {
			t.Fatalf("whole %v: raw types differ:\n%+v\nwant:\n%+v", whole, raw, wantRaw)
		}
		if got, want := errorSet(v.errs), errorSet(wantErrs); !slices.Equal(got, want) {
			t.Fatalf("whole %v: errors differ:\n%s\nwant:\n%s", whole, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func errorSet(es Errors) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%08d %s", e.Line, e.Error())
	}
	slices.Sort(out)
	return out
}

// keyCases exercise keyCheck where the decoder skips keys or reads them
// from elsewhere: merges, aliases, repeated keys, nulls, wrong kinds.
var keyCases = []string{
	"stroe: x\ncrawler: {workrs: 1}\n",
	"crawler: &c {workers: 1, bogus: 2}\nslack: {digest: *c}\n",
	"crawler:\n  <<: {workers: 1, bogus: 2}\n  bogus: 3\n",
	"crawler:\n  <<: [{workers: 1, a: 2}, {b: 3, workers: 2}]\n  workers: 4\n",
	"crawler:\n  workers: 1\n  workers: 2\n  bogus: 3\n",
	"crawler: !!null {bogus: 1}\nrules:\n  - {id: r, match: !!null {bogus: 2}}\n",
	"crawler: [bogus]\nsources: {bogus: 1}\nrules: [{match: [ {bogus: 1} ]}]\n",
	"crawler: {~: 1, null: 2, 3: 4, [a]: 5, {b: c}: 6}\n",
	"rules:\n  - match: {any: [{term: a, bogus: 1}, {near: {terms: [a], bogus: 2}}]}\n",
	"a: &a {b: *a}\n",
	"lists: {x: [a], x: [b]}\n",
	"crawler: {workers: 1, workers: 2}\n",
	"crawler:\n  <<: 3\n",
	"relay: {enabled: yes, bogus: }\n",
	"? crawler\n: {bogus: 1}\n",
	"\"crawler\": {'bogus': 1}\n",
	"crawler: {!!binary Ym9ndXM=: 1}\n",
}

// TestKeyCheckMatchesOldDecode holds keyCheck and the node decode to the
// YAML library's own refusal of unknown keys.
func TestKeyCheckMatchesOldDecode(t *testing.T) {
	for i, c := range keyCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) { decodeWays(t, []byte(c)) })
	}
	for _, c := range splitCases {
		t.Run(c.name, func(t *testing.T) { decodeWays(t, []byte(c.yaml)) })
	}
	for name, data := range splitInputs(t) {
		t.Run(name, func(t *testing.T) { decodeWays(t, data) })
	}
}

// FuzzKeyCheckMatchesOldDecode: on any input, the new decode agrees with
// the old one.
func FuzzKeyCheckMatchesOldDecode(f *testing.F) {
	for _, c := range keyCases {
		f.Add([]byte(c))
	}
	for _, data := range splitInputs(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { decodeWays(t, data) })
}
