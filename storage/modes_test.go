package storage

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// openToOthers lists every file and directory under roots that grants any
// permission to group or others.
func openToOthers(t *testing.T, roots ...string) []string {
	t.Helper()
	var bad []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.Mode().Perm()&0o077 != 0 {
				bad = append(bad, path+" "+info.Mode().String())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return bad
}

// TestDataFilesPrivate: after small (packed), large (shard files) and
// multipart writes, nothing on the drives or in the data directory is
// readable, writable or enterable by other local users.
func TestDataFilesPrivate(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	ts.put("small", []byte("a small object lives in the pack log"))
	ts.put("inline", randBytes(1, 100<<10))
	ts.put("large", randBytes(2, 1<<20))
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "mp", PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []CompletePart
	for n, size := range []int{5 << 20, 1000} {
		p, err := ts.PutPart(ctx, "acme", "bkt", "mp", id, n+1, bytes.NewReader(randBytes(uint64(n), size)), PutOptions{Size: int64(size)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, CompletePart{PartNumber: n + 1, ETag: p.ETag})
	}
	if _, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "mp", id, parts); err != nil {
		t.Fatal(err)
	}
	open, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "open", PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.PutPart(ctx, "acme", "bkt", "open", open, 1, bytes.NewReader([]byte("p")), PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(ts.drives[0], packDir, "*"))
	shards, _ := filepath.Glob(filepath.Join(ts.drives[0], dataDir, "*", "*.shard"))
	if len(segs) == 0 || len(shards) == 0 {
		t.Fatalf("test wrote no pack segment (%d) or no shard file (%d)", len(segs), len(shards))
	}
	if bad := openToOthers(t, append([]string{ts.cfg.DataDir}, ts.drives...)...); len(bad) > 0 {
		t.Fatalf("open to group or others:\n%v", bad)
	}
}

// TestOpenRestrictsOldModes: drives and a data directory written with the
// old modes (directories 0755, format.json and pack segments 0644) are
// closed to others when the store opens.
func TestOpenRestrictsOldModes(t *testing.T) {
	ts := newTestStore(t, 4)
	ts.put("small", []byte("packed"))
	ts.put("large", randBytes(3, 1<<20))
	ts.Store.Close()
	var loosened int
	for _, root := range append([]string{ts.cfg.DataDir}, ts.drives...) {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || path == root && root != ts.cfg.DataDir {
				return err // a drive root is the operator's: left as is
			}
			mode := os.FileMode(0o644)
			if d.IsDir() {
				mode = 0o755
			} else if filepath.Ext(path) == ".db" || filepath.Ext(path) == ".meta" || filepath.Ext(path) == ".shard" {
				return nil // always created 0600
			}
			loosened++
			return os.Chmod(path, mode)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if loosened < 4*4 {
		t.Fatalf("loosened only %d paths", loosened)
	}
	ts.reopen()
	if bad := openToOthers(t, append([]string{ts.cfg.DataDir}, ts.drives...)...); len(bad) > 0 {
		t.Fatalf("still open to group or others after Open:\n%v", bad)
	}
	ts.mustRead("small", []byte("packed"))
	ts.mustRead("large", randBytes(3, 1<<20))
}
