package console_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

type newKey struct {
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
	Created   string `json:"created"`
}

func TestCredentialLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})

	c.do("GET", "/api/credentials", nil).want(http.StatusNotFound)
	c.do("POST", "/api/credentials/rotate", nil).want(http.StatusNotFound)
	c.do("DELETE", "/api/credentials", nil).want(http.StatusNotFound)

	var k1 newKey
	c.do("POST", "/api/credentials", nil).want(http.StatusCreated).decode(&k1)
	if len(k1.AccessKey) != 20 || len(k1.SecretKey) != 40 || k1.Created == "" {
		t.Fatalf("generated key %q/%d chars secret, created %q", k1.AccessKey, len(k1.SecretKey), k1.Created)
	}
	// From here on every response is collected and must not hold a secret.
	var seen []byte
	c.seen = &seen
	c.do("POST", "/api/credentials", nil).wantError(http.StatusConflict, "already exist")

	var info map[string]any
	c.do("GET", "/api/credentials", nil).want(http.StatusOK).decode(&info)
	if info["accessKey"] != k1.AccessKey {
		t.Fatalf("GET credentials = %v, want access key %s", info, k1.AccessKey)
	}
	if _, ok := info["secretKey"]; ok {
		t.Fatalf("GET credentials returned a secretKey field: %v", info)
	}
	if _, ok := info["created"]; !ok {
		t.Fatalf("GET credentials lacks created: %v", info)
	}
	if _, ok := info["lastUsed"]; !ok {
		t.Fatalf("GET credentials lacks lastUsed: %v", info)
	}

	c.seen = nil
	var k2 newKey
	c.do("POST", "/api/credentials/rotate", nil).want(http.StatusOK).decode(&k2)
	c.seen = &seen
	if k2.AccessKey == k1.AccessKey || k2.SecretKey == k1.SecretKey || len(k2.SecretKey) != 40 {
		t.Fatalf("rotate returned %q, same as or unlike %q", k2.AccessKey, k1.AccessKey)
	}
	if _, _, err := e.auth.LookupSecret(k1.AccessKey); err == nil {
		t.Fatal("old access key still resolves after rotate")
	}
	if tenant, secret, err := e.auth.LookupSecret(k2.AccessKey); err != nil || tenant != "acme" || secret != k2.SecretKey {
		t.Fatalf("new key lookup: tenant %q err %v (secret matches %v)", tenant, err, secret == k2.SecretKey)
	}
	c.do("GET", "/api/credentials", nil).want(http.StatusOK)
	c.do("GET", "/api/usage", nil).want(http.StatusOK)
	c.do("GET", "/api/settings", nil).want(http.StatusOK)
	c.do("GET", "/api/me", nil).want(http.StatusOK)
	op := e.operator()
	op.seen = &seen
	op.do("GET", "/api/admin/tenants", nil).want(http.StatusOK)
	op.do("GET", "/api/admin/tenants/acme", nil).want(http.StatusOK)
	op.do("GET", "/api/admin/tenants/acme/keys", nil).want(http.StatusOK)
	op.do("GET", "/api/admin/audit?tenant=acme", nil).want(http.StatusOK)

	c.do("DELETE", "/api/credentials", nil).want(http.StatusNoContent)
	if _, _, err := e.auth.LookupSecret(k2.AccessKey); err == nil {
		t.Fatal("deleted access key still resolves")
	}
	c.do("GET", "/api/credentials", nil).want(http.StatusNotFound)
	c.do("DELETE", "/api/credentials", nil).want(http.StatusNotFound)

	for _, secret := range []string{k1.SecretKey, k2.SecretKey} {
		if bytes.Contains(seen, []byte(secret)) {
			t.Fatal("a secret key appeared in a later API response")
		}
		if hits := grepDir(t, e.dir, []byte(secret)); len(hits) > 0 {
			t.Fatalf("secret key stored in clear text in %v", hits)
		}
	}
	// The audit log has all three events with actor and address, no secrets.
	var audit struct {
		Events []struct{ Actor, Tenant, Action, Target, RemoteIP string }
	}
	op.do("GET", "/api/admin/audit?tenant=acme&limit=50", nil).want(http.StatusOK).decode(&audit)
	actions := map[string]bool{}
	for _, ev := range audit.Events {
		if ev.Tenant != "acme" {
			t.Errorf("audit for acme returned tenant %q", ev.Tenant)
		}
		if strings.HasPrefix(ev.Action, "credentials.") {
			actions[ev.Action] = true
			if ev.Actor != "acme-user" || ev.RemoteIP != "127.0.0.1" {
				t.Errorf("audit event %+v: want actor acme-user from 127.0.0.1", ev)
			}
		}
	}
	for _, a := range []string{"credentials.generate", "credentials.rotate", "credentials.delete"} {
		if !actions[a] {
			t.Errorf("audit log lacks %s: %+v", a, audit.Events)
		}
	}
	// A new pair can be generated after deletion.
	c.do("POST", "/api/credentials", nil).want(http.StatusCreated)
}

func TestAdminKeysForAutomation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tc := e.tenant("acme", storage.Quota{})
	op := e.operatorBasic()
	op.do("GET", "/api/admin/tenants/acme/keys", nil).want(http.StatusNotFound)
	op.do("POST", "/api/admin/tenants/nobody/keys", nil).want(http.StatusNotFound)
	var k newKey
	op.do("POST", "/api/admin/tenants/acme/keys", nil).want(http.StatusCreated).decode(&k)
	if len(k.AccessKey) != 20 || len(k.SecretKey) != 40 {
		t.Fatalf("admin key %+v", k)
	}
	op.do("POST", "/api/admin/tenants/acme/keys", nil).want(http.StatusConflict)
	// The tenant sees the same key (one pair per tenant).
	var info struct{ AccessKey string }
	tc.do("GET", "/api/credentials", nil).want(http.StatusOK).decode(&info)
	if info.AccessKey != k.AccessKey {
		t.Fatalf("tenant sees %q, operator generated %q", info.AccessKey, k.AccessKey)
	}
	var k2 newKey
	op.do("POST", "/api/admin/tenants/acme/keys/rotate", nil).want(http.StatusOK).decode(&k2)
	if k2.AccessKey == k.AccessKey || k2.SecretKey == "" {
		t.Fatalf("rotate %+v", k2)
	}
	op.do("DELETE", "/api/admin/tenants/acme/keys", nil).want(http.StatusNoContent)
	op.do("DELETE", "/api/admin/tenants/acme/keys", nil).want(http.StatusNotFound)
	tc.do("GET", "/api/credentials", nil).want(http.StatusNotFound)
}
