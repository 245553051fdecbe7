package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

func TestLoginCookieFlags(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "tls"}[secure], func(t *testing.T) {
			var opts []envOption
			if secure {
				opts = append(opts, withSecureCookies())
			}
			e := newEnv(t, opts...)
			e.tenant("acme", storage.Quota{})
			c := &client{t: t, base: e.srv.URL}
			resp := c.do("POST", "/api/login", map[string]string{"username": "acme-user", "password": "password-of-acme"}).want(http.StatusOK)
			raw := resp.Header.Get("Set-Cookie")
			for _, want := range []string{"coffer_session=", "HttpOnly", "SameSite=Strict", "Path=/"} {
				if !strings.Contains(raw, want) {
					t.Errorf("Set-Cookie %q lacks %q", raw, want)
				}
			}
			if got := strings.Contains(raw, "Secure"); got != secure {
				t.Errorf("Set-Cookie %q: Secure = %v, want %v", raw, got, secure)
			}
			var me struct{ Username, Role, Tenant, CSRFToken string }
			resp.decode(&me)
			if me.Username != "acme-user" || me.Role != "tenant" || me.Tenant != "acme" || len(me.CSRFToken) < 16 {
				t.Fatalf("login response %+v", me)
			}
		})
	}
}

func TestLogoutEndsSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("GET", "/api/me", nil).want(http.StatusOK)
	resp := c.do("POST", "/api/logout", nil).want(http.StatusNoContent)
	raw := resp.Header.Get("Set-Cookie")
	if !strings.Contains(raw, "coffer_session=;") || !strings.Contains(raw, "Max-Age=0") {
		t.Fatalf("logout Set-Cookie %q does not clear the cookie", raw)
	}
	// The old token is dead on the server, not just forgotten by the browser.
	c.do("GET", "/api/me", nil).want(http.StatusUnauthorized)
	c.do("GET", "/api/containers", nil).want(http.StatusUnauthorized)
}

func TestMeAndUnauthenticated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anon := &client{t: t, base: e.srv.URL}
	for _, p := range []string{"/api/me", "/api/credentials", "/api/containers", "/api/usage", "/api/settings", "/api/admin/tenants"} {
		anon.do("GET", p, nil).want(http.StatusUnauthorized)
	}
	forged := &client{t: t, base: e.srv.URL, session: "not-a-real-session-token", csrf: "x"}
	forged.do("GET", "/api/me", nil).want(http.StatusUnauthorized)

	c := e.tenant("acme", storage.Quota{})
	var me struct{ Username, Role, Tenant, CSRFToken string }
	c.do("GET", "/api/me", nil).want(http.StatusOK).decode(&me)
	if me.Username != "acme-user" || me.Tenant != "acme" || me.CSRFToken != c.csrf {
		t.Fatalf("/api/me = %+v, csrf %q", me, c.csrf)
	}
}

func TestCSRFRequiredOnStateChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	op := e.login("admin", adminPassword)
	c.do("POST", "/api/containers", map[string]string{"name": "kept"}).want(http.StatusCreated)
	c.do("POST", "/api/credentials", nil).want(http.StatusCreated)
	e.putObject("acme", "kept", "obj", "kept bytes")
	upID, err := e.store.CreateMultipartUpload(t.Context(), "acme", "kept", "up", storage.PutOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		c            *client
		method, path string
		body         any
	}{
		{c, "POST", "/api/containers", map[string]string{"name": "csrf-bucket"}},
		{c, "DELETE", "/api/containers/kept", nil},
		{c, "DELETE", "/api/containers/kept/uploads?all=true", nil},
		{c, "PUT", "/api/containers/kept/versioning", map[string]string{"state": "Enabled"}},
		{c, "PUT", "/api/containers/kept/lifecycle", map[string]int{"expireDays": 1}},
		{c, "PUT", "/api/containers/kept/policy", map[string]bool{"publicRead": true}},
		{c, "DELETE", "/api/containers/kept/policy", nil},
		{c, "PUT", "/api/containers/kept/object?key=k", map[string]string{"x": "y"}},
		{c, "DELETE", "/api/containers/kept/object?key=obj", nil},
		{c, "POST", "/api/containers/kept/objects/delete", map[string]any{"keys": []string{"obj"}}},
		{c, "POST", "/api/containers/kept/folders", map[string]string{"key": "csrf/"}},
		{c, "POST", "/api/containers/kept/object/share", map[string]any{"key": "obj", "expiresSeconds": 60}},
		{c, "POST", "/api/containers/kept/object/restore", map[string]any{"key": "obj", "versionId": "null"}},
		{c, "POST", "/api/containers/kept/uploads", map[string]string{"key": "csrf-upload"}},
		{c, "PUT", "/api/containers/kept/uploads/" + upID + "/parts/1?key=up", map[string]string{"x": "y"}},
		{c, "POST", "/api/containers/kept/uploads/" + upID + "/complete", map[string]any{"key": "up", "parts": 1}},
		{c, "POST", "/api/credentials/rotate", nil},
		{c, "DELETE", "/api/credentials", nil},
		{c, "POST", "/api/logout", nil},
		{op, "POST", "/api/admin/tenants", map[string]any{"name": "evil-tenant"}},
		{op, "DELETE", "/api/admin/tenants/acme?confirm=acme", nil},
		{op, "PUT", "/api/admin/tenants/acme/quota", map[string]int{"objects": 1}},
		{op, "POST", "/api/admin/tenants/acme/keys/rotate", nil},
	}
	for _, tc := range cases {
		cl := *tc.c
		cl.noCSRF = true
		cl.do(tc.method, tc.path, tc.body).wantError(http.StatusForbidden, "missing or invalid CSRF token")
		cl.csrf, cl.noCSRF = "wrong-token", false
		cl.do(tc.method, tc.path, tc.body).wantError(http.StatusUnauthorized, "your session changed")
	}
	// Nothing happened: the container, key, session and tenant are all intact.
	var list struct {
		Containers []struct{ Name, Versioning string }
	}
	c.do("GET", "/api/containers", nil).want(http.StatusOK).decode(&list)
	if len(list.Containers) != 1 || list.Containers[0].Name != "kept" || list.Containers[0].Versioning != "" {
		t.Fatalf("containers after refused requests: %+v", list)
	}
	objs, err := e.store.ListObjects(t.Context(), "acme", "kept", storage.ListOptions{})
	if err != nil || len(objs.Objects) != 1 || objs.Objects[0].Key != "obj" {
		t.Fatalf("objects after refused requests: %+v, %v", objs.Objects, err)
	}
	ups, err := e.store.ListMultipartUploads(t.Context(), "acme", "kept", storage.ListUploadsOptions{})
	if err != nil || len(ups.Uploads) != 1 || ups.Uploads[0].UploadID != upID {
		t.Fatalf("uploads after refused requests: %+v, %v", ups.Uploads, err)
	}
	if evs, _ := e.auth.ListAudit("acme", 100); len(evs) != 2 { // container.create, credentials.generate
		t.Fatalf("audit after refused requests: %+v", evs)
	}
	c.do("GET", "/api/credentials", nil).want(http.StatusOK)
	if _, err := e.store.GetTenant(t.Context(), "evil-tenant"); err == nil {
		t.Fatal("tenant created without CSRF token")
	}
	// With the token the same request works.
	c.do("POST", "/api/containers", map[string]string{"name": "csrf-bucket"}).want(http.StatusCreated)
	// Reads need no token.
	cl := *c
	cl.noCSRF = true
	cl.do("GET", "/api/containers", nil).want(http.StatusOK)
}

func TestLoginRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.tenant("acme", storage.Quota{})
	anon := &client{t: t, base: e.srv.URL}
	limited := false
	for i := 0; i < 50 && !limited; i++ {
		resp := anon.do("POST", "/api/login", map[string]string{"username": "acme-user", "password": "wrong-password"})
		switch resp.Status {
		case http.StatusUnauthorized:
			if msg := resp.errorText(); msg != "invalid username or password" {
				t.Fatalf("bad-password message %q", msg)
			}
		case http.StatusTooManyRequests:
			limited = true
		default:
			t.Fatalf("attempt %d: status %d %s", i, resp.Status, resp.Body)
		}
	}
	if !limited {
		t.Fatal("50 wrong passwords were never rate limited")
	}
	// While limited, even the right password is refused and no session is made.
	resp := anon.do("POST", "/api/login", map[string]string{"username": "acme-user", "password": "password-of-acme"})
	resp.want(http.StatusTooManyRequests)
	if len(resp.Cookies) != 0 {
		t.Fatalf("rate-limited login set cookies %v", resp.Cookies)
	}
}

func TestBasicAuthRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bad := &client{t: t, base: e.srv.URL, basicUser: "admin", basicPass: "not-the-password"}
	limited := false
	for i := 0; i < 50 && !limited; i++ {
		resp := bad.do("GET", "/api/admin/tenants", nil)
		switch resp.Status {
		case http.StatusUnauthorized:
			if resp.Header.Get("WWW-Authenticate") != "" {
				t.Fatal("401 carries a WWW-Authenticate challenge; browsers would cache Basic credentials")
			}
		case http.StatusTooManyRequests:
			limited = true
		default:
			t.Fatalf("attempt %d: status %d %s", i, resp.Status, resp.Body)
		}
	}
	if !limited {
		t.Fatal("Basic auth with a wrong password was never rate limited")
	}
}

func TestTenantUserCannotCallOperatorAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	e.tenant("other", storage.Quota{})
	cases := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/admin/tenants", nil},
		{"POST", "/api/admin/tenants", map[string]any{"name": "mine-now"}},
		{"GET", "/api/admin/tenants/other", nil},
		{"PUT", "/api/admin/tenants/acme/quota", map[string]int{"objects": 0, "bytes": 0}},
		{"POST", "/api/admin/tenants/other/suspend", nil},
		{"DELETE", "/api/admin/tenants/other?confirm=other", nil},
		{"POST", "/api/admin/tenants/other/keys", nil},
		{"GET", "/api/admin/tenants/other/keys", nil},
		{"POST", "/api/admin/tenants/acme/users", map[string]string{"username": "x-user", "password": "long-enough-password"}},
		{"GET", "/api/admin/drives", nil},
		{"GET", "/api/admin/audit", nil},
	}
	basic := &client{t: t, base: e.srv.URL, basicUser: "acme-user", basicPass: "password-of-acme"}
	for _, tc := range cases {
		c.do(tc.method, tc.path, tc.body).wantError(http.StatusForbidden, "operator access required")
		basic.do(tc.method, tc.path, tc.body).wantError(http.StatusForbidden, "operator access required")
	}
	if _, err := e.store.GetTenant(t.Context(), "other"); err != nil {
		t.Fatalf("tenant other gone: %v", err)
	}
	// And the operator is not a tenant user.
	op := e.login("admin", adminPassword)
	op.do("GET", "/api/credentials", nil).want(http.StatusForbidden)
	op.do("POST", "/api/containers", map[string]string{"name": "admin-bucket"}).want(http.StatusForbidden)
	// Basic auth is for the operator API only.
	e.operatorBasic().do("GET", "/api/containers", nil).want(http.StatusUnauthorized)
}

func TestLoginNeedsJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.tenant("acme", storage.Quota{})
	resp, err := http.Post(e.srv.URL+"/api/login", "application/x-www-form-urlencoded",
		strings.NewReader(`{"username":"acme-user","password":"password-of-acme"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType || len(resp.Cookies()) != 0 {
		t.Fatalf("form-typed login: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
}
