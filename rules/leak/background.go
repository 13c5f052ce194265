package leak

import (
	"embed"
	"io/fs"
	"sort"
)

// backgroundFS is a sample of ordinary French and English news, written
// for the project, from which words common in general news are learned so
// that only leak-specific terms count as signals.
//
//go:embed background/*.txt
var backgroundFS embed.FS

// DefaultBackground returns the bundled general-news sample, in a fixed
// order so that an index's key does not change between runs.
func DefaultBackground() []string {
	paths, _ := fs.Glob(backgroundFS, "background/*.txt")
	sort.Strings(paths)
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if b, err := backgroundFS.ReadFile(p); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}
