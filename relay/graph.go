package relay

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// WriteJSON writes the spread, its articles and edges, as one indented
// JSON document.
func WriteJSON(w io.Writer, s Spread) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("relay: json: %w", err)
	}
	return nil
}

// WriteCSV writes one row per edge, with a header.
func WriteCSV(w io.Writer, s Spread) error {
	cw := csv.NewWriter(w)
	tier := tierOfNodes(s)
	cw.Write([]string{"from_article", "from_version", "from_outlet", "from_tier", "from_at",
		"to_article", "to_version", "to_outlet", "to_tier", "to_at", "words", "matched",
		"from_field", "from_start", "from_end", "to_field", "to_start", "to_end", "detected_at"})
	i := strconv.Itoa
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, e := range s.Edges {
		cw.Write([]string{i64(e.From.ArticleID), i64(e.From.VersionID), e.From.Outlet, tier[e.From.ArticleID], tm(e.From.At),
			i64(e.To.ArticleID), i64(e.To.VersionID), e.To.Outlet, tier[e.To.ArticleID], tm(e.To.At), i(e.Words), i(e.Matched),
			string(e.FromSpan.Field), i(e.FromSpan.Start), i(e.FromSpan.End), string(e.ToSpan.Field), i(e.ToSpan.Start), i(e.ToSpan.End), tm(e.DetectedAt)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("relay: csv: %w", err)
	}
	return nil
}

func tierOfNodes(s Spread) map[int64]string {
	m := make(map[int64]string, len(s.Nodes))
	for _, n := range s.Nodes {
		m[n.ArticleID] = n.Tier
	}
	return m
}

// GEXF (gexf.net, 1.3): what Gephi reads.
type gexfDoc struct {
	XMLName xml.Name  `xml:"gexf"`
	XMLNS   string    `xml:"xmlns,attr"`
	Version string    `xml:"version,attr"`
	Meta    gexfMeta  `xml:"meta"`
	Graph   gexfGraph `xml:"graph"`
}

type gexfMeta struct {
	Creator     string `xml:"creator"`
	Description string `xml:"description"`
}

type gexfGraph struct {
	Mode        string       `xml:"mode,attr"`
	EdgeType    string       `xml:"defaultedgetype,attr"`
	Attributes  gexfAttrDecl `xml:"attributes"`
	Nodes       []gexfNode   `xml:"nodes>node"`
	Edges       []gexfEdge   `xml:"edges>edge"`
	TimeFormat  string       `xml:"timeformat,attr,omitempty"`
	TimeRepType string       `xml:"timerepresentation,attr,omitempty"`
}

type gexfAttrDecl struct {
	Class string     `xml:"class,attr"`
	Attrs []gexfAttr `xml:"attribute"`
}

type gexfAttr struct {
	ID    string `xml:"id,attr"`
	Title string `xml:"title,attr"`
	Type  string `xml:"type,attr"`
}

type gexfNode struct {
	ID     string      `xml:"id,attr"`
	Label  string      `xml:"label,attr"`
	Start  string      `xml:"start,attr,omitempty"`
	Values []gexfValue `xml:"attvalues>attvalue"`
}

type gexfValue struct {
	For   string `xml:"for,attr"`
	Value string `xml:"value,attr"`
}

type gexfEdge struct {
	ID     string  `xml:"id,attr"`
	Source string  `xml:"source,attr"`
	Target string  `xml:"target,attr"`
	Weight float64 `xml:"weight,attr"`
}

var gexfAttrs = []gexfAttr{
	{"outlet", "outlet", "string"}, {"tier", "tier", "string"}, {"label", "label", "string"},
	{"kind", "kind", "string"}, {"time", "time", "string"}, {"url", "url", "string"},
}

// WriteGEXF writes the spread as a directed graph: one node per article
// (outlet, tier, label, kind, time, URL), one edge per relayed pair of
// articles weighted by the words reused.
func WriteGEXF(w io.Writer, s Spread) error {
	doc := gexfDoc{XMLNS: "http://gexf.net/1.3", Version: "1.3",
		Meta: gexfMeta{Creator: "silencewatch", Description: "spread of leak " + s.Leak},
		Graph: gexfGraph{Mode: "static", EdgeType: "directed",
			Attributes: gexfAttrDecl{Class: "node", Attrs: gexfAttrs}}}
	for _, n := range s.Nodes {
		at := n.At.UTC().Format(time.RFC3339)
		doc.Graph.Nodes = append(doc.Graph.Nodes, gexfNode{ID: nodeID(n.ArticleID), Label: n.Outlet + ": " + n.Title,
			Values: []gexfValue{{"outlet", n.Outlet}, {"tier", n.Tier}, {"label", n.Label}, {"kind", n.Kind}, {"time", at}, {"url", n.URL}}})
	}
	type pair struct{ from, to int64 }
	weight := map[pair]int{}
	var pairs []pair
	for _, e := range s.Edges {
		p := pair{e.From.ArticleID, e.To.ArticleID}
		if _, ok := weight[p]; !ok {
			pairs = append(pairs, p)
		}
		weight[p] += e.Words
	}
	slices.SortStableFunc(pairs, func(a, b pair) int {
		if c := cmp.Compare(a.from, b.from); c != 0 {
			return c
		}
		return cmp.Compare(a.to, b.to)
	})
	for i, p := range pairs {
		doc.Graph.Edges = append(doc.Graph.Edges, gexfEdge{ID: strconv.Itoa(i), Source: nodeID(p.from), Target: nodeID(p.to), Weight: float64(weight[p])})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("relay: gexf: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("relay: gexf: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("relay: gexf: %w", err)
	}
	return nil
}

func nodeID(articleID int64) string { return "a" + strconv.FormatInt(articleID, 10) }
