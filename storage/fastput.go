package storage

// Small PUTs acknowledged after one durable write (issue 13).
//
// A small unconditional PUT (packed: at most inlineMax bytes) into an
// unversioned bucket without Object Lock, of a tenant without an object or
// byte quota, is acknowledged once its records are in the pack logs of
// write-quorum drives (their fdatasync): that is its one durable write.
// Its index commit follows, batched with others, in the background:
//
//   - draw: under the fast log's gate (shared), the PUT checks its bucket
//     again and draws a sequence number, which its pack records carry
//     (objRecord.Seq);
//   - publish: once the records are appended on write quorum, the record
//     goes into the overlay (tenant, bucket, key -> record), where reads
//     of the key's current version find it first (getVersion), and the PUT
//     returns; a PUT whose appends fail is abandoned instead;
//   - apply: one applier commits published records to the index in
//     sequence order through writeTx.putObject, the same mutation as every
//     other PUT (usage, replaced versions, their cleanup), many per bbolt
//     commit, and writes the applied mark (every sequence at or below it
//     is in the index or was never acknowledged) in the same transaction;
//   - barrier: every other index transaction (the store's s.idx is
//     barrierIndex) first waits until the applier has passed the last
//     sequence drawn when it starts, so listings, deletes, copies and
//     multipart completions see every PUT acknowledged before them;
//   - exclude: changes that would end a bucket's fast writes (deleting it,
//     versioning, Object Lock, a tenant's quota or deletion)
//     hold the gate exclusively, so no fast PUT is between its check and
//     its publication while they commit;
//   - replay: Open scans the pack segments that can hold records above the
//     mark (fastMark.ScanFrom) and applies, in sequence order, those intact
//     on at least data drives (readable). An acknowledged record is on
//     write-quorum drives, so it is replayed even if a drive was lost
//     between the crash and Open; a PUT that failed after reaching data
//     drives but not write quorum may be replayed too (its client saw an
//     error, which does not say the write did not happen); records on
//     fewer drives stay dead bytes. Replay commits its mark with each
//     batch, so an interrupted replay resumes.
//
// Records stay pinned (pinID) until applied, so compaction and the scrubber
// leave them. The fast path is on only with Config.FastPut (off by default
// until it measures faster), and off for a shared index (cluster mode) and
// for stores with drives of other nodes.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// fastMark is the fast log's state in the index.
type fastMark struct {
	// Applied: every sequence at or below it is in the index, or was
	// never acknowledged.
	Applied uint64 `json:"applied"`
	// ScanFrom is, per drive, the first pack segment that can hold a
	// record of a sequence above Applied.
	ScanFrom []uint32 `json:"scanFrom"`
}

// fastBatch bounds how many records one applier commit takes.
const fastBatch = 512

// fastGatherWait is how long the applier lets published records gather
// before a commit when nothing waits for it (a barrier does not wait it):
// fewer, larger commits cost less CPU per PUT.
const fastGatherWait = 2 * time.Millisecond

// fastMaxPending bounds the sequences drawn and not yet applied (the
// overlay's size): past it, PUTs take the synced commit until the applier
// catches up.
const fastMaxPending = 8192

type fastKey struct{ tenant, bucket, key string }

// fastEntry is one drawn sequence.
type fastEntry struct {
	seq   uint64
	segs  []uint32   // each drive's active pack segment when seq was drawn
	w     *writeTx   // the staged write; nil when abandoned
	rec   *objRecord // its record, Parts[0].Packed set
	ready bool       // published or abandoned
}

type fastLog struct {
	s    *Store
	gate sync.RWMutex

	mu      sync.Mutex
	moved   *sync.Cond // applied moved, or the log stopped
	next    uint64     // the last sequence drawn
	applied uint64
	pending map[uint64]*fastEntry
	overlay map[fastKey]*fastEntry
	stopped bool
	replay  bool  // Open's replay, which runs cleanups in line
	err     error // the applier's last commit error, until one succeeds

	kick    chan struct{}
	urgent  chan struct{} // a barrier is waiting: commit now
	waiters int           // barriers waiting (under mu)
	stop    chan struct{}
	done    chan struct{}
}

