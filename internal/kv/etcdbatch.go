package kv

import (
	"context"
	"errors"
	"fmt"

	"github.com/cofferstore/coffer/internal/batcher"
)

// etcdBatcher coalesces concurrent Batch calls of one process into one
// etcd transaction: one leader at a time takes every call queued and runs
// their functions in one transaction (retried as a whole on a conflict);
// calls queued meanwhile form the next batch. Fewer, larger commits mean
// fewer round trips and fewer conflicts on the keys every write touches
// (usage counters). A call whose function fails is taken out and run
// alone, so it gets its own error and does not fail the others; a batch
// too large for one etcd Txn is split in halves.
type etcdBatcher struct {
	db    *Etcd
	calls batcher.Batcher[*batchCall] // Run is run, set by NewEtcd
}

type batchCall struct {
	ctx context.Context
	fn  func(Tx) error
	err chan error
}

// batchPanic carries a panic of a batched function back to its caller.
type batchPanic struct{ v any }

func (p batchPanic) Error() string { return fmt.Sprintf("panic in kv transaction: %v", p.v) }

func (b *etcdBatcher) do(ctx context.Context, fn func(Tx) error) error {
	c := &batchCall{ctx: ctx, fn: fn, err: make(chan error, 1)}
	b.calls.Add(c)
	err := <-c.err
	if p, ok := err.(batchPanic); ok {
		panic(p.v)
	}
	return err
}

func (b *etcdBatcher) run(batch []*batchCall) {
	for len(batch) > 0 {
		if len(batch) == 1 {
			c := batch[0]
			c.err <- b.db.update(c.ctx, func(t *etcdTx) error { return safeRun(c.fn, t) })
			return
		}
		failed := -1
		// The shared transaction is bounded by the per-call Timeout, not
		// by one caller's context.
		err := b.db.update(context.Background(), func(t *etcdTx) error {
			failed = -1
			for i, c := range batch {
				if err := safeRun(c.fn, t); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 && errors.Is(err, ErrTooLarge) {
			// Together too large for one etcd Txn: halves, each again
			// split as needed (a lone call that is too large fails alone).
			h := len(batch) / 2
			b.run(batch[:h])
			b.run(batch[h:])
			return
		}
		if failed < 0 {
			for _, c := range batch {
				c.err <- err
			}
			return
		}
		c := batch[failed]
		c.err <- b.db.update(c.ctx, func(t *etcdTx) error { return safeRun(c.fn, t) })
		batch = append(batch[:failed:failed], batch[failed+1:]...)
	}
}

func safeRun(fn func(Tx) error, t Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = batchPanic{v}
		}
	}()
	return fn(t)
}
