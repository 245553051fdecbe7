package storage

import (
	"context"
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
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	})
	return firstErr
}

func (s *Store) compactDrive(ctx context.Context, i int) error {
	d := s.drives[i]
	segs, err := d.PackSegments()
	if err != nil {
		return err
	}
	active := d.ActivePack()
	// The newest segment may be one rotate is still creating: its file is
	// listed before it becomes the active one and takes its first batch.
	// Segment numbers only grow, so skipping the newest is enough.
	var newest uint32
	if len(segs) > 0 {
		newest = segs[len(segs)-1]
	}
	for _, seg := range segs {
		if seg == active || seg == newest || ctx.Err() != nil {
			continue
		}
		var live int64
		s.idx.View(func(tx indexTx) error { live = tx.packBytes(i, seg); return nil })
		if live > 0 && live*2 >= d.PackSize(seg) {
			continue
		}
		present := map[uint32]bool{}
		for _, other := range segs {
			present[other] = other != seg
		}
		ok := true
		{
			err := d.ScanPack(seg, func(loc packLoc, rec []byte) error {
				h, _, err := decodeMeta(rec)
				if err != nil || h.Shard != i {
					return nil
				}
				if h.Kind == "delete" {
					// Carry forward kills whose dead record still exists.
					var keep []packKill
					for _, k := range h.Kills {
						if present[k.Seg] {
							keep = append(keep, k)
						}
					}
					if len(keep) > 0 {
						raw, err := encodeMeta(&metaHeader{Kind: "delete", Shard: i, Kills: keep}, nil)
						if err == nil {
							_, err = d.Append(raw)
						}
						if err != nil {
							ok = false
						}
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
				var cur *objRecord
				s.idx.View(func(tx indexTx) (err error) {
					cur, err = tx.object(h.Object.BucketID, h.Object.Key)
					return err
				})
				if cur == nil || cur.ID != h.Object.ID || !cur.packed() || len(cur.Parts[0].Packed) <= i || cur.Parts[0].Packed[i] != loc {
					return nil // dead record
				}
				to, err := d.Append(rec)
				if err == nil {
					err = s.relocatePacked(cur, map[int]packLoc{i: loc}, map[int]packLoc{i: to})
				}
				if err != nil {
					ok = false
				}
				return ctx.Err()
			})
			if err != nil {
				return err
			}
		}
		if !ok || ctx.Err() != nil {
			continue
		}
		// Remove the segment only when nothing in the index points into it
		// any more (a corrupt frame can hide live records from the scan).
		s.idx.View(func(tx indexTx) error { live = tx.packBytes(i, seg); return nil })
		if live != 0 {
			continue
		}
		if err := d.RemovePack(seg); err != nil {
			return err
		}
		if err := s.idx.Update(func(tx indexTx) error { return tx.deletePackBytes(i, seg) }); err != nil {
			return err
		}
		s.scrub.note(func(st *ScrubStats) { st.OrphansRemoved++ })
	}
	return nil
}
