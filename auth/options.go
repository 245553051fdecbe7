package auth

import (
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cofferstore/coffer/internal/kv"
)

// DefaultMaxAuditEvents is how many audit events a store keeps by default;
// older ones are trimmed as new ones arrive.
const DefaultMaxAuditEvents = 10000

// DefaultSecretCacheTTL is how long a store opened with OpenStoreKV trusts
// a cached secret before reading its record again: other processes sharing
// the store (a cluster's nodes) rotate and delete key pairs without
// reaching this process's cache, so an old key keeps working here for at
// most this long. A store in its own file (OpenStoreRing) is the only
// writer of its keys and caches until its own rotation invalidates.
const DefaultSecretCacheTTL = 2 * time.Second

// Option configures a Store at OpenStore, OpenStoreRing or OpenStoreKV.
type Option func(*storeOptions)

// storeOptions are the tunables of a Store; zero values mean the defaults.
type storeOptions struct {
	bcryptCost     int
	maxAuditEvents uint64
	secretCacheTTL time.Duration
	// private: this process is the store's only user (OpenStoreRing), so
	// cached secrets need no expiry.
	private bool
	// wrapDB, when set, wraps the store's kv.DB (tests run every
	// transaction twice through it, as an optimistic backend may).
	wrapDB func(kv.DB) kv.DB
}

// WithBcryptCost sets the bcrypt work factor of new password hashes
// (bcrypt.DefaultCost by default). Tests lower it to bcrypt.MinCost to stay
// fast; existing hashes keep the cost they were made with.
func WithBcryptCost(cost int) Option {
	return func(o *storeOptions) { o.bcryptCost = cost }
}

// WithMaxAuditEvents sets how many audit events the store keeps
// (DefaultMaxAuditEvents by default).
func WithMaxAuditEvents(n uint64) Option {
	return func(o *storeOptions) { o.maxAuditEvents = n }
}

// WithSecretCacheTTL sets how long a cached secret is trusted before its
// record is read again (DefaultSecretCacheTTL for OpenStoreKV; no expiry
// for OpenStoreRing unless set).
func WithSecretCacheTTL(d time.Duration) Option {
	return func(o *storeOptions) { o.secretCacheTTL = d }
}

// privateStore marks a store no other process writes (OpenStoreRing).
func privateStore(o *storeOptions) { o.private = true }

// cacheTTL is how long cached secrets live; 0 is for ever.
func (o storeOptions) cacheTTL() time.Duration {
	switch {
	case o.secretCacheTTL > 0:
		return o.secretCacheTTL
	case o.private:
		return 0
	}
	return DefaultSecretCacheTTL
}

func newStoreOptions(opts []Option) storeOptions {
	var o storeOptions
	for _, f := range opts {
		f(&o)
	}
	if o.bcryptCost == 0 {
		o.bcryptCost = bcrypt.DefaultCost
	}
	if o.maxAuditEvents == 0 {
		o.maxAuditEvents = DefaultMaxAuditEvents
	}
	return o
}
