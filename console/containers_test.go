package console_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

type containerList struct {
	Containers []struct {
		Name    string
		Objects int64
		Bytes   int64
		Created string
	}
}

func TestCreateContainerValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	bad := []string{"", "ab", strings.Repeat("a", 64), "Upper", "under_score", "-start", "end-", "has space", "192.168.1.1", "a..b"}
	for _, name := range bad {
		resp := c.do("POST", "/api/containers", map[string]string{"name": name})
		resp.wantError(http.StatusBadRequest, "3-63 characters")
		if msg := resp.errorText(); !strings.Contains(msg, "lowercase letters, digits, hyphens and dots") || !strings.Contains(msg, "start") {
			t.Errorf("name %q: message %q does not explain the rules", name, msg)
		}
	}
	for _, name := range []string{"abc", "my-container.v2", strings.Repeat("a", 63), "0backup9"} {
		var got struct{ Name string }
		c.do("POST", "/api/containers", map[string]string{"name": name}).want(http.StatusCreated).decode(&got)
		if got.Name != name {
			t.Fatalf("created %q, response name %q", name, got.Name)
		}
	}
	c.do("POST", "/api/containers", map[string]string{"name": "abc"}).wantError(http.StatusConflict, "a container named abc already exists")
	c.do("POST", "/api/containers", "not an object").want(http.StatusBadRequest)
}

func TestListContainersCounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "photos"}).want(http.StatusCreated)
	c.do("POST", "/api/containers", map[string]string{"name": "empty"}).want(http.StatusCreated)
	e.putObject("acme", "photos", "a.jpg", "12345")
	e.putObject("acme", "photos", "b/c.jpg", "1234567890")
	var list containerList
	c.do("GET", "/api/containers", nil).want(http.StatusOK).decode(&list)
	got := map[string][2]int64{}
	for _, ct := range list.Containers {
		got[ct.Name] = [2]int64{ct.Objects, ct.Bytes}
		if ct.Created == "" {
			t.Errorf("container %s has no created time", ct.Name)
		}
	}
	want := map[string][2]int64{"photos": {2, 15}, "empty": {0, 0}}
	if len(got) != 2 || got["photos"] != want["photos"] || got["empty"] != want["empty"] {
		t.Fatalf("containers %v, want %v", got, want)
	}
}

func TestDeleteContainer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	ctx := context.Background()
	for _, n := range []string{"empty", "full", "uploads"} {
		c.do("POST", "/api/containers", map[string]string{"name": n}).want(http.StatusCreated)
	}
	e.putObject("acme", "full", "one", "hello")
	e.putObject("acme", "full", "two", "world!")
	if _, err := e.store.CreateMultipartUpload(ctx, "acme", "full", "big", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CreateMultipartUpload(ctx, "acme", "uploads", "only-upload", storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}

	c.do("DELETE", "/api/containers/empty", nil).want(http.StatusNoContent)
	c.do("DELETE", "/api/containers/empty", nil).wantError(http.StatusNotFound, "no container named empty")

	resp := c.do("DELETE", "/api/containers/full", nil)
	resp.want(http.StatusConflict)
	var conflict struct {
		Error   string
		Objects int64
		Bytes   int64
	}
	resp.decode(&conflict)
	if conflict.Objects != 2 || conflict.Bytes != 11 || conflict.Error == "" {
		t.Fatalf("non-empty delete: %+v", conflict)
	}
	// No objects, only an unfinished upload: a plain delete aborts it (as
	// S3's DeleteBucket does).
	c.do("DELETE", "/api/containers/uploads", nil).want(http.StatusNoContent)
	if u, err := e.store.TenantUsage(ctx, "acme"); err != nil || u.Uploads != 1 {
		t.Fatalf("after the plain delete of uploads: %+v %v (full's upload should remain)", u, err)
	}

	for _, q := range []string{"?force=true", "?force=true&confirm=ful", "?force=true&confirm=FULL", "?force=true&confirm=full%20"} {
		c.do("DELETE", "/api/containers/full"+q, nil).wantError(http.StatusBadRequest, "confirmation does not match")
	}
	// confirm without force is an ordinary delete: still refused.
	c.do("DELETE", "/api/containers/full?confirm=full", nil).want(http.StatusConflict)
	if b, err := e.store.GetBucket(ctx, "acme", "full"); err != nil || b.Objects != 2 {
		t.Fatalf("after refused deletes: %+v %v", b, err)
	}

	c.do("DELETE", "/api/containers/full?force=true&confirm=full", nil).want(http.StatusNoContent)
	for _, n := range []string{"full", "uploads"} {
		if _, err := e.store.GetBucket(ctx, "acme", n); !errors.Is(err, storage.ErrBucketNotFound) {
			t.Fatalf("bucket %s after force delete: %v", n, err)
		}
	}
	u, err := e.store.TenantUsage(ctx, "acme")
	if err != nil || u.Objects != 0 || u.Bytes != 0 || u.Buckets != 0 {
		t.Fatalf("usage after force deletes: %+v %v", u, err)
	}
	// Recreating the name gives an empty container: nothing survived.
	c.do("POST", "/api/containers", map[string]string{"name": "full"}).want(http.StatusCreated)
	if _, err := e.store.GetObjectInfo(ctx, "acme", "full", "one"); !errors.Is(err, storage.ErrObjectNotFound) {
		t.Fatalf("object survived force delete: %v", err)
	}
	up, err := e.store.ListMultipartUploads(ctx, "acme", "full", storage.ListUploadsOptions{})
	if err != nil || len(up.Uploads) != 0 {
		t.Fatalf("uploads survived force delete: %+v %v", up, err)
	}

	var audit struct {
		Events []struct{ Action, Target, Actor string }
	}
	e.operator().do("GET", "/api/admin/audit?tenant=acme", nil).want(http.StatusOK).decode(&audit)
	seen := map[string]bool{}
	for _, ev := range audit.Events {
		seen[ev.Action+" "+ev.Target] = true
	}
	for _, w := range []string{"container.create full", "container.delete empty", "container.force_delete full", "container.delete uploads"} {
		if !seen[w] {
			t.Errorf("audit lacks %q: %+v", w, audit.Events)
		}
	}
}

