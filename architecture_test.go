package silencewatch

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are the arrows ARCHITECTURE.md says never exist: a package
// (and everything under it) must not depend, even indirectly, on these.
var forbidden = []struct {
	pkg   string
	never []string
	why   string
}{
	{"rules", []string{"crawler", "store", "notify", "monitor", "net/http", "database/sql"}, "the rule engine fetches, stores and delivers nothing"},
	{"crawler", []string{"rules", "store", "notify", "monitor", "finding"}, "the crawler judges and stores nothing"},
	{"store", []string{"rules", "crawler", "notify", "monitor"}, "the record links no engine"},
	{"finding", []string{"rules", "crawler", "store", "notify", "monitor"}, "findings are plain data"},
	{"notify", []string{"rules", "crawler", "monitor"}, "delivery never fetches or judges"},
	{"export", []string{"rules", "crawler", "notify", "monitor"}, "exports read the record only"},
	{"relay", []string{"crawler", "store", "notify", "monitor"}, "relay detection fetches, stores and delivers nothing"},
	{"spread", []string{"crawler", "notify", "monitor"}, "a spread is read from the record, never fetched or delivered"},
	{"calendar", []string{"rules", "crawler", "store", "notify", "monitor"}, "the calendar is data"},
	{"preset", []string{"rules", "crawler", "store", "notify", "monitor", "config"}, "presets are data"},
	{"textmatch", []string{"rules", "crawler", "store", "notify", "monitor", "config"}, "matching text is a leaf"},
	{"htmltext", []string{"rules", "crawler", "store", "notify", "monitor", "config"}, "HTML to text is a leaf"},
	{"textenc", []string{"rules", "crawler", "store", "notify", "monitor", "config"}, "decoding text is a leaf"},
}

const module = "github.com/silencewatch/silencewatch"

// TestForbiddenImports fails when a package gains a dependency the
// architecture forbids.
func TestForbiddenImports(t *testing.T) {
	for _, f := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "-test=false", "./"+f.pkg+"/...").Output()
		if err != nil {
			t.Fatalf("go list %s: %v", f.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, n := range f.never {
				target := module + "/" + n
				if n == "net/http" || n == "database/sql" { // the standard library's
					target = n
				}
				if dep == target || strings.HasPrefix(dep, target+"/") {
					t.Errorf("%s depends on %s: %s", f.pkg, dep, f.why)
				}
			}
		}
	}
}
