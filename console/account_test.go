package console_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/storage"
)

// sessionClient logs in through auth directly, to pick the User-Agent and
// address the session records.
func (e *testEnv) sessionClient(username, password, ip, ua string) (*client, auth.Session) {
	e.t.Helper()
	sess, _, err := e.auth.LoginAs(auth.LoginRequest{Username: username, Password: password, RemoteIP: ip, UserAgent: ua})
	if err != nil {
		e.t.Fatalf("LoginAs %s: %v", username, err)
	}
	return &client{t: e.t, base: e.srv.URL, session: sess.Token, csrf: sess.CSRFToken}, sess
}

// TestChangeOwnPassword: the current password is required and checked
// (403 when wrong, the session kept), each rule has its own 400 naming the
// field, and a change ends the user's other sessions but not this one.
func TestChangeOwnPassword(t *testing.T) {
	e := newEnv(t)
	me := e.tenant("acme", storage.Quota{})
	other := e.login("acme-user", "password-of-acme")

	for _, c := range []struct {
		body         map[string]string
		status       int
		field, words string
	}{
		{map[string]string{"newPassword": "new-password-1"}, 400, "currentPassword", "enter your current password"},
		{map[string]string{"currentPassword": "password-of-acme"}, 400, "newPassword", "enter a new password"},
		{map[string]string{"currentPassword": "password-of-acme", "newPassword": "short"}, 400, "newPassword", "at least 8 characters"},
		{map[string]string{"currentPassword": "password-of-acme", "newPassword": strings.Repeat("x", 73)}, 400, "newPassword", "at most 72 bytes"},
		{map[string]string{"currentPassword": "password-of-acme", "newPassword": "password-of-acme"}, 400, "newPassword", "must differ"},
		{map[string]string{"currentPassword": "wrong-password", "newPassword": "new-password-1"}, 403, "currentPassword", "current password is wrong"},
	} {
		r := me.do("PUT", "/api/me/password", c.body).want(c.status)
		var body struct{ Error, Field string }
		r.decode(&body)
		if body.Field != c.field || !strings.Contains(body.Error, c.words) {
			t.Errorf("%v: %d %+v, want field %s and %q", c.body, c.status, body, c.field, c.words)
		}
	}
	// Refused changes end nothing.
	me.do("GET", "/api/me", nil).want(http.StatusOK)
	other.do("GET", "/api/me", nil).want(http.StatusOK)

	me.do("PUT", "/api/me/password", map[string]string{"currentPassword": "password-of-acme", "newPassword": "new-password-1"}).want(http.StatusNoContent)
	me.do("GET", "/api/me", nil).want(http.StatusOK)
	other.do("GET", "/api/me", nil).want(http.StatusUnauthorized)
	e.login("acme-user", "new-password-1")
	other.do("POST", "/api/login", map[string]string{"username": "acme-user", "password": "password-of-acme"}).want(http.StatusUnauthorized)

	// The operator changes their own password the same way.
	op := e.operator()
	op.do("PUT", "/api/me/password", map[string]string{"currentPassword": adminPassword, "newPassword": "operator-password-2"}).want(http.StatusNoContent)
	e.login("admin", "operator-password-2")
}

// TestSessionList: the list shows the caller's own sessions only, with
// created, last used, address and a short client name, the current one
// marked, and nothing secret; "log out other sessions" ends the others.
func TestSessionList(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme", storage.Quota{}).do("POST", "/api/logout", nil).want(http.StatusNoContent)
	e.tenant("globex", storage.Quota{})
	a, sa := e.sessionClient("acme-user", "password-of-acme", "10.1.1.1",
		"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0")
	b, sb := e.sessionClient("acme-user", "password-of-acme", "10.2.2.2",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	g := e.login("globex-user", "password-of-globex")

	r := a.do("GET", "/api/me/sessions", nil).want(http.StatusOK)
	var raw struct {
		Sessions []map[string]any
		Max      int
	}
	r.decode(&raw)
	if len(raw.Sessions) != 2 || raw.Max != auth.MaxSessionsPerUser {
		t.Fatalf("sessions %+v max %d", raw.Sessions, raw.Max)
	}
	want := []string{"created", "current", "expires", "id", "ip", "lastUsed", "userAgent"}
	byIP := map[string]map[string]any{}
	for _, s := range raw.Sessions {
		var keys []string
		for k := range s {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != strings.Join(want, ",") {
			t.Fatalf("session members %v, want %v", keys, want)
		}
		byIP[s["ip"].(string)] = s
	}
	if s := byIP["10.1.1.1"]; s["current"] != true || s["id"] != sa.ID || s["userAgent"] != "Firefox 120 on Linux" {
		t.Fatalf("this session: %+v", s)
	}
	if s := byIP["10.2.2.2"]; s["current"] != false || s["id"] != sb.ID || s["userAgent"] != "Chrome 131 on macOS" {
		t.Fatalf("other session: %+v", s)
	}
	body := string(r.Body)
	for _, tok := range []string{sa.Token, sb.Token, sa.CSRFToken, sb.CSRFToken} {
		sum := sha256.Sum256([]byte(tok))
		for _, secret := range []string{tok, hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:])} {
			if strings.Contains(body, secret) {
				t.Fatalf("session list holds a token or its hash: %s", body)
			}
		}
	}

	var ended struct{ Ended int }
	b.do("DELETE", "/api/me/sessions", nil).want(http.StatusOK).decode(&ended)
	if ended.Ended != 1 {
		t.Fatalf("ended %d, want 1", ended.Ended)
	}
	a.do("GET", "/api/me", nil).want(http.StatusUnauthorized)
	b.do("GET", "/api/me", nil).want(http.StatusOK)
	g.do("GET", "/api/me", nil).want(http.StatusOK) // another user's session is not touched
	var after struct{ Sessions []console.SessionJSON }
	b.do("GET", "/api/me/sessions", nil).want(http.StatusOK).decode(&after)
	if len(after.Sessions) != 1 || !after.Sessions[0].Current {
		t.Fatalf("after logging out others: %+v", after.Sessions)
	}
	// Deleting needs CSRF like every state change.
	b.noCSRF = true
	b.do("DELETE", "/api/me/sessions", nil).want(http.StatusForbidden)
}

