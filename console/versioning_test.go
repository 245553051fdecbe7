package console_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

type versionedContainer struct {
	Name              string
	Objects, Bytes    int64
	Versioning        string
	NoncurrentObjects int64
	NoncurrentBytes   int64
	ObjectLock        *struct {
		Mode        string
		Days, Years int
	}
}

func (c *client) container(name string) versionedContainer {
	c.t.Helper()
	var list struct{ Containers []versionedContainer }
	c.do("GET", "/api/containers", nil).want(http.StatusOK).decode(&list)
	for _, ct := range list.Containers {
		if ct.Name == name {
			return ct
		}
	}
	c.t.Fatalf("container %s not listed", name)
	return versionedContainer{}
}

// TestContainerVersioning: the containers list shows each container's
// versioning state (never enabled, Enabled, Suspended), its noncurrent
// versions and bytes, and its Object Lock default retention; the toggle
// enables and suspends (audited), never returns to unversioned, and cannot
// suspend a container with Object Lock.
func TestContainerVersioning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	ctx := context.Background()
	c.do("POST", "/api/containers", map[string]string{"name": "docs"}).want(http.StatusCreated)
	if got := c.container("docs"); got.Versioning != "" || got.ObjectLock != nil || got.NoncurrentObjects != 0 {
		t.Fatalf("new container: %+v", got)
	}

	var after versionedContainer
	c.do("PUT", "/api/containers/docs/versioning", map[string]string{"state": "Enabled"}).want(http.StatusOK).decode(&after)
	if after.Versioning != "Enabled" {
		t.Fatalf("after enable: %+v", after)
	}
	e.putObject("acme", "docs", "k", "first")
	e.putObject("acme", "docs", "k", "second!")
	got := c.container("docs")
	if got.Versioning != "Enabled" || got.Objects != 2 || got.Bytes != 12 || got.NoncurrentObjects != 1 || got.NoncurrentBytes != 5 {
		t.Fatalf("two versions: %+v", got)
	}

	var usage struct{ Objects, Bytes, NoncurrentObjects, NoncurrentBytes int64 }
	c.do("GET", "/api/usage", nil).want(http.StatusOK).decode(&usage)
	if usage.Objects != 2 || usage.Bytes != 12 || usage.NoncurrentObjects != 1 || usage.NoncurrentBytes != 5 {
		t.Fatalf("usage with two versions: %+v", usage)
	}

	// No way back to unversioned; other states are refused.
	for _, st := range []string{"", "Off", "Disabled", "enabled"} {
		c.do("PUT", "/api/containers/docs/versioning", map[string]string{"state": st}).wantError(http.StatusBadRequest, "Enabled or Suspended")
	}
	c.do("PUT", "/api/containers/docs/versioning", map[string]string{"state": "Suspended"}).want(http.StatusOK).decode(&after)
	if after.Versioning != "Suspended" || after.NoncurrentBytes != 5 {
		t.Fatalf("after suspend: %+v", after)
	}
	c.do("PUT", "/api/containers/nope/versioning", map[string]string{"state": "Enabled"}).wantError(http.StatusNotFound, "no container named nope")
	other := e.tenant("other", storage.Quota{})
	other.do("PUT", "/api/containers/docs/versioning", map[string]string{"state": "Enabled"}).want(http.StatusNotFound)
	if got := c.container("docs"); got.Versioning != "Suspended" {
		t.Fatalf("another tenant changed docs: %+v", got)
	}

	// Object Lock: shown with its default retention; suspending is refused.
	if err := e.store.CreateBucket(ctx, "acme", "vault", storage.BucketOptions{ObjectLock: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutObjectLockConfig(ctx, "acme", "vault", storage.LockConfig{Enabled: true, Mode: storage.LockCompliance, Days: 30}); err != nil {
		t.Fatal(err)
	}
	v := c.container("vault")
	if v.Versioning != "Enabled" || v.ObjectLock == nil || v.ObjectLock.Mode != "COMPLIANCE" || v.ObjectLock.Days != 30 {
		t.Fatalf("lock container: %+v", v)
	}
	c.do("PUT", "/api/containers/vault/versioning", map[string]string{"state": "Suspended"}).wantError(http.StatusConflict, "Object Lock")
	if v := c.container("vault"); v.Versioning != "Enabled" {
		t.Fatalf("lock container suspended: %+v", v)
	}

	var audit struct {
		Events []struct{ Action, Target string }
	}
	e.operator().do("GET", "/api/admin/audit?tenant=acme", nil).want(http.StatusOK).decode(&audit)
	seen := map[string]bool{}
	for _, ev := range audit.Events {
		seen[ev.Action+" "+ev.Target] = true
	}
	for _, w := range []string{"container.versioning docs Enabled", "container.versioning docs Suspended"} {
		if !seen[w] {
			t.Errorf("audit lacks %s", w)
		}
	}
	if seen["container.versioning vault Suspended"] {
		t.Error("a refused suspend was audited")
	}

	// A suspended tenant may not change it.
	if err := e.store.SetSuspended(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	c.do("PUT", "/api/containers/docs/versioning", map[string]string{"state": "Enabled"}).wantError(http.StatusForbidden, "suspended")
}
