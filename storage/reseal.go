package storage

import (
	"bytes"
	"context"
	"fmt"

	"github.com/cofferstore/coffer/pkg/sse"
)

// A master-key rotation re-seals the data key of every encrypted object
// version and upload under the new key: the record (objRecord.SSE,
// uploadRecord.SSE) changes, the ciphertext does not. ReSealSSE walks them
// all in bounded batches; resealOnCommit closes the gap of writes that
// sealed under the old key before the rotation began and commit after the
// walk passed their place.

// resealBatch is how many records one read transaction of ReSealSSE
// visits, and so at most how many one write transaction changes.
const resealBatch = 128

// ReSealFunc re-seals one marshalled sse.Record of the object or upload c
// names. It returns nil when the record needs no change (not sealed under
// a master key, or already under the current one).
type ReSealFunc func(rec []byte, c sse.Context) ([]byte, error)

// ReSealSSE passes every stored SSE record (every object version's, current
// and noncurrent, and every unfinished upload's, in every bucket) to fn and
// stores what fn returns in its place; it returns how many it changed.
// Object data is never rewritten. Changed versions' drive copies are
// rewritten after their commit (journaled, like tag changes), so a rebuilt
// index holds the new records too.
//
// It first waits for the commits running when it is called: a write whose
// commit began before a new key became current is visible to the walk.
// Each batch reads up to resealBatch records in a short read transaction
// and commits the changes in one write transaction, re-reading each record
// there and skipping one that changed meanwhile (a write replaced it: the
// new one was sealed under the then current key, see resealOnCommit). The
// walk moves by key past the last record of every batch, so it ends; ctx
// stops it between batches, and a new call starts over (records already
// re-sealed are left as they are by fn).
func (s *Store) ReSealSSE(ctx context.Context, fn ReSealFunc) (n int, err error) {
	if err := s.idx.Update(func(indexTx) error { return nil }); err != nil {
		return 0, err
	}
	buckets, err := s.allBuckets(ctx)
	if err != nil {
		return 0, err
	}
	for _, b := range buckets {
		for _, step := range []func(context.Context, string, ReSealFunc) (int, error){
			s.resealObjects, s.resealVersions, s.resealUploads,
		} {
			m, err := step(ctx, b.ID, fn)
			n += m
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// resealChange is one record to replace: the version (or upload) as read,
// and its new SSE record.
type resealChange struct {
	bucketID string
	obj      *objRecord
	upload   *uploadRecord
	sse      []byte
}

// resealObjects re-seals the current versions of a bucket.
func (s *Store) resealObjects(ctx context.Context, bucketID string, fn ReSealFunc) (int, error) {
	after := ""
	return s.resealWalk(ctx, bucketID, fn, func(tx indexTx, visit func(*objRecord, *uploadRecord) bool) error {
		return tx.eachObject(bucketID, after, func(r *objRecord) bool {
			r.BucketID = bucketID
			after = r.Key
			return visit(r, nil)
		})
	})
}

// resealVersions re-seals the noncurrent versions of a bucket.
func (s *Store) resealVersions(ctx context.Context, bucketID string, fn ReSealFunc) (int, error) {
	var after []byte
	return s.resealWalk(ctx, bucketID, fn, func(tx indexTx, visit func(*objRecord, *uploadRecord) bool) error {
		return tx.eachVersion(bucketID, after, func(r *objRecord) bool {
			r.BucketID = bucketID
			after = versionKey(r.Key, r.Stamp)
			return visit(r, nil)
		})
	})
}

// resealUploads re-seals the unfinished uploads of a bucket.
func (s *Store) resealUploads(ctx context.Context, bucketID string, fn ReSealFunc) (int, error) {
	var after []byte
	return s.resealWalk(ctx, bucketID, fn, func(tx indexTx, visit func(*objRecord, *uploadRecord) bool) error {
		return tx.eachUploadAfter(bucketID, after, func(u *uploadRecord) bool {
			after = pair(u.Key, u.UploadID)
			return visit(nil, u)
		})
	})
}

// resealWalk runs walk batch by batch: a read transaction in which walk
// visits records from its cursor (and moves the cursor past each), then
// fn over the encrypted ones and a write transaction for the changes. It
// ends when a batch visits fewer than resealBatch records.
func (s *Store) resealWalk(ctx context.Context, bucketID string, fn ReSealFunc,
	walk func(tx indexTx, visit func(*objRecord, *uploadRecord) bool) error) (int, error) {
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var found []resealChange
		visited := 0
		err := s.idx.ViewContext(ctx, func(tx indexTx) error {
			found, visited = found[:0], 0
			return walk(tx, func(r *objRecord, u *uploadRecord) bool {
				visited++
				if r != nil && r.SSE != nil {
					found = append(found, resealChange{bucketID: bucketID, obj: r})
				}
				if u != nil && u.SSE != nil {
					found = append(found, resealChange{bucketID: bucketID, upload: u})
				}
				return visited < resealBatch
			})
		})
		if err != nil {
			return n, err
		}
		var changes []resealChange
		for _, c := range found {
			var err error
			if c.obj != nil {
				c.sse, err = fn(c.obj.SSE, c.obj.sseContext())
			} else {
				c.sse, err = fn(c.upload.SSE, c.upload.sseContext())
			}
			if err != nil {
				return n, err
			}
			if c.sse != nil {
				changes = append(changes, c)
			}
		}
		for _, c := range changes {
			if c.upload != nil {
				if err := s.rewriteUploadSSE(ctx, c.upload.UploadID, c.sse); err != nil {
					return n, err
				}
			}
		}
		m, err := s.resealCommit(changes)
		n += m
		if err != nil {
			return n, err
		}
		// Again for parts committed meanwhile: a part committed from now on
		// sees the new record and rewrites its own headers (PutPart).
		for _, c := range changes {
			if c.upload != nil {
				if err := s.rewriteUploadSSE(ctx, c.upload.UploadID, c.sse); err != nil {
					return n, err
				}
			}
		}
		if visited < resealBatch {
			return n, nil
		}
	}
}

// resealCommit stores the new records of one batch in one transaction and
// returns how many it changed.
func (s *Store) resealCommit(changes []resealChange) (int, error) {
	if len(changes) == 0 {
		return 0, nil
	}
	n := 0
	w := s.newIndexWrite()
	err := w.commit(func(tx indexTx) error {
		n = 0
		for _, c := range changes {
			if c.upload != nil {
				u, err := tx.upload(c.bucketID, c.upload.Key, c.upload.UploadID)
				if err != nil {
					return err
				}
				if u == nil || !bytes.Equal(u.SSE, c.upload.SSE) {
					continue
				}
				u.SSE = c.sse
				if err := tx.putUpload(c.bucketID, u); err != nil {
					return err
				}
				n++
				continue
			}
			r, current, err := storedVersion(tx, c.obj)
			if err != nil {
				return err
			}
			if r == nil || !bytes.Equal(r.SSE, c.obj.SSE) {
				continue
			}
			r.SSE = c.sse
			r.BucketID = c.bucketID
			w.rewriteRecord(r)
			if err := putStored(tx, r, current); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: re-sealing SSE records: %w", err)
	}
	return n, nil
}

// resealOnCommit returns a write's SSE record sealed under the current
// master key. A write takes the current key when it starts; one that
// started before a rotation made a new key current may commit after
// ReSealSSE's walk passed its place, which would leave a record under the
// key being retired. Called inside the commit's transaction (which
// ReSealSSE's opening barrier orders after the key change), it re-seals
// such a record at once; if the old key was already retired, the write
// fails (ErrSSENoMasterKey) rather than store a record nothing opens.
func (s *Store) resealOnCommit(data []byte, c sse.Context) ([]byte, error) {
	if data == nil || s.cfg.Keys == nil {
		return data, nil
	}
	cur := s.cfg.Keys.Current()
	rec, err := sse.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSSECorrupt, err)
	}
	if rec.Algorithm != sse.AlgorithmS3 || cur == nil || rec.KeyID == cur.ID() {
		return data, nil
	}
	for _, k := range s.cfg.Keys.All() {
		if k.ID() == rec.KeyID {
			n, err := sse.ReSeal(rec, c, k, cur)
			if err != nil {
				return nil, sseError(err)
			}
			return n.Marshal()
		}
	}
	return nil, fmt.Errorf("%w: the write's key %s was retired while it ran", ErrSSENoMasterKey, rec.KeyID)
}

// resealRecord applies resealOnCommit to the version a commit records; a
// record it changes has its drive copies (written before the commit)
// rewritten after it, like a tag change, so RebuildIndex finds the new one.
func (w *writeTx) resealRecord(rec *objRecord) error {
	if rec.SSE == nil {
		return nil
	}
	if w.sseAsWritten == nil {
		w.sseAsWritten = rec.SSE
	}
	sealed, err := w.s.resealOnCommit(w.sseAsWritten, rec.sseContext())
	if err != nil {
		return err
	}
	rec.SSE = sealed
	if !bytes.Equal(sealed, w.sseAsWritten) {
		w.rewriteRecord(rec)
	}
	return nil
}

// rewriteUploadSSE puts an upload's new record into its parts' .meta
// headers on every drive (UploadSSE, from which RebuildIndex restores the
// upload). The walk runs it before the index commit (a crash in between
// leaves the index under the old key and the copies under the new one,
// both readable until the old key is retired, and the resumed walk does it
// again) and after it (parts committed in between).
func (s *Store) rewriteUploadSSE(ctx context.Context, uploadID string, sealed []byte) error {
	var ids []string
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		ids = ids[:0]
		return tx.parts(uploadID, 0, func(p *partRecord) bool {
			ids = append(ids, p.Ref.ID)
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.rewritePartSSE(id, sealed)
	}
	return nil
}

// rewritePartSSE sets UploadSSE in one part's .meta header on every drive
// (best effort, like rewriteMeta).
func (s *Store) rewritePartSSE(id string, sealed []byte) {
	s.parallel(func(i int) {
		d := s.drives[i]
		raw, err := d.ReadFile(id + ".meta")
		if err != nil {
			return // a missing copy: heal's business
		}
		h, inline, err := decodeMeta(raw)
		if err != nil || h.Kind != "part" {
			return
		}
		h.UploadSSE = sealed
		if err := s.writeMetaFile(d, id, h, inline); err != nil {
			d.noteError(err)
		}
	})
}