// newFastLog returns the fast log with its applier running.
func newFastLog(s *Store, applied uint64) *fastLog {
	f := newFastState(s, applied)
	f.kick, f.urgent = make(chan struct{}, 1), make(chan struct{}, 1)
	f.stop, f.done = make(chan struct{}), make(chan struct{})
	go f.run()
	return f
}

// newFastState is a fast log without an applier (Open's replay applies
// through it).
func newFastState(s *Store, applied uint64) *fastLog {
	f := &fastLog{s: s, next: applied, applied: applied,
		pending: map[uint64]*fastEntry{}, overlay: map[fastKey]*fastEntry{}}
	f.moved = sync.NewCond(&f.mu)
	return f
}

// keyOf is rec's key in the overlay.
func keyOf(rec *objRecord) fastKey { return fastKey{rec.Tenant, rec.Bucket, rec.Key} }

// activeSegs is each drive's active pack segment: a record appended from
// now on lies in it or a later one.
func (s *Store) activeSegs() []uint32 {
	segs := make([]uint32, len(s.drives))
	for i, d := range s.drives {
		segs[i] = d.ActivePack()
	}
	return segs
}

// enter holds the gate shared for a fast PUT's check and publication.
func (f *fastLog) enter() func() {
	f.gate.RLock()
	return f.gate.RUnlock
}

// excludeFast is exclude when the store has a fast log (a no-op release
// otherwise).
func (s *Store) excludeFast() func() {
	if s.fast == nil {
		return func() {}
	}
	return s.fast.exclude()
}

// exclude holds the gate exclusively (no fast PUT between its check and its
// publication) and waits for every published record to be applied.
func (f *fastLog) exclude() func() {
	f.gate.Lock()
	_ = f.barrier() // the change's own index transaction meets its error
	return f.gate.Unlock
}

// room reports whether the fast log takes another write now.
func (f *fastLog) room() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next-f.applied < fastMaxPending && !f.stopped
}

// draw assigns the next sequence.
func (f *fastLog) draw() *fastEntry {
	segs := f.s.activeSegs()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	e := &fastEntry{seq: f.next, segs: segs}
	f.pending[e.seq] = e
	return e
}

// publish makes e's record visible (overlay) and hands w to the applier.
func (f *fastLog) publish(e *fastEntry, w *writeTx, rec *objRecord) {
	f.mu.Lock()
	e.w, e.rec, e.ready = w, rec, true
	f.overlay[keyOf(rec)] = e
	f.mu.Unlock()
	f.nudge()
}

// abandon ends a sequence whose write failed.
func (f *fastLog) abandon(e *fastEntry) {
	f.mu.Lock()
	e.ready = true
	f.mu.Unlock()
	f.nudge()
}

func (f *fastLog) nudge() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// lookup returns a copy of the key's record published and not yet applied.
func (f *fastLog) lookup(tenant, bucket, key string) *objRecord {
	f.mu.Lock()
	e := f.overlay[fastKey{tenant, bucket, key}]
	f.mu.Unlock()
	if e == nil {
		return nil
	}
	c := *e.rec
	c.Parts = append([]dataRef(nil), e.rec.Parts...)
	return &c
}

// barrier waits until every sequence drawn before it is applied (or the
// log stopped). While the applier's commits fail it returns that error:
// the index cannot show the writes acknowledged before.
func (f *fastLog) barrier() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	target := f.next
	if f.applied >= target || f.stopped {
		return nil
	}
	f.waiters++
	defer func() { f.waiters-- }()
	select {
	case f.urgent <- struct{}{}:
	default:
	}
	for f.applied < target && !f.stopped {
		if f.err != nil {
			return fmt.Errorf("storage: the index is behind acknowledged writes: %w", f.err)
		}
		f.moved.Wait()
	}
	return nil
}

