package storage

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
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
				cur, err = tx.object(rec.BucketID, rec.Key)
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
	s.pinID(rec.ID) // rewritten packed copies are unreferenced until relocated
	defer s.unpinID(rec.ID)
	for _, ref := range rec.Parts {
		seen[ref.ID] = true
		n, moved, err := s.healData(ref)
		if len(moved) > 0 {
			if rerr := s.relocatePacked(rec, nil, moved); rerr != nil {
				err, n = errors.Join(err, rerr), 0
			}
		}
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
func (s *Store) readHeaders(id string) ([]*metaHeader, [][]byte) {
	return s.readCopies(dataRef{ID: id})
}

// readCopies reads and checks each drive's record of a stream, from its
// .meta file or its pack log.
func (s *Store) readCopies(ref dataRef) ([]*metaHeader, [][]byte) {
	id := ref.ID
	hs := make([]*metaHeader, len(s.drives))
	inl := make([][]byte, len(s.drives))
	s.parallel(func(i int) {
		var raw []byte
		var err error
		if ref.Packed != nil {
			raw, err = s.drives[i].ReadPacked(ref.Packed[i])
		} else {
			raw, err = s.drives[i].ReadFile(id + ".meta")
		}
		if err != nil {
			return
		}
		h, in, err := decodeMeta(raw)
		if err == nil && h.id() != id && !(h.Object != nil && h.Object.ID == id) {
			err = errBadMeta
		}
		if err != nil || h.Shard != i {
			s.drives[i].noteError(err)
			return
		}
		hs[i], inl[i] = h, in
	})
	return hs, inl
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
	hs, _ := s.readHeaders(id)
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

// healData verifies one data stream on every drive and rebuilds bad shards.
// Packed copies are rewritten by appending to the drive's pack log; their
// new locations are returned for the caller to record.
func (s *Store) healData(ref dataRef) (int, map[int]packLoc, error) {
	n, moved, err := s.healStream(ref)
	return n, moved, err
}

func (s *Store) healStream(ref dataRef) (repairedN int, moved map[int]packLoc, retErr error) {
	c, err := getCodec(ref.Data, ref.Parity, ref.BlockSize, ref.Align)
	if err != nil {
		return 0, nil, err
	}
	total := ref.Data + ref.Parity
	if total != len(s.drives) {
		return 0, nil, fmt.Errorf("storage: %s has %d shards for %d drives", ref.ID, total, len(s.drives))
	}
	hs, inl := s.readCopies(ref)
	good := firstHeader(hs)
	if good == nil {
		if !s.live(ref.ID) {
			return 0, nil, nil
		}
		return 0, nil, fmt.Errorf("%w: no readable metadata for %s", ErrQuorum, ref.ID)
	}
	src, err := s.newPartSource(ref)
	if err != nil {
		return 0, nil, err
	}
	defer src.close()
	bad := make([]bool, total)
	dirty := make([]bool, total) // good frames, non-zero padding: rewrite, but a source
	want := c.streamSize(ref.Size)
	blocks := c.blocks(ref.Size)
	if ref.Inline {
		for i := range hs {
			src.once[i].Do(func() {
				src.loaded[i] = true
				src.inline[i] = inl[i]
				if hs[i] == nil || int64(len(inl[i])) != want {
					bad[i] = true
					src.errs[i] = errBadMeta
				}
			})
		}
	} else {
		src.loadAll()
		for i := range hs {
			bad[i] = hs[i] == nil || src.errs[i] != nil
		}
	}
	// Verify every frame of the shards that look present.
	buf := c.getBuf()
	defer c.putBuf(buf)
	s.parallel(func(i int) {
		if bad[i] {
			return
		}
		frame := make([]byte, c.frameLen(c.shardSize(ref.BlockSize)))
		for b := int64(0); b < blocks; b++ {
			// The padding is read too: a flipped bit there is rot as well.
			ss := c.shardSize(c.blockLen(ref.Size, b))
			f := frame[:c.frameLen(ss)]
			if src.frame(i, b, f) != nil || !verifyFrame(f[:hashSize+ss]) {
				bad[i] = true
				return
			}
			if !allZero(f[hashSize+ss:]) {
				dirty[i] = true
			}
		}
	})
	nbad := 0
	for _, b := range bad {
		if b {
			nbad++
		}
	}
	redo := make([]bool, total)
	for i := range redo {
		redo[i] = bad[i] || dirty[i]
	}
	if !slices.Contains(redo, true) || !s.live(ref.ID) {
		return 0, nil, nil // healthy, or replaced/deleted since the record was read
	}
	if total-nbad < ref.Data {
		return 0, nil, fmt.Errorf("%w: %s has %d good shards, needs %d", ErrQuorum, ref.ID, total-nbad, ref.Data)
	}
	// Rebuild the bad shards (and rewrite the dirty ones) block by block
	// into new files.
	outs := make([]io.Writer, total)
	files := make([]tempFile, total)
	inlineOut := make([][]byte, total)
	var mu sync.Mutex
	var errs []error
	for i := range redo {
		if !redo[i] {
			continue
		}
		if ref.Inline {
			continue
		}
		f, err := s.drives[i].Create(ref.ID + ".shard")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files[i], outs[i] = f, f
	}
	for b := int64(0); b < blocks; b++ {
		n := c.blockLen(ref.Size, b)
		ss := c.shardSize(n)
		shards := make([][]byte, total)
		for i := 0; i < total; i++ {
			if bad[i] {
				shards[i] = buf.frames[i][hashSize:hashSize]
				continue
			}
			f := buf.frames[i][:hashSize+ss]
			if src.frame(i, b, f) != nil || !verifyFrame(f) {
				shards[i] = buf.frames[i][hashSize:hashSize]
				continue
			}
			shards[i] = f[hashSize:]
		}
		if err := c.enc.Reconstruct(shards); err != nil {
			for _, f := range files {
				if f != nil {
					f.Abort()
				}
			}
			return 0, nil, fmt.Errorf("storage: heal %s block %d: %w", ref.ID, b, err)
		}
		for i := range redo {
			if !redo[i] {
				continue
			}
			frame := make([]byte, hashSize, c.frameLen(ss)) // room for padFrame
			putHash(frame, shards[i])
			frame = append(frame, shards[i]...)
			if ref.Inline {
				inlineOut[i] = append(inlineOut[i], frame...)
			} else if files[i] != nil {
				if _, err := outs[i].Write(c.padFrame(frame)); err != nil {
					files[i].Abort()
					files[i] = nil
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}
	}
	repaired := 0
	for i := range redo {
		if !redo[i] || (!ref.Inline && files[i] == nil) {
			continue
		}
		if !ref.Inline {
			if err := files[i].Sync(); err != nil {
				files[i].Abort()
				errs = append(errs, err)
				continue
			}
			if err := files[i].Commit(); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		h := *good
		h.Shard = i
		if ref.Packed != nil {
			raw, err := encodeMeta(&h, inlineOut[i])
			if err == nil {
				var loc packLoc
				if loc, err = s.drives[i].Append(raw); err == nil {
					if moved == nil {
						moved = map[int]packLoc{}
					}
					moved[i] = loc
				}
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
		} else if err := s.writeMetaFile(s.drives[i], ref.ID, &h, inlineOut[i]); err != nil {
			errs = append(errs, err)
			continue
		}
		repaired++
	}
	return repaired, moved, errors.Join(errs...)
}

// relocatePacked records new pack locations of a single-part object's
// copies, if the object is still that version (and, with expect, the copy
// is still where expect says), moving the live byte counts along.
func (s *Store) relocatePacked(rec *objRecord, expect, to map[int]packLoc) error {
	return s.idx.Batch(func(tx indexTx) error {
		cur, err := tx.object(rec.BucketID, rec.Key)
		if err != nil || cur == nil || cur.ID != rec.ID || !cur.packed() {
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
				if err := tx.addPackBytes(i, old.Seg, -int64(packFrameHead+int(old.Len))); err != nil {
					return err
				}
			}
			if err := tx.addPackBytes(i, loc.Seg, int64(packFrameHead+int(loc.Len))); err != nil {
				return err
			}
			locs[i] = loc
		}
		return tx.putObject(cur)
	})
}

// rewritePacked appends each drive's record of a packed object again with
// the object's current metadata and records the new locations.
func (s *Store) rewritePacked(rec *objRecord) {
	s.pinID(rec.ID)
	defer s.unpinID(rec.ID)
	cp := *rec
	cp.Parts = []dataRef{rec.Parts[0]}
	cp.Parts[0].Packed = nil
	moved := map[int]packLoc{}
	var mu sync.Mutex
	s.parallel(func(i int) {
		d := s.drives[i]
		raw, err := d.ReadPacked(rec.Parts[0].Packed[i])
		if err != nil {
			return
		}
		h, inline, err := decodeMeta(raw)
		if err != nil {
			return
		}
		h.Object = &cp
		raw, err = encodeMeta(h, inline)
		if err != nil {
			return
		}
		loc, err := d.Append(raw)
		if err != nil {
			d.noteError(err)
			return
		}
		mu.Lock()
		moved[i] = loc
		mu.Unlock()
	})
	if len(moved) > 0 {
		if err := s.relocatePacked(rec, nil, moved); err != nil {
			s.log.Warn("storage: recording rewritten metadata", "key", rec.Key, "err", err)
		}
	}
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
