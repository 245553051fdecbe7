package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

// TestObjectLockRefusesDeletes: a container holding versions under Object
// Lock retention is not force deleted, and its tenant is not deleted: both
// answer 409 naming the locked versions, and the refused tenant delete
// leaves the tenant its data, users and keys.
func TestObjectLockRefusesDeletes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	ctx := context.Background()
	if err := e.store.CreateBucket(ctx, "acme", "vault", storage.BucketOptions{ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutObjectLockConfig(ctx, "acme", "vault", storage.LockConfig{Enabled: true, Mode: storage.LockCompliance, Days: 1}); err != nil {
		t.Fatal(err)
	}
	e.putObject("acme", "vault", "ledger.csv", "a,b,c")
	info, err := e.store.GetObjectInfo(ctx, "acme", "vault", "ledger.csv")
	if err != nil || info.Retention.Mode != storage.LockCompliance {
		t.Fatalf("default retention not applied: %+v, %v", info.Retention, err)
	}
	c.do("POST", "/api/credentials", nil).want(http.StatusCreated)

	resp := c.do("DELETE", "/api/containers/vault?force=true&confirm=vault", nil)
	resp.wantError(http.StatusConflict, "ledger.csv@"+info.VersionID)
	if !strings.Contains(resp.errorText(), "Object Lock") {
		t.Fatalf("force delete refusal: %q", resp.errorText())
	}
	if _, err := e.store.GetObjectInfo(ctx, "acme", "vault", "ledger.csv"); err != nil {
		t.Fatalf("locked object after refused force delete: %v", err)
	}

	op := e.operator()
	resp = op.do("DELETE", "/api/admin/tenants/acme?confirm=acme", nil)
	resp.wantError(http.StatusConflict, "vault/ledger.csv@"+info.VersionID)
	var body struct{ LockedVersions []string }
	resp.decode(&body)
	if len(body.LockedVersions) != 1 {
		t.Fatalf("lockedVersions: %+v", body)
	}
	// Nothing was revoked: the user's session and the key pair still work.
	c.do("GET", "/api/credentials", nil).want(http.StatusOK)
	e.login("acme-user", "password-of-acme")
	if _, err := e.store.GetTenant(ctx, "acme"); err != nil {
		t.Fatalf("tenant after refused delete: %v", err)
	}
}
