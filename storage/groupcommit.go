package storage

import (
	"fmt"

	"github.com/cofferstore/coffer/internal/batcher"
	bolt "go.etcd.io/bbolt"
)

// groupCommit coalesces concurrent index writes into shared transactions,
// one fsync each. It replaces bbolt's Batch, which waits MaxBatchDelay
// (a timer) before every commit: here a commit starts as soon as the
// previous one ends and takes every call that queued meanwhile, so a lone
// writer commits at once and under load each batch is whatever arrived
// during the previous commit's fsync.
//
// As with bbolt's Batch, a call whose function fails is taken out of the
// shared transaction and run alone, so it gets its own error and does not
// fail the others; functions may therefore run more than once.
type groupCommit struct {
	db    *bolt.DB
	batch batcher.Batcher[*commitCall]
	// durable, if set (Config.testIndexDurable), runs after every commit
	// and its error is the commit's.
	durable func(*bolt.DB) error
}

// update runs fn in its own read-write transaction, durable when it
// returns nil (bbolt fsyncs on commit). Every index commit goes through it.
func (g *groupCommit) update(fn func(*bolt.Tx) error) error {
	err := g.db.Update(fn)
	if err == nil && g.durable != nil {
		err = g.durable(g.db)
	}
	return err
}

func newGroupCommit(db *bolt.DB) *groupCommit {
	g := &groupCommit{db: db}
	g.batch.Run = g.commit
	g.batch.MaxWait = indexGatherWait
	return g
}

type commitCall struct {
	fn  func(*bolt.Tx) error
	err chan error
}

// commitPanic carries a panic of a batched function back to its caller.
type commitPanic struct{ v any }

func (p commitPanic) Error() string { return fmt.Sprintf("panic in index transaction: %v", p.v) }

// do runs fn in a transaction shared with concurrent callers and returns
// once that transaction is committed (or fn's own error).
func (g *groupCommit) do(fn func(*bolt.Tx) error) error { return g.call(fn, false) }

// doAnnounced is do for a call announced by g.batch.Expect (announce.go).
func (g *groupCommit) doAnnounced(fn func(*bolt.Tx) error) error { return g.call(fn, true) }

func (g *groupCommit) call(fn func(*bolt.Tx) error, announced bool) error {
	c := &commitCall{fn: fn, err: make(chan error, 1)}
	if announced {
		g.batch.AddExpected(c)
	} else {
		g.batch.Add(c)
	}
	err := <-c.err
	if p, ok := err.(commitPanic); ok {
		panic(p.v)
	}
	return err
}

// commit runs batch in one transaction; a failing call is answered by a
// solo run and the rest are tried together again.
func (g *groupCommit) commit(batch []*commitCall) {
	for len(batch) > 0 {
		failed := -1
		err := g.update(func(tx *bolt.Tx) error {
			for i, c := range batch {
				if err := safeCall(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range batch {
				c.err <- err // nil, or the commit's own error for all
			}
			return
		}
		c := batch[failed]
		c.err <- g.update(func(tx *bolt.Tx) error { return safeCall(c.fn, tx) })
		batch = append(batch[:failed:failed], batch[failed+1:]...)
	}
}

func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = commitPanic{v}
		}
	}()
	return fn(tx)
}
