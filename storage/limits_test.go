package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// uploads is the tenant's count of unfinished uploads as the index keeps it.
func (ts *testStore) uploads(tenant string) int64 {
	ts.t.Helper()
	u, err := ts.TenantUsage(context.Background(), tenant)
	if err != nil {
		ts.t.Fatal(err)
	}
	return u.Uploads
}

func TestBucketLimit(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.DefaultMaxBuckets = 3 })
	ctx := context.Background()
	for _, b := range []string{"two", "three"} { // "bkt" is the first
		if err := ts.CreateBucket(ctx, "acme", b, BucketOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	err := ts.CreateBucket(ctx, "acme", "four", BucketOptions{})
	var qe *QuotaError
	if !errors.Is(err, ErrTooManyBuckets) || !errors.As(err, &qe) || qe.Resource != "buckets" || qe.Used != 3 || qe.Limit != 3 {
		t.Fatalf("fourth bucket at the default limit 3: %v", err)
	}
	if errors.Is(err, ErrTooManyUploads) {
		t.Fatalf("a bucket limit error matches ErrTooManyUploads: %v", err)
	}
	if _, err := ts.GetBucket(ctx, "acme", "four"); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("refused bucket exists: %v", err)
	}
	u, _ := ts.TenantUsage(ctx, "acme")
	if u.Buckets != 3 || u.MaxBuckets != 3 {
		t.Fatalf("usage at the limit: %+v", u)
	}
	// The limit is per tenant.
	if err := ts.CreateTenant(ctx, "other", Quota{}); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateBucket(ctx, "other", "four", BucketOptions{}); err != nil {
		t.Fatalf("another tenant's first bucket: %v", err)
	}
	// Deleting a bucket frees a slot.
	if err := ts.DeleteBucket(ctx, "acme", "three", false); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateBucket(ctx, "acme", "four", BucketOptions{}); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
	// The tenant's own limit overrides the default, both ways.
	if err := ts.SetQuota(ctx, "acme", Quota{MaxBuckets: 4}); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateBucket(ctx, "acme", "five", BucketOptions{}); err != nil {
		t.Fatalf("tenant limit 4: %v", err)
	}
	if err := ts.CreateBucket(ctx, "acme", "six", BucketOptions{}); !errors.Is(err, ErrTooManyBuckets) {
		t.Fatalf("fifth bucket at the tenant's limit 4: %v", err)
	}
	if err := ts.SetQuota(ctx, "acme", Quota{MaxBuckets: 2}); err != nil {
		t.Fatal(err)
	}
	u, _ = ts.TenantUsage(ctx, "acme")
	if u.Buckets != 4 || u.MaxBuckets != 2 {
		t.Fatalf("usage above a lowered limit: %+v", u)
	}
	if err := ts.CreateBucket(ctx, "acme", "six", BucketOptions{}); !errors.Is(err, ErrTooManyBuckets) {
		t.Fatalf("above a lowered limit: %v", err)
	}
	if err := ts.SetQuota(ctx, "acme", Quota{MaxBuckets: -1}); err == nil {
		t.Fatal("negative bucket limit accepted")
	}
}

func TestBucketLimitConcurrent(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.DefaultMaxBuckets = 5 })
	ctx := context.Background()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ts.CreateBucket(ctx, "acme", fmt.Sprintf("b-%02d", i), BucketOptions{}); err == nil {
				ok.Add(1)
			} else if !errors.Is(err, ErrTooManyBuckets) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if bs, _ := ts.ListBuckets(ctx, "acme"); ok.Load() != 4 || len(bs) != 5 {
		t.Fatalf("%d concurrent creates succeeded, %d buckets; limit 5 with one existing", ok.Load(), len(bs))
	}
}

