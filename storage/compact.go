package storage

import (
	"context"
	"fmt"
	"sync"
)

// tombstone appends "delete" records for packed objects that left the
// index (deleted, overwritten, purged), so RebuildIndex does not bring them
// back. Like file removal it follows the commit and is best effort.
func (s *Store) tombstone(recs ...*objRecord) {
	var dead []*objRecord
	for _, r := range recs {
		if r != nil && r.packed() {
			dead = append(dead, r)
		}
	}
	if len(dead) == 0 {
		return
	}
	s.parallel(func(i int) {
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
			_, err = s.drives[i].Append(raw)
		}
		if err != nil {
			s.drives[i].noteError(err)
		}
	})
}

// compactPacks reclaims pack log space. A segment other than the active one
// whose live bytes (counted in the index) fell under half of its size has
// its live records appended again and their locations moved; then the
// segment is removed; "delete" records still needed (their dead record's
// segment exists) are carried forward. New references only ever point
// into the active segment, so nothing can start pointing into a segment
// being compacted.
func (s *Store) compactPacks(ctx context.Context) error {
	var mu sync.Mutex
	var firstErr error
	s.parallel(func(i int) {
		if err := s.compactDrive(ctx, i); err != nil {
			if ctx.Err() == nil {
				s.skipped("compact pack log of "+s.drives[i].Path(), err)
			}
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	})
	return firstErr
}

// compactDrive compacts drive i's pack segments other than the active one.
func (s *Store) compactDrive(ctx context.Context, i int) error {
	d := s.drives[i]
	segs, err := d.PackSegments()
	if err != nil {
		return err
	}
	active := d.ActivePack()
	for _, seg := range segs {
		if seg == active || ctx.Err() != nil {
			continue
		}
		if err := s.compactSegment(ctx, i, seg, segs); err != nil {
			return err
		}
	}
	return nil
}

// compactSegment moves seg's live records and needed delete records to the
// active segment and removes seg, when its live bytes fell under half of
// its size. segs are the drive's segments.
func (s *Store) compactSegment(ctx context.Context, i int, seg uint32, segs []uint32) error {
	d := s.drives[i]
	var live int64
	if err := s.idx.View(func(tx indexTx) (err error) { live, err = tx.packBytes(i, seg); return err }); err != nil {
		return err
	}
	if live > 0 && live*2 >= d.PackSize(seg) {
		return nil
	}
	present := map[uint32]bool{}
	for _, other := range segs {
		present[other] = other != seg
	}
	ok := true // every record still needed was moved
	err := d.ScanPack(seg, func(loc packLoc, rec []byte) error {
		h, _, err := decodeMeta(rec)
		if err != nil || h.Shard != i {
			s.skipped(fmt.Sprintf("compact pack segment %s of %s at %d", segName(seg), d.Path(), loc.Off), err)
			return nil
		}
		if h.Kind == "delete" {
			if !s.carryKills(i, h.Kills, present) {
				ok = false
			}
			return ctx.Err()
		}
		if h.Object == nil {
			return nil
		}
		// Pinned first, index second (see pinID): a record of a
		// write not yet committed keeps its segment.
		if s.pinned(h.Object.ID) {
			ok = false
			return nil
		}
		if live == 0 {
			return nil
		}
		moved, err := s.moveIfLive(i, h.Object, loc, rec)
		if err != nil {
			return err
		}
		if !moved {
			ok = false
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	if !ok || ctx.Err() != nil {
		return nil
	}
	// Remove the segment only when nothing in the index points into it
	// any more (a corrupt frame can hide live records from the scan).
	if err := s.idx.View(func(tx indexTx) (err error) { live, err = tx.packBytes(i, seg); return err }); err != nil {
		return err
	}
	if live != 0 {
		return nil
	}
	if err := d.RemovePack(seg); err != nil {
		return err
	}
	if err := s.idx.Update(func(tx indexTx) error { return tx.deletePackBytes(i, seg) }); err != nil {
		return err
	}
	s.scrub.note(func(st *ScrubStats) { st.OrphansRemoved++ })
	return nil
}

// carryKills appends again, on drive i, the kills whose dead record's
// segment still exists (present); it reports whether that succeeded.
func (s *Store) carryKills(i int, kills []packKill, present map[uint32]bool) bool {
	var keep []packKill
	for _, k := range kills {
		if present[k.Seg] {
			keep = append(keep, k)
		}
	}
	if len(keep) == 0 {
		return true
	}
	d := s.drives[i]
	raw, err := encodeMeta(&metaHeader{Kind: "delete", Shard: i, Kills: keep}, nil)
	if err == nil {
		_, err = d.Append(raw)
	}
	s.skipped("carry delete records forward on "+d.Path(), err)
	return err == nil
}

// moveIfLive appends rec (obj's copy at loc on drive i) again and moves
// the index's location to it, if the index still points at loc. It
// reports false when a live record could not be moved (counted); an
// index error is returned: not knowing whether the record is live, the
// segment must stay.
func (s *Store) moveIfLive(i int, obj *objRecord, loc packLoc, rec []byte) (bool, error) {
	var cur *objRecord
	if err := s.idx.View(func(tx indexTx) (err error) {
		cur, err = tx.object(obj.BucketID, obj.Key)
		return err
	}); err != nil {
		return false, err
	}
	if cur == nil || cur.ID != obj.ID || !cur.packed() || len(cur.Parts[0].Packed) <= i || cur.Parts[0].Packed[i] != loc {
		return true, nil // a dead record: nothing to move
	}
	d := s.drives[i]
	to, err := d.Append(rec)
	if err == nil {
		err = s.relocatePacked(cur, map[int]packLoc{i: loc}, map[int]packLoc{i: to})
	}
	s.skipped("move packed record "+obj.ID+" on "+d.Path(), err)
	return err == nil, nil
}
