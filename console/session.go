package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/cofferstore/coffer/auth"
)

// sessionCookie is the name of the console session cookie.
const sessionCookie = "coffer_session"

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

// fromCookie authenticates a request by its session cookie and, for
// state-changing methods, its CSRF header.
func (s *server) fromCookie(r *http.Request) (principal, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return principal{}, errorf(http.StatusUnauthorized, "not logged in")
	}
	sess, user, err := s.auth.Session(c.Value)
	if err != nil {
		if errors.Is(err, auth.ErrSessionInvalid) {
			return principal{}, errorf(http.StatusUnauthorized, "not logged in or session expired")
		}
		return principal{}, err
	}
	if stateChanging(r.Method) {
		got := r.Header.Get(csrfHeader)
		if got == "" || sess.CSRFToken == "" ||
			subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			return principal{}, errorf(http.StatusForbidden, "missing or invalid CSRF token")
		}
	}
	return principal{User: user, Session: sess}, nil
}

// fromBasic authenticates an operator CLI request by HTTP Basic credentials.
// auth.Store.CheckPassword rate limits failures per user and address.
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
		p, err := s.fromCookie(r)
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
			p, err = s.fromCookie(r)
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
type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// meResponse describes the logged-in user and the CSRF token to echo.
type meResponse struct {
	Username  string `json:"username"`
	Role      string `json:"role"`
	Tenant    string `json:"tenant"`
	CSRFToken string `json:"csrfToken"`
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
	sess, user, err := s.auth.Login(req.Username, req.Password, remoteIP(r))
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(sess.Token))
	return writeJSON(w, http.StatusOK, meResponse{
		Username: user.Username, Role: string(user.Role), Tenant: user.Tenant, CSRFToken: sess.CSRFToken,
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

func (s *server) me(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r)
	return writeJSON(w, http.StatusOK, meResponse{
		Username: p.User.Username, Role: string(p.User.Role), Tenant: p.User.Tenant, CSRFToken: p.Session.CSRFToken,
	})
}

// cookie builds the session cookie; an empty token clears it. It has no
// Expires: the browser drops it on exit, and auth.Store enforces idle and
// absolute expiry on the server.
func (s *server) cookie(token string) *http.Cookie {
	c := &http.Cookie{
		Name:     sessionCookie,
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
