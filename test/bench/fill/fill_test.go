package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// TestFill fills a real 4-drive 2+2 store and lists every key back.
// COFFER_FILL_N raises the object count (to measure the fill rate).
func TestFill(t *testing.T) {
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("COFFER_FILL_N")); err == nil {
		n = v
	}
	dir := t.TempDir()
	var drives []string
	for i := 1; i <= 4; i++ {
		drives = append(drives, filepath.Join(dir, "drive"+strconv.Itoa(i)))
	}
	store, err := storage.Open(storage.Config{DataDir: dir, Drives: drives, Parity: 2, ScrubInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	if err := store.CreateTenant(ctx, "bench", storage.Quota{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	o := Options{Tenant: "bench", Bucket: "scale", Prefix: "fill/", From: 0, To: n, Workers: 256, Size: 0}
	if err := Fill(ctx, store, o); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d objects in %v (%.0f PUT/s)", n, time.Since(start), float64(n)/time.Since(start).Seconds())
	// A second fill continues where the first stopped (the bucket exists).
	o.From, o.To, o.Size = n, n+10, 100
	if err := Fill(ctx, store, o); err != nil {
		t.Fatal(err)
	}
	seen, after := 0, ""
	for {
		page, err := store.ListObjects(ctx, "bench", "scale", storage.ListOptions{After: after, MaxKeys: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, obj := range page.Objects {
			if want := "fill/" + pad8(seen); obj.Key != want {
				t.Fatalf("key %d = %q, want %q", seen, obj.Key, want)
			}
			if wantSize := int64(0); seen >= n {
				wantSize = 100
				if obj.Size != wantSize {
					t.Fatalf("%s: size %d, want %d", obj.Key, obj.Size, wantSize)
				}
			}
			seen++
		}
		if !page.IsTruncated {
			break
		}
		after = page.NextAfter
	}
	if seen != n+10 {
		t.Fatalf("listed %d objects, want %d", seen, n+10)
	}
	info, err := store.GetBucket(ctx, "bench", "scale")
	if err != nil || info.Objects != int64(n+10) {
		t.Fatalf("bucket %+v, %v; want %d objects", info, err, n+10)
	}
}

func pad8(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 8 {
		s = "0" + s
	}
	return s
}
