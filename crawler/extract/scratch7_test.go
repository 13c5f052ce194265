package extract

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/markusmobius/go-trafilatura"
)

func TestScratchPerPage(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	worse, better := 0, 0
	for u, e := range comparisonData {
		var b []byte
		var err error
		for _, d := range []string{"comparison", "mock"} {
			b, err = os.ReadFile(filepath.Join(cmpDir, d, e.File))
			if err == nil {
				break
			}
		}
		if err != nil {
			continue
		}
		r1, _ := Extract(b, "", u, Feed{})
		pu, _ := url.Parse(u)
		lib, err := trafilatura.Extract(bytes.NewReader(b), trafilatura.Options{OriginalURL: pu, ExcludeComments: true})
		lt := ""
		if err == nil {
			lt = lib.ContentText
		}
		var a, c evres
		a.add(e, r1.Text)
		c.add(e, lt)
		sa := a.tp - a.fp
		sc := c.tp - c.fp
		if sa < sc {
			worse++
			fmt.Printf("WORSE %s: ours %+v lib %+v  %s %v\n", e.File, a, c, r1.Extractor, r1.Notes)
		} else if sa > sc {
			better++
		}
	}
	fmt.Println("worse", worse, "better", better)
}
