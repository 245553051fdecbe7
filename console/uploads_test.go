package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/storage"
)

// startUpload starts an upload in tenant/bucket with parts of the given sizes.
func (e *testEnv) startUpload(tenant, bucket, key string, sizes ...int) string {
	e.t.Helper()
	ctx := context.Background()
	id, err := e.store.CreateMultipartUpload(ctx, tenant, bucket, key, storage.PutOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for i, n := range sizes {
		body := strings.Repeat("u", n)
		if _, err := e.store.PutPart(ctx, tenant, bucket, key, id, i+1, strings.NewReader(body), storage.PutOptions{Size: int64(n)}); err != nil {
			e.t.Fatal(err)
		}
	}
	return id
}

type uploadsSummary struct {
	Count, Bytes int64
	Oldest       *time.Time
	Partial      bool
}

type uploadsPage struct {
	Uploads []struct {
		Key, UploadID string
		Initiated     time.Time
		Parts         int
		Bytes         int64
	}
	Truncated    bool
	NextKey      string
	NextUploadID string `json:"nextUploadId"`
}

// TestContainerUploads: the containers list summarises each container's
// unfinished uploads (count, bytes, oldest), a paged list shows each with its
// parts and bytes, and Abort removes one or all of them through the storage
// calls S3 uses, audited; usage drops accordingly.
func TestContainerUploads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	ctx := context.Background()
	for _, n := range []string{"logs", "clean"} {
		c.do("POST", "/api/containers", map[string]string{"name": n}).want(http.StatusCreated)
	}
	e.putObject("acme", "logs", "done", "12345")

	// Before any upload the list reads no upload records and shows zeros.
	var list struct {
		Containers []struct {
			Name    string
			Objects int64
			Bytes   int64
			Uploads uploadsSummary
		}
	}
	c.do("GET", "/api/containers", nil).want(http.StatusOK).decode(&list)
	for _, ct := range list.Containers {
		if ct.Uploads.Count != 0 || ct.Uploads.Bytes != 0 || ct.Uploads.Oldest != nil {
			t.Fatalf("%s before uploads: %+v", ct.Name, ct.Uploads)
		}
	}

	first := e.startUpload("acme", "logs", "a/first", 100, 200)
	second := e.startUpload("acme", "logs", "b/second", 4000)
	third := e.startUpload("acme", "logs", "c/third")
	c.do("GET", "/api/containers", nil).want(http.StatusOK).decode(&list)
	got := map[string]uploadsSummary{}
	for _, ct := range list.Containers {
		got[ct.Name] = ct.Uploads
		if ct.Name == "logs" && (ct.Objects != 1 || ct.Bytes != 5) {
			t.Fatalf("logs counts objects %d bytes %d, want 1 and 5 (uploads apart)", ct.Objects, ct.Bytes)
		}
	}
	logs := got["logs"]
	if logs.Count != 3 || logs.Bytes != 4300 || logs.Partial || logs.Oldest == nil {
		t.Fatalf("logs uploads: %+v, want 3 uploads of 4300 bytes", logs)
	}
	res, err := e.store.ListMultipartUploads(ctx, "acme", "logs", storage.ListUploadsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	oldest := res.Uploads[0].Initiated
	for _, u := range res.Uploads {
		if u.Initiated.Before(oldest) {
			oldest = u.Initiated
		}
	}
	if !logs.Oldest.Equal(oldest) {
		t.Fatalf("oldest %v, want %v", logs.Oldest, oldest)
	}
	if cl := got["clean"]; cl.Count != 0 || cl.Bytes != 0 || cl.Oldest != nil {
		t.Fatalf("clean uploads: %+v", cl)
	}

	var page uploadsPage
	c.do("GET", "/api/containers/logs/uploads", nil).want(http.StatusOK).decode(&page)
	if len(page.Uploads) != 3 || page.Truncated {
		t.Fatalf("uploads page: %+v", page)
	}
	want := []struct {
		key, id string
		parts   int
		bytes   int64
	}{{"a/first", first, 2, 300}, {"b/second", second, 1, 4000}, {"c/third", third, 0, 0}}
	for i, w := range want {
		u := page.Uploads[i]
		if u.Key != w.key || u.UploadID != w.id || u.Parts != w.parts || u.Bytes != w.bytes || u.Initiated.IsZero() {
			t.Fatalf("upload %d: %+v, want %+v", i, u, w)
		}
	}

	// Bad requests: neither one upload nor all, or both.
	c.do("DELETE", "/api/containers/logs/uploads", nil).wantError(http.StatusBadRequest, "all=true")
	c.do("DELETE", "/api/containers/logs/uploads?all=true&key=a/first&uploadId="+first, nil).want(http.StatusBadRequest)
	c.do("GET", "/api/containers/nope/uploads", nil).wantError(http.StatusNotFound, "no container named nope")

	// Abort one; a second abort of it is 404.
	one := "/api/containers/logs/uploads?key=" + url.QueryEscape("a/first") + "&uploadId=" + url.QueryEscape(first)
	var ab struct{ Aborted int }
	c.do("DELETE", one, nil).want(http.StatusOK).decode(&ab)
	if ab.Aborted != 1 {
		t.Fatalf("aborted %d, want 1", ab.Aborted)
	}
	c.do("DELETE", one, nil).wantError(http.StatusNotFound, "no unfinished upload")
	if u, _ := e.store.TenantUsage(ctx, "acme"); u.Uploads != 2 || u.UploadBytes != 4000 {
		t.Fatalf("usage after one abort: %+v", u)
	}

	// Another tenant sees and aborts nothing of acme's.
	other := e.tenant("other", storage.Quota{})
	other.do("GET", "/api/containers/logs/uploads", nil).want(http.StatusNotFound)
	other.do("DELETE", "/api/containers/logs/uploads?all=true", nil).want(http.StatusNotFound)

	// Abort all.
	c.do("DELETE", "/api/containers/logs/uploads?all=true", nil).want(http.StatusOK).decode(&ab)
	if ab.Aborted != 2 {
		t.Fatalf("aborted %d, want 2", ab.Aborted)
	}
	if u, _ := e.store.TenantUsage(ctx, "acme"); u.Uploads != 0 || u.UploadBytes != 0 || u.Bytes != 5 {
		t.Fatalf("usage after abort all: %+v", u)
	}
	c.do("GET", "/api/containers/logs/uploads", nil).want(http.StatusOK).decode(&page)
	if len(page.Uploads) != 0 {
		t.Fatalf("uploads after abort all: %+v", page.Uploads)
	}

	var audit struct {
		Events []struct{ Action, Target, Actor string }
	}
	e.operator().do("GET", "/api/admin/audit?tenant=acme", nil).want(http.StatusOK).decode(&audit)
	seen := map[string]bool{}
	for _, ev := range audit.Events {
		if ev.Action == "upload.abort" {
			seen[ev.Target] = true
		}
	}
	for _, w := range []string{"logs/a/first (upload " + first + ")", "logs/b/second (upload " + second + ")", "logs/c/third (upload " + third + ")"} {
		if !seen[w] {
			t.Errorf("audit lacks upload.abort %s; has %v", w, seen)
		}
	}

	// A suspended tenant may look but not abort.
	e.startUpload("acme", "logs", "d/later", 10)
	c.do("GET", "/api/containers/logs/uploads", nil).want(http.StatusOK)
	if err := e.store.SetSuspended(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	c.do("DELETE", "/api/containers/logs/uploads?all=true", nil).wantError(http.StatusForbidden, "suspended")
}

// TestContainerUploadsPaged: the uploads list pages 50 at a time and the
// next-page markers continue without repeating or skipping an upload; abort
// all walks every page.
func TestContainerUploadsPaged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "many"}).want(http.StatusCreated)
	const n = 120
	for i := range n {
		e.startUpload("acme", "many", fmt.Sprintf("k%03d", i/2)) // two uploads per key
	}
	seen := map[string]bool{}
	path := "/api/containers/many/uploads"
	pages := 0
	for {
		var page uploadsPage
		c.do("GET", path, nil).want(http.StatusOK).decode(&page)
		pages++
		if len(page.Uploads) > 50 || pages > 10 {
			t.Fatalf("page %d has %d uploads", pages, len(page.Uploads))
		}
		for _, u := range page.Uploads {
			if seen[u.UploadID] {
				t.Fatalf("upload %s listed twice", u.UploadID)
			}
			seen[u.UploadID] = true
		}
		if !page.Truncated {
			break
		}
		path = "/api/containers/many/uploads?key=" + url.QueryEscape(page.NextKey) + "&uploadId=" + url.QueryEscape(page.NextUploadID)
	}
	if len(seen) != n || pages != 3 {
		t.Fatalf("%d uploads in %d pages, want %d in 3", len(seen), pages, n)
	}
	var ab struct{ Aborted int }
	c.do("DELETE", "/api/containers/many/uploads?all=true", nil).want(http.StatusOK).decode(&ab)
	if ab.Aborted != n {
		t.Fatalf("aborted %d, want %d", ab.Aborted, n)
	}
	if u, _ := e.store.TenantUsage(context.Background(), "acme"); u.Uploads != 0 {
		t.Fatalf("uploads left: %d", u.Uploads)
	}
}