func TestUploadLimit(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.DefaultMaxUploads = 2 })
	ctx := context.Background()
	create := func(key string) (string, error) {
		return ts.CreateMultipartUpload(ctx, "acme", "bkt", key, PutOptions{})
	}
	a, err := create("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := create("b"); err != nil {
		t.Fatal(err)
	}
	_, err = create("c")
	var qe *QuotaError
	if !errors.Is(err, ErrTooManyUploads) || !errors.Is(err, ErrQuotaExceeded) || !errors.As(err, &qe) ||
		qe.Resource != "uploads" || qe.Used != 2 || qe.Limit != 2 || errors.Is(err, ErrTooManyBuckets) {
		t.Fatalf("third upload at the limit 2: %v", err)
	}
	if u, _ := ts.TenantUsage(ctx, "acme"); u.Uploads != 2 || u.MaxUploads != 2 {
		t.Fatalf("usage at the limit: %+v", u)
	}
	res, _ := ts.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{})
	if len(res.Uploads) != 2 {
		t.Fatalf("%d uploads listed, want the 2 allowed", len(res.Uploads))
	}

	// Abort frees a slot; aborting again frees nothing more.
	if err := ts.AbortMultipartUpload(ctx, "acme", "bkt", "a", a); err != nil {
		t.Fatal(err)
	}
	if err := ts.AbortMultipartUpload(ctx, "acme", "bkt", "a", a); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("abort twice: %v", err)
	}
	if n := ts.uploads("acme"); n != 1 {
		t.Fatalf("after abort: %d uploads counted", n)
	}
	c, err := create("c")
	if err != nil {
		t.Fatalf("after abort: %v", err)
	}
	if _, err := create("d"); !errors.Is(err, ErrTooManyUploads) {
		t.Fatalf("limit again: %v", err)
	}

	// Complete frees a slot.
	p, err := ts.PutPart(ctx, "acme", "bkt", "c", c, 1, bytes.NewReader([]byte("part")), PutOptions{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "c", c, []CompletePart{{PartNumber: 1, ETag: p.ETag}}); err != nil {
		t.Fatal(err)
	}
	if n := ts.uploads("acme"); n != 1 {
		t.Fatalf("after complete: %d uploads counted", n)
	}
	if _, err := create("d"); err != nil {
		t.Fatalf("after complete: %v", err)
	}

	// The tenant's own limit overrides the default.
	if err := ts.SetQuota(ctx, "acme", Quota{MaxUploads: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := create("e"); err != nil {
		t.Fatalf("tenant limit 3: %v", err)
	}
	if _, err := create("f"); !errors.Is(err, ErrTooManyUploads) {
		t.Fatalf("fourth upload at the tenant's limit 3: %v", err)
	}
	if n := ts.uploads("acme"); n != 3 {
		t.Fatalf("%d uploads counted, want 3", n)
	}
	// The count survives a restart.
	ts.reopen()
	if n := ts.uploads("acme"); n != 3 {
		t.Fatalf("after reopen: %d uploads counted, want 3", n)
	}
}

func TestUploadCountAfterForceDeleteAndTenantDelete(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.DefaultMaxUploads = 3 })
	ctx := context.Background()
	if err := ts.CreateBucket(ctx, "acme", "other", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", fmt.Sprint("k", i), PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.PutPart(ctx, "acme", "bkt", fmt.Sprint("k", i), id, 1, bytes.NewReader([]byte("xyz")), PutOptions{Size: 3}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.CreateMultipartUpload(ctx, "acme", "other", "k", PutOptions{}); !errors.Is(err, ErrTooManyUploads) {
		t.Fatalf("at the limit, in another bucket: %v", err)
	}
	if err := ts.DeleteBucket(ctx, "acme", "bkt", true); err != nil {
		t.Fatal(err)
	}
	u, _ := ts.TenantUsage(ctx, "acme")
	if u.Uploads != 0 || u.UploadBytes != 0 || u.Bytes != 0 {
		t.Fatalf("after force delete: %+v", u)
	}
	for i := range 3 {
		if _, err := ts.CreateMultipartUpload(ctx, "acme", "other", fmt.Sprint("k", i), PutOptions{}); err != nil {
			t.Fatalf("after force delete, upload %d: %v", i, err)
		}
	}
	// Deleting the tenant takes its count along: a tenant of the same name
	// starts at zero.
	if err := ts.DeleteTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateTenant(ctx, "acme", Quota{}); err != nil {
		t.Fatal(err)
	}
	if err := ts.CreateBucket(ctx, "acme", "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := ts.uploads("acme"); n != 0 {
		t.Fatalf("recreated tenant: %d uploads counted", n)
	}
	ts.reopen()
	if n := ts.uploads("acme"); n != 0 {
		t.Fatalf("recreated tenant after reopen: %d uploads counted", n)
	}
}

// TestUploadCountRecountedAtOpen: a store whose tenant records lack the
// count (written before it existed) or carry a wrong one gets the count
// from the upload records at Open, trashed buckets' uploads included
// (their purge still counts them down).
func TestUploadCountRecountedAtOpen(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	for i := range 4 {
		if _, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", fmt.Sprint("k", i), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A bucket force-deleted by a crash after the trash commit: its record
	// in trash, its uploads not purged yet.
	if err := ts.CreateBucket(ctx, "acme", "gone", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.CreateMultipartUpload(ctx, "acme", "gone", "k", PutOptions{}); err != nil {
		t.Fatal(err)
	}
	err := ts.idx.Update(func(tx indexTx) error {
		b, err := bucketOf(tx, "acme", "gone")
		if err != nil {
			return err
		}
		if err := tx.putTrash(b); err != nil {
			return err
		}
		if err := tx.deleteBucket("acme", "gone"); err != nil {
			return err
		}
		tn, err := tenantOf(tx, "acme")
		if err != nil {
			return err
		}
		tn.Uploads = -7
		return tx.putTenant(tn)
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.reopen() // finishes the trash, then recounts
	if n := ts.uploads("acme"); n != 4 {
		t.Fatalf("after reopen: %d uploads counted, want 4", n)
	}
}
