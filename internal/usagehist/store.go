package usagehist

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cofferstore/coffer/internal/kv"
)

// Bucket layout (usage.db, or a cluster's kv prefix):
//
//	t/TENANT/h, t/TENANT/d                 the tenant's hourly and daily points
//	t/TENANT/c/CONTAINER/h, .../d          each container's
//	n                                      the names of the tenants with series (as keys)
//	t/TENANT/n                             the names of the tenant's containers with series
//
// The name buckets exist because kv cursors list keys, never nested
// buckets, and dropping deleted tenants' and containers' series needs
// their names. Files from before them get them at open (OpenStore).
var (
	tenantsBucket    = []byte("t")
	containersBucket = []byte("c")
	namesBucket      = []byte("n")
	nameMark         = []byte{1} // a name's value (any non-empty value would do)
)

const (
	// txTimeout bounds one transaction against a remote store (etcd).
	txTimeout = 30 * time.Second
	// txBatch is how many container series, or dropped series, one
	// transaction of a shared store writes: an etcd transaction holds at
	// most 128 operations (--max-txn-ops), and a series takes about five
	// (two points, their prunes, its name).
	txBatch = 16
)

// Store holds every series in a kv.DB: its own bbolt file on a single
// node, a shared store in a cluster (where only one node samples).
type Store struct {
	db kv.DB
	// batch is how many container series one transaction writes or
	// drops: txBatch, or MaxContainers for a store in its own file (one
	// transaction a tenant, one commit).
	batch int
}

