package auth

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/cofferstore/coffer/internal/kv"
)

// errFirstRun rolls back the first run of a transaction function in twiceDB.
var errFirstRun = errors.New("twiceDB: first run rolled back")

// twiceDB runs every transaction function twice: first in a transaction it
// rolls back (the function's error or not), then for real. An optimistic
// backend (etcd) reruns a function when another writer changed what it
// read; a function that keeps state across runs (counters, appends to
// captured slices, outputs not reset) gives a different result here.
type twiceDB struct {
	kv.DB
	reruns atomic.Int64 // first runs rolled back
}

func newTwiceDB(db kv.DB) kv.DB { return &twiceDB{DB: db} }

func (d *twiceDB) twice(ctx context.Context, run func(context.Context, func(kv.Tx) error) error, fn func(kv.Tx) error) error {
	err := run(ctx, func(tx kv.Tx) error {
		_ = fn(tx)
		return errFirstRun
	})
	if !errors.Is(err, errFirstRun) {
		return err // the backend failed; nothing ran to completion
	}
	d.reruns.Add(1)
	return run(ctx, fn)
}

func (d *twiceDB) View(ctx context.Context, fn func(kv.Tx) error) error {
	return d.twice(ctx, d.DB.View, fn)
}

func (d *twiceDB) Update(ctx context.Context, fn func(kv.Tx) error) error {
	return d.twice(ctx, d.DB.Update, fn)
}

func (d *twiceDB) Batch(ctx context.Context, fn func(kv.Tx) error) error {
	return d.twice(ctx, d.DB.Batch, fn)
}
