package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"
)

// scrubState holds the scanner's counters and serialises passes.
type scrubState struct {
	pass  sync.Mutex
	mu    sync.Mutex
	stats ScrubStats
}

func (st *scrubState) note(fn func(*ScrubStats)) {
	st.mu.Lock()
	fn(&st.stats)
	st.mu.Unlock()
}

// skipped counts and logs an error (nil: nothing) that the scrubber, the
// healer or compaction met while doing what, and carried on after.
func (s *Store) skipped(what string, err error) {
	if err == nil {
		return
	}
	s.skippedWith(what, err, nil)
}

// skippedWith is skipped with more counters updated under the same lock.
func (s *Store) skippedWith(what string, err error, more func(*ScrubStats)) {
	msg := fmt.Sprintf("%s: %v", what, err)
	s.log.Warn("storage: scrub skipped an error", "err", msg)
	s.scrub.note(func(st *ScrubStats) {
		st.Errors++
		st.FirstErrors = recordError(st.FirstErrors, msg)
		if more != nil {
			more(st)
		}
	})
}

// ScrubStats returns what the scanner and healer have done since Open.
func (s *Store) ScrubStats() ScrubStats {
	s.scrub.mu.Lock()
	defer s.scrub.mu.Unlock()
	st := s.scrub.stats
	st.FirstErrors = append([]string(nil), st.FirstErrors...)
	return st
}

// scrubRate bounds the background scanner's reads (bytes per second).
const scrubRate = 32 << 20

// scrubLoop runs a pass a minute after Open (at once when a drive needs
// healing) and then every interval.
func (s *Store) scrubLoop(interval time.Duration, now bool) {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-s.stop; cancel() }()
	first := min(time.Minute, interval)
	if now {
		first = 0
	}
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := s.scrubPass(ctx, scrubRate); err != nil && ctx.Err() == nil {
				s.log.Warn("storage: scrub pass failed", "err", err)
			}
			t.Reset(interval)
		}
	}
}

// Scrub runs one full pass now, unthrottled: it re-formats wiped drives,
// finishes interrupted bucket deletions, verifies every shard of every
// object and upload part and heals bad ones, and removes orphaned files.
// It returns the counters accumulated since Open.
func (s *Store) Scrub(ctx context.Context) (ScrubStats, error) {
	_, err := s.scrubPass(ctx, 0)
	return s.ScrubStats(), err
}

// checkDrives formats drives whose format file is gone (wiped or replaced).
func (s *Store) checkDrives() {
	for i, d := range s.drives {
		f, err := d.ReadFormat()
		switch {
		case errors.Is(err, fs.ErrNotExist) && !d.Present():
			// The drive's directory itself is gone: it stays offline
			// until the operator brings a directory back; then it is
			// formatted and healed.
			d.noteError(err)
		case errors.Is(err, fs.ErrNotExist):
			s.log.Warn("storage: drive lost its format; re-formatting, heal follows", "drive", d.Path())
			if err := s.formatDrive(d, i); err != nil {
				d.noteError(err)
				s.skipped("re-format "+d.Path(), err)
			}
		case err != nil:
			d.noteError(err)
			s.skipped("read the format of "+d.Path(), err)
		case f.SetID != s.setID || f.Index != i:
			s.log.Error("storage: drive holds another set's or position's format; leaving it alone", "drive", d.Path())
		}
	}
}

// scrubPass walks everything once. rate > 0 limits bytes verified per second.
func (s *Store) scrubPass(ctx context.Context, rate int64) (ScrubStats, error) {
	s.scrub.pass.Lock()
	defer s.scrub.pass.Unlock()
	s.scrub.note(func(st *ScrubStats) { st.Running, st.LastScrubStarted, st.Progress = true, time.Now().UTC(), 0 })
	defer s.scrub.note(func(st *ScrubStats) { st.Running = false })

	s.checkDrives()
	if err := s.finishTrash(ctx); err != nil {
		return s.ScrubStats(), err
	}
	var total int64 // for Progress only
	s.skipped("count objects", s.idx.View(func(tx indexTx) error {
		ts, err := tx.tenants()
		for _, t := range ts {
			total += t.Objects
		}
		return err
	}))
	start := time.Now()
	var scanned, verified int64
	err := s.eachObject(ctx, func(rec *objRecord) error {
		res, err := s.healObject(rec)
		scanned++
		verified += rec.Size
		if err != nil {
			s.skippedWith("heal "+rec.ID, err, func(st *ScrubStats) {
				if errors.Is(err, ErrQuorum) {
					st.QuorumFailures++
				}
			})
		}
		s.scrub.note(func(st *ScrubStats) {
			st.ObjectsScanned++
			if res.shardsRepaired > 0 {
				st.ObjectsHealed++
				st.ShardsRepaired += uint64(res.shardsRepaired)
			}
			if total > 0 {
				st.Progress = min(0.99, float64(scanned)/float64(total))
			}
		})
		if rate > 0 {
			due := time.Duration(float64(verified) / float64(rate) * float64(time.Second))
			if wait := due - time.Since(start); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return s.ScrubStats(), err
	}
	if err := s.healBucketCfgs(ctx); err != nil {
		return s.ScrubStats(), err
	}
	if err := s.removeOrphans(ctx); err != nil {
		return s.ScrubStats(), err
	}
	if err := s.compactPacks(ctx); err != nil {
		return s.ScrubStats(), err
	}
	for _, d := range s.drives {
		if _, err := d.CleanTemp(time.Hour); !errors.Is(err, fs.ErrNotExist) {
			s.skipped("remove temporary files of "+d.Path(), err) // a missing drive shows as offline instead
		}
	}
	s.scrub.note(func(st *ScrubStats) { st.LastScrubDone, st.Progress = time.Now().UTC(), 1 })
	return s.ScrubStats(), nil
}

// allBuckets lists every tenant's buckets (not trashed ones) in one read
// transaction.
func (s *Store) allBuckets(ctx context.Context) ([]bucketRecord, error) {
	var buckets []bucketRecord
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		buckets = buckets[:0]
		ts, err := tx.tenants()
		if err != nil {
			return err
		}
		for _, t := range ts {
			bs, err := tx.buckets(t.Name)
			if err != nil {
				return err
			}
			buckets = append(buckets, bs...)
		}
		return nil
	})
	return buckets, err
}

