package leak

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

// LabelledArticle is one article of an evaluation set (the format of
// testdata/articles/*.json): the article, its label and split, and the
// passages it copied from the corpus.
type LabelledArticle struct {
	ID          string        `json:"id"`
	Split       string        `json:"split"` // "train" or "test"
	Label       string        `json:"label"`
	Language    string        `json:"language"`
	Outlet      string        `json:"outlet"`
	Title       string        `json:"title"`
	PublishedAt time.Time     `json:"published_at"`
	Body        string        `json:"body"`
	Passages    []TruePassage `json:"passages"`
	HardCase    string        `json:"hard_case"`
	Notes       string        `json:"notes"`
}

// TruePassage is a ground-truth passage: LeakText is a substring of the
// decoded text of Doc (a path under the evaluation directory, e.g.
// "corpus/0043-x.eml"), ArticleText a substring of the body.
type TruePassage struct {
	Doc         string `json:"doc"`
	LeakText    string `json:"leak_text"`
	ArticleText string `json:"article_text"`
	Edit        string `json:"edit"` // verbatim, punctuation, casing, word, translated, summary
}

// Article converts to the type the rule engine passes to Classify.
func (a *LabelledArticle) Article() *article.Article {
	return &article.Article{
		Source:      a.Outlet,
		GUID:        a.ID,
		Title:       a.Title,
		Content:     a.Body,
		Language:    a.Language,
		PublishedAt: a.PublishedAt,
		FirstSeenAt: a.PublishedAt,
	}
}

// ReadArticles reads every *.json file of dir as a LabelledArticle,
// sorted by ID.
func ReadArticles(dir string) ([]LabelledArticle, error) {
	arts, err := ReadArticlesFS(os.DirFS(dir), ".")
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, dir)
	}
	return arts, nil
}

// ReadArticlesFS is ReadArticles on the directory dir of fsys.
func ReadArticlesFS(fsys fs.FS, dir string) ([]LabelledArticle, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("leak: %w", err)
	}
	out := make([]LabelledArticle, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("leak: %w", err)
		}
		var a LabelledArticle
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("leak: %s: %w", n, err)
		}
		if a.ID == "" {
			a.ID = strings.TrimSuffix(path.Base(n), ".json")
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ReadBackground reads every *.txt file of dir: general news that says
// which words are ordinary, for learning the leak's specific terms.
func ReadBackground(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, fmt.Errorf("leak: %w", err)
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("leak: %w", err)
		}
		out = append(out, decodeUnknown(b))
	}
	return out, nil
}
