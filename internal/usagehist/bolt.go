package usagehist

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cofferstore/coffer/internal/kv"
)

// OpenStore opens (creating) the history file at path: a single node's
// usage.db.
func OpenStore(path string) (*Store, error) { return openStore(path, nil) }

// openStore is OpenStore with the kv.DB wrapped by wrap when it is not nil
// (tests run every transaction twice through it).
func openStore(path string, wrap func(kv.DB) kv.DB) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("usagehist: open %s: %w", path, err)
	}
	if err := db.Update(indexNames); err != nil {
		return nil, errors.Join(fmt.Errorf("usagehist: index %s: %w", path, err), db.Close())
	}
	var kdb kv.DB = kv.NewBolt(db)
	if wrap != nil {
		kdb = wrap(kdb)
	}
	s, err := OpenStoreKV(kdb)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%w (%s)", err, path), db.Close())
	}
	s.batch = MaxContainers // bbolt bounds no transaction: one commit a tenant, as before kv
	return s, nil
}

// indexNames records in the name buckets every tenant and container that
// has series: files written before the name buckets have none, and an
// older binary run on the file since may have added series without
// names. It needs bbolt's listing of nested buckets, which kv does not
// offer, so it runs here, on every open (a walk over names only).
func indexNames(tx *bolt.Tx) error {
	tb := tx.Bucket(tenantsBucket)
	if tb == nil {
		return nil
	}
	// Names first, writes after: a bucket must not change under a walk.
	containers := map[string][][]byte{}
	err := tb.ForEachBucket(func(tenant []byte) error {
		names := [][]byte{}
		if cb := tb.Bucket(tenant).Bucket(containersBucket); cb != nil {
			err := cb.ForEachBucket(func(name []byte) error {
				names = append(names, bytes.Clone(name))
				return nil
			})
			if err != nil {
				return err
			}
		}
		containers[string(tenant)] = names
		return nil
	})
	if err != nil {
		return err
	}
	tenants, err := tx.CreateBucketIfNotExists(namesBucket)
	if err != nil {
		return err
	}
	for tenant, names := range containers {
		if err := tenants.Put([]byte(tenant), nameMark); err != nil {
			return err
		}
		if len(names) == 0 {
			continue
		}
		nb, err := tb.Bucket([]byte(tenant)).CreateBucketIfNotExists(namesBucket)
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := nb.Put(name, nameMark); err != nil {
				return err
			}
		}
	}
	return nil
}
