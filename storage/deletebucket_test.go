package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
)

// startUploads starts n uploads in the test bucket "bkt", each with one part
// of size bytes, and returns their ids.
func (ts *testStore) startUploads(n, size int) []string {
	ts.t.Helper()
	ctx := context.Background()
	var ids []string
	for i := range n {
		key := fmt.Sprint("up/", i)
		id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", key, PutOptions{})
		if err != nil {
			ts.t.Fatal(err)
		}
		body := randBytes(uint64(i), size)
		if _, err := ts.PutPart(ctx, "acme", "bkt", key, id, 1, bytes.NewReader(body), PutOptions{Size: int64(size)}); err != nil {
			ts.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (ts *testStore) wantUsage(when string, objects, bytes, uploadBytes, uploads int64) {
	ts.t.Helper()
	u, err := ts.TenantUsage(context.Background(), "acme")
	if err != nil {
		ts.t.Fatal(err)
	}
	// objects or bytes -1: not checked.
	if (objects >= 0 && u.Objects != objects) || (bytes >= 0 && u.Bytes != bytes) || u.UploadBytes != uploadBytes || u.Uploads != uploads {
		ts.t.Fatalf("%s: usage objects=%d bytes=%d uploadBytes=%d uploads=%d, want %d %d %d %d",
			when, u.Objects, u.Bytes, u.UploadBytes, u.Uploads, objects, bytes, uploadBytes, uploads)
	}
}

// TestDeleteBucketAbortsUploads: a plain (non-forced) delete of a bucket that
// holds only unfinished multipart uploads succeeds and aborts them, as S3
// does; the tenant's upload bytes and upload count drop to what is left.
// A bucket with objects and uploads is still refused, its uploads untouched.
func TestDeleteBucketAbortsUploads(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	ts.startUploads(3, 1000)
	ts.wantUsage("before", 0, 3000, 3000, 3)

	if err := ts.DeleteBucket(ctx, "acme", "bkt", false); err != nil {
		t.Fatalf("plain delete of an uploads-only bucket: %v", err)
	}
	if _, err := ts.GetBucket(ctx, "acme", "bkt"); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	ts.wantUsage("after delete", 0, 0, 0, 0)
	if n := countDataFiles(t, ts); n != 0 {
		t.Fatalf("%d part files left after delete", n)
	}

	// The name is free again and starts empty.
	must(t, ts.CreateBucket(ctx, "acme", "bkt", BucketOptions{}))
	res, err := ts.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{})
	if err != nil || len(res.Uploads) != 0 {
		t.Fatalf("recreated bucket lists uploads: %+v, %v", res.Uploads, err)
	}

	// Objects and uploads: refused, nothing aborted.
	ts.put("obj", []byte("12345"))
	ts.startUploads(2, 10)
	if err := ts.DeleteBucket(ctx, "acme", "bkt", false); !errors.Is(err, ErrBucketNotEmpty) {
		t.Fatalf("plain delete with an object: %v", err)
	}
	ts.wantUsage("after refused delete", 1, 25, 20, 2)
	res, err = ts.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{})
	if err != nil || len(res.Uploads) != 2 {
		t.Fatalf("uploads after refused delete: %d, %v", len(res.Uploads), err)
	}
}

// TestDeleteBucketUploadsCrash: a plain delete of an uploads-only bucket
// interrupted after its commit (here by a cancelled context, which stops
// the purge before its first batch) leaves the bucket gone and its uploads
// in the trash; the next Open finishes the purge and usage is exact.
func TestDeleteBucketUploadsCrash(t *testing.T) {
	ts := newTestStore(t, 4)
	ts.startUploads(2, 5000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ts.DeleteBucket(ctx, "acme", "bkt", false); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted delete: %v", err)
	}
	if _, err := ts.GetBucket(context.Background(), "acme", "bkt"); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("bucket after interrupted delete: %v", err)
	}
	// Not purged yet: the uploads still count.
	ts.wantUsage("interrupted", 0, 10000, 10000, 2)
	ts.reopen()
	ts.wantUsage("after reopen", 0, 0, 0, 0)
	if n := countDataFiles(t, ts); n != 0 {
		t.Fatalf("%d part files left after the purge", n)
	}
}

// TestDeleteBucketUploadsVersioned: in a versioned bucket a delete marker or
// a noncurrent version keeps a plain delete refused, uploads untouched; once
// every version is deleted by id, the plain delete aborts the uploads.
func TestDeleteBucketUploadsVersioned(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	v := ts.put("k", []byte("hello"))
	marker, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{})
	if err != nil || !marker.DeleteMarker {
		t.Fatalf("delete marker: %+v, %v", marker, err)
	}
	ts.startUploads(1, 100)
	for _, id := range []string{marker.VersionID, v.VersionID} {
		if err := ts.DeleteBucket(ctx, "acme", "bkt", false); !errors.Is(err, ErrBucketNotEmpty) {
			t.Fatalf("plain delete with versions left: %v", err)
		}
		ts.wantUsage("refused", -1, -1, 100, 1)
		if _, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{VersionID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.DeleteBucket(ctx, "acme", "bkt", false); err != nil {
		t.Fatalf("plain delete with only uploads left: %v", err)
	}
	ts.wantUsage("after delete", 0, 0, 0, 0)
}
