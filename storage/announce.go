package storage

// Announced writes: group commit that waits for writers on their way.
//
// Both group commits on a small PUT's path (the pack log's append on each
// drive, then the index commit) take whatever queued while the previous
// batch was being written. On a machine whose CPUs are busy, writers reach
// them one or two at a time, so each fdatasync covers two or three PUTs.
// A small PUT therefore announces its appends and its index commit when it
// enters PutObject, before it looks up its bucket and reads its body; a
// batch leader that knows announced items are on their way waits for them
// (batcher.Batcher.Expect), up to packGatherWait / indexGatherWait. Under
// 16 concurrent writers on two cores this made one fdatasync cover most of
// them and cut the server's CPU per 4 KiB PUT by about a third
// (docs/benchmarks.md). A lone writer never waits: nothing else is
// announced.
//
// The waits are bounded because an announced writer can stall (a body that
// stops arriving): the batch then waits its bound and goes. Every
// announcement is used or withdrawn (writeTicket.done, deferred by
// PutObject), or every later batch would wait its bound.

import "time"

// indexGatherWait bounds how long an index commit waits for announced
// commits.
const indexGatherWait = 2 * time.Millisecond

// appendGatherer is a drive whose pack appends this process group commits
// (a local drive; a remote drive's appends are batched by its node).
type appendGatherer interface {
	expectAppends(n int)
	appendExpected(rec []byte) (PackLoc, error)
}

// writeTicket is what one small write announced: an append on each local
// drive and an index commit. appendFor and commitFor use the announcements;
// done withdraws those left.
type writeTicket struct {
	drives []appendGatherer // drives[i]: drive i's announced append, nil once used
	commit *groupCommit     // the announced index commit (bbolt only), nil once used
}

// announceWrite announces a write of size bytes if its body is small
// enough to be packed (nil otherwise: large and unknown sizes announce
// nothing); its index commit too unless the write expects the fast path,
// whose commit is the fast log's applier's.
func (s *Store) announceWrite(size int64, commit bool) *writeTicket {
	if size < 0 || size > inlineMax {
		return nil
	}
	t := &writeTicket{drives: make([]appendGatherer, len(s.packs.gather))}
	for i, g := range s.packs.gather {
		if g != nil {
			g.expectAppends(1)
			t.drives[i] = g
		}
	}
	if x := s.raw; commit && x.commit != nil {
		x.commit.batch.Expect(1)
		t.commit = x.commit
	}
	return t
}

// appendFor appends rec to drive i's pack log as the announced append of t
// (nil: not announced). Safe for different drives at once.
func (s *Store) appendFor(t *writeTicket, i int, rec []byte) (PackLoc, error) {
	if t == nil || t.drives[i] == nil {
		return s.packs.append(i, rec)
	}
	g := t.drives[i]
	t.drives[i] = nil
	return g.appendExpected(rec)
}

// commitFor is the index's Batch, as the announced commit of t if any.
func (s *Store) commitFor(t *writeTicket) func(fn func(indexTx) error) error {
	if t == nil || t.commit == nil {
		return s.idx.Batch
	}
	g := t.commit
	t.commit = nil
	x := s.raw
	return func(fn func(indexTx) error) error {
		if s.fast != nil {
			if err := s.fast.barrier(); err != nil { // as s.idx.Batch would
				g.batch.Expect(-1) // the announced commit will not come
				return err
			}
		}
		return x.batchWith(g.doAnnounced, fn)
	}
}

// done withdraws what t announced and did not use.
func (t *writeTicket) done() {
	if t == nil {
		return
	}
	for i, g := range t.drives {
		if g != nil {
			g.expectAppends(-1)
			t.drives[i] = nil
		}
	}
	if t.commit != nil {
		t.commit.batch.Expect(-1)
		t.commit = nil
	}
}