// TestContainerUploadsSummaryBounded: one containers list summarises at most
// a bounded number of uploads; the containers past the bound say their
// summary is partial instead of reading every upload. (Not parallel: it
// lowers the bound.)
func TestContainerUploadsSummaryBounded(t *testing.T) {
	defer console.SetSummaryUploads(3)()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	for _, n := range []string{"aaa", "bbb"} {
		c.do("POST", "/api/containers", map[string]string{"name": n}).want(http.StatusCreated)
		e.startUpload("acme", n, "k1", 10)
		e.startUpload("acme", n, "k2", 10)
	}
	var list struct {
		Containers []struct {
			Name    string
			Uploads uploadsSummary
		}
	}
	c.do("GET", "/api/containers", nil).want(http.StatusOK).decode(&list)
	if len(list.Containers) != 2 {
		t.Fatalf("containers: %+v", list.Containers)
	}
	a, b := list.Containers[0].Uploads, list.Containers[1].Uploads
	if a.Count != 2 || a.Bytes != 20 || a.Partial {
		t.Fatalf("aaa: %+v, want 2 uploads of 20 bytes, complete", a)
	}
	if b.Count != 1 || b.Bytes != 10 || !b.Partial {
		t.Fatalf("bbb: %+v, want 1 upload counted and partial", b)
	}
}
