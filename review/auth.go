package review

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/store"
)

// Cookie names. The session cookie holds a random id whose SHA-256 is
// the store's key; the login cookie carries the login form's CSRF token
// before there is a session.
const (
	sessionCookie = "sw_session"
	loginCookie   = "sw_login"
)

// roleRank orders roles: each can do what the ones below it can.
var roleRank = map[string]int{store.RoleViewer: 1, store.RoleReviewer: 2, store.RoleAdmin: 3}

// ValidRole reports whether role is one of viewer, reviewer, admin.
func ValidRole(role string) bool { return roleRank[role] > 0 }

// can reports whether a user of role may do what needs role want.
func can(role, want string) bool { return roleRank[role] >= roleRank[want] && roleRank[role] > 0 }

// who is the signed-in user of a request; session is nil for API calls.
type who struct {
	user    store.User
	session *store.Session
}

type handler func(w http.ResponseWriter, r *http.Request, u who)

// session returns the request's live session, if any.
func (s *Server) session(r *http.Request) (store.Session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return store.Session{}, false
	}
	se, err := s.st.SessionByID(r.Context(), TokenHash(c.Value), s.clock.Now())
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("review: reading a session", "err", err)
		}
		return store.Session{}, false
	}
	return se, true
}

// page wraps a page handler: anonymous requests go to the login page, a
// role too low is 403, and every POST must carry the session's CSRF
// token.
func (s *Server) page(want string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		se, ok := s.session(r)
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			s.errorPage(w, r, http.StatusForbidden, "Sign in first.")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if !sameToken(r.PostFormValue("csrf"), se.CSRF) {
				s.log.Warn("review: form refused: CSRF token missing or wrong", "user", se.User.Name, "path", r.URL.Path)
				s.errorPage(w, r, http.StatusForbidden, "This form has expired or did not come from this site. Go back, reload the page and try again.")
				return
			}
		}
		if !can(se.User.Role, want) {
			s.errorPage(w, r, http.StatusForbidden, "Your account ("+se.User.Role+") may not do this.")
			return
		}
		h(w, r, who{user: se.User, session: &se})
	})
}

// api wraps an API handler: a bearer token is required (401 otherwise),
// and a role too low is 403.
func (s *Server) api(want string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok = strings.TrimSpace(tok)
		if !ok || tok == "" || len(tok) > 200 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="silencewatch"`)
			writeJSONError(w, http.StatusUnauthorized, "an API token is needed: Authorization: Bearer TOKEN (silencewatch users token)")
			return
		}
		u, err := s.st.UserByAPIToken(r.Context(), TokenHash(tok), s.clock.Now())
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.log.Error("review: checking an API token", "err", err)
				writeJSONError(w, http.StatusInternalServerError, "the store could not be read")
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="silencewatch", error="invalid_token"`)
			writeJSONError(w, http.StatusUnauthorized, "unknown API token")
			return
		}
		if !can(u.Role, want) {
			writeJSONError(w, http.StatusForbidden, "role "+u.Role+" may not do this")
			return
		}
		h(w, r, who{user: u})
	})
}

func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// clientAddr is the request's peer address, without the port. Headers
// such as X-Forwarded-For are not trusted: the UI binds to loopback, and
// a proxy in front would make every client one address anyway.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type loginView struct {
	CSRF  string
	Name  string
	Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, "", "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	// The form's token is the login cookie's: one already set (another tab,
	// a reload, a sub-request) is kept, so two loads never leave a form
	// whose token the cookie no longer holds.
	var tok string
	if c, err := r.Cookie(loginCookie); err == nil && validToken(c.Value) {
		tok = c.Value
	} else if tok, err = NewToken(); err != nil {
		s.errorPage(w, r, http.StatusInternalServerError, "No randomness available.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 3600})
	s.render(w, r, status, "login", nil, loginView{CSRF: tok, Name: name, Error: msg})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		s.renderLogin(w, r, http.StatusForbidden, "", "The sign-in form expired. Try again.")
		return
	}
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	now := s.clock.Now()
	userKey, addrKey := "user:"+name, "addr:"+clientAddr(r)
	for _, k := range []string{userKey, addrKey} {
		if until := s.limit.lockedUntil(k, now); !until.IsZero() {
			s.log.Warn("review: login refused: too many failures", "key", k, "until", until)
			w.Header().Set("Retry-After", retryAfter(until.Sub(now)))
			s.renderLogin(w, r, http.StatusTooManyRequests, name,
				"Too many failed sign-ins. Try again in "+until.Sub(now).Round(time.Second).String()+".")
			return
		}
	}
	u, err := s.st.UserByName(r.Context(), name)
	hash := u.PasswordHash
	switch {
	case errors.Is(err, store.ErrNotFound):
		hash = s.dummy // the same work whether or not the account exists
	case err != nil:
		s.log.Error("review: login", "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "The store could not be read.")
		return
	}
	ok, herr := CheckPassword(hash, password)
	if herr != nil {
		s.log.Error("review: login: stored password hash unreadable", "user", name, "err", herr)
	}
	if err != nil || !ok {
		s.limit.fail(userKey, now)
		s.limit.fail(addrKey, now)
		s.log.Warn("review: login failed", "user", name, "addr", clientAddr(r))
		s.renderLogin(w, r, http.StatusUnauthorized, name, "Wrong name or password.")
		return
	}
	s.limit.succeed(userKey)
	id, err1 := NewToken()
	csrf, err2 := NewToken()
	if err1 != nil || err2 != nil {
		s.errorPage(w, r, http.StatusInternalServerError, "No randomness available.")
		return
	}
	s.gcSessions(r.Context(), now)
	if err := s.st.CreateSession(r.Context(), TokenHash(id), u.ID, csrf, now, now.Add(s.ttl)); err != nil {
		s.log.Error("review: login", "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "The session could not be stored.")
		return
	}
	s.log.Info("review: signed in", "user", u.Name, "role", u.Role)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: int(s.ttl.Seconds())})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func retryAfter(d time.Duration) string {
	return itoa(int(d.Seconds()) + 1)
}

// gcSessions drops expired sessions, at most once an hour.
func (s *Server) gcSessions(ctx context.Context, now time.Time) {
	last := s.lastGC.Load()
	if now.Unix()-last < int64(time.Hour/time.Second) || !s.lastGC.CompareAndSwap(last, now.Unix()) {
		return
	}
	if _, err := s.st.DeleteExpiredSessions(ctx, now); err != nil {
		s.log.Error("review: dropping expired sessions", "err", err)
	}
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, u who) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.st.DeleteSession(r.Context(), TokenHash(c.Value)); err != nil {
			s.log.Error("review: logout", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// validToken reports whether v has the form NewToken gives (base64url of
// 32 bytes), so a forged cookie cannot choose an odd token.
func validToken(v string) bool {
	if len(v) != 43 {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
