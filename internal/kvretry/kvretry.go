// Package kvretry is a test aid for code on internal/kv: a kv.DB that runs
// every transaction function twice, the first run rolled back, the way an
// optimistic backend (etcd) reruns a function when another writer changed
// what it read. A function that keeps state across runs (a counter, an
// append to a captured slice, an output not reset) gives a different
// result through it; tests run a package's operations through it to show
// they are safe to rerun.
package kvretry

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/cofferstore/coffer/internal/kv"
)

// errFirstRun rolls back a function's first run.
var errFirstRun = errors.New("kvretry: first run rolled back")

// DB wraps a kv.DB: View, Update and Batch run fn in a transaction they
// roll back (whatever fn returned), then for real.
type DB struct {
	kv.DB
	reruns atomic.Int64
}

// Twice wraps db.
func Twice(db kv.DB) *DB { return &DB{DB: db} }

// Reruns is how many functions ran twice.
func (d *DB) Reruns() int64 { return d.reruns.Load() }

func (d *DB) twice(ctx context.Context, run func(context.Context, func(kv.Tx) error) error, fn func(kv.Tx) error) error {
	err := run(ctx, func(tx kv.Tx) error {
		_ = fn(tx)
		return errFirstRun
	})
	if !errors.Is(err, errFirstRun) {
		return err // the backend failed; nothing committed
	}
	d.reruns.Add(1)
	return run(ctx, fn)
}

func (d *DB) View(ctx context.Context, fn func(kv.Tx) error) error {
	return d.twice(ctx, d.DB.View, fn)
}

func (d *DB) Update(ctx context.Context, fn func(kv.Tx) error) error {
	return d.twice(ctx, d.DB.Update, fn)
}

func (d *DB) Batch(ctx context.Context, fn func(kv.Tx) error) error {
	return d.twice(ctx, d.DB.Batch, fn)
}
