package extract

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markusmobius/go-trafilatura"
)

const cmpDir = "/root/go/pkg/mod/github.com/markusmobius/go-trafilatura@v1.12.2/test-files"

type evres struct{ tp, fn, fp, tn int }

func (e *evres) add(entry ComparisonEntry, text string) {
	text = strings.Join(strings.Fields(text), " ")
	for _, s := range entry.With {
		if text != "" && strings.Contains(text, s) {
			e.tp++
		} else {
			e.fn++
		}
	}
	for _, s := range entry.Without {
		if text != "" && strings.Contains(text, s) {
			e.fp++
		} else {
			e.tn++
		}
	}
}

func (e evres) String() string {
	tp, fn, fp := float64(e.tp), float64(e.fn), float64(e.fp)
	return fmt.Sprintf("P=%.3f R=%.3f F=%.3f (tp %d fn %d fp %d)", tp/(tp+fp), tp/(tp+fn), 2*tp/(2*tp+fp+fn), e.tp, e.fn, e.fp)
}

func TestScratchEval(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	type page struct {
		u    string
		e    ComparisonEntry
		body []byte
	}
	var pages []page
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
		pages = append(pages, page{u, e, b})
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].u < pages[j].u })
	t.Logf("%d pages", len(pages))
	lib := func(o trafilatura.Options) func(p page) string {
		return func(p page) string {
			u, _ := url.Parse(p.u)
			o.OriginalURL = u
			r, err := trafilatura.Extract(bytes.NewReader(p.body), o)
			if err != nil {
				return ""
			}
			return r.ContentText
		}
	}
	variants := map[string]func(p page) string{
		"1 trafilatura alone (Balanced, no comments)":       lib(trafilatura.Options{ExcludeComments: true}),
		"2 trafilatura alone + EnableFallback":              lib(trafilatura.Options{ExcludeComments: true, EnableFallback: true}),
		"3 trafilatura alone FavorPrecision":                lib(trafilatura.Options{ExcludeComments: true, Focus: trafilatura.FavorPrecision}),
		"4 readability alone": func(p page) string {
			u, _ := url.Parse(p.u)
			return readabilityAlone(p.body, u)
		},
		"5 chain (Extract)": func(p page) string {
			r, err := Extract(p.body, "", p.u, Feed{})
			if err != nil {
				return ""
			}
			return r.Text
		},
	}
	names := []string{}
	for k := range variants {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		fn := variants[name]
		var mu sync.Mutex
		var ev evres
		start := time.Now()
		for _, p := range pages {
			txt := fn(p)
			mu.Lock()
			ev.add(p.e, txt)
			mu.Unlock()
		}
		t.Logf("%-45s %s  %.0f pages/s", name, ev, float64(len(pages))/time.Since(start).Seconds())
	}
}
