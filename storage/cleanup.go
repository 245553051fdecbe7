package storage

import (
	"hash/fnv"
	"sync"
)

// A commit that replaces or deletes data removes it after the commit
// (files removed, packed records tombstoned; see writeTx). Until that is
// done the old data is still on the drives, and if the process dies in
// between, nothing would ever remove it: a later RebuildIndex would find
// it and, once what replaced it is gone too (deleted for good), bring it
// back. Likewise a change of a version's record in place (tags, ACL,
// retention, legal hold) rewrites the drives' copies after its commit; a
// crash in between would leave them older than the index, and a rebuild
// would bring the old state back. So the commit also records that work in
// the index's cleanup journal, in the same transaction; Open finishes
// every entry a crash left before the store serves, and the entry of work
// that finished is dropped by the next commit (or Close).

// cleanupRecord is one journal entry: data files to remove, packed
// records to tombstone and versions whose drive copies to rewrite.
type cleanupRecord struct {
	IDs     []string     `json:"ids,omitempty"`
	Dead    []deadPacked `json:"dead,omitempty"`
	Rewrite []versionRef `json:"rewrite,omitempty"`
}

// versionRef locates a version in the index (see storedVersion).
type versionRef struct {
	BucketID string `json:"b"`
	Key      string `json:"k"`
	ID       string `json:"id"`
	Stamp    uint64 `json:"st,omitempty"`
}

// deadPacked is a packed record to tombstone: its id and copies.
type deadPacked struct {
	ID     string    `json:"id"`
	Packed []PackLoc `json:"packed"`
}

func newCleanupRecord(ids []string, dead, rewrite []*objRecord) *cleanupRecord {
	c := &cleanupRecord{IDs: ids}
	for _, r := range dead {
		if r != nil && r.packed() {
			c.Dead = append(c.Dead, deadPacked{ID: r.ID, Packed: r.Parts[0].Packed})
		}
	}
	for _, r := range rewrite {
		c.Rewrite = append(c.Rewrite, versionRef{BucketID: r.BucketID, Key: r.Key, ID: r.ID, Stamp: r.Stamp})
	}
	if len(c.IDs) == 0 && len(c.Dead) == 0 && len(c.Rewrite) == 0 {
		return nil
	}
	return c
}

// records are the packed records to tombstone, as packLog.tombstone takes
// them.
func (c *cleanupRecord) records() []*objRecord {
	recs := make([]*objRecord, 0, len(c.Dead))
	for _, d := range c.Dead {
		recs = append(recs, &objRecord{ID: d.ID, Parts: []dataRef{{ID: d.ID, Packed: d.Packed}}})
	}
	return recs
}

// cleanupJournal holds the sequence numbers of finished removals whose
// journal entries are still to be dropped.
type cleanupJournal struct {
	mu   sync.Mutex
	done []uint64
}

// finished queues seq's entry to be dropped.
func (j *cleanupJournal) finished(seq uint64) {
	if seq == 0 {
		return
	}
	j.mu.Lock()
	j.done = append(j.done, seq)
	j.mu.Unlock()
}

// take hands the queued entries to a commit that drops them; it gives
// them back (putBack) when it fails.
func (j *cleanupJournal) take() []uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	d := j.done
	j.done = nil
	return d
}

func (j *cleanupJournal) putBack(seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	j.mu.Lock()
	j.done = append(j.done, seqs...)
	j.mu.Unlock()
}

// journal records, inside a commit's transaction, the removals the commit
// leaves to do after it, and drops the entries of finished ones (done). It
// returns the new entry's sequence number (0: nothing to remove).
func journal(tx indexTx, done []uint64, c *cleanupRecord) (uint64, error) {
	for _, seq := range done {
		if err := tx.deleteCleanup(seq); err != nil {
			return 0, err
		}
	}
	if c == nil {
		return 0, nil
	}
	return tx.putCleanup(c)
}

// runCleanup does what a journal entry names and queues the entry to be
// dropped. It is best effort (the scrubber removes what a failed drive
// kept and heals stale copies), as before the journal.
func (s *Store) runCleanup(seq uint64, c *cleanupRecord) {
	if c != nil {
		s.removeData(c.IDs)
		s.tombstone(c.records()...)
		for _, ref := range c.Rewrite {
			s.rewriteVersion(ref)
		}
	}
	s.cleanups.finished(seq)
}

// rewriteVersion rewrites the drive copies of a version's record as the
// index holds it now (nothing when it was deleted since). Rewrites of one
// version are serialised and each reads the index inside the lock, so
// when two changes of the version race, the copies end as the later
// commit left the record, whatever order their rewrites start in.
func (s *Store) rewriteVersion(ref versionRef) {
	if s.cfg.testBeforeRewrite != nil {
		s.cfg.testBeforeRewrite()
	}
	h := fnv.New32a()
	h.Write([]byte(ref.ID))
	mu := &s.rewriteMu[h.Sum32()%uint32(len(s.rewriteMu))]
	mu.Lock()
	defer mu.Unlock()
	if r := s.lookupVersion(ref); r != nil {
		s.rewriteMeta(r)
	}
}

// lookupVersion reads the record ref names as the index holds it now (nil
// when the version was deleted since, or on a read error, which is logged).
func (s *Store) lookupVersion(ref versionRef) *objRecord {
	var r *objRecord
	err := s.idx.View(func(tx indexTx) error {
		var err error
		r, _, err = storedVersion(tx, &objRecord{BucketID: ref.BucketID, Key: ref.Key, ID: ref.ID, Stamp: ref.Stamp})
		return err
	})
	if err != nil {
		s.log.Warn("storage: reading a version to rewrite its drive copies", "err", err)
		return nil
	}
	if r != nil {
		r.BucketID = ref.BucketID
	}
	return r
}

// finishCleanups does the removals a crash left in the journal and drops
// their entries. Open runs it before the store serves.
func (s *Store) finishCleanups() error {
	type entry struct {
		seq uint64
		rec *cleanupRecord
	}
	var left []entry
	if err := s.idx.View(func(tx indexTx) error {
		return tx.eachCleanup(func(seq uint64, c *cleanupRecord) {
			left = append(left, entry{seq, c})
		})
	}); err != nil {
		return err
	}
	for _, e := range left {
		s.runCleanup(e.seq, e.rec)
	}
	return s.flushCleanups()
}

// flushCleanups drops the entries of finished removals now.
func (s *Store) flushCleanups() error {
	done := s.cleanups.take()
	if len(done) == 0 {
		return nil
	}
	err := s.idx.Update(func(tx indexTx) error {
		_, err := journal(tx, done, nil)
		return err
	})
	if err != nil {
		s.cleanups.putBack(done)
	}
	return err
}
