package storage

import (
	"errors"
	"fmt"
	"slices"
)

// healResult counts what healing one object did.
type healResult struct {
	shardsRepaired int
}

// healer repairs objects that reads found damaged, one at a time.
func (s *Store) healer() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case rec := <-s.healQueue:
			// Heal the version in the index now (its pack locations may
			// have moved since the reader opened it), if it is still there.
			var cur *objRecord
			if err := s.idx.View(func(tx indexTx) (err error) {
				cur, _, err = storedVersion(tx, rec)
				return err
			}); err != nil {
				s.skipped("look up "+rec.ID+" to heal", err)
				continue
			}
			if cur == nil || cur.ID != rec.ID {
				continue
			}
			res, err := s.healObject(cur)
			s.skipped("heal "+rec.ID, err)
			s.scrub.note(func(st *ScrubStats) {
				if res.shardsRepaired > 0 {
					st.ObjectsHealed++
					st.ShardsRepaired += uint64(res.shardsRepaired)
				}
			})
		}
	}
}

// queueHeal asks the healer to repair rec; when the queue is full the
// scrubber will find the damage on its next pass.
func (s *Store) queueHeal(rec *objRecord) {
	select {
	case s.healQueue <- rec:
	default:
	}
}

// healObject verifies every shard of an object (its record file and each
// data stream) and rewrites missing or corrupt ones from the others.
func (s *Store) healObject(rec *objRecord) (healResult, error) {
	var res healResult
	var errs []error
	seen := map[string]bool{}
	s.pinID(rec.ID) // rewritten copies are unreferenced until recorded
	defer s.unpinID(rec.ID)
	for _, ref := range rec.Parts {
		seen[ref.ID] = true
		n, err := s.healStream(rec, ref)
		res.shardsRepaired += n
		errs = append(errs, err)
	}
	if !seen[rec.ID] {
		n, err := s.healMetaOnly(rec.ID)
		res.shardsRepaired += n
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// live reports whether a data id is committed in the index. Healing checks
// it after finding damage so that data deleted since its record was read is
// not reported or resurrected (a heal racing a delete can still leave files,
// which the next pass removes as orphans).
// An index error counts as not live (nothing is healed) and is counted.
func (s *Store) live(id string) bool {
	ok := false
	err := s.idx.View(func(tx indexTx) (err error) { ok, err = tx.hasID(id); return err })
	s.skipped("check "+id+" is live", err)
	return ok && err == nil
}

// readHeaders reads and checks the .meta file of id on every drive.
func (s *Store) readHeaders(id string) []*metaHeader {
	hs := make([]*metaHeader, len(s.drives))
	s.parallel(func(i int) {
		raw, err := s.drives[i].ReadFile(id + ".meta")
		if err != nil {
			return
		}
		h, _, err := decodeMeta(raw)
		if err == nil && h.id() != id && !(h.Object != nil && h.Object.ID == id) {
			err = errBadMeta
		}
		if err != nil || h.Shard != i {
			s.drives[i].noteError(err)
			return
		}
		hs[i] = h
	})
	return hs
}

func firstHeader(hs []*metaHeader) *metaHeader {
	for _, h := range hs {
		if h != nil {
			return h
		}
	}
	return nil
}

// healMetaOnly restores a data-less .meta file (a multipart object's record).
func (s *Store) healMetaOnly(id string) (int, error) {
	hs := s.readHeaders(id)
	good := firstHeader(hs)
	if !s.live(id) {
		return 0, nil
	}
	if good == nil {
		return 0, fmt.Errorf("%w: no copy of record %s", ErrQuorum, id)
	}
	repaired := 0
	var errs []error
	for i, h := range hs {
		if h != nil {
			continue
		}
		c := *good
		c.Shard = i
		if err := s.writeMetaFile(s.drives[i], id, &c, nil); err != nil {
			errs = append(errs, err)
			continue
		}
		repaired++
	}
	return repaired, errors.Join(errs...)
}

// healStream verifies one data stream of rec on every drive, block by
// block through the read path's decoder (decodeBlock), and rewrites the
// shards that are missing, corrupt or carry non-zero padding: .shard and
// .meta files, or a packed stream's records through the pack log.
func (s *Store) healStream(rec *objRecord, ref dataRef) (int, error) {
	total := ref.Data + ref.Parity
	if total != len(s.drives) {
		return 0, fmt.Errorf("storage: %s has %d shards for %d drives", ref.ID, total, len(s.drives))
	}
	src, err := s.newPartSource(ref)
	if err != nil {
		return 0, err
	}
	defer src.close()
	src.loadAll(true)
	var hs []*metaHeader
	if ref.Inline {
		hs = make([]*metaHeader, total)
		for i := range hs {
			hs[i] = src.header(i)
		}
	} else {
		hs = s.readHeaders(ref.ID)
	}
	good := firstHeader(hs)
	if good == nil {
		if !s.live(ref.ID) {
			return 0, nil
		}
		return 0, fmt.Errorf("%w: no readable metadata for %s", ErrQuorum, ref.ID)
	}
	redo := make([]bool, total)
	for i := range redo {
		redo[i] = hs[i] == nil
	}
	c := src.codec
	buf := c.getBuf()
	defer c.putBuf(buf)
	blocks := c.blocks(ref.Size)
	for b := int64(0); b < blocks; b++ {
		blk, err := src.decodeBlock(b, buf, true)
		if err != nil {
			if !s.live(ref.ID) {
				return 0, nil
			}
			return 0, err
		}
		for i := range redo {
			redo[i] = redo[i] || blk.bad[i] || blk.dirty[i]
		}
	}
	if !slices.Contains(redo, true) || !s.live(ref.ID) {
		return 0, nil // healthy, or replaced/deleted since the record was read
	}
	out, err := s.rebuildShards(src, buf, redo)
	if err != nil {
		return 0, err
	}
	return s.commitShards(rec, ref, good, redo, out)
}

// healShard is one rebuilt shard stream: a temporary .shard file, or the
// inline stream of a .meta or pack record.
type healShard struct {
	file   TempFile
	inline []byte
	err    error
}

// rebuildShards decodes every block again and writes the redo shards'
// frames, zero padded, to new temporary files (inline streams: memory).
func (s *Store) rebuildShards(src *partSource, buf *codecBuf, redo []bool) ([]healShard, error) {
	ref, c := src.ref, src.codec
	out := make([]healShard, len(redo))
	abort := func() {
		for _, o := range out {
			if o.file != nil {
				o.file.Abort()
			}
		}
	}
	for i := range redo {
		if redo[i] && !ref.Inline {
			out[i].file, out[i].err = s.drives[i].Create(ref.ID + ".shard")
		}
	}
	for b := int64(0); b < c.blocks(ref.Size); b++ {
		blk, err := src.decodeBlock(b, buf, true)
		if err != nil {
			abort()
			return nil, fmt.Errorf("storage: heal %s block %d: %w", ref.ID, b, err)
		}
		ss := c.shardSize(blk.n)
		for i := range redo {
			if !redo[i] || out[i].err != nil {
				continue
			}
			frame := make([]byte, hashSize, c.frameLen(ss)) // room for padFrame
			putHash(frame, blk.shards[i])
			frame = append(frame, blk.shards[i]...)
			if ref.Inline {
				out[i].inline = append(out[i].inline, frame...)
			} else if _, err := out[i].file.Write(c.padFrame(frame)); err != nil {
				out[i].file.Abort()
				out[i].file, out[i].err = nil, err
			}
		}
	}
	return out, nil
}

// commitShards makes the rebuilt shards durable with their records (a
// copy of good as drive i's shard) and returns how many it repaired.
func (s *Store) commitShards(rec *objRecord, ref dataRef, good *metaHeader, redo []bool, out []healShard) (int, error) {
	repaired := 0
	var errs []error
	packed := map[int][]byte{}
	for i := range redo {
		if !redo[i] {
			continue
		}
		o := out[i]
		if o.err == nil && o.file != nil {
			if o.err = o.file.Sync(); o.err != nil {
				o.file.Abort()
			} else {
				o.err = o.file.Commit()
			}
		}
		if o.err != nil {
			errs = append(errs, o.err)
			continue
		}
		h := *good
		h.Shard = i
		if ref.Packed != nil {
			raw, err := encodeMeta(&h, o.inline)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			packed[i] = raw
			continue
		}
		if err := s.writeMetaFile(s.drives[i], ref.ID, &h, o.inline); err != nil {
			errs = append(errs, err)
			continue
		}
		repaired++
	}
	if len(packed) > 0 {
		n, err := s.packs.replaceCopies(rec, packed)
		repaired += n
		errs = append(errs, err)
	}
	return repaired, errors.Join(errs...)
}
