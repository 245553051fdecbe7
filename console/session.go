package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cofferstore/coffer/auth"
)

// Session cookie names. Cookies ignore ports, so any other origin on the
// console's host (the S3 listener serving a tenant's HTML, another service)
// can set cookies the console receives. Under TLS the cookie carries the
// __Host- prefix: browsers accept it only with Secure, Path=/ and no Domain,
// so it cannot be shadowed by a longer path or a parent domain, nor set at
// all from a plain-HTTP origin.
const (
	sessionCookie       = "coffer_session"
	secureSessionCookie = "__Host-coffer_session"
)

// maxClearedCookiePaths bounds the Set-Cookie headers that clear planted
// session cookies.
const maxClearedCookiePaths = 16

// csrfHeader carries the session's CSRF token on state-changing requests.
const csrfHeader = "X-CSRF-Token"

// principal is who made a console request and how they proved it.
type principal struct {
	User    auth.User
	Session auth.Session // zero when authenticated with HTTP Basic or a token
	Basic   bool         // HTTP Basic or the operator API token: no cookie, no CSRF
}

type principalKey struct{}

// principalFrom returns the authenticated caller put there by a require* wrapper.
func principalFrom(r *http.Request) principal {
	p, _ := r.Context().Value(principalKey{}).(principal)
	return p
}

// stateChanging reports whether the method may change state and so needs CSRF proof.
func stateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// sessionCookieName is the session cookie's name on this listener.
func (s *server) sessionCookieName() string {
	if s.cfg.SecureCookies {
		return secureSessionCookie
	}
	return sessionCookie
}

// errSessionChanged answers a request whose CSRF token belongs to another
// session than its cookie: the page logged in with one session and the
// browser now sends another (a cookie planted by another origin on this
// host). The page asks its user to log in again.
var errSessionChanged = &apiError{Status: http.StatusUnauthorized, Fields: map[string]any{"sessionChanged": true},
	Message: "your session changed since this page logged in (another site on this host may have replaced the session cookie); log in again"}

// errTwoSessionCookies answers a request carrying more than one session
// cookie; only another origin on this host can have added the second.
var errTwoSessionCookies = &apiError{Status: http.StatusUnauthorized, Fields: map[string]any{"sessionChanged": true},
	Message: "the browser sent more than one session cookie (another site on this host may have planted one); log in again"}

// fromCookie authenticates a request by its session cookie and its CSRF
// header: required for state-changing methods, and checked whenever sent,
// so a page bound to one session never acts in another.
func (s *server) fromCookie(w http.ResponseWriter, r *http.Request) (principal, error) {
	cookies := r.CookiesNamed(s.sessionCookieName())
	if len(cookies) > 1 {
		s.clearPlantedCookies(w, r)
		return principal{}, errTwoSessionCookies
	}
	if len(cookies) == 0 || cookies[0].Value == "" {
		return principal{}, errorf(http.StatusUnauthorized, "not logged in")
	}
	sess, user, err := s.auth.Session(cookies[0].Value)
	if err != nil {
		if errors.Is(err, auth.ErrSessionInvalid) {
			return principal{}, errorf(http.StatusUnauthorized, "not logged in or session expired")
		}
		return principal{}, err
	}
	got := r.Header.Get(csrfHeader)
	switch {
	case got == "" && stateChanging(r.Method):
		return principal{}, errorf(http.StatusForbidden, "missing or invalid CSRF token")
	case got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1:
		return principal{}, errSessionChanged
	}
	return principal{User: user, Session: sess}, nil
}

// clearPlantedCookies expires the session cookie at every path that could
// have matched this request ("/", "/api", "/api/", ... the path itself),
// host-only and for the request's domain, so a planted shadow cookie goes
// and the next login works. Clearing the real one too is intended: the
// user logs in again.
func (s *server) clearPlantedCookies(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SecureCookies {
		// A __Host- cookie exists only at Path=/ without Domain.
		http.SetCookie(w, s.cookie(""))
		return
	}
	var domain string
	if host := hostOnly(r.Host); host != "" && net.ParseIP(host) == nil && strings.Contains(host, ".") {
		domain = host
	}
	for _, p := range cookiePaths(r.URL.Path) {
		c := s.cookie("")
		c.Path = p
		http.SetCookie(w, c)
		if domain != "" {
			c.Domain = domain
			http.SetCookie(w, c)
		}
	}
}

// cookiePaths lists the cookie paths that match request path p (RFC 6265,
// section 5.1.4): "/" and every prefix ending at a segment boundary, with and
// without its trailing slash. At most maxClearedCookiePaths.
func cookiePaths(p string) []string {
	out := []string{"/"}
	for i := 1; i < len(p) && len(out) < maxClearedCookiePaths-1; i++ {
		if p[i] == '/' {
			out = append(out, p[:i], p[:i+1])
		}
	}
	if p != "/" && strings.HasPrefix(p, "/") && !strings.HasSuffix(p, "/") && len(out) < maxClearedCookiePaths {
		out = append(out, p)
	}
	return out
}

// hostOnly is the host of a Host header without its port.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// fromBasic authenticates an operator CLI request by HTTP Basic credentials.
// auth.Store.CheckPassword throttles failures per (user, address) and per address.
func (s *server) fromBasic(r *http.Request, username, password string) (principal, error) {
	user, err := s.auth.CheckPassword(username, password, remoteIP(r))
	if err != nil {
		return principal{}, err
	}
	return principal{User: user, Basic: true}, nil
}

