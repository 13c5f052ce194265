package review

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/silencewatch/silencewatch/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

// templates are the pages, each parsed with the layout.
type templates map[string]*template.Template

var pageNames = []string{"login", "dashboard", "findings", "finding", "sources", "error", "check", "backtest", "leaks", "leak"}

func parseTemplates() (templates, error) {
	funcs := template.FuncMap{
		"label": func(v string) string {
			if l, ok := verdictLabels[v]; ok {
				return l
			}
			return v
		},
		"f1":    func(x float64) string { return fmt.Sprintf("%.1f", x) },
		"join":  strings.Join,
		"sevOf": sevClass,
		"table": func(title, param string, rows []store.Count) countTable { return countTable{title, param, rows} },
	}
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("review: templates: %w", err)
	}
	out := templates{}
	for _, name := range pageNames {
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err == nil {
			t, err = t.ParseFS(templateFS, "templates/"+name+".html")
		}
		if err != nil {
			return nil, fmt.Errorf("review: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

type countTable struct {
	Title, Param string
	Rows         []store.Count
}

// pageData is what the layout gets: the signed-in user (nil on the login
// page), the session's CSRF token for forms, and the page's own data.
type pageData struct {
	Title string
	User  string
	Role  string
	CSRF  string
	Nav   string
	Data  any
}

var pageTitles = map[string]string{
	"login": "Sign in", "dashboard": "Dashboard", "findings": "Findings", "finding": "Finding",
	"sources": "Sources", "error": "Error", "check": "Self-check", "backtest": "Backtest", "leaks": "Leaks", "leak": "Leak",
}

// navOf is the menu entry of a page that has none of its own.
var navOf = map[string]string{"leak": "leaks"}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, u *who, data any) {
	pd := pageData{Title: pageTitles[name], Nav: name, Data: data}
	if n, ok := navOf[name]; ok {
		pd.Nav = n
	}
	if u != nil {
		pd.User, pd.Role = u.user.Name, u.user.Role
		if u.session != nil {
			pd.CSRF = u.session.CSRF
		}
	}
	var buf bytes.Buffer
	if err := s.tmpl[name].ExecuteTemplate(&buf, "layout", pd); err != nil {
		s.log.Error("review: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var u *who
	if se, ok := s.session(r); ok {
		u = &who{user: se.User, session: &se}
	}
	s.render(w, r, status, "error", u, struct {
		Status int
		Text   string
		Msg    string
	}{status, http.StatusText(status), msg})
}

func (s *Server) serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(styleCSS)
}