// TestPerTenantLogin: two tenants may both have an alice. A bare "alice"
// must name the tenant (409 with the way to do it, only once the password
// fits); "alice@tenant" or the tenant field logs in; a unique name still
// logs in bare.
func TestPerTenantLogin(t *testing.T) {
	e := newEnv(t)
	op := e.operator()
	for _, name := range []string{"acme", "globex"} {
		op.do("POST", "/api/admin/tenants", map[string]any{"name": name}).want(http.StatusCreated)
		op.do("POST", "/api/admin/tenants/"+name+"/users", map[string]string{"username": "alice", "password": "alice-of-" + name}).want(http.StatusCreated)
	}
	op.do("POST", "/api/admin/tenants/acme/users", map[string]string{"username": "alice", "password": "another-pw-1"}).want(http.StatusConflict)
	op.do("POST", "/api/admin/tenants/acme/users", map[string]string{"username": "bob", "password": "bob-of-acme"}).want(http.StatusCreated)

	anon := &client{t: t, base: e.srv.URL}
	r := anon.do("POST", "/api/login", map[string]string{"username": "alice", "password": "alice-of-acme"}).want(http.StatusConflict)
	var amb struct {
		Error     string
		Ambiguous bool
	}
	r.decode(&amb)
	if !amb.Ambiguous || !strings.Contains(amb.Error, "alice@TENANT") || len(r.Cookies) != 0 {
		t.Fatalf("ambiguous login: %+v, cookies %v", amb, r.Cookies)
	}
	anon.do("POST", "/api/login", map[string]string{"username": "alice", "password": "wrong-password"}).want(http.StatusUnauthorized)

	for _, c := range []struct {
		body   map[string]string
		tenant string
	}{
		{map[string]string{"username": "alice@acme", "password": "alice-of-acme"}, "acme"},
		{map[string]string{"username": "alice@globex", "password": "alice-of-globex"}, "globex"},
		{map[string]string{"username": "alice", "tenant": "globex", "password": "alice-of-globex"}, "globex"},
		{map[string]string{"username": "bob", "password": "bob-of-acme"}, "acme"},
	} {
		var me struct{ Username, Tenant string }
		anon.do("POST", "/api/login", c.body).want(http.StatusOK).decode(&me)
		if me.Username != strings.Split(c.body["username"], "@")[0] || me.Tenant != c.tenant {
			t.Fatalf("login %v: %+v", c.body, me)
		}
	}
	anon.do("POST", "/api/login", map[string]string{"username": "alice@acme", "password": "alice-of-globex"}).want(http.StatusUnauthorized)

	// Each alice is managed by her own tenant's URL.
	op.do("PUT", "/api/admin/tenants/globex/users/alice/password", map[string]string{"password": "globex-new-pw"}).want(http.StatusNoContent)
	e.login("alice@acme", "alice-of-acme")
	e.login("alice@globex", "globex-new-pw")
	op.do("DELETE", "/api/admin/tenants/globex/users/alice", nil).want(http.StatusNoContent)
	var users struct{ Users []console.UserJSON }
	op.do("GET", "/api/admin/tenants/acme/users", nil).want(http.StatusOK).decode(&users)
	if len(users.Users) != 2 {
		t.Fatalf("acme users after deleting globex's alice: %+v", users.Users)
	}
	e.login("alice", "alice-of-acme") // unique again
}

func TestShortUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"": "unknown client",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0":           "Edge 131 on Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1": "Safari 17 on iOS",
		"curl/8.5.0":         "curl 8",
		"Go-http-client/1.1": "Go 1",
		"something-else":     "something-else",
	} {
		if got := console.ShortUserAgent(ua); got != want {
			t.Errorf("ShortUserAgent(%q) = %q, want %q", ua, got, want)
		}
	}
}

// FuzzShortUserAgent: any header gives a short, valid name.
func FuzzShortUserAgent(f *testing.F) {
	f.Add("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0")
	f.Add("Chrome/")
	f.Add(strings.Repeat("Edg/9", 100))
	f.Fuzz(func(t *testing.T, ua string) {
		got := console.ShortUserAgent(ua)
		if got == "" || len(got) > 64 {
			t.Fatalf("ShortUserAgent(%q) = %q", ua, got)
		}
		if utf8.ValidString(ua) && !utf8.ValidString(got) {
			t.Fatalf("ShortUserAgent(%q) = %q: invalid UTF-8", ua, got)
		}
	})
}
