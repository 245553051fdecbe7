package storage

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// compactPacks runs the pack log's compaction, counts each removed
// segment as an orphan removed and each record it could not carry forward
// (its segment stays for the next pass) as an error.
func (s *Store) compactPacks(ctx context.Context) error {
	res, err := s.packs.compact(ctx)
	s.scrub.note(func(st *ScrubStats) { st.OrphansRemoved += uint64(res.removed) })
	for _, e := range res.skipped {
		s.skipped("pack compaction kept a segment", e)
	}
	if err != nil && ctx.Err() == nil {
		s.skipped("compact pack logs", err)
	}
	return err
}

// compactResult is what a compaction did: segments removed, and the
// records it failed to carry forward (their segments stay).
type compactResult struct {
	removed int
	skipped []error
}

// compact reclaims pack log space on every drive and returns how many
// segments it removed. A segment other than the active one whose live
// bytes (counted in the index) fell under half of its size has its live
// records appended again and their locations moved; then the segment is
// removed; "delete" records still needed (their dead record's segment
// exists) are carried forward. New references only ever point into the
// active segment, so nothing can start pointing into a segment being
// compacted.
func (l *packLog) compact(ctx context.Context) (compactResult, error) {
	var mu sync.Mutex
	var firstErr error
	var res compactResult
	l.parallel(func(i int) {
		r, err := l.compactDrive(ctx, i)
		mu.Lock()
		defer mu.Unlock()
		res.removed += r.removed
		res.skipped = append(res.skipped, r.skipped...)
		if err != nil && firstErr == nil {
			firstErr = err
		}
	})
	return res, firstErr
}

// compactDrive compacts drive i's segments.
func (l *packLog) compactDrive(ctx context.Context, i int) (res compactResult, err error) {
	d := l.drives[i]
	segs, err := d.PackSegments()
	if err != nil {
		return res, err
	}
	active := d.ActivePack()
	// The newest segment may be one rotate is still creating: its file is
	// listed before it becomes the active one and takes its first batch.
	// Segment numbers only grow, so skipping the newest is enough.
	var newest uint32
	if len(segs) > 0 {
		newest = segs[len(segs)-1]
	}
	for k, seg := range segs {
		if seg == active || seg == newest || ctx.Err() != nil {
			continue
		}
		if l.shared && !quietSince(segs[k+1], SharedGrace) {
			continue
		}
		live, err := l.liveBytes(i, seg)
		if err != nil {
			return res, err
		}
		if live > 0 && live*2 >= d.PackSize(seg) {
			continue
		}
		present := map[uint32]bool{}
		for _, other := range segs {
			present[other] = other != seg
		}
		ok, skipped, err := l.carryForward(ctx, i, seg, live > 0, present)
		res.skipped = append(res.skipped, skipped...)
		if err != nil {
			return res, err
		}
		if !ok || ctx.Err() != nil {
			continue
		}
		// Remove the segment only when nothing in the index points into it
		// any more (a corrupt frame can hide live records from the scan).
		if live, err := l.liveBytes(i, seg); err != nil || live != 0 {
			if err != nil {
				return res, err
			}
			continue
		}
		if err := d.RemovePack(seg); err != nil {
			return res, err
		}
		if err := l.idx.Update(func(tx indexTx) error { return tx.deletePackBytes(i, seg) }); err != nil {
			return res, err
		}
		res.removed++
	}
	return res, nil
}

// quietSince reports whether a segment whose successor is next took its
// last append more than grace ago. Segment numbers start at the clock
// (Unix seconds) and only grow, so a segment is created no later than its
// number says, and its predecessor's appends end when it is created. On
// shared drives another node's record may wait that long for its commit,
// unseen by this store's pins.
func quietSince(next uint32, grace time.Duration) bool {
	return int64(next) <= time.Now().Add(-grace).Unix()
}

// liveBytes is what the index says drive i's segment seg still holds.
func (l *packLog) liveBytes(i int, seg uint32) (int64, error) {
	var live int64
	err := l.idx.View(func(tx indexTx) (err error) { live, err = tx.packBytes(i, seg); return err })
	return live, err
}

// carryForward appends again, to drive i's active segment, the records of
// segment seg that must outlive it: live object records (when hasLive) and
// delete records whose dead record's segment is still present. It reports
// whether the segment may go (no pinned record, no failed append), and the
// errors of the records it could not carry forward.
func (l *packLog) carryForward(ctx context.Context, i int, seg uint32, hasLive bool, present map[uint32]bool) (bool, []error, error) {
	ok := true
	var skipped []error
	skip := func(err error) {
		ok = false
		skipped = append(skipped, fmt.Errorf("drive %d segment %s: %w", i, segName(seg), err))
	}
	err := l.drives[i].ScanPack(seg, func(loc PackLoc, rec []byte) error {
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
					_, err = l.append(i, raw)
				}
				if err != nil {
					skip(err)
				}
			}
			return ctx.Err()
		}
		if h.Object == nil {
			return nil
		}
		// Pinned first, index second (see pinID): a record of a write not
		// yet committed keeps its segment.
		if l.pins.pinned(h.Object.ID) {
			ok = false
			return nil
		}
		if !hasLive {
			return nil
		}
		var cur *objRecord
		if err := l.idx.View(func(tx indexTx) (err error) {
			cur, _, err = storedVersion(tx, h.Object)
			return err
		}); err != nil {
			skip(err)
			return nil
		}
		if cur == nil || cur.ID != h.Object.ID || !cur.packed() || len(cur.Parts[0].Packed) <= i || cur.Parts[0].Packed[i] != loc {
			return nil // dead record
		}
		to, err := l.append(i, rec)
		if err == nil {
			err = l.relocate(cur, map[int]PackLoc{i: loc}, map[int]PackLoc{i: to})
		}
		if err != nil {
			skip(err)
		}
		return ctx.Err()
	})
	return ok, skipped, err
}
