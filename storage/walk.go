package storage

import (
	"bytes"
	"context"
	"errors"

	"github.com/cofferstore/coffer/internal/kv"
)

// walkCheckEvery is how many cursor steps a walk takes between checks of
// its context: often enough that a cancelled request leaves its
// transaction within microseconds, rarely enough to cost nothing.
const walkCheckEvery = 64

// cursor is an ordered keyspace of the index as the backend provides it.
// Only walker uses one.
type cursor = kv.Cursor

// walker is how storage moves through index keys; every loop over a
// keyspace uses one. Each step lands on a key strictly greater than the
// one before, whatever the caller asks for: a Seek to a key not past the
// current one becomes Next. So a loop that steps once per iteration ends
// after at most one iteration per key, whatever bounds a client chose.
// The walk also ends early when its context is done; Err then reports why.
//
// Like bufio.Scanner, a walker reports the end of a walk and a failure the
// same way (a nil key); callers check Err after the loop.
type walker struct {
	ctx   context.Context
	c     cursor // nil: an empty keyspace
	key   []byte // the current key; nil before the first step
	steps int
	done  bool // the walk reached the end or failed; it stays there
	err   error
}

// walk returns a walker over c that stops when ctx is done. A nil c is an
// empty keyspace.
func walk(ctx context.Context, c cursor) *walker {
	return &walker{ctx: ctx, c: c, done: c == nil}
}

// failedWalk is a walk that ends at once with err (its keyspace could not
// be read).
func failedWalk(err error) *walker { return &walker{done: true, err: err} }

// Seek moves to the first key >= target, or to the next key if target is
// not past the current key.
func (w *walker) Seek(target []byte) (k, v []byte) {
	if w.key != nil && bytes.Compare(target, w.key) <= 0 {
		return w.Next()
	}
	if !w.step() {
		return nil, nil
	}
	return w.land(w.c.Seek(target))
}

// Next moves to the key after the current one (before the first step: to
// the first key).
func (w *walker) Next() (k, v []byte) {
	if w.key == nil {
		return w.Seek(nil)
	}
	if !w.step() {
		return nil, nil
	}
	return w.land(w.c.Next())
}

// Err is the reason the walk ended early: the context's error, or a
// cursor that failed to move forward. Nil when the walk reached the end.
func (w *walker) Err() error { return w.err }

// step counts a step, checking the context every walkCheckEvery steps; it
// reports whether the cursor may move.
func (w *walker) step() bool {
	if w.done {
		return false
	}
	if w.steps%walkCheckEvery == 0 {
		if err := w.ctx.Err(); err != nil {
			w.err, w.done = err, true
			return false
		}
	}
	w.steps++
	return true
}

// land records the key a step arrived at and checks that it is past the
// previous one, so the guarantee callers rely on does not rest on the
// backend's cursor behaving. (Keys are not in the error: they are tenant
// data.)
func (w *walker) land(k, v []byte) ([]byte, []byte) {
	switch {
	case k == nil:
		w.err, w.done = w.c.Err(), true
		return nil, nil
	case w.key != nil && bytes.Compare(k, w.key) <= 0:
		w.err, w.done = errors.New("storage: index cursor did not move forward"), true
		return nil, nil
	}
	w.key = k
	return k, v
}
