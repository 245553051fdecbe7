package storage

import (
	"errors"
	"fmt"
	"sync"
)

// Small objects do not get files of their own: their per-drive .meta
// record (header plus inline shards) is appended to the drive's active pack
// segment, root/packs/<seq>.pack. Appends from concurrent writers are group
// committed: one write and one fdatasync per batch per drive, instead of a
// file creation, rename and two fsyncs per object. The index records where
// each drive's copy lives (dataRef.Packed) and how many live bytes each
// segment holds; the scrubber compacts segments whose live bytes fell
// under half and removes dead ones.
//
// packLog is the one owner of all of it. The rest of storage calls only
// its methods: append and read a drive's record, tombstone dead records,
// replace a packed object's copies (heal, metadata rewrites) and compact.
// Per drive, the segment files are reached through the drive seam's pack
// methods (packSegments for a local drive, packsegment.go), whose reads
// share one bounded descriptor cache (segCache, segcache.go).
type packLog struct {
	drives []drive // drive i holds shard i's records
	// gather[i] is drive i as an appendGatherer, nil for a remote drive.
	gather []appendGatherer
	idx    index
	pins   pinner
	// shared: other nodes append to these drives too (Config.Shared), so
	// compaction leaves segments that took appends within SharedGrace.
	shared bool
}

// pinner pins data ids against the scrubber (see Store.pinID): a record
// appended but not yet referenced by the index keeps its segment.
type pinner interface {
	pinID(id string)
	unpinID(id string)
	pinned(id string) bool
}

// PackLoc is where one record lives in a drive's pack segments. Len 0
// means the drive holds no copy.
type PackLoc struct {
	Seg uint32 `json:"s"`
	Off int64  `json:"o"`
	Len int32  `json:"n"`
}

// packFrameHead is a record's frame: u32 payload length, u64 xxh3 of it.
const packFrameHead = 12

// frameBytes is the record's size in its segment, frame included: what
// it adds to the segment's live bytes.
func (l PackLoc) frameBytes() int64 { return packFrameHead + int64(l.Len) }

// DefaultPackFiles is how many pack segment descriptors a store keeps open
// for reads (Config.PackFiles).
const DefaultPackFiles = 256

func newPackLog(drives []drive, idx index, pins pinner) *packLog {
	l := &packLog{drives: drives, idx: idx, pins: pins, gather: make([]appendGatherer, len(drives))}
	for i, d := range drives {
		var inner Drive = d
		if c, ok := d.(*countedDrive); ok {
			inner = c.Drive
		}
		l.gather[i], _ = inner.(appendGatherer)
	}
	return l
}

// append durably appends rec to drive i's pack log (group committed,
// fdatasync'd) and returns where it went.
func (l *packLog) append(i int, rec []byte) (PackLoc, error) {
	return l.drives[i].Append(rec)
}

// read returns drive i's record at loc, its frame checked.
func (l *packLog) read(i int, loc PackLoc) ([]byte, error) {
	return l.drives[i].ReadPacked(loc)
}

// parallel runs fn(i) for every drive concurrently and waits.
func (l *packLog) parallel(fn func(i int)) {
	var wg sync.WaitGroup
	for i := range l.drives {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

// tombstone appends "delete" records for packed objects that left the
// index (deleted, overwritten, purged), so RebuildIndex does not bring them
// back. Like file removal it follows the commit and is best effort.
func (l *packLog) tombstone(recs ...*objRecord) {
	var dead []*objRecord
	for _, r := range recs {
		if r != nil && r.packed() {
			dead = append(dead, r)
		}
	}
	if len(dead) == 0 {
		return
	}
	l.parallel(func(i int) {
		var kills []packKill
		for _, r := range dead {
			if locs := r.Parts[0].Packed; i < len(locs) && locs[i].Len > 0 {
				kills = append(kills, packKill{ID: r.ID, Seg: locs[i].Seg})
			}
		}
		if len(kills) == 0 {
			return
		}
		raw, err := encodeMeta(&metaHeader{Kind: "delete", Shard: i, Kills: kills}, nil)
		if err == nil {
			_, err = l.append(i, raw)
		}
		if err != nil {
			l.drives[i].noteError(err)
		}
	})
}

// replaceCopies appends recs[i] (a complete record of rec's stream) to
// drive i's pack log for every i and points the index at the new copies,
// if rec is still the object's version. It returns how many copies it
// replaced; 0 when the index could not record them.
func (l *packLog) replaceCopies(rec *objRecord, recs map[int][]byte) (int, error) {
	l.pins.pinID(rec.ID) // appended copies are unreferenced until recorded
	defer l.pins.unpinID(rec.ID)
	moved := map[int]PackLoc{}
	var mu sync.Mutex
	var errs []error
	l.parallel(func(i int) {
		raw, ok := recs[i]
		if !ok {
			return
		}
		loc, err := l.append(i, raw)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			l.drives[i].noteError(err)
			errs = append(errs, fmt.Errorf("drive %d: %w", i, err))
			return
		}
		moved[i] = loc
	})
	if len(moved) > 0 {
		if err := l.relocate(rec, nil, moved); err != nil {
			return 0, errors.Join(append(errs, err)...)
		}
	}
	return len(moved), errors.Join(errs...)
}

// rewriteMeta appends each drive's record of a packed object again with
// the object's current metadata (rec) and records the new locations.
func (l *packLog) rewriteMeta(rec *objRecord) error {
	cp := *rec
	cp.Parts = []dataRef{rec.Parts[0]}
	cp.Parts[0].Packed = nil // copies on the drives carry no locations
	recs := map[int][]byte{}
	var mu sync.Mutex
	l.parallel(func(i int) {
		raw, err := l.read(i, rec.Parts[0].Packed[i])
		if err != nil {
			return // a missing or bad copy is the healer's
		}
		h, inline, err := decodeMeta(raw)
		if err != nil {
			return
		}
		h.Object = &cp
		if raw, err = encodeMeta(h, inline); err != nil {
			return
		}
		mu.Lock()
		recs[i] = raw
		mu.Unlock()
	})
	_, err := l.replaceCopies(rec, recs)
	return err
}

// relocate records new pack locations of a single-part object's copies,
// if the object is still that version (and, with expect, the copy is still
// where expect says), moving the live byte counts along.
func (l *packLog) relocate(rec *objRecord, expect, to map[int]PackLoc) error {
	return l.idx.Batch(func(tx indexTx) error {
		cur, current, err := storedVersion(tx, rec)
		if err != nil || cur == nil || !cur.packed() {
			return err
		}
		locs := cur.Parts[0].Packed
		for i, loc := range to {
			if i >= len(locs) {
				continue
			}
			if want, ok := expect[i]; ok && locs[i] != want {
				continue
			}
			if old := locs[i]; old.Len > 0 {
				if err := tx.addPackBytes(i, old.Seg, -old.frameBytes()); err != nil {
					return err
				}
			}
			if err := tx.addPackBytes(i, loc.Seg, loc.frameBytes()); err != nil {
				return err
			}
			locs[i] = loc
		}
		return putStored(tx, cur, current)
	})
}

// tombstone: see packLog.tombstone.
func (s *Store) tombstone(recs ...*objRecord) { s.packs.tombstone(recs...) }

// rewritePacked: see packLog.rewriteMeta.
func (s *Store) rewritePacked(rec *objRecord) {
	if err := s.packs.rewriteMeta(rec); err != nil {
		s.log.Warn("storage: recording rewritten metadata", "key", rec.Key, "err", err)
	}
}