// fromToken authenticates an operator CLI request by the operator API token
// ("Authorization: Bearer"). Tokens are not throttled per user, so nobody
// failing logins as the operator can lock the CLI out.
func (s *server) fromToken(r *http.Request, token string) (principal, error) {
	user, err := s.auth.CheckOperatorToken(token, remoteIP(r))
	if err != nil {
		return principal{}, err
	}
	return principal{User: user, Basic: true}, nil
}

// bearerToken returns the token of "Authorization: Bearer <token>"; the
// scheme is case-insensitive (RFC 9110, section 11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// withPrincipal stores p in the request context.
func withPrincipal(r *http.Request, p principal) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
}

// requireSession admits any logged-in console user (cookie only).
func (s *server) requireSession(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.fromCookie(w, r)
		if err != nil {
			return err
		}
		return h(w, withPrincipal(r, p))
	}
}

// requireTenant admits a tenant user's session; the handler acts on
// principal.User.Tenant and nothing else.
func (s *server) requireTenant(h handlerFunc) handlerFunc {
	return s.requireSession(func(w http.ResponseWriter, r *http.Request) error {
		p := principalFrom(r)
		if p.User.Role != auth.RoleTenant || p.User.Tenant == "" {
			return errorf(http.StatusForbidden, "this endpoint is for tenant users; operators use /api/admin")
		}
		return h(w, r)
	})
}

// requireOperator admits an operator by session cookie (with CSRF), by the
// operator API token or by HTTP Basic credentials (the CLI; no cookie, so no
// CSRF).
func (s *server) requireOperator(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var p principal
		var err error
		if token, ok := bearerToken(r); ok {
			p, err = s.fromToken(r, token)
		} else if username, password, ok := r.BasicAuth(); ok {
			p, err = s.fromBasic(r, username, password)
		} else {
			p, err = s.fromCookie(w, r)
		}
		if err != nil {
			return err
		}
		if p.User.Role != auth.RoleOperator {
			return errorf(http.StatusForbidden, "operator access required")
		}
		return h(w, withPrincipal(r, p))
	}
}

// loginRequest is the body of POST /api/login.
// Username is "alice" or "alice@tenant"; Tenant, when set, names the
// tenant apart (usernames are unique per tenant, see auth/userkey.go).
type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Tenant   string `json:"tenant,omitempty"`
}

// meResponse describes the logged-in user and the CSRF token to echo.
// SessionID names the session without revealing its token: the page keeps
// the one it logged in with and refuses to adopt any other session.
type meResponse struct {
	Username  string `json:"username"`
	Role      string `json:"role"`
	Tenant    string `json:"tenant"`
	CSRFToken string `json:"csrfToken"`
	SessionID string `json:"sessionId"`
}

func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	// A cross-site HTML form cannot send JSON, so this stops login CSRF
	// (logging a victim into the attacker's account).
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "login needs a JSON body with Content-Type: application/json")
	}
	var req loginRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return errorf(http.StatusBadRequest, "username and password are required")
	}
	sess, user, err := s.auth.LoginAs(auth.LoginRequest{
		Tenant: req.Tenant, Username: req.Username, Password: req.Password,
		RemoteIP: remoteIP(r), UserAgent: r.UserAgent(),
	})
	if errors.Is(err, auth.ErrAmbiguousUser) {
		return &apiError{Status: http.StatusConflict, cause: err, Fields: map[string]any{"ambiguous": true},
			Message: fmt.Sprintf("more than one tenant has a user named %s: log in as %s@TENANT, with your tenant's name", req.Username, req.Username)}
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(sess.Token))
	return writeJSON(w, http.StatusOK, meResponse{
		Username: user.Username, Role: string(user.Role), Tenant: user.Tenant, CSRFToken: sess.CSRFToken, SessionID: sess.ID,
	})
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r)
	if err := s.auth.Logout(p.Session.Token); err != nil && !errors.Is(err, auth.ErrSessionInvalid) {
		return err
	}
	http.SetCookie(w, s.cookie(""))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionProbe handles GET /api/session, the page's question at start
// "am I logged in?". Not being logged in is an answer there, not an error:
// 200 {"authenticated": false}, because a browser logs every 401 response
// in its console and a visitor's first page view is not a failure. Every
// other problem of the cookie (two session cookies, a CSRF token of another
// session) is still the error /api/me returns.
func (s *server) sessionProbe(w http.ResponseWriter, r *http.Request) error {
	p, err := s.fromCookie(w, r)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized &&
		!errors.Is(err, errSessionChanged) && !errors.Is(err, errTwoSessionCookies) {
		return writeJSON(w, http.StatusOK, sessionResponse{})
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sessionResponse{Authenticated: true, meResponse: meResponse{
		Username: p.User.Username, Role: string(p.User.Role), Tenant: p.User.Tenant, CSRFToken: p.Session.CSRFToken, SessionID: p.Session.ID,
	}})
}

// sessionResponse is /api/session's answer: /api/me's fields when authenticated.
type sessionResponse struct {
	Authenticated bool `json:"authenticated"`
	meResponse
}

func (s *server) me(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r)
	return writeJSON(w, http.StatusOK, meResponse{
		Username: p.User.Username, Role: string(p.User.Role), Tenant: p.User.Tenant, CSRFToken: p.Session.CSRFToken, SessionID: p.Session.ID,
	})
}

// cookie builds the session cookie; an empty token clears it. It has no
// Expires: the browser drops it on exit, and auth.Store enforces idle and
// absolute expiry on the server.
func (s *server) cookie(token string) *http.Cookie {
	c := &http.Cookie{
		Name:     s.sessionCookieName(),
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.cfg.SecureCookies,
		SameSite: http.SameSiteStrictMode,
	}
	if token == "" {
		c.MaxAge = -1
		c.Expires = time.Unix(1, 0)
	}
	return c
}