// gather lets published records gather for up to fastGatherWait, unless
// a barrier waits or a full batch is ready.
func (f *fastLog) gather() {
	f.mu.Lock()
	hurry := f.waiters > 0 || f.next-f.applied >= fastBatch
	f.mu.Unlock()
	if hurry {
		return
	}
	t := time.NewTimer(fastGatherWait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-f.urgent:
	case <-f.stop:
	}
}

// close applies what is published and stops the applier.
func (f *fastLog) close() {
	_ = f.barrier() // failing: what is left is replayed at the next Open
	close(f.stop)
	<-f.done
}

func (f *fastLog) run() {
	defer close(f.done)
	if hold := f.s.cfg.testFastHold; hold != nil {
		select {
		case <-hold:
		case <-f.stop:
			return
		}
	}
	defer func() {
		f.mu.Lock()
		f.stopped = true
		f.moved.Broadcast()
		f.mu.Unlock()
	}()
	for {
		select {
		case <-f.kick:
		case <-f.stop:
			f.applyReady()
			return
		}
		f.gather()
		if !f.applyReady() {
			select {
			case <-time.After(100 * time.Millisecond):
				f.nudge()
			case <-f.stop:
				return
			}
		}
	}
}

// applyReady applies ready entries in sequence order until it reaches one
// that is not; false when a commit failed (the entries stay, to retry).
func (f *fastLog) applyReady() bool {
	for {
		batch, scan := f.take()
		if len(batch) == 0 {
			return true
		}
		if err := f.apply(batch, scan); err != nil {
			f.s.log.Error("storage: applying acknowledged small PUTs to the index failed; retrying", "err", err)
			f.mu.Lock()
			f.err = err
			f.moved.Broadcast()
			f.mu.Unlock()
			return false
		}
	}
}

// take returns the ready entries that follow the applied mark, in order,
// and the segments a replay would have to scan after them.
func (f *fastLog) take() ([]*fastEntry, []uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var batch []*fastEntry
	for seq := f.applied + 1; len(batch) < fastBatch; seq++ {
		e := f.pending[seq]
		if e == nil || !e.ready {
			break
		}
		batch = append(batch, e)
	}
	if len(batch) == 0 {
		return nil, nil
	}
	last := batch[len(batch)-1].seq
	var scan []uint32
	for seq := last + 1; seq <= f.next; seq++ {
		if e := f.pending[seq]; e != nil {
			scan = e.segs // the oldest sequence left
			break
		}
	}
	if scan == nil {
		scan = f.s.activeSegs()
	}
	return batch, scan
}

