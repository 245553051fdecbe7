package auth

import (
	"golang.org/x/crypto/bcrypt"

	"github.com/cofferstore/coffer/internal/kv"
)

// DefaultMaxAuditEvents is how many audit events a store keeps by default;
// older ones are trimmed as new ones arrive.
const DefaultMaxAuditEvents = 10000

// Option configures a Store at OpenStore, OpenStoreRing or OpenStoreKV.
type Option func(*storeOptions)

// storeOptions are the tunables of a Store; zero values mean the defaults.
type storeOptions struct {
	bcryptCost     int
	maxAuditEvents uint64
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
