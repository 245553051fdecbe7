package storage

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// idsOnDrives returns the data ids with a .meta or .shard file on any
// drive (temporary files included, under their final id).
func idsOnDrives(t *testing.T, ts *testStore) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, d := range ts.drives {
		err := filepath.WalkDir(filepath.Join(d, dataDir), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			name := strings.TrimPrefix(e.Name(), tempPrefix)
			if id, _, ok := strings.Cut(name, "."); ok {
				ids[id] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func (ts *testStore) pinnedCount() int {
	ts.inflightMu.Lock()
	defer ts.inflightMu.Unlock()
	return len(ts.inflight)
}

// TestWriteTxCleansUp: a write refused at its commit (precondition, quota
// for a body of unknown size) leaves no files and no pin behind, whether
// its body was packed or in files; a committed overwrite removes the data
// it replaced; and multipart parts replaced or left out are removed.
func TestWriteTxCleansUp(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	large, small := randBytes(1, 300<<10), randBytes(2, 100)
	ts.put("large", large)
	ts.put("small", small)
	want := idsOnDrives(t, ts)
	if len(want) != 1 {
		t.Fatalf("ids on the drives: %v, want only the large object's (the small one is packed)", want)
	}
	refuse := errors.New("refused")
	for _, body := range [][]byte{large, small} {
		_, err := ts.PutObject(ctx, "acme", "bkt", "large", bytes.NewReader(body),
			PutOptions{Size: int64(len(body)), Precondition: func(*ObjectInfo) error { return refuse }})
		if !errors.Is(err, refuse) {
			t.Fatalf("PutObject with a refusing precondition: %v", err)
		}
	}
	if err := ts.SetQuota(ctx, "acme", Quota{MaxBytes: int64(len(large) + len(small) + 10)}); err != nil {
		t.Fatal(err)
	}
	var qe *QuotaError
	if _, err := ts.PutObject(ctx, "acme", "bkt", "more", bytes.NewReader(large), PutOptions{Size: -1}); !errors.As(err, &qe) {
		t.Fatalf("PutObject over quota, unknown size: %v", err)
	}
	if got := idsOnDrives(t, ts); !sameKeys(got, want) {
		t.Fatalf("after refused writes the drives hold %v, want %v", got, want)
	}
	if n := ts.pinnedCount(); n != 0 {
		t.Fatalf("%d ids still pinned", n)
	}
	ts.mustRead("large", large)
	if err := ts.SetQuota(ctx, "acme", Quota{}); err != nil {
		t.Fatal(err)
	}

	// A committed overwrite removes the replaced files.
	ts.put("large", randBytes(3, 300<<10))
	got := idsOnDrives(t, ts)
	for id := range want {
		if got[id] {
			t.Fatalf("replaced data %s still on the drives", id)
		}
	}
	if len(got) != 1 {
		t.Fatalf("drives hold %d ids after an overwrite, want 1", len(got))
	}

	// Multipart: a part uploaded twice and a part left out of the
	// completion are removed; the object's parts and record stay.
	before := idsOnDrives(t, ts)
	up, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "mp", PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var etag string
	for i, n := range []int{1, 1, 2} {
		p, err := ts.PutPart(ctx, "acme", "bkt", "mp", up, n, bytes.NewReader(randBytes(uint64(10+i), 1000)), PutOptions{Size: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			etag = p.ETag
		}
	}
	if _, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "mp", up, []CompletePart{{PartNumber: 1, ETag: etag}}); err != nil {
		t.Fatal(err)
	}
	after := idsOnDrives(t, ts)
	if len(after) != len(before)+2 { // the kept part and the object's own record
		t.Fatalf("drives hold %d ids after completing, want %d", len(after), len(before)+2)
	}
	if n := ts.pinnedCount(); n != 0 {
		t.Fatalf("%d ids still pinned", n)
	}
}

func sameKeys(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
