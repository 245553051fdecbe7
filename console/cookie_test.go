package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/internal/testutil"
	"github.com/cofferstore/coffer/storage"
)

// rawRequest sends one request with exactly the given Cookie header value and
// CSRF token, as a browser holding planted cookies would.
func (e *testEnv) rawRequest(method, path, cookie, csrf string) *response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Cookie", cookie)
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return &response{&testutil.Response{T: e.t, Status: resp.StatusCode, Body: []byte(body.String()), Header: resp.Header,
		Cookies: resp.Cookies(), What: method + " " + path}}
}

// hasKey reports whether the tenant has an S3 key pair.
func (e *testEnv) hasKey(tenant string) bool {
	_, err := e.auth.GetKey(tenant)
	return err == nil
}

// TestCookieTossingRefused is the regression for issue 12 finding 7 at the
// API: a victim's page holds its CSRF token; another origin on the host
// plants the attacker's session cookie, either beside the victim's (a
// path-scoped shadow, sent first) or instead of it. Generate Credentials
// must not land in the attacker's tenant: two cookies are refused and
// cleared, and a CSRF token of another session means the session changed.
func TestCookieTossingRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	victim := e.tenant("victim", storage.Quota{})
	attacker := e.tenant("mallory", storage.Quota{})

	// Shadow: the planted cookie (longer path) comes first.
	shadow := "coffer_session=" + attacker.session + "; coffer_session=" + victim.session
	for _, csrf := range []string{victim.csrf, attacker.csrf} {
		r := e.rawRequest("POST", "/api/credentials", shadow, csrf)
		r.wantError(http.StatusUnauthorized, "more than one session cookie")
	}
	r := e.rawRequest("GET", "/api/me", shadow, "")
	r.wantError(http.StatusUnauthorized, "more than one session cookie")
	// The answer expires the cookie at every path that matched /api/me.
	cleared := map[string]bool{}
	for _, c := range r.Cookies {
		if c.Name == "coffer_session" && c.Value == "" && c.MaxAge < 0 {
			cleared[c.Path] = true
		}
	}
	for _, p := range []string{"/", "/api", "/api/", "/api/me"} {
		if !cleared[p] {
			t.Errorf("two cookies: path %s not cleared (cleared %v)", p, cleared)
		}
	}

	// Swap: only the attacker's cookie, but the page's CSRF token is the victim's.
	swapped := "coffer_session=" + attacker.session
	e.rawRequest("POST", "/api/credentials", swapped, victim.csrf).wantError(http.StatusUnauthorized, "your session changed")
	e.rawRequest("GET", "/api/credentials", swapped, victim.csrf).wantError(http.StatusUnauthorized, "your session changed")
	e.rawRequest("POST", "/api/containers", swapped, victim.csrf).wantError(http.StatusUnauthorized, "your session changed")

	if e.hasKey("mallory") || e.hasKey("victim") {
		t.Fatalf("a key was created: mallory %v, victim %v", e.hasKey("mallory"), e.hasKey("victim"))
	}
	// The victim's own session still works once the planted cookie is gone.
	victim.do("POST", "/api/credentials", nil).want(http.StatusCreated)
	if !e.hasKey("victim") || e.hasKey("mallory") {
		t.Fatal("the victim's key went to the wrong tenant")
	}
}

// TestSessionIDNamesTheSession: login and /api/me name the session by an ID
// that differs per session and is neither the token nor the CSRF token.
func TestSessionIDNamesTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.tenant("acme", storage.Quota{})
	b := e.login("acme-user", "password-of-acme")
	var meA, meB struct{ SessionID, CSRFToken string }
	a.do("GET", "/api/me", nil).want(http.StatusOK).decode(&meA)
	b.do("GET", "/api/me", nil).want(http.StatusOK).decode(&meB)
	if len(meA.SessionID) < 16 || meA.SessionID == meB.SessionID {
		t.Fatalf("session IDs %q and %q", meA.SessionID, meB.SessionID)
	}
	if meA.SessionID == a.session || meA.SessionID == a.csrf || strings.Contains(a.session, meA.SessionID) {
		t.Fatal("the session ID reveals the token or CSRF token")
	}
}

// TestSecureSessionCookieHostPrefix: under TLS the cookie is
// __Host-coffer_session (Secure, Path=/, no Domain), and a plain
// coffer_session cookie, which any origin on the host could set, is ignored.
func TestSecureSessionCookieHostPrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withSecureCookies())
	c := e.tenant("acme", storage.Quota{})
	if c.cookieName != "__Host-coffer_session" {
		t.Fatalf("session cookie under TLS is %q", c.cookieName)
	}
	resp := (&client{t: t, base: e.srv.URL}).do("POST", "/api/login", map[string]string{"username": "acme-user", "password": "password-of-acme"}).want(http.StatusOK)
	raw := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"__Host-coffer_session=", "Secure", "Path=/", "HttpOnly"} {
		if !strings.Contains(raw, want) {
			t.Errorf("Set-Cookie %q lacks %q", raw, want)
		}
	}
	if strings.Contains(strings.ToLower(raw), "domain=") {
		t.Errorf("Set-Cookie %q has a Domain", raw)
	}
	e.rawRequest("GET", "/api/me", "coffer_session="+c.session, "").want(http.StatusUnauthorized)
	c.do("GET", "/api/me", nil).want(http.StatusOK)
}