// apply commits batch (in sequence order) and the new mark in one index
// transaction. An entry the index refuses is dropped (and logged: it was
// acknowledged) and the rest are tried again.
func (f *fastLog) apply(batch []*fastEntry, scan []uint32) error {
	s := f.s
	last := batch[len(batch)-1].seq
	for {
		done := s.cleanups.take()
		afters := make([]*cleanupRecord, len(batch))
		seqs := make([]uint64, len(batch))
		failed := -1
		err := s.raw.Update(func(tx indexTx) error {
			dn := done
			for i, e := range batch {
				if e.w == nil {
					continue
				}
				w := e.w
				w.freed, w.dead, w.rewrites = w.freed[:0], w.dead[:0], w.rewrites[:0]
				if err := w.putObject(tx, e.rec, nil, usageDelta{noQuota: true}); err != nil {
					failed = i
					return err
				}
				afters[i] = newCleanupRecord(w.freed, w.dead, w.rewrites)
				var err error
				if seqs[i], err = journal(tx, dn, afters[i]); err != nil {
					return err
				}
				dn = nil
			}
			if dn != nil {
				if _, err := journal(tx, dn, nil); err != nil {
					return err
				}
			}
			return tx.putFastMark(&fastMark{Applied: last, ScanFrom: scan})
		})
		if err != nil {
			s.cleanups.putBack(done)
			if failed < 0 {
				return err
			}
			e := batch[failed]
			s.log.Error("storage: an acknowledged small PUT could not be applied to the index and is dropped",
				"tenant", e.rec.Tenant, "bucket", e.rec.Bucket, "key", e.rec.Key, "err", err)
			f.mu.Lock()
			if k := keyOf(e.rec); f.overlay[k] == e {
				delete(f.overlay, k)
			}
			f.mu.Unlock()
			// Its records stay in the pack logs (not tombstoned), where
			// RebuildIndex can still find them.
			w := e.w
			e.w = nil
			w.done = true
			s.unpinID(w.p.ref.ID)
			continue
		}
		f.finish(batch, last)
		live := make([]int, 0, len(batch))
		for i, e := range batch {
			if e.w != nil {
				e.w.done = true
				s.unpinID(e.w.p.ref.ID)
				live = append(live, i)
			}
		}
		cleanup := func() {
			for _, i := range live {
				s.runCleanup(seqs[i], afters[i])
			}
		}
		if f.replay {
			cleanup() // Open's replay: nothing runs beside it
		} else {
			// Cleanups read the index (through the barrier): not on
			// the applier's goroutine. Close waits for them (s.wg):
			// the applier has stopped before it does.
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				cleanup()
			}()
		}
		return nil
	}
}

// finish moves the mark past batch and takes its entries out of the
// overlay (unless a later PUT of the key replaced them there).
func (f *fastLog) finish(batch []*fastEntry, last uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range batch {
		delete(f.pending, e.seq)
		if e.rec != nil {
			if k := keyOf(e.rec); f.overlay[k] == e {
				delete(f.overlay, k)
			}
		}
	}
	f.applied, f.err = last, nil
	f.moved.Broadcast()
}

// barrierIndex is the store's index with the fast log's barrier in front
// of every transaction.
type barrierIndex struct {
	*kvIndex
	f *fastLog
}

func (b barrierIndex) View(fn func(indexTx) error) error {
	if err := b.f.barrier(); err != nil {
		return err
	}
	return b.kvIndex.View(fn)
}

func (b barrierIndex) ViewContext(ctx context.Context, fn func(indexTx) error) error {
	if err := b.f.barrier(); err != nil {
		return err
	}
	return b.kvIndex.ViewContext(ctx, fn)
}

func (b barrierIndex) Update(fn func(indexTx) error) error {
	if err := b.f.barrier(); err != nil {
		return err
	}
	return b.kvIndex.Update(fn)
}

func (b barrierIndex) Batch(fn func(indexTx) error) error {
	if err := b.f.barrier(); err != nil {
		return err
	}
	return b.kvIndex.Batch(fn)
}

// fastEligible reports whether a PUT into b of tenant t may take the fast
// path (see the top of this file); opts are checked by the caller.
func fastEligible(t *tenantRecord, b *bucketRecord) bool {
	return t != nil && b != nil && !b.versioned() && b.Versioning == "" && b.Lock == nil &&
		t.Quota.MaxObjects <= 0 && t.Quota.MaxBytes <= 0
}

// fastCheck reads the tenant and bucket again under the gate: the PUT may
// take the fast path only if its bucket is the one it checked before and
// still eligible.
func (s *Store) fastCheck(tenant, bucket, bucketID string) bool {
	ok := false
	_ = s.raw.View(func(tx indexTx) error {
		t, err := tx.tenant(tenant)
		if err != nil {
			return err
		}
		b, err := tx.bucket(tenant, bucket)
		if err != nil {
			return err
		}
		ok = b != nil && b.ID == bucketID && fastEligible(t, b)
		return nil
	})
	return ok
}

