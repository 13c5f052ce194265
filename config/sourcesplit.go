package config

import (
	"bytes"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// sourcesBatch is how many sources splitSources parses at a time: the
// nodes of a few hundred sources are some hundreds of kilobytes, and a
// parse of each source alone would cost a parser each.
const sourcesBatch = 256

// sourcesSplit is a config's block list of sources, cut into batches of
// whole sources that are parsed on their own.
type sourcesSplit struct {
	data    []byte
	batch   int
	line    int // the line of the sources: key
	column  int // the column of the sources' dashes, 1-based
	n       int // sources
	batches []sourcePart
	// seq stands for the list in the tree of the rest of the document;
	// node reads the sources under it from their batch.
	seq *yaml.Node
	// The last batch parsed again for the line of an error.
	cached    int
	cachedSeq *yaml.Node
}

// sourcePart is one batch: the bytes of its sources, the line they start
// on and how many they are.
type sourcePart struct {
	start, end, line, items int
}

// splitSources finds a top-level "sources:" key whose value is a block
// sequence, as a config of many sources writes it:
//
//	sources:
//	  - {name: a, url: 'https://a.example/rss'}
//	  - name: b
//	    url: https://b.example/rss
//
// It returns the document with the sequence's lines emptied (so that every
// other line keeps its number) and the sequence cut into batches of
// sources, each from the line of its first dash to the line before the
// dash after its last source. ok is false when the document is not of
// that shape (then it is parsed whole), and decodeSplit checks the parse
// of each part for what the text alone cannot show.
func splitSources(data []byte, batch int) (rest []byte, s *sourcesSplit, ok bool) {
	if !onlyNewlines(data) {
		return nil, nil, false
	}
	off, lineNo := 0, 0
	next := func() (line []byte, start int, more bool) {
		if off >= len(data) {
			return nil, off, false
		}
		start = off
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			off = len(data)
		} else {
			off += end + 1
		}
		lineNo++
		return bytes.TrimSuffix(bytes.TrimSuffix(data[start:off], []byte("\n")), []byte("\r")), start, true
	}
	// Before the key: no directive, no second document.
	content := false
	for {
		line, _, more := next()
		if !more {
			return nil, nil, false
		}
		if len(line) > 0 && line[0] == '%' {
			return nil, nil, false
		}
		if isDocMarker(line) {
			if content || !bytes.HasPrefix(line, []byte("---")) {
				return nil, nil, false
			}
			content = true
			continue
		}
		if after, found := bytes.CutPrefix(line, []byte("sources:")); found {
			if isBlankOrComment(after, true) {
				break
			}
			return nil, nil, false
		}
		if !isBlankOrComment(line, false) {
			content = true
		}
	}
	s = &sourcesSplit{data: data, batch: batch, line: lineNo}
	blockStart, blockEnd := off, len(data)
	indent := -1
	for {
		line, start, more := next()
		if !more {
			break
		}
		if isBlankOrComment(line, false) {
			continue
		}
		n := 0
		for n < len(line) && line[n] == ' ' {
			n++
		}
		if n < len(line) && line[n] == '\t' && (indent < 0 || n <= indent) {
			return nil, nil, false
		}
		dash := n < len(line) && line[n] == '-' && (n+1 == len(line) || line[n+1] == ' ' || line[n+1] == '\t')
		if indent < 0 {
			if !dash {
				return nil, nil, false // not a block sequence
			}
			indent = n
		}
		if n > indent {
			continue
		}
		if n < indent || !dash {
			blockEnd = start
			break
		}
		if s.n%batch == 0 {
			if len(s.batches) > 0 {
				s.batches[len(s.batches)-1].end = start
			}
			s.batches = append(s.batches, sourcePart{start: start, line: lineNo})
		}
		s.batches[len(s.batches)-1].items++
		s.n++
	}
	if s.n == 0 {
		return nil, nil, false
	}
	s.batches[len(s.batches)-1].end = blockEnd
	s.column = indent + 1
	s.seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: s.batches[0].line, Column: s.column}
	block := data[blockStart:blockEnd]
	rest = make([]byte, 0, len(data)-len(block)+bytes.Count(block, []byte("\n")))
	rest = append(rest, data[:blockStart]...)
	rest = append(rest, bytes.Repeat([]byte("\n"), bytes.Count(block, []byte("\n")))...)
	rest = append(rest, data[blockEnd:]...)
	return rest, s, true
}

// onlyNewlines reports whether data is UTF-8 whose only line breaks are
// "\n" and "\r\n", the lines splitSources counts. YAML also breaks lines
// at a lone "\r", NEL, LS and PS, and reads UTF-16 after its byte order
// mark.
func onlyNewlines(data []byte) bool {
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return false
	}
	for rest := data; ; {
		i := bytes.IndexByte(rest, '\r')
		if i < 0 {
			break
		}
		if i+1 == len(rest) || rest[i+1] != '\n' {
			return false
		}
		rest = rest[i+2:]
	}
	return !bytes.Contains(data, []byte("\u0085")) && !bytes.Contains(data, []byte("\u2028")) && !bytes.Contains(data, []byte("\u2029"))
}

