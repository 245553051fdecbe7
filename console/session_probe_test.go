package console_test

import (
	"net/http"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

// TestSessionProbe: GET /api/session answers 200 whether or not the browser
// is logged in (the page's start-up question makes no 401 for the browser
// console to report), with /api/me's fields when it is; a CSRF token of
// another session is still refused as "session changed".
func TestSessionProbe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	type probe struct {
		Authenticated                                bool
		Username, Role, Tenant, CSRFToken, SessionID string
	}
	for name, c := range map[string]*client{
		"no cookie":     {t: t, base: e.srv.URL},
		"forged cookie": {t: t, base: e.srv.URL, session: "not-a-real-session-token"},
	} {
		var p probe
		c.do("GET", "/api/session", nil).want(http.StatusOK).decode(&p)
		if p != (probe{}) {
			t.Errorf("%s: /api/session = %+v, want only authenticated false", name, p)
		}
	}

	c := e.tenant("acme", storage.Quota{})
	var p probe
	c.do("GET", "/api/session", nil).want(http.StatusOK).decode(&p)
	var me struct{ Username, Role, Tenant, CSRFToken, SessionID string }
	c.do("GET", "/api/me", nil).want(http.StatusOK).decode(&me)
	if !p.Authenticated || p.Username != "acme-user" || p.Tenant != "acme" || p.Role != "tenant" ||
		p.CSRFToken != c.csrf || p.SessionID == "" || p.SessionID != me.SessionID {
		t.Fatalf("/api/session = %+v, /api/me = %+v", p, me)
	}

	swapped := &client{t: t, base: e.srv.URL, session: c.session, csrf: "csrf-of-another-session"}
	swapped.do("GET", "/api/session", nil).wantError(http.StatusUnauthorized, "your session changed")

	c.do("POST", "/api/logout", nil).want(http.StatusNoContent)
	p = probe{}
	c.do("GET", "/api/session", nil).want(http.StatusOK).decode(&p)
	if p.Authenticated || p.CSRFToken != "" {
		t.Fatalf("after logout /api/session = %+v", p)
	}
}
