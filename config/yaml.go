package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// decode reads data into the raw types. It reports false when data is not
// YAML at all; unknown keys and wrong types are recorded as errors and the
// rest is still decoded, so that validation can report its own errors too.
// The document is parsed once, into nodes, whose positions give every
// later error its line; the raw types are decoded from the nodes and
// keyCheck refuses the keys that decoding ignores. A long block list of
// sources is parsed a few hundred sources at a time instead (see
// splitSources), so that its nodes are never all held at once.
func (v *validator) decode(data []byte) (*rawFile, bool) {
	if !v.whole {
		if raw, ok := v.decodeSplit(data); ok {
			return raw, true
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		v.syntaxError(data, err)
		return nil, false
	}
	v.root = &root
	var raw rawFile
	msgs, fatal := decodeNode(&root, &raw)
	v.yamlErrors(msgs)
	if !fatal {
		c := keyCheck{file: v.file}
		c.value(&root, rawFileType)
		v.errs = append(v.errs, c.errs...)
	}
	return &raw, true
}

var rawFileType = reflect.TypeFor[rawFile]()

// decodeNode decodes n into out. It returns the decoder's messages, and
// fatal when the decoder stopped at the first (an alias loop, a merge of
// something other than a mapping): the others are each for one value, the
// rest of n still decoded.
func decodeNode(n *yaml.Node, out any) (msgs []string, fatal bool) {
	err := n.Decode(out)
	var te *yaml.TypeError
	switch {
	case err == nil:
		return nil, false
	case errors.As(err, &te):
		return te.Errors, false
	}
	return []string{err.Error()}, true
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErrors turns the YAML library's messages into Errors with lines, and
// its Go type names into the words a user may write.
func (v *validator) yamlErrors(msgs []string) {
	for _, msg := range msgs {
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			fmt.Sscan(m[1], &line)
			msg = m[2]
		}
		msg = strings.ReplaceAll(msg, "cannot unmarshal", "cannot read")
		msg = goTypeNames.Replace(msg)
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
			switch {
			case v.split != nil && n == v.split.seq:
				next = v.split.source(x)
			case n.Kind == yaml.SequenceNode && x < len(n.Content):
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

// locateBudget bounds the bytes syntaxError parses again to locate an
// error (each attempt parses a prefix of the document): a few hundred
// times a config file of some kilobytes. Past it the library's line is
// kept.
const locateBudget = 32 << 20

// syntaxError records a document that is not YAML at the line where it
// stops being YAML. The library's own line is where the construct it was
// reading began (the scalar before a tab, the mapping around a quote left
// open, one line early for parser errors), so the line is found instead
// by parsing prefixes: a YAML document cut at a line break is still YAML
// unless a quote or a flow collection is open, so the first line after
// the longest prefix that parses is the line that broke the document.
// That line is then read for the usual causes (a tab in the indentation,
// a quote or bracket opened and never closed) to give the column and a
// plain message; otherwise the library's message is kept. Past
// locateBudget the search starts from the library's line instead.
func (v *validator) syntaxError(data []byte, err error) {
	msg, line := strings.TrimPrefix(err.Error(), "yaml: "), 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscan(m[1], &line)
		msg = m[2]
	}
	e := Error{File: v.file, Line: line, Msg: msg}
	starts := lineStarts(data)
	budget := locateBudget
	// parses reports whether the first k lines parse, or ok false once
	// the budget is spent.
	parses := func(k int) (yes, ok bool) {
		end := len(data)
		if k < len(starts) {
			end = starts[k]
		}
		if budget -= end; budget < 0 {
			return false, false
		}
		var n yaml.Node
		return yaml.Unmarshal(data[:end], &n) == nil, true
	}
	bad := -1
	for k := len(starts) - 1; k >= 0; k-- {
		yes, ok := parses(k)
		if !ok {
			break
		}
		if yes {
			bad = k
			break
		}
	}
	if bad < 0 && line > 0 {
		// A long document: the first line from about the library's
		// on that does not parse, which misses only a quote or a
		// flow collection that spans lines legitimately in between.
		budget = locateBudget
		for k := max(line-2, 0); k < len(starts); k++ {
			yes, ok := parses(k + 1)
			if !ok {
				break
			}
			if !yes {
				bad = k
				break
			}
		}
	}
	if bad >= 0 {
		end := len(data)
		if bad+1 < len(starts) {
			end = starts[bad+1]
		}
		text := strings.TrimRight(string(data[starts[bad]:end]), "\r\n")
		e.Line = bad + 1
		e.Column, e.Msg = lineProblem(text, msg)
		if e.Msg == msg {
			e.Msg += indentHint(string(data[:starts[bad]]), text)
		}
	}
	v.errs = append(v.errs, e)
}

// lineStarts returns the offset of each line of data.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineProblem reads the line a document broke at for a cause a person can
// fix: a tab in the indentation, a quote or a flow collection left open.
// It returns the column of the cause and a message for it, or the column
// of the line's first character and the library's message.
func lineProblem(line, libMsg string) (int, string) {
	col := func(i int) int { return utf8.RuneCountInString(line[:i]) + 1 }
	indent := len(line) - len(strings.TrimLeft(line, " \t"))
	if tab := strings.IndexByte(line[:indent], '\t'); tab >= 0 && indent < len(line) {
		return col(tab), "found a tab character in the indentation (YAML indents with spaces)"
	}
	var open []int // offsets of the '[' and '{' not yet closed
	quote, quoteAt := byte(0), 0
	tokenStart := true // the next character may start a scalar or a collection
	for i := indent; i < len(line); i++ {
		c := line[i]
		if quote != 0 {
			switch {
			case quote == '"' && c == '\\':
				i++
			case quote == '\'' && c == '\'' && i+1 < len(line) && line[i+1] == '\'':
				i++
			case c == quote:
				quote, tokenStart = 0, false
			}
			continue
		}
		switch {
		case c == ' ' || c == '\t':
			continue
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			i = len(line)
			continue
		case (c == '"' || c == '\'') && tokenStart:
			quote, quoteAt = c, i
			continue
		case (c == '[' || c == '{') && (tokenStart || len(open) > 0):
			open = append(open, i)
			tokenStart = true
			continue
		case (c == ']' || c == '}') && len(open) > 0:
			open = open[:len(open)-1]
		}
		// After an indicator followed by a space (or, in a flow, after
		// a comma), a new scalar may start.
		next := byte(' ')
		if i+1 < len(line) {
			next = line[i+1]
		}
		tokenStart = ((c == ':' || c == '-' || c == '?') && (next == ' ' || next == '\t')) || (c == ',' && len(open) > 0)
	}
	switch {
	case quote == '"':
		return col(quoteAt), "unclosed double quote: the string that starts here has no closing \""
	case quote == '\'':
		return col(quoteAt), "unclosed single quote: the string that starts here has no closing '"
	case len(open) > 0 && line[open[0]] == '[':
		return col(open[0]), "unclosed flow sequence: this [ has no closing ]"
	case len(open) > 0:
		return col(open[0]), "unclosed flow mapping: this { has no closing }"
	}
	return col(indent), libMsg
}

// indentHint says how line's indentation fails the lines above it, or
// nothing when it does not: a line indented deeper than the line above
// though that line opens no block, or less deep than it but not as deep as
// any block it could close back to.
func indentHint(above, line string) string {
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	var levels []int // the indentations of the open blocks, innermost last
	last := ""       // the last line with content, comment removed
	for _, l := range strings.Split(above, "\n") {
		body := strings.TrimSpace(l)
		if body == "" || body[0] == '#' || strings.ContainsAny(l, "\t") {
			continue
		}
		if i := strings.Index(l, " #"); i >= 0 {
			l = l[:i]
		}
		n := indent(l)
		for len(levels) > 0 && levels[len(levels)-1] > n {
			levels = levels[:len(levels)-1]
		}
		if len(levels) == 0 || levels[len(levels)-1] < n {
			levels = append(levels, n)
		}
		// "- key: v" opens a mapping at the key's column.
		for rest := l[n:]; strings.HasPrefix(rest, "- "); {
			n += 2 + indent(rest[2:])
			rest = l[n:]
			levels = append(levels, n)
		}
		last = strings.TrimRight(l, " ")
	}
	n := indent(line)
	if len(levels) == 0 || strings.TrimSpace(line) == "" {
		return ""
	}
	top := levels[len(levels)-1]
	switch {
	case n > top && !strings.HasSuffix(last, ":") && !strings.HasSuffix(last, "-") &&
		!strings.HasSuffix(last, "|") && !strings.HasSuffix(last, ">"):
		return fmt.Sprintf(" (this line is indented by %d spaces, deeper than the line above, which opens no block)", n)
	case n < top && !slices.Contains(levels, n):
		in := make([]string, len(levels))
		for i, l := range levels {
			in[i] = strconv.Itoa(l)
		}
		return fmt.Sprintf(" (this line is indented by %d spaces; the blocks above it are indented by %s)", n, joinLast(in, " or "))
	}
	return ""
}
