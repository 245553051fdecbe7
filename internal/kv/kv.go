// Package kv is the ordered, transactional key-value store under Coffer's
// metadata: the storage index, the auth store (tenants' credentials,
// console users and sessions). Two backends implement it: bbolt (bolt.go),
// the single-node default, and etcd (etcd.go), cluster mode's shared store.
//
// The model is bbolt's: named buckets, nested by path, each an ordered map
// of byte keys to byte values. What a backend must provide:
//
//   - Ordering: a bucket's keys are ordered bytewise; a cursor visits them
//     in that order. A cursor visits a bucket's own keys only, never the
//     buckets nested in it.
//   - Atomicity and durability: everything an Update function writes
//     commits together or not at all, and is durable when Update returns
//     nil.
//   - Isolation: Update transactions are serializable; a transaction reads
//     its own writes (Get and cursors included). View transactions see one
//     consistent snapshot.
//   - Retries: an Update function may run more than once (an optimistic
//     backend runs it again when another writer changed what it read), so
//     it must reset its outputs on every run and act on nothing outside
//     the transaction. Calls of one process that arrive together may share
//     one commit (Batch).
//   - Errors: every read can fail (a remote store can fail any call);
//     callers pass errors up. Unavailable is how a backend says it cannot
//     reach a quorum: the caller may retry later, nothing was committed.
//   - Lifetimes: byte slices handed out are valid until the transaction
//     ends; copy what you keep. Put does not keep the caller's slices
//     past the call.
package kv

import (
	"context"
	"errors"
)

// Unavailable wraps the errors of a backend that cannot reach the data
// (etcd without quorum, a closed client): nothing was committed and the
// request may be retried later. Callers test with errors.Is.
var Unavailable = errors.New("kv: metadata store unavailable") //nolint:staticcheck // the contract's name: errors.Is(err, kv.Unavailable)

// DB is one key-value store.
type DB interface {
	// View runs fn in a read-only transaction. ctx bounds the calls to
	// a remote backend.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction and commits it durably;
	// fn's error rolls it back and is returned. fn may run more than once.
	Update(ctx context.Context, fn func(Tx) error) error
	// Batch is Update for callers that may share a commit with concurrent
	// callers; a call whose fn fails is run alone, so it gets its own
	// error. fn may run more than once.
	Batch(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is one transaction.
type Tx interface {
	// Bucket returns the bucket at path (names of nested buckets, outermost
	// first); nil and no error when it does not exist.
	Bucket(path ...[]byte) (Bucket, error)
	// CreateBucketIfNotExists returns the bucket at path, creating it and
	// the buckets above it as needed. Writable transactions only.
	CreateBucketIfNotExists(path ...[]byte) (Bucket, error)
	// DeleteBucket removes the bucket at path with its keys and nested
	// buckets; a missing bucket is not an error.
	DeleteBucket(path ...[]byte) error
}

// Bucket is an ordered map of keys to values.
type Bucket interface {
	// Get returns key's value; nil and no error when absent. A present key
	// with an empty value returns a non-nil empty slice.
	Get(key []byte) ([]byte, error)
	// Put sets key to value (key non-empty, and not the name of a bucket
	// nested in this one: bbolt refuses that).
	Put(key, value []byte) error
	// Delete removes key; a missing key is not an error.
	Delete(key []byte) error
	// Cursor walks the bucket's keys in order.
	Cursor() Cursor
	// NextSequence returns a per-bucket counter, raised by one each call
	// and never reused (the first call returns 1).
	NextSequence() (uint64, error)
}

// Cursor is a forward walk over a bucket. Seek and Next return a nil key
// at the end and on error; Err tells which. Next before any Seek starts at
// the first key. Writing to the bucket while a cursor walks it leaves the
// cursor's position undefined (bbolt's cursors move): walk, then write.
type Cursor interface {
	// Seek moves to the first key >= key.
	Seek(key []byte) (k, v []byte)
	// Next moves to the key after the current one.
	Next() (k, v []byte)
	Err() error
}
