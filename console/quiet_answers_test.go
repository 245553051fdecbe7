package console_test

import (
	"net/http"
	"strings"
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

// TestCredentialsOptional: with ?optional=true a tenant without a key pair
// is 200 null (tenant and operator endpoints); without it still 404; with a
// key pair both answer the key's description, never the secret.
func TestCredentialsOptional(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	op := e.operator()
	for _, call := range []struct {
		c    *client
		path string
	}{{c, "/api/credentials"}, {op, "/api/admin/tenants/acme/keys"}} {
		call.c.do("GET", call.path, nil).want(http.StatusNotFound)
		if body := call.c.do("GET", call.path+"?optional=true", nil).want(http.StatusOK).Body; strings.TrimSpace(string(body)) != "null" {
			t.Errorf("%s?optional=true without keys: %q, want null", call.path, body)
		}
	}
	op.do("GET", "/api/admin/tenants/nobody/keys?optional=true", nil).want(http.StatusNotFound)
	var fresh struct{ AccessKey, SecretKey string }
	c.do("POST", "/api/credentials", nil).want(http.StatusCreated).decode(&fresh)
	for _, call := range []struct {
		c    *client
		path string
	}{{c, "/api/credentials?optional=true"}, {op, "/api/admin/tenants/acme/keys?optional=true"}} {
		resp := call.c.do("GET", call.path, nil).want(http.StatusOK)
		var got struct{ AccessKey string }
		resp.decode(&got)
		if got.AccessKey != fresh.AccessKey || strings.Contains(string(resp.Body), fresh.SecretKey) {
			t.Errorf("%s: %s (key %s)", call.path, resp.Body, fresh.AccessKey)
		}
	}
}
