package console_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/storage"
)

type tenantDoc struct {
	Name      string
	Created   string
	Suspended bool
	Quota     struct{ Objects, Bytes, Buckets, Uploads int64 }
	Usage     struct {
		Objects, Bytes              int64
		Containers                  int
		ContainerLimit, UploadLimit int64
	}
	HasCredentials bool
	Users          []struct{ Username, Tenant, Role string }
	Volumes        []struct {
		Name      string
		SizeBytes int64
		Server    string
	}
}

func TestAdminTenantLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.operator()
	ctx := context.Background()

	var td tenantDoc
	op.do("POST", "/api/admin/tenants", map[string]any{"name": "acme", "quota": map[string]int64{"objects": 10, "bytes": 1000}}).
		want(http.StatusCreated).decode(&td)
	if td.Name != "acme" || td.Quota.Objects != 10 || td.Quota.Bytes != 1000 || td.Suspended || td.Created == "" {
		t.Fatalf("created tenant %+v", td)
	}
	op.do("POST", "/api/admin/tenants", map[string]any{"name": "acme"}).want(http.StatusConflict)
	op.do("POST", "/api/admin/tenants", map[string]any{"name": "Bad_Name"}).wantError(http.StatusBadRequest, "invalid tenant name")
	op.do("POST", "/api/admin/tenants", map[string]any{"name": "neg", "quota": map[string]int64{"objects": -1}}).want(http.StatusBadRequest)
	op.do("POST", "/api/admin/tenants", map[string]any{"name": "beta"}).want(http.StatusCreated)

	var list struct{ Tenants []tenantDoc }
	op.do("GET", "/api/admin/tenants", nil).want(http.StatusOK).decode(&list)
	if len(list.Tenants) != 2 {
		t.Fatalf("tenants %+v", list)
	}

	// Users.
	op.do("POST", "/api/admin/tenants/acme/users", map[string]string{"username": "alice", "password": "alice-password-1"}).want(http.StatusCreated)
	op.do("POST", "/api/admin/tenants/acme/users", map[string]string{"username": "alice", "password": "other-password-1"}).want(http.StatusConflict)
	// Names are unique per tenant (account_test.go); an operator's name is taken in every tenant.
	op.do("POST", "/api/admin/tenants/beta/users", map[string]string{"username": "admin", "password": "other-password-1"}).want(http.StatusConflict)
	op.do("POST", "/api/admin/tenants/acme/users", map[string]string{"username": "shorty", "password": "x"}).want(http.StatusBadRequest)
	op.do("POST", "/api/admin/tenants/nobody/users", map[string]string{"username": "bob", "password": "bob-password-12"}).want(http.StatusNotFound)
	alice := e.login("alice", "alice-password-1")
	op.do("PUT", "/api/admin/tenants/acme/users/alice/password", map[string]string{"password": "alice-password-2"}).want(http.StatusNoContent)
	// A password reset ends the user's sessions.
	alice.do("GET", "/api/me", nil).want(http.StatusUnauthorized)
	alice = e.login("alice", "alice-password-2")
	// A user of acme cannot be reached through beta's URL, nor the operator through any tenant.
	op.do("PUT", "/api/admin/tenants/beta/users/alice/password", map[string]string{"password": "hijacked-password"}).want(http.StatusNotFound)
	op.do("DELETE", "/api/admin/tenants/beta/users/alice", nil).want(http.StatusNotFound)
	op.do("PUT", "/api/admin/tenants/acme/users/admin/password", map[string]string{"password": "hijacked-password"}).want(http.StatusNotFound)

	// Volumes.
	op.do("POST", "/api/admin/tenants/acme/volumes", map[string]any{"name": "db-data", "sizeBytes": 10 << 30, "server": "web-1"}).want(http.StatusCreated)
	op.do("POST", "/api/admin/tenants/acme/volumes", map[string]any{"name": "db-data", "sizeBytes": 1, "server": "web-1"}).want(http.StatusConflict)
	op.do("POST", "/api/admin/tenants/acme/volumes", map[string]any{"name": "", "sizeBytes": 1}).want(http.StatusBadRequest)
	op.do("POST", "/api/admin/tenants/acme/volumes", map[string]any{"name": "x", "sizeBytes": 0}).want(http.StatusBadRequest)
	var usage struct {
		Objects, Bytes int64
		Quota          struct{ Objects, Bytes int64 }
		Volumes        []struct {
			Name      string
			SizeBytes int64
			Server    string
		}
	}
	alice.do("GET", "/api/usage", nil).want(http.StatusOK).decode(&usage)
	if usage.Quota.Objects != 10 || usage.Quota.Bytes != 1000 || len(usage.Volumes) != 1 ||
		usage.Volumes[0].Name != "db-data" || usage.Volumes[0].SizeBytes != 10<<30 || usage.Volumes[0].Server != "web-1" {
		t.Fatalf("tenant usage %+v", usage)
	}

	// Quota: lowering below usage is allowed; writes then fail, deletes work.
	alice.do("POST", "/api/containers", map[string]string{"name": "data"}).want(http.StatusCreated)
	e.putObject("acme", "data", "a", "aaaa")
	e.putObject("acme", "data", "b", "bbbb")
	op.do("PUT", "/api/admin/tenants/acme/quota", map[string]int64{"objects": 1, "bytes": 0}).want(http.StatusOK).decode(&td)
	if td.Quota.Objects != 1 || td.Quota.Bytes != 0 || td.Usage.Objects != 2 {
		t.Fatalf("after lowering quota: %+v", td)
	}
	_, err := e.store.PutObject(ctx, "acme", "data", "c", strings.NewReader("c"), storage.PutOptions{Size: 1})
	if !errors.Is(err, storage.ErrQuotaExceeded) {
		t.Fatalf("put over quota: %v", err)
	}
	if _, err := e.store.DeleteObject(ctx, "acme", "data", "a", storage.DeleteOptions{}); err != nil {
		t.Fatalf("delete over quota: %v", err)
	}
	op.do("PUT", "/api/admin/tenants/acme/quota", map[string]int64{"objects": -5}).want(http.StatusBadRequest)
	op.do("PUT", "/api/admin/tenants/acme/quota", map[string]int64{"uploads": -1}).want(http.StatusBadRequest)
	op.do("PUT", "/api/admin/tenants/acme/quota", map[string]int64{"objects": 1, "buckets": 1, "uploads": 7}).want(http.StatusOK).decode(&td)
	if td.Quota.Buckets != 1 || td.Quota.Uploads != 7 || td.Usage.ContainerLimit != 1 || td.Usage.UploadLimit != 7 || td.Usage.Containers != 1 {
		t.Fatalf("after setting container and upload limits: %+v", td)
	}
	alice.do("POST", "/api/containers", map[string]string{"name": "second"}).want(http.StatusForbidden)
	op.do("PUT", "/api/admin/tenants/acme/quota", map[string]int64{"objects": 1}).want(http.StatusOK)
	op.do("PUT", "/api/admin/tenants/nobody/quota", map[string]int64{"objects": 5}).want(http.StatusNotFound)

	// Suspend blocks tenant changes in the console; resume restores them.
	op.do("POST", "/api/admin/tenants/acme/suspend", nil).want(http.StatusOK).decode(&td)
	if !td.Suspended {
		t.Fatalf("suspend returned %+v", td)
	}
	alice.do("POST", "/api/containers", map[string]string{"name": "while-suspended"}).wantError(http.StatusForbidden, "suspended")
	alice.do("POST", "/api/credentials", nil).wantError(http.StatusForbidden, "suspended")
	alice.do("GET", "/api/containers", nil).want(http.StatusOK)
	op.do("POST", "/api/admin/tenants/acme/resume", nil).want(http.StatusOK).decode(&td)
	if td.Suspended {
		t.Fatalf("resume returned %+v", td)
	}
	alice.do("POST", "/api/credentials", nil).want(http.StatusCreated)

	// Show.
	op.do("GET", "/api/admin/tenants/acme", nil).want(http.StatusOK).decode(&td)
	if !td.HasCredentials || len(td.Users) != 1 || td.Users[0].Username != "alice" || len(td.Volumes) != 1 || td.Usage.Containers != 1 {
		t.Fatalf("show tenant %+v", td)
	}
	op.do("GET", "/api/admin/tenants/nobody", nil).want(http.StatusNotFound)

	op.do("DELETE", "/api/admin/tenants/acme/volumes/db-data", nil).want(http.StatusNoContent)
	op.do("DELETE", "/api/admin/tenants/acme/volumes/db-data", nil).want(http.StatusNotFound)

	// Delete requires the typed name; then data, keys, users and sessions go.
	op.do("DELETE", "/api/admin/tenants/acme", nil).wantError(http.StatusBadRequest, "confirm=acme")
	op.do("DELETE", "/api/admin/tenants/acme?confirm=beta", nil).want(http.StatusBadRequest)
	var key struct{ AccessKey string }
	op.do("GET", "/api/admin/tenants/acme/keys", nil).want(http.StatusOK).decode(&key)
	op.do("DELETE", "/api/admin/tenants/acme?confirm=acme", nil).want(http.StatusNoContent)
	if _, err := e.store.GetTenant(ctx, "acme"); !errors.Is(err, storage.ErrTenantNotFound) {
		t.Fatalf("tenant after delete: %v", err)
	}
	if _, _, err := e.auth.LookupSecret(key.AccessKey); err == nil {
		t.Fatal("deleted tenant's key still resolves")
	}
	alice.do("GET", "/api/containers", nil).want(http.StatusUnauthorized)
	anon := &client{t: t, base: e.srv.URL}
	anon.do("POST", "/api/login", map[string]string{"username": "alice", "password": "alice-password-2"}).want(http.StatusUnauthorized)
	op.do("DELETE", "/api/admin/tenants/acme?confirm=acme", nil).want(http.StatusNotFound)
	// Recreating the name starts from nothing.
	op.do("POST", "/api/admin/tenants", map[string]any{"name": "acme"}).want(http.StatusCreated)
	if bs, err := e.store.ListBuckets(ctx, "acme"); err != nil || len(bs) != 0 {
		t.Fatalf("recreated tenant has buckets %v %v", bs, err)
	}
	users, err := e.auth.ListUsers("acme")
	if err != nil || len(users) != 0 {
		t.Fatalf("recreated tenant has users %v %v", users, err)
	}

	// Audit: operator actions recorded with actor admin.
	var audit struct {
		Events []struct{ Actor, Tenant, Action, Target, RemoteIP string }
	}
	op.do("GET", "/api/admin/audit?limit=1000", nil).want(http.StatusOK).decode(&audit)
	got := map[string]bool{}
	for _, ev := range audit.Events {
		if ev.Actor == "admin" && ev.RemoteIP == "127.0.0.1" {
			got[ev.Action] = true
		}
		if strings.Contains(ev.Target, "password") {
			t.Errorf("audit target mentions a password: %+v", ev)
		}
	}
	for _, a := range []string{"tenant.create", "tenant.quota", "tenant.suspend", "tenant.resume", "tenant.delete",
		"user.create", "user.password", "volume.add", "volume.remove"} {
		if !got[a] {
			t.Errorf("audit lacks operator action %s", a)
		}
	}
	op.do("GET", "/api/admin/audit?limit=zero", nil).want(http.StatusBadRequest)
}

func TestAdminDeleteUserEndsSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	op := e.operator()
	var users struct {
		Users []struct{ Username, Role string }
	}
	op.do("GET", "/api/admin/tenants/acme/users", nil).want(http.StatusOK).decode(&users)
	if len(users.Users) != 1 || users.Users[0].Username != "acme-user" || users.Users[0].Role != string(auth.RoleTenant) {
		t.Fatalf("users %+v", users)
	}
	op.do("DELETE", "/api/admin/tenants/acme/users/acme-user", nil).want(http.StatusNoContent)
	c.do("GET", "/api/containers", nil).want(http.StatusUnauthorized)
	op.do("DELETE", "/api/admin/tenants/acme/users/acme-user", nil).want(http.StatusNotFound)
}

func TestAdminDrives(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct {
		Drives []struct {
			Index      int
			Path       string
			Online     bool
			TotalBytes uint64
			FreeBytes  uint64
		}
		Scrub map[string]any
	}
	e.operatorBasic().do("GET", "/api/admin/drives", nil).want(http.StatusOK).decode(&d)
	if len(d.Drives) != 4 {
		t.Fatalf("drives %+v", d)
	}
	for _, dr := range d.Drives {
		if !dr.Online || dr.TotalBytes == 0 || dr.Path == "" {
			t.Errorf("drive %+v", dr)
		}
	}
	if _, ok := d.Scrub["objectsScanned"]; !ok {
		t.Errorf("scrub stats %v", d.Scrub)
	}
}