func TestTenantSessionsAreIsolated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.tenant("tenant-a", storage.Quota{})
	b := e.tenant("tenant-b", storage.Quota{})
	a.do("POST", "/api/containers", map[string]string{"name": "shared"}).want(http.StatusCreated)
	b.do("POST", "/api/containers", map[string]string{"name": "shared"}).want(http.StatusCreated)
	b.do("POST", "/api/containers", map[string]string{"name": "b-only"}).want(http.StatusCreated)
	e.putObject("tenant-b", "b-only", "k", "bbb")
	e.putObject("tenant-b", "shared", "k", "bbbb")
	var kb newKey
	b.do("POST", "/api/credentials", nil).want(http.StatusCreated).decode(&kb)

	// A sees only its own containers, with its own (empty) counts.
	var list containerList
	a.do("GET", "/api/containers", nil).want(http.StatusOK).decode(&list)
	if len(list.Containers) != 1 || list.Containers[0].Name != "shared" || list.Containers[0].Objects != 0 {
		t.Fatalf("tenant A sees %+v", list)
	}
	// A cannot delete B's containers, with or without force, nor learn they exist.
	a.do("DELETE", "/api/containers/b-only", nil).wantError(http.StatusNotFound, "no container named b-only")
	a.do("DELETE", "/api/containers/b-only?force=true&confirm=b-only", nil).want(http.StatusNotFound)
	// Deleting "shared" as A removes A's, never B's.
	a.do("DELETE", "/api/containers/shared?force=true&confirm=shared", nil).want(http.StatusNoContent)
	if bi, err := e.store.GetBucket(context.Background(), "tenant-b", "shared"); err != nil || bi.Objects != 1 {
		t.Fatalf("B's shared after A's delete: %+v %v", bi, err)
	}
	// A tenant field in the body or query is ignored: the session decides.
	a.do("POST", "/api/containers?tenant=tenant-b", map[string]string{"name": "sneaky", "tenant": "tenant-b"}).want(http.StatusCreated)
	if _, err := e.store.GetBucket(context.Background(), "tenant-b", "sneaky"); !errors.Is(err, storage.ErrBucketNotFound) {
		t.Fatalf("A created a bucket in B: %v", err)
	}
	// A's credential calls never touch B's key.
	a.do("GET", "/api/credentials?tenant=tenant-b", nil).want(http.StatusNotFound)
	a.do("DELETE", "/api/credentials?tenant=tenant-b", nil).want(http.StatusNotFound)
	a.do("POST", "/api/credentials/rotate?tenant=tenant-b", nil).want(http.StatusNotFound)
	if tenant, _, err := e.auth.LookupSecret(kb.AccessKey); err != nil || tenant != "tenant-b" {
		t.Fatalf("B's key after A's calls: %q %v", tenant, err)
	}
	var usage struct{ Objects, Bytes int64 }
	a.do("GET", "/api/usage", nil).want(http.StatusOK).decode(&usage)
	if usage.Objects != 0 || usage.Bytes != 0 {
		t.Fatalf("A's usage counts B's objects: %+v", usage)
	}
}
