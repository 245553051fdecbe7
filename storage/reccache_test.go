package storage

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/cofferstore/coffer/internal/kv"
	bolt "go.etcd.io/bbolt"
)

// The record cache never serves a value other than what the stored bytes
// decode to, and what it hands out is the caller's to change.
func TestRecCache(t *testing.T) {
	bdb, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	must(t, err)
	t.Cleanup(func() { _ = bdb.Close() })
	db := kv.NewBolt(bdb)
	ctx := context.Background()
	c := newRecCaches().buckets
	key := []byte("k")
	update := func(fn func(b kv.Bucket) error) {
		t.Helper()
		must(t, db.Update(ctx, func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return fn(b)
		}))
	}
	get := func() *bucketRecord {
		t.Helper()
		var out *bucketRecord
		must(t, db.View(ctx, func(tx kv.Tx) error {
			b, err := tx.Bucket([]byte("b"))
			if err != nil {
				return err
			}
			out, err = c.get(b, key)
			return err
		}))
		return out
	}

	update(func(b kv.Bucket) error {
		return c.put(b, key, &bucketRecord{ID: "1", Objects: 5, Lock: &LockConfig{Enabled: true, Mode: "GOVERNANCE", Days: 1}})
	})
	r := get()
	if r.Objects != 5 || r.Lock == nil || r.Lock.Days != 1 {
		t.Fatalf("got %+v", r)
	}
	// Changing what get returned changes nothing cached.
	r.Objects = 99
	r.Lock.Days = 99
	if r2 := get(); r2.Objects != 5 || r2.Lock.Days != 1 {
		t.Fatalf("a caller's change reached the cache: %+v %+v", r2, r2.Lock)
	}
	// A record written behind the cache's back (another process, another
	// path) is decoded afresh.
	update(func(b kv.Bucket) error {
		raw, err := json.Marshal(&bucketRecord{ID: "1", Objects: 6})
		if err != nil {
			return err
		}
		return b.Put(key, raw)
	})
	if r3 := get(); r3.Objects != 6 || r3.Lock != nil {
		t.Fatalf("stale value served: %+v", r3)
	}
	// A put that was rolled back leaves the cache keyed by bytes no
	// longer stored: the committed record is decoded.
	_ = db.Update(ctx, func(tx kv.Tx) error {
		b, err := tx.Bucket([]byte("b"))
		if err != nil {
			return err
		}
		if err := c.put(b, key, &bucketRecord{ID: "1", Objects: 7}); err != nil {
			return err
		}
		return errRefused
	})
	if r4 := get(); r4.Objects != 6 {
		t.Fatalf("a rolled-back write was served: %+v", r4)
	}
	// Absent keys are nil.
	update(func(b kv.Bucket) error { return b.Delete(key) })
	if r5 := get(); r5 != nil {
		t.Fatalf("deleted record served: %+v", r5)
	}
}
