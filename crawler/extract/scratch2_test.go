package extract

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"testing"

	"golang.org/x/net/html"
)

func TestScratchDump(t *testing.T) {
	f := os.Getenv("F")
	if f == "" {
		t.Skip()
	}
	b, _ := os.ReadFile(f)
	r, err := Extract(b, os.Getenv("CT"), "https://example.org/a", Feed{})
	fmt.Printf("err=%v\n%+v\n", err, r)
	d, _ := decodeHTML(b, "")
	doc, _ := html.Parse(bytes.NewReader(d.data))
	u, _ := url.Parse("https://example.org/a")
	_, tt, _, terr := runTrafilatura(doc, u)
	fmt.Printf("---- trafilatura (%v):\n%s\n", terr, tt)
	rt, rerr := runReadability(doc, u)
	fmt.Printf("---- readability (%v):\n%s\n", rerr, rt)
}
