package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// A write that replaced a version and died right after its commit leaves
// the old version's data on the drives. The cleanup journal makes the next
// Open remove it, so when the newer version is later deleted for good and
// the index is rebuilt from the drives, the old version does not come
// back. Both kinds of data: packed records (tombstoned) and stream files.
func TestCleanupJournalAfterCrash(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size      int
		suspended bool // versioning Suspended: writes replace the null version
	}{
		{"packed", 100, false},
		{"stream", 300 << 10, false},
		{"packed null version", 100, true},
		{"stream null version", 300 << 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ts := newTestStore(t, 4)
			if tc.suspended {
				must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningSuspended))
			}
			ts.put("k", randBytes(1, tc.size))

			ts.cfg.testCrashAfterCommit = true
			ts.reopen()
			ts.put("k", randBytes(2, tc.size)) // replaces the first; its removal "dies"
			if n := journalEntries(t, ts.Store); n != 1 {
				t.Fatalf("cleanup journal after the cut write: %d entries, want 1", n)
			}
			ts.cfg.testCrashAfterCommit = false
			ts.reopen() // finishes the removal
			if n := journalEntries(t, ts.Store); n != 0 {
				t.Fatalf("cleanup journal after Open: %d entries, want 0", n)
			}
			ts.mustRead("k", randBytes(2, tc.size))

			opts := DeleteOptions{}
			if tc.suspended {
				opts.VersionID = NullVersion
			}
			if _, err := ts.DeleteObject(ctx, "acme", "bkt", "k", opts); err != nil {
				t.Fatal(err)
			}
			ts.Store.Close()
			must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
			ts.reopen()
			_, err := ts.RebuildIndex(ctx)
			must(t, err)
			if got, err := ts.read("k", 0, -1); !gone(err) {
				t.Fatalf("after the rebuild k reads %d bytes (err %v): a replaced version came back", len(got), err)
			}
			if tc.suspended { // the bucket file keeps a versioned bucket
				if vs := listVersionIDs(t, ts.Store, "k"); len(vs) != 0 {
					t.Fatalf("after the rebuild k has versions %v, want none", vs)
				}
			}
		})
	}
}

// RebuildIndex removes the versions that lost to a newer one of the same
// version id from the drives: after the newer one is deleted for good, a
// second rebuild finds nothing.
func TestRebuildDiscardsReplacedVersions(t *testing.T) {
	ctx := context.Background()
	ts := newTestStore(t, 4)
	ts.put("small", randBytes(1, 100))
	ts.put("big", randBytes(3, 300<<10))
	ts.cfg.testCrashAfterCommit = true
	ts.reopen()
	ts.put("small", randBytes(2, 100))
	ts.put("big", randBytes(4, 300<<10))
	ts.Store.Close() // the crash: the journal goes with the index
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.cfg.testCrashAfterCommit = false
	ts.reopen()
	_, err := ts.RebuildIndex(ctx)
	must(t, err)
	ts.mustRead("small", randBytes(2, 100))
	ts.mustRead("big", randBytes(4, 300<<10))
	for _, k := range []string{"small", "big"} {
		if _, err := ts.DeleteObject(ctx, "acme", "bkt", k, DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err = ts.RebuildIndex(ctx)
	must(t, err)
	for _, k := range []string{"small", "big"} {
		if got, err := ts.read(k, 0, -1); !gone(err) {
			t.Fatalf("second rebuild: %s reads %d bytes (err %v): a replaced version came back", k, len(got), err)
		}
	}
}

func journalEntries(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	must(t, s.idx.View(func(tx indexTx) error {
		return tx.eachCleanup(func(uint64, *cleanupRecord) { n++ })
	}))
	return n
}

// listVersionIDs lists key's versions and markers in acme/bkt.
func listVersionIDs(t *testing.T, s *Store, key string) []string {
	t.Helper()
	res, err := s.ListObjectVersions(context.Background(), "acme", "bkt", ListVersionsOptions{Prefix: key, MaxKeys: 1000})
	must(t, err)
	var ids []string
	for _, v := range res.Versions {
		if v.Key == key {
			ids = append(ids, v.VersionID)
		}
	}
	return ids
}

// gone reports whether a read found no object (nor, for a bucket that only
// the object kept, a bucket: an unversioned bucket without objects is not
// on the drives).
func gone(err error) bool {
	return errors.Is(err, ErrObjectNotFound) || errors.Is(err, ErrBucketNotFound)
}

// A change of a version in place (here its tags) whose drive copies were
// not rewritten before a crash is rewritten by the next Open, so an index
// rebuilt from the drives holds the change.
func TestCleanupJournalRewrite(t *testing.T) {
	for _, size := range []int{100, 300 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			ctx := context.Background()
			ts := newTestStore(t, 4)
			ts.put("k", randBytes(1, size))
			ts.cfg.testCrashAfterCommit = true
			ts.reopen()
			must(t, ts.SetObjectTags(ctx, "acme", "bkt", "k", "", map[string]string{"team": "blue"}))
			ts.cfg.testCrashAfterCommit = false
			ts.reopen()
			ts.Store.Close()
			must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
			ts.reopen()
			_, err := ts.RebuildIndex(ctx)
			must(t, err)
			info, err := ts.GetObjectInfo(ctx, "acme", "bkt", "k")
			must(t, err)
			if info.Meta.Tags["team"] != "blue" {
				t.Fatalf("after the rebuild the tags are %v, want team=blue", info.Meta.Tags)
			}
		})
	}
}

// Two in-place changes of one version whose drive rewrites run in the
// other order (the first held back until the second is done) leave the
// drive copies as the index holds the version: a rebuild from the drives
// alone reads the later tags.
func TestRewritesInOtherOrderEndAsTheIndex(t *testing.T) {
	ctx := context.Background()
	hold, held := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	ts := newTestStore(t, 4, func(c *Config) {
		c.testBeforeRewrite = func() {
			if calls.Add(1) == 1 {
				close(held)
				<-hold
			}
		}
	})
	ts.put("k", randBytes(1, 100))
	done := make(chan error)
	go func() { done <- ts.SetObjectTags(ctx, "acme", "bkt", "k", "", map[string]string{"v": "first"}) }()
	<-held // the first change is committed, its rewrite held back
	must(t, ts.SetObjectTags(ctx, "acme", "bkt", "k", "", map[string]string{"v": "second"}))
	close(hold)
	must(t, <-done)
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.cfg.testBeforeRewrite = nil
	ts.reopen()
	_, err := ts.RebuildIndex(ctx)
	must(t, err)
	got, err := ts.GetObjectInfo(ctx, "acme", "bkt", "k")
	must(t, err)
	if got.Meta.Tags["v"] != "second" {
		t.Fatalf("after the rebuild the tags are %v, want v=second (the later commit)", got.Meta.Tags)
	}
}