// eachObject calls fn for every object and every upload part (as a
// one-part record) in the index, reading in small transactions.
func (s *Store) eachObject(ctx context.Context, fn func(rec *objRecord) error) error {
	buckets, err := s.allBuckets(ctx)
	if err != nil {
		return err
	}
	for _, b := range buckets {
		if err := s.eachObjectOf(ctx, b.ID, fn); err != nil {
			return err
		}
		if err := s.eachVersionOf(ctx, b.ID, fn); err != nil {
			return err
		}
		if err := s.eachPartOf(ctx, b.ID, fn); err != nil {
			return err
		}
	}
	return nil
}

// eachObjectOf calls fn for every object of a bucket, reading batches of
// 100 in short transactions.
func (s *Store) eachObjectOf(ctx context.Context, bucketID string, fn func(rec *objRecord) error) error {
	after := ""
	return s.eachBatched(ctx, func(tx indexTx, f func(*objRecord) bool) error { return tx.eachObject(bucketID, after, f) },
		func(last *objRecord) { after = last.Key }, fn)
}

// eachVersionOf calls fn for every noncurrent version and delete marker
// of a bucket, reading batches of 100 in short transactions.
func (s *Store) eachVersionOf(ctx context.Context, bucketID string, fn func(rec *objRecord) error) error {
	var after []byte
	return s.eachBatched(ctx, func(tx indexTx, f func(*objRecord) bool) error { return tx.eachVersion(bucketID, after, f) },
		func(last *objRecord) { after = versionKey(last.Key, last.Stamp) }, fn)
}

// eachBatched calls fn for every record walk yields, 100 per short view
// transaction: walk lists from its cursor, which advance moves past the
// last record of each batch (so a batch never holds a transaction open
// while fn runs).
func (s *Store) eachBatched(ctx context.Context, walk func(tx indexTx, f func(*objRecord) bool) error,
	advance func(last *objRecord), fn func(rec *objRecord) error) error {
	const batchSize = 100
	for {
		var batch []*objRecord
		err := s.idx.ViewContext(ctx, func(tx indexTx) error {
			batch = batch[:0]
			return walk(tx, func(r *objRecord) bool {
				batch = append(batch, r)
				return len(batch) < batchSize
			})
		})
		if err != nil {
			return err
		}
		for _, r := range batch {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(batch) < batchSize {
			return nil
		}
		advance(batch[len(batch)-1])
	}
}

// eachPartOf calls fn for every part of a bucket's uploads, as a one-part
// record.
func (s *Store) eachPartOf(ctx context.Context, bucketID string, fn func(rec *objRecord) error) error {
	var parts []*objRecord
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		var uploads []*uploadRecord
		if err := tx.eachUpload(bucketID, func(u *uploadRecord) bool { uploads = append(uploads, u); return true }); err != nil {
			return err
		}
		for _, u := range uploads {
			err := tx.parts(u.UploadID, 0, func(p *partRecord) bool {
				parts = append(parts, &objRecord{ID: p.Ref.ID, Size: p.Size, Parts: []dataRef{p.Ref}})
				return true
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range parts {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// removeOrphans deletes data files whose id is neither committed in the
// index nor being written. The in-flight set is checked before the index:
// a writer registers its id before creating files and unregisters only
// after its commit, so a live id is always seen in one of the two.
func (s *Store) removeOrphans(ctx context.Context) error {
	for _, d := range s.drives {
		var batch []string
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			var orphans []string
			candidates := batch[:0:0]
			for _, id := range batch {
				if !s.pinned(id) {
					candidates = append(candidates, id)
				}
			}
			err := s.idx.View(func(tx indexTx) error {
				for _, id := range candidates {
					has, err := tx.hasID(id)
					if err != nil {
						return err
					}
					if !has {
						orphans = append(orphans, id)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, id := range orphans {
				if err := d.Remove(id+".meta", id+".shard"); err != nil {
					s.skipped("remove orphan "+id+" from "+d.Path(), err)
					continue
				}
				s.scrub.note(func(st *ScrubStats) { st.OrphansRemoved++ })
			}
			batch = batch[:0]
			return nil
		}
		seen := map[string]bool{}
		var flushErr error
		err := d.Walk(func(name string, mod time.Time) error {
			id, _, _ := strings.Cut(name, ".")
			if s.cfg.Shared && time.Since(mod) < SharedGrace {
				// Maybe another node's write in flight: its pins are
				// not ours. The next pass decides.
				seen[id] = true
				return nil
			}
			if seen[id] {
				return nil
			}
			seen[id] = true
			batch = append(batch, id)
			if len(batch) >= 1000 {
				if err := flush(); err != nil {
					flushErr = err
					return err
				}
			}
			return ctx.Err()
		})
		switch {
		case flushErr != nil:
			return flushErr // the index failed: end the pass
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			// Directories that could not be read: what was listed is
			// still checked below.
			s.skipped("list "+d.Path()+" for orphans", err)
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}
