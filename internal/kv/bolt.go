package kv

import (
	"context"
	"errors"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bolt is the bbolt backend: a DB over one bbolt file.
type Bolt struct{ DB *bolt.DB }

// NewBolt wraps an open bbolt database.
func NewBolt(db *bolt.DB) *Bolt { return &Bolt{DB: db} }

func (b *Bolt) View(_ context.Context, fn func(Tx) error) error {
	return b.DB.View(func(tx *bolt.Tx) error { return fn(BoltTx(tx)) })
}

func (b *Bolt) Update(_ context.Context, fn func(Tx) error) error {
	return b.DB.Update(func(tx *bolt.Tx) error { return fn(BoltTx(tx)) })
}

// Batch uses bbolt's Batch (which coalesces calls arriving within its
// MaxBatchDelay into one commit).
func (b *Bolt) Batch(_ context.Context, fn func(Tx) error) error {
	return b.DB.Batch(func(tx *bolt.Tx) error { return fn(BoltTx(tx)) })
}

func (b *Bolt) Close() error { return b.DB.Close() }

// BoltTx is the Tx of one bbolt transaction, for code that runs its own
// bbolt transactions (the storage index's group commit).
func BoltTx(tx *bolt.Tx) Tx { return boltTx{tx} }

type boltTx struct{ tx *bolt.Tx }

func (t boltTx) find(path [][]byte) *bolt.Bucket {
	if len(path) == 0 {
		return nil
	}
	b := t.tx.Bucket(path[0])
	for _, name := range path[1:] {
		if b == nil {
			return nil
		}
		b = b.Bucket(name)
	}
	return b
}

func (t boltTx) Bucket(path ...[]byte) (Bucket, error) {
	if b := t.find(path); b != nil {
		return boltBucket{b}, nil
	}
	return nil, nil
}

func (t boltTx) CreateBucketIfNotExists(path ...[]byte) (Bucket, error) {
	if len(path) == 0 {
		return nil, errors.New("kv: empty bucket path")
	}
	b, err := t.tx.CreateBucketIfNotExists(path[0])
	for _, name := range path[1:] {
		if err != nil {
			return nil, err
		}
		b, err = b.CreateBucketIfNotExists(name)
	}
	if err != nil {
		return nil, err
	}
	return boltBucket{b}, nil
}

func (t boltTx) DeleteBucket(path ...[]byte) error {
	var err error
	switch {
	case len(path) == 0:
		return errors.New("kv: empty bucket path")
	case len(path) == 1:
		err = t.tx.DeleteBucket(path[0])
	default:
		parent := t.find(path[:len(path)-1])
		if parent == nil {
			return nil
		}
		err = parent.DeleteBucket(path[len(path)-1])
	}
	if errors.Is(err, berrors.ErrBucketNotFound) {
		return nil
	}
	return err
}

type boltBucket struct{ b *bolt.Bucket }

func (b boltBucket) Get(key []byte) ([]byte, error) {
	return b.b.Get(key), nil // nil for a nested bucket too: it is not a key
}
func (b boltBucket) Put(key, value []byte) error   { return b.b.Put(key, value) }
func (b boltBucket) Delete(key []byte) error       { return b.b.Delete(key) }
func (b boltBucket) NextSequence() (uint64, error) { return b.b.NextSequence() }
func (b boltBucket) Cursor() Cursor                { return &boltCursor{c: b.b.Cursor()} }

// boltCursor skips nested buckets (bbolt shows them as keys with nil
// values).
type boltCursor struct {
	c       *bolt.Cursor
	started bool
}

func (c *boltCursor) skip(k, v []byte) ([]byte, []byte) {
	for k != nil && v == nil {
		k, v = c.c.Next()
	}
	return k, v
}

func (c *boltCursor) Seek(key []byte) ([]byte, []byte) {
	c.started = true
	return c.skip(c.c.Seek(key))
}

// Next before any Seek starts at the first key.
func (c *boltCursor) Next() ([]byte, []byte) {
	if !c.started {
		return c.Seek(nil)
	}
	return c.skip(c.c.Next())
}
func (c *boltCursor) Err() error { return nil }