// isDocMarker reports a line that starts or ends a YAML document.
func isDocMarker(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) && !bytes.HasPrefix(line, []byte("...")) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t'
}

// isBlankOrComment reports a line of only white space and a comment;
// after a key (afterKey) the comment needs white space before it.
func isBlankOrComment(line []byte, afterKey bool) bool {
	trimmed := bytes.TrimLeft(line, " \t")
	if afterKey && len(trimmed) == len(line) && len(line) > 0 {
		return false
	}
	return len(trimmed) == 0 || trimmed[0] == '#'
}

// parse parses batch i into its sequence, the lines counted from the
// document's start; ok is false when the batch is not a block sequence of
// its sources alone or has an anchor or an alias (whose meaning depends on
// the rest of the document).
func (s *sourcesSplit) parse(i int) (*yaml.Node, bool) {
	b := s.batches[i]
	var doc yaml.Node
	if err := yaml.Unmarshal(s.data[b.start:b.end], &doc); err != nil {
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	seq := doc.Content[0]
	if seq.Kind != yaml.SequenceNode || seq.Tag != "!!seq" || seq.Style != 0 || seq.Column != s.column || len(seq.Content) != b.items {
		return nil, false
	}
	if !shiftLines(seq, b.line-1) {
		return nil, false
	}
	return seq, true
}

// shiftLines adds delta to the line of every node under n, or reports
// false on an anchor or an alias.
func shiftLines(n *yaml.Node, delta int) bool {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return false
	}
	n.Line += delta
	for _, c := range n.Content {
		if !shiftLines(c, delta) {
			return false
		}
	}
	return true
}

// source returns the node of source i, for the line of an error.
func (s *sourcesSplit) source(i int) *yaml.Node {
	if i < 0 || i >= s.n {
		return nil
	}
	b := i / s.batch
	if s.cachedSeq == nil || s.cached != b {
		seq, ok := s.parse(b)
		if !ok {
			return nil // decodeSplit parsed it before
		}
		s.cached, s.cachedSeq = b, seq
	}
	return s.cachedSeq.Content[i%s.batch]
}

var rawSourcesType = reflect.TypeFor[[]rawSource]()

// decodeSplit decodes data as decode does, its sources a batch at a time,
// or returns false when data is not of the shape splitSources reads or a
// part of it does not parse alone as it does in the whole document: then
// decode parses it whole, and reports its syntax errors.
func (v *validator) decodeSplit(data []byte) (*rawFile, bool) {
	batch := v.batch
	if batch <= 0 {
		batch = sourcesBatch
	}
	rest, s, ok := splitSources(data, batch)
	if !ok {
		return nil, false
	}
	var root yaml.Node
	if yaml.Unmarshal(rest, &root) != nil || len(root.Content) != 1 {
		return nil, false
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode || top.Style != 0 || repeatsKey(top) || expandedAliases(&root, 100) > 100 {
		return nil, false
	}
	at := -1
	for i := 0; i+1 < len(top.Content); i += 2 {
		if k := top.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "sources" {
			at = i + 1
		}
	}
	if at < 0 {
		return nil, false
	}
	if k, val := top.Content[at-1], top.Content[at]; k.Line != s.line || k.Column != 1 || k.Style != 0 ||
		val.Kind != yaml.ScalarNode || val.Tag != "!!null" || val.Value != "" || val.Anchor != "" {
		return nil, false
	}
	var raw rawFile
	msgs, fatal := decodeNode(&root, &raw)
	if fatal {
		return nil, false
	}
	c := keyCheck{file: v.file}
	c.value(&root, rawFileType)
	raw.Sources = make([]rawSource, 0, s.n)
	for i := range s.batches {
		seq, ok := s.parse(i)
		if !ok {
			return nil, false
		}
		// Each source is decoded in its place in the list, as the
		// decoder decodes a list: a source it does not keep (not a
		// mapping, or with a key twice) is left out.
		for _, n := range seq.Content {
			raw.Sources = append(raw.Sources, rawSource{})
			m, fatal := decodeNode(n, &raw.Sources[len(raw.Sources)-1])
			if fatal {
				return nil, false
			}
			msgs = append(msgs, m...)
			if !c.keepsStruct(n) {
				raw.Sources = raw.Sources[:len(raw.Sources)-1]
			}
		}
		c.value(seq, rawSourcesType)
	}
	top.Content[at] = s.seq
	v.root, v.split = &root, s
	v.yamlErrors(msgs)
	v.errs = append(v.errs, c.errs...)
	return &raw, true
}

// expandedAliases counts the nodes the decoder reads through aliases
// under n, up to limit: past about a hundred, its check of alias
// expansion depends on the size of the whole document.
func expandedAliases(n *yaml.Node, limit int) int {
	count := 0
	var walk func(n *yaml.Node, under bool)
	walk = func(n *yaml.Node, under bool) {
		if n == nil || count > limit {
			return
		}
		if under {
			count++
		}
		if n.Kind == yaml.AliasNode {
			walk(n.Alias, true)
			return
		}
		for _, c := range n.Content {
			walk(c, under)
		}
	}
	walk(n, false)
	return count
}