// replayFast applies the acknowledged records above the index's mark (see
// the top of this file) and returns the new mark: the highest sequence any
// pack log holds.
func (s *Store) replayFast() (uint64, error) {
	var highest uint64
	var mark *fastMark
	if err := s.raw.View(func(tx indexTx) (err error) {
		mark, err = tx.fastMark()
		return err
	}); err != nil {
		return 0, err
	}
	// No mark: a new index, or one made again after the old was lost
	// (RebuildIndex restores from the drives, fast records included).
	// Nothing is replayed; the mark starts above every sequence found.
	fresh := mark == nil
	if fresh {
		mark = &fastMark{}
	}
	type found struct {
		rec    *objRecord
		locs   []PackLoc
		copies int
	}
	seen := map[uint64]*found{}
	for i, d := range s.drives {
		segs, err := d.PackSegments()
		if err != nil {
			s.log.Warn("storage: replay: listing a drive's pack segments", "drive", i, "err", err)
			continue
		}
		var from uint32
		if i < len(mark.ScanFrom) {
			from = mark.ScanFrom[i]
		}
		for _, seg := range segs {
			if seg < from {
				continue
			}
			err := d.ScanPack(seg, func(loc PackLoc, raw []byte) error {
				h, _, err := decodeMeta(raw)
				if err != nil || h.Kind != "object" || h.Object == nil || h.Object.Seq <= mark.Applied || h.Shard != i {
					return nil
				}
				seq := h.Object.Seq
				highest = max(highest, seq)
				fd := seen[seq]
				if fd == nil {
					fd = &found{rec: h.Object, locs: make([]PackLoc, len(s.drives))}
					seen[seq] = fd
				}
				if fd.locs[i].Len == 0 {
					fd.locs[i] = loc
					fd.copies++
				}
				return nil
			})
			if err != nil {
				s.log.Warn("storage: replay: scanning a pack segment", "drive", i, "segment", seg, "err", err)
			}
		}
	}
	highest = max(highest, mark.Applied)
	seqs := make([]uint64, 0, len(seen))
	for seq, fd := range seen {
		if !fresh && fd.copies >= s.data {
			seqs = append(seqs, seq)
		}
	}
	sort.Slice(seqs, func(a, b int) bool { return seqs[a] < seqs[b] })
	crash := false
	if k := s.cfg.testReplayCrashAt; k > 0 && k < len(seqs) {
		seqs, crash = seqs[:k], true
	}
	f := newFastState(s, mark.Applied)
	f.replay = true
	for len(seqs) > 0 {
		n := min(len(seqs), fastBatch)
		batch := make([]*fastEntry, n)
		for j, seq := range seqs[:n] {
			fd := seen[seq]
			rec := fd.rec
			rec.Parts[0].Packed = fd.locs
			s.pinID(rec.ID)
			batch[j] = &fastEntry{seq: seq, w: &writeTx{s: s, p: &pendingData{ref: rec.Parts[0]}}, rec: rec, ready: true}
		}
		// Every batch keeps the scan where it was: the records above
		// it lie in the same segments.
		if err := f.apply(batch, mark.ScanFrom); err != nil {
			return 0, fmt.Errorf("storage: replaying acknowledged small PUTs: %w", err)
		}
		s.fastReplayed += n
		seqs = seqs[n:]
	}
	if crash {
		return 0, errReplayCrash
	}
	// Sequences above the last one applied were never acknowledged; the
	// mark passes them, so that new sequences never meet their records.
	if highest > f.applied || mark.ScanFrom == nil {
		if err := s.raw.Update(func(tx indexTx) error {
			return tx.putFastMark(&fastMark{Applied: highest, ScanFrom: s.activeSegs()})
		}); err != nil {
			return 0, err
		}
	}
	return highest, nil
}

// errReplayCrash ends Open where Config.testReplayCrashAt asks (tests).
var errReplayCrash = errors.New("storage: replay stopped for a test")