// OpenStoreKV opens the history kept in db, creating its buckets. The
// Store owns db: Close closes it.
func OpenStoreKV(db kv.DB) (*Store, error) {
	s := &Store{db: db, batch: txBatch}
	err := s.update(context.Background(), func(tx kv.Tx) error {
		for _, b := range [][]byte{tenantsBucket, namesBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("usagehist: init: %w", err)
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// view and update run fn in a transaction bounded by txTimeout; fn may
// run more than once (kv.DB).
func (s *Store) view(ctx context.Context, fn func(kv.Tx) error) error {
	ctx, cancel := context.WithTimeout(ctx, txTimeout)
	defer cancel()
	return s.db.View(ctx, fn)
}

func (s *Store) update(ctx context.Context, fn func(kv.Tx) error) error {
	ctx, cancel := context.WithTimeout(ctx, txTimeout)
	defer cancel()
	return s.db.Update(ctx, fn)
}

// TenantSample is what one sample saw of a tenant.
type TenantSample struct {
	Name       string
	Usage      Point // Time is ignored; the sample's time is used
	Containers map[string]Point
}

// record writes a tenant's sample at now, prunes its series, and drops the
// series of containers the sample no longer saw. The tenant's series and
// its first containers' go in one transaction, further containers s.batch
// per transaction.
func (s *Store) record(ctx context.Context, now time.Time, ts TenantSample) error {
	tenant := []byte(ts.Name)
	names := make([]string, 0, len(ts.Containers))
	for name := range ts.Containers {
		names = append(names, name)
	}
	slices.Sort(names)
	for i := 0; i == 0 || i < len(names); i += s.batch {
		batch := names[i:min(i+s.batch, len(names))]
		err := s.update(ctx, func(tx kv.Tx) error {
			if i == 0 {
				if err := putName(tx, tenant); err != nil {
					return err
				}
				if err := putSeries(tx, now, ts.Usage, tenantsBucket, tenant); err != nil {
					return err
				}
			}
			for _, name := range batch {
				if err := putName(tx, []byte(name), tenantsBucket, tenant); err != nil {
					return err
				}
				if err := putSeries(tx, now, ts.Containers[name], tenantsBucket, tenant, containersBucket, []byte(name)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return s.dropMissing(ctx, func(name string) bool { _, ok := ts.Containers[name]; return ok },
		tenantsBucket, tenant)
}

// putName records name in the names bucket under parent (the top level
// when parent is empty).
func putName(tx kv.Tx, name []byte, parent ...[]byte) error {
	nb, err := tx.CreateBucketIfNotExists(append(slices.Clone(parent), namesBucket)...)
	if err != nil {
		return err
	}
	return nb.Put(name, nameMark)
}

// dropTenants deletes the series of every tenant keep does not name.
func (s *Store) dropTenants(ctx context.Context, keep map[string]bool) error {
	return s.dropMissing(ctx, func(name string) bool { return keep[name] })
}

// dropMissing deletes the series named in the names bucket under parent
// that keep refuses, with their names, s.batch per transaction: the
// tenants' (parent empty: their buckets under t) or one tenant's
// containers' (parent t/TENANT: their buckets under its c).
func (s *Store) dropMissing(ctx context.Context, keep func(string) bool, parent ...[]byte) error {
	series := [][]byte{tenantsBucket}
	if len(parent) > 0 {
		series = append(slices.Clone(parent), containersBucket)
	}
	// missing collects up to s.batch names keep refuses.
	missing := func(tx kv.Tx) (kv.Bucket, [][]byte, error) {
		nb, err := tx.Bucket(append(slices.Clone(parent), namesBucket)...)
		if err != nil || nb == nil {
			return nil, nil, err
		}
		var gone [][]byte
		c := nb.Cursor()
		for k, _ := c.Seek(nil); k != nil && len(gone) < s.batch; k, _ = c.Next() {
			if !keep(string(k)) {
				gone = append(gone, bytes.Clone(k))
			}
		}
		return nb, gone, c.Err()
	}
	for {
		// A read first: most samples drop nothing, and a read-only
		// transaction costs no commit.
		var gone [][]byte
		err := s.view(ctx, func(tx kv.Tx) error {
			var err error
			_, gone, err = missing(tx)
			return err
		})
		if err != nil || len(gone) == 0 {
			return err
		}
		err = s.update(ctx, func(tx kv.Tx) error {
			nb, names, err := missing(tx)
			gone = names
			if err != nil {
				return err
			}
			for _, name := range names {
				if err := tx.DeleteBucket(append(slices.Clone(series), name)...); err != nil {
					return err
				}
				if err := nb.Delete(name); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || len(gone) < s.batch {
			return err
		}
	}
}

// putSeries writes p into both records of the series at path and prunes
// them.
func putSeries(tx kv.Tx, now time.Time, p Point, path ...[]byte) error {
	for _, rec := range []record{hourly, daily} {
		rb, err := tx.CreateBucketIfNotExists(append(slices.Clone(path), rec.name)...)
		if err != nil {
			return err
		}
		if err := rb.Put(pointKey(rec.slotStart(now)), encodePoint(p)); err != nil {
			return err
		}
		if err := prune(rb, rec, now); err != nil {
			return err
		}
	}
	return nil
}

// prune deletes points older than rec keeps, then the oldest beyond its
// cap. Between the cutoff and now lie at most maxLen slots, so only points
// after now (from a clock that once ran ahead) can exceed the cap: the
// whole record is counted only when there are such.
func prune(b kv.Bucket, rec record, now time.Time) error {
	cutoff := pointKey(rec.slotStart(now.Add(-rec.keep)))
	var old [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(nil); k != nil && bytes.Compare(k, cutoff) < 0; k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	if err := c.Err(); err != nil {
		return err
	}
	if err := deleteKeys(b, old); err != nil {
		return err
	}
	c = b.Cursor()
	if k, _ := c.Seek(pointKey(rec.slotStart(now).Add(rec.slot))); k == nil {
		return c.Err()
	}
	var keys [][]byte
	for k, _ := c.Seek(nil); k != nil; k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	if err := c.Err(); err != nil {
		return err
	}
	if len(keys) <= rec.maxLen {
		return nil
	}
	return deleteKeys(b, keys[:len(keys)-rec.maxLen])
}

// deleteKeys deletes keys a walk collected (a bucket must not change under
// its cursor).
func deleteKeys(b kv.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// History returns the points of a tenant's series (container "") or of one
// of its containers within r before now, oldest first; none when nothing was
// sampled yet.
func (s *Store) History(now time.Time, tenant, container string, r Range) ([]Point, error) {
	rec, back := r.span()
	from := pointKey(rec.slotStart(now.Add(-back)))
	path := [][]byte{tenantsBucket, []byte(tenant)}
	if container != "" {
		path = append(path, containersBucket, []byte(container))
	}
	path = append(path, rec.name)
	out := []Point{}
	err := s.view(context.Background(), func(tx kv.Tx) error {
		out = out[:0]
		b, err := tx.Bucket(path...)
		if err != nil || b == nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.Seek(from); k != nil && len(out) < rec.maxLen; k, v = c.Next() {
			if p, ok := decodePoint(k, v); ok {
				out = append(out, p)
			}
		}
		return c.Err()
	})
	return out, err
}
