package usagehist

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket layout of usage.db:
//
//	t/TENANT/h, t/TENANT/d                 the tenant's hourly and daily points
//	t/TENANT/c/CONTAINER/h, .../d          each container's
var (
	tenantsBucket    = []byte("t")
	containersBucket = []byte("c")
)

// Store is the bbolt file holding every series.
type Store struct {
	db *bolt.DB
}

// OpenStore opens (creating) the history file at path.
func OpenStore(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("usagehist: open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(tenantsBucket)
		return err
	}); err != nil {
		_ = db.Close() // the create error is the one to report
		return nil, fmt.Errorf("usagehist: init %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// TenantSample is what one sample saw of a tenant.
type TenantSample struct {
	Name       string
	Usage      Point // Time is ignored; the sample's time is used
	Containers map[string]Point
}

// record writes a tenant's sample at now, prunes its series, and drops the
// series of containers the sample no longer saw.
func (s *Store) record(now time.Time, ts TenantSample) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		tb, err := tx.Bucket(tenantsBucket).CreateBucketIfNotExists([]byte(ts.Name))
		if err != nil {
			return err
		}
		if err := putSeries(tb, now, ts.Usage); err != nil {
			return err
		}
		cb, err := tb.CreateBucketIfNotExists(containersBucket)
		if err != nil {
			return err
		}
		for name, p := range ts.Containers {
			b, err := cb.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			if err := putSeries(b, now, p); err != nil {
				return err
			}
		}
		return dropMissing(cb, func(name string) bool { _, ok := ts.Containers[name]; return ok })
	})
}

// dropTenants deletes the series of every tenant keep does not name.
func (s *Store) dropTenants(keep map[string]bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return dropMissing(tx.Bucket(tenantsBucket), func(name string) bool { return keep[name] })
	})
}

// dropMissing deletes the nested buckets of b whose name keep refuses.
func dropMissing(b *bolt.Bucket, keep func(string) bool) error {
	var gone [][]byte
	err := b.ForEachBucket(func(k []byte) error {
		if !keep(string(k)) {
			gone = append(gone, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range gone {
		if err := b.DeleteBucket(k); err != nil {
			return err
		}
	}
	return nil
}

// putSeries writes p into both records of the series in b and prunes them.
func putSeries(b *bolt.Bucket, now time.Time, p Point) error {
	for _, rec := range []record{hourly, daily} {
		rb, err := b.CreateBucketIfNotExists(rec.name)
		if err != nil {
			return err
		}
		// Points are appended in time order: pages filled full rather than
		// half by splits (with varint values, half the pages per series).
		rb.FillPercent = 1
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
// cap (points from a clock that once ran ahead).
func prune(b *bolt.Bucket, rec record, now time.Time) error {
	cutoff := pointKey(rec.slotStart(now.Add(-rec.keep)))
	c := b.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, cutoff) < 0; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	n := b.Stats().KeyN
	for k, _ := c.First(); k != nil && n > rec.maxLen; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
		n--
	}
	return nil
}

// History returns the points of a tenant's series (container "") or of one
// of its containers within r before now, oldest first; none when nothing was
// sampled yet.
func (s *Store) History(now time.Time, tenant, container string, r Range) ([]Point, error) {
	rec, back := r.span()
	from := pointKey(rec.slotStart(now.Add(-back)))
	out := []Point{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(tenantsBucket).Bucket([]byte(tenant))
		if b != nil && container != "" {
			if cb := b.Bucket(containersBucket); cb != nil {
				b = cb.Bucket([]byte(container))
			} else {
				b = nil
			}
		}
		if b == nil {
			return nil
		}
		rb := b.Bucket(rec.name)
		if rb == nil {
			return nil
		}
		c := rb.Cursor()
		for k, v := c.Seek(from); k != nil && len(out) < rec.maxLen; k, v = c.Next() {
			if p, ok := decodePoint(k, v); ok {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}
