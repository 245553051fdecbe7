package storage

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
)

// writeTx owns one write from staged data to committed index entry, the
// way bbolt's DB.Update owns begin, commit and rollback. Every write goes
// through one:
//
//  1. stage: stageBody streams a body onto the drives as pinned temporary
//     shard files (or in memory, for a small body); stageMeta pins a new
//     id that holds no data (a multipart object's own .meta files);
//  2. persist: persistFiles makes the .meta (and shard) files durable
//     under their final names; persistPacked appends a small object's
//     records to the pack logs;
//  3. commit: one index transaction (batched with concurrent ones) runs
//     the caller's mutation, which records the new entry, applies usage
//     (applyUsage) and names the data it replaces (replaceIDs,
//     replaceObject);
//  4. after the commit the staged id is unpinned and the replaced data is
//     removed (and packed records tombstoned); removals are best effort,
//     and journaled in the commit so a crash before them cannot leave
//     the data to be found again by RebuildIndex (cleanup.go).
//
// Any failure at any step aborts the write (abort): the staged files are
// removed and the id unpinned, so a caller never cleans up. Records already
// appended to pack logs stay as dead bytes for compaction. A writeTx with no
// staged data (newIndexWrite) serves deletes: it has only steps 3 and 4.
type writeTx struct {
	s    *Store
	p    *pendingData // nil: an index-only write
	done bool         // committed or aborted
	// ticket is what PutObject announced before it read the body
	// (announce.go); nil for other writes.
	ticket *writeTicket

	// Set by the commit's mutation; reset before every run of it (a
	// batched transaction may run it more than once).
	freed []string     // file ids no longer referenced after the commit
	dead  []*objRecord // replaced records whose packed copies are tombstoned
	// rewrites are records changed in place whose drive copies are
	// rewritten after the commit (rewriteRecord).
	rewrites []*objRecord
	// latest is set by putObject: the version written became current.
	latest bool
	// sseAsWritten is the SSE record the write sealed before its commit
	// (see resealRecord); kept across runs of a batched mutation.
	sseAsWritten []byte
}

// stageBody streams body onto the drives (see writeData) and verifies its
// size and digests. On error nothing is left staged.
func (s *Store) stageBody(ctx context.Context, body io.Reader, opts PutOptions) (*writeTx, error) {
	p, err := s.writeData(ctx, body, opts)
	if err != nil {
		if p != nil {
			(&writeTx{s: s, p: p}).abort()
		}
		return nil, err
	}
	return &writeTx{s: s, p: p}, nil
}

// stageMeta starts a write of id's .meta files only (no body).
func (s *Store) stageMeta(id string) *writeTx {
	s.pinID(id)
	return &writeTx{s: s, p: &pendingData{ref: dataRef{ID: id}, failed: make([]error, len(s.drives))}}
}

// newIndexWrite starts a write that changes the index only (a delete): its
// commit removes what the mutation replaced.
func (s *Store) newIndexWrite() *writeTx { return &writeTx{s: s} }

// replaceIDs names, inside the commit, data files the commit leaves
// unreferenced; they are removed after it.
func (w *writeTx) replaceIDs(ids ...string) { w.freed = append(w.freed, ids...) }

// replaceObject names, inside the commit, an object version the commit
// removes from the index: its files are removed and its packed records
// tombstoned after it.
func (w *writeTx) replaceObject(r *objRecord) {
	w.freed = append(w.freed, r.fileIDs()...)
	w.dead = append(w.dead, r)
}

// rewriteRecord names, inside the commit, a version whose record the
// commit changed in place: the per-drive copies of its metadata are
// rewritten after it (they serve RebuildIndex; the index is the truth).
func (w *writeTx) rewriteRecord(r *objRecord) { w.rewrites = append(w.rewrites, r) }

// commit runs mutate in a batched index transaction. On success the staged
// id is unpinned and the data named by replaceIDs/replaceObject removed;
// on failure the write is aborted and mutate's error returned.
func (w *writeTx) commit(mutate func(tx indexTx) error) error {
	if w.done {
		return errors.New("storage: write already ended")
	}
	done := w.s.cleanups.take()
	var (
		seq   uint64
		after *cleanupRecord
	)
	err := w.s.commitFor(w.ticket)(func(tx indexTx) error {
		w.freed, w.dead, w.rewrites = w.freed[:0], w.dead[:0], w.rewrites[:0]
		if err := mutate(tx); err != nil {
			return err
		}
		after = newCleanupRecord(w.freed, w.dead, w.rewrites)
		var err error
		seq, err = journal(tx, done, after)
		return err
	})
	if err != nil {
		w.s.cleanups.putBack(done)
		w.abort()
		return err
	}
	w.done = true
	if w.p != nil {
		w.s.unpinID(w.p.ref.ID)
	}
	if w.s.cfg.testCrashAfterCommit {
		return nil
	}
	w.s.runCleanup(seq, after)
	return nil
}

// abort drops a write that will not commit: temporary files, anything
// renamed into place, and the pin. It is the only cleanup of a failed
// write, and a no-op once the write ended.
func (w *writeTx) abort() {
	if w.done {
		return
	}
	w.done = true
	p := w.p
	if p == nil {
		return
	}
	if p.files != nil && !p.written {
		for _, f := range p.files {
			if f != nil {
				f.Abort()
			}
		}
	}
	if p.written {
		w.s.removeData([]string{p.ref.ID})
	}
	w.s.unpinID(p.ref.ID)
}

// persistFiles writes the .meta file (built per drive by header) beside
// the shard data on every live drive, fsyncs and renames everything into
// place and fsyncs the directories. Below write quorum the write is
// aborted.
func (w *writeTx) persistFiles(header func(shard int) *metaHeader) error {
	s, p := w.s, w.p
	var ok atomic.Int32
	s.parallel(func(i int) {
		if p.failed[i] != nil {
			return
		}
		err := s.persistDrive(p, i, header(i))
		if err != nil {
			p.failed[i] = err
			s.drives[i].noteError(err)
			return
		}
		ok.Add(1)
	})
	p.written = true
	if int(ok.Load()) < s.writeQuorum() {
		err := s.quorumError(p.failed)
		w.abort()
		return err
	}
	return nil
}

// persistPacked appends a small object's per-drive records to the drives'
// pack logs (group committed, fdatasync'd) and records where they went in
// rec. Below write quorum the write is aborted; the appended records stay
// as dead bytes that the scrubber's compaction drops.
func (w *writeTx) persistPacked(rec *objRecord) error {
	s, p := w.s, w.p
	raws, err := encodeObjectMetas(rec, p.inline)
	if err != nil {
		w.abort()
		return err
	}
	locs := make([]PackLoc, len(s.drives))
	var ok atomic.Int32
	s.parallel(func(i int) {
		loc, err := s.appendFor(w.ticket, i, raws[i])
		if err != nil {
			p.failed[i] = err
			s.drives[i].noteError(err)
			return
		}
		locs[i] = loc
		ok.Add(1)
	})
	if int(ok.Load()) < s.writeQuorum() {
		err := s.quorumError(p.failed)
		w.abort()
		return err
	}
	p.ref.Packed = locs
	rec.Parts[0].Packed = locs
	return nil
}

// persistObject persists rec, a single-part object staged by stageBody:
// packed when its body is inline, in files otherwise.
func (w *writeTx) persistObject(rec *objRecord) error {
	if w.p.ref.Inline {
		return w.persistPacked(rec)
	}
	return w.persistFiles(func(i int) *metaHeader { return &metaHeader{Kind: "object", Shard: i, Object: rec} })
}
