package leak

import (
	"embed"
	"io/fs"
)

// syntheticFS is the synthetic evaluation set, embedded so that `leaks
// eval` works from any directory.
//
//go:embed testdata/leak.json testdata/corpus testdata/articles
var syntheticFS embed.FS

// Synthetic is the bundled synthetic evaluation set (leak.json, corpus/,
// articles/ of testdata), for EvaluateFS, LoadEvaluation and
// TrainingSetFS.
func Synthetic() fs.FS {
	sub, err := fs.Sub(syntheticFS, "testdata")
	if err != nil {
		panic(err) // a constant, valid path
	}
	return sub
}
