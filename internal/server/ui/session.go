package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

const (
	sessionCookie = "consign_session"
	signinCookie  = "consign_signin"
	// maxSessions bounds the sessions kept in memory.
	maxSessions = 10000
	// maxForm bounds a form's body (a finding's envelope is the largest).
	maxForm = 1 << 20
)

// session is a signed-in browser: the token that signed in (by its hash;
// the secret is never kept) and the CSRF token of its forms.
type session struct {
	token   tlog.Hash
	csrf    string
	expires time.Time
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func newSessions() *sessions { return &sessions{m: map[string]*session{}} }

// add stores s under a new random id, dropping expired sessions when full.
func (ss *sessions) add(s *session, now time.Time) (string, error) {
	id := randomString()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		for k, v := range ss.m {
			if !now.Before(v.expires) {
				delete(ss.m, k)
			}
		}
		if len(ss.m) >= maxSessions {
			return "", errors.New("too many sessions")
		}
	}
	ss.m[id] = s
	return id, nil
}

func (ss *sessions) get(id string, now time.Time) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return nil
	}
	if !now.Before(s.expires) {
		delete(ss.m, id)
		return nil
	}
	return s
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, id)
}

// randomString is 32 random bytes in unpadded base64url.
func randomString() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func sameSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (p *Portal) cookie(r *http.Request, name, value, path string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode}
	if value == "" {
		c.MaxAge = -1
	} else if !expires.IsZero() {
		c.Expires = expires
	}
	return c
}

// request is what a signed-in page handler is given.
type request struct {
	id    string
	sess  *session
	token *store.Token
}

type pageHandler func(w http.ResponseWriter, r *http.Request, rq *request) error

// handle serves a page that needs a signed-in inspector: without a session
// (or once its token is revoked or expired) a GET goes to the sign-in page
// and a POST is forbidden; a POST must carry the session's CSRF token.
func (p *Portal) handle(pattern string, h pageHandler) {
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rq := p.signedIn(r)
		if rq == nil {
			if r.Method != http.MethodGet {
				p.render(w, r, http.StatusForbidden, "error", &page{Title: "Forbidden", Message: "Sign in first."})
				return
			}
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil || !sameSecret(r.PostForm.Get("csrf"), rq.sess.csrf) {
				p.render(w, r, http.StatusForbidden, "error", &page{Title: "Forbidden", Message: "This form is stale or was not sent by this site (its CSRF token is missing or wrong). Go back, reload the page and try again.", rq: rq})
				return
			}
		}
		if err := h(w, r, rq); err != nil {
			p.fail(w, r, rq, err)
		}
	})
}

// signedIn is the request's session and its token, if both are valid now.
func (p *Portal) signedIn(r *http.Request) *request {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	now := p.cfg.Now()
	s := p.sessions.get(c.Value, now)
	if s == nil {
		return nil
	}
	t, err := p.cfg.Log.Inspector(r.Context(), s.token)
	if err != nil {
		p.sessions.remove(c.Value)
		return nil
	}
	return &request{id: c.Value, sess: s, token: t}
}

func (p *Portal) signinForm(w http.ResponseWriter, r *http.Request) {
	if p.signedIn(r) != nil {
		http.Redirect(w, r, "/products", http.StatusSeeOther)
		return
	}
	csrf := randomString()
	http.SetCookie(w, p.cookie(r, signinCookie, csrf, "/signin", p.cfg.Now().Add(time.Hour)))
	p.render(w, r, http.StatusOK, "signin", &page{Title: "Sign in", CSRF: csrf})
}

// signin is POST /signin: the form's CSRF token must match the sign-in
// cookie; the token must be a valid inspector token.
func (p *Portal) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	c, cerr := r.Cookie(signinCookie)
	if err := r.ParseForm(); err != nil || cerr != nil || !sameSecret(r.PostForm.Get("csrf"), c.Value) {
		p.render(w, r, http.StatusForbidden, "error", &page{Title: "Forbidden", Message: "This sign-in form is stale or was not sent by this site. Open the sign-in page again."})
		return
	}
	refuse := func() {
		csrf := randomString()
		http.SetCookie(w, p.cookie(r, signinCookie, csrf, "/signin", p.cfg.Now().Add(time.Hour)))
		p.render(w, r, http.StatusUnauthorized, "signin", &page{Title: "Sign in", CSRF: csrf, Message: "Sign-in refused: this token is unknown, revoked or expired, or it is not an inspector's token."})
	}
	h, err := server.ParseToken(strings.TrimSpace(r.PostForm.Get("token")))
	if err != nil {
		refuse()
		return
	}
	t, err := p.cfg.Log.Inspector(r.Context(), h)
	if err != nil {
		refuse()
		return
	}
	now := p.cfg.Now()
	expires := now.Add(p.cfg.SessionTTL)
	if t.Expires.Before(expires) {
		expires = t.Expires
	}
	s := &session{token: h, csrf: randomString(), expires: expires}
	id, err := p.sessions.add(s, now)
	if err != nil {
		p.fail(w, r, nil, err)
		return
	}
	if err := p.record(r, &request{sess: s, token: t}, "", "signin"); err != nil {
		p.sessions.remove(id)
		p.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, p.cookie(r, signinCookie, "", "/signin", time.Time{}))
	http.SetCookie(w, p.cookie(r, sessionCookie, id, "/", expires))
	http.Redirect(w, r, "/products", http.StatusSeeOther)
}

func (p *Portal) signout(w http.ResponseWriter, r *http.Request, rq *request) error {
	p.sessions.remove(rq.id)
	http.SetCookie(w, p.cookie(r, sessionCookie, "", "/", time.Time{}))
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// record appends a view or download by rq's token to the access record.
func (p *Portal) record(r *http.Request, rq *request, product, action string) error {
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	return p.cfg.Store.RecordAccess(r.Context(), store.Access{Time: p.cfg.Now(), TokenID: rq.token.ID, TokenName: rq.token.Name, Product: product, Action: action, Path: path})
}
