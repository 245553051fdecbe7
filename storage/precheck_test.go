package storage

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// TestQuotaPrecheckCountsReplacedSize: at quota, a write that replaces
// as much as it adds (an overwrite, a retried part) passes the check made
// before any data is written, just as it passes the commit.
func TestQuotaPrecheckCountsReplacedSize(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	if err := ts.SetQuota(ctx, "acme", Quota{MaxObjects: 1, MaxBytes: 1000}); err != nil {
		t.Fatal(err)
	}
	put := func(key string, n int) error {
		_, err := ts.PutObject(ctx, "acme", "bkt", key, bytes.NewReader(randBytes(uint64(n), n)), PutOptions{Size: int64(n)})
		return err
	}
	if err := put("a", 1000); err != nil {
		t.Fatal(err)
	}
	if err := put("a", 1000); err != nil {
		t.Fatalf("overwrite with the same size at quota: %v", err)
	}
	if err := put("a", 900); err != nil {
		t.Fatalf("overwrite with a smaller size at quota: %v", err)
	}
	ts.mustRead("a", randBytes(900, 900))
	if err := put("a", 1001); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("overwrite passing the byte quota: %v", err)
	}
	var qe *QuotaError
	if err := put("b", 1); !errors.As(err, &qe) || qe.Resource != "objects" {
		t.Fatalf("new key at the object quota: %v", err)
	}
	if u, _ := ts.TenantUsage(ctx, "acme"); u.Objects != 1 || u.Bytes != 900 {
		t.Fatalf("usage: %+v", u)
	}

	// Parts: a retried part number replaces its earlier size.
	if err := ts.SetQuota(ctx, "acme", Quota{MaxBytes: 1000}); err != nil {
		t.Fatal(err)
	}
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "mp", PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part := func(n, size int) error {
		_, err := ts.PutPart(ctx, "acme", "bkt", "mp", id, n, bytes.NewReader(randBytes(uint64(size), size)), PutOptions{Size: int64(size)})
		return err
	}
	if err := part(1, 100); err != nil { // 1000 bytes used: at quota
		t.Fatal(err)
	}
	if err := part(1, 100); err != nil {
		t.Fatalf("retry of part 1, same size, at quota: %v", err)
	}
	if err := part(1, 60); err != nil {
		t.Fatalf("retry of part 1, smaller, at quota: %v", err)
	}
	if err := part(1, 141); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("retry of part 1 passing the quota: %v", err)
	}
	if err := part(2, 41); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("new part passing the quota: %v", err)
	}
	if u, _ := ts.TenantUsage(ctx, "acme"); u.Bytes != 960 || u.UploadBytes != 60 {
		t.Fatalf("usage with the upload: %+v", u)
	}
}
