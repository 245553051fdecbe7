package storage

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/cofferstore/coffer/pkg/checksum"
)

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// bucketOf returns the live bucket record or ErrBucketNotFound.
func bucketOf(tx indexTx, tenant, bucket string) (*bucketRecord, error) {
	b, err := tx.bucket(tenant, bucket)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("%w: %s", ErrBucketNotFound, bucket)
	}
	return b, nil
}

// lookupBucket reads the bucket record without the fast log's barrier:
// fast PUTs change only its counters.
func (s *Store) lookupBucket(tenant, bucket string) (*bucketRecord, error) {
	return bucketIn(s.raw, tenant, bucket)
}

// bucketIn reads the bucket record through ix.
func bucketIn(ix index, tenant, bucket string) (*bucketRecord, error) {
	var b *bucketRecord
	err := ix.View(func(tx indexTx) (err error) {
		b, err = bucketOf(tx, tenant, bucket)
		return err
	})
	return b, err
}

func tenantOf(tx indexTx, name string) (*tenantRecord, error) {
	t, err := tx.tenant(name)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, fmt.Errorf("%w: %s", ErrTenantNotFound, name)
	}
	return t, nil
}

// PutObject streams body into a new object version and commits it.
func (s *Store) PutObject(ctx context.Context, tenant, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error) {
	if err := ValidObjectKey(key); err != nil {
		return ObjectInfo{}, err
	}
	if err := checkACL(opts.ACL); err != nil {
		return ObjectInfo{}, err
	}
	var (
		b    *bucketRecord
		vf   versionFields
		mod  = now()
		fast = s.fast != nil && opts.Precondition == nil && opts.Size >= 0 && opts.Size <= inlineMax &&
			opts.Retention == nil && !opts.LegalHold
	)
	ticket := s.announceWrite(opts.Size, !fast)
	defer ticket.done()
	// The checks before the body read the index as it is: the commit
	// (or, on the fast path, fastCheck under the gate) decides.
	err := s.raw.View(func(tx indexTx) (err error) {
		if b, err = bucketOf(tx, tenant, bucket); err != nil {
			return err
		}
		if fast {
			t, err := tx.tenant(tenant)
			if err != nil {
				return err
			}
			fast = fastEligible(t, b)
		}
		if vf, err = s.newVersionFields(b, opts.Retention, opts.LegalHold, mod); err != nil {
			return err
		}
		if opts.Encryption, err = s.defaultEncryption(tx, b, opts.Encryption); err != nil {
			return err
		}
		if b.versioned() {
			d, err := versionedPutDelta(tx, b, key, vf.versionID, opts.Size)
			if err != nil {
				return err
			}
			return s.precheckQuota(tx, tenant, d)
		}
		prev, err := tx.object(b.ID, key)
		if err != nil {
			return err
		}
		return s.precheckQuota(tx, tenant, putDelta(prev, opts.Size))
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	var sseID string
	var sseRec []byte
	if opts.Encryption.Mode != SSENone || opts.Encryption.CustomerKey != nil {
		sseID = newID()
		if sseRec, opts.cipher, err = s.newSSE(opts.Encryption, sseContext(tenant, bucket, key, sseID)); err != nil {
			return ObjectInfo{}, err
		}
	}
	w, err := s.stageBody(ctx, body, opts)
	if err != nil {
		return ObjectInfo{}, err
	}
	w.ticket = ticket
	p := w.p
	rec := &objRecord{
		ID: p.ref.ID, Tenant: tenant, Bucket: bucket, BucketID: b.ID, Key: key,
		Size: p.dig.size, ETag: hex.EncodeToString(p.dig.md5), ModTime: mod,
		Meta: opts.Meta, Parts: []dataRef{p.ref}, ACL: opts.ACL,
		SSE: sseRec, SSEID: sseID,
	}
	vf.apply(rec)
	if p.dig.algo != checksum.None {
		rec.Checksums = map[checksum.Algorithm]string{p.dig.algo: p.dig.checksum}
		rec.ChecksumType = checksum.FullObject
	}
	if fast && p.ref.Inline && rec.SSE == nil {
		if info, ok, err := s.putFast(w, rec); ok {
			return info, err
		}
	}
	if err := w.persistObject(rec); err != nil {
		return ObjectInfo{}, err
	}
	err = w.commit(func(tx indexTx) error {
		return w.putObject(tx, rec, opts.Precondition, usageDelta{})
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	info := rec.info()
	info.IsLatest = w.latest
	return info, nil
}

// putFast finishes a PutObject on the fast path (fastput.go): its records
// appended on write quorum, rec is published and the PUT is acknowledged;
// the applier commits it. ok is false when the bucket changed since the
// PUT's checks: the caller goes on with the synced commit.
func (s *Store) putFast(w *writeTx, rec *objRecord) (info ObjectInfo, ok bool, err error) {
	release := s.fast.enter()
	defer release()
	if !s.fast.room() || !s.fastCheck(rec.Tenant, rec.Bucket, rec.BucketID) {
		return ObjectInfo{}, false, nil
	}
	e := s.fast.draw()
	rec.Seq = e.seq
	if err := w.persistPacked(rec); err != nil {
		s.fast.abandon(e)
		return ObjectInfo{}, true, err
	}
	s.fast.publish(e, w, rec)
	info = rec.info()
	info.IsLatest = true
	return info, true, nil
}

// putDelta is the usage delta of writing an object of size bytes over prev
// (nil: a new key); size < 0 (unknown) counts the object only.
func putDelta(prev *objRecord, size int64) usageDelta {
	var d usageDelta
	if prev == nil {
		d.Objects = 1
	}
	if size >= 0 {
		d.Bytes = size
		if prev != nil {
			d.Bytes -= prev.Size
		}
	}
	return d
}

// putObject records rec as the current version of its key inside w's
// commit: the replaced version's ids leave the index and its data is
// removed after the commit; usage changes by the object delta plus extra
// (multipart completion turns upload bytes into object bytes). pre, if
// set, sees the current version first (PutOptions.Precondition). In a
// versioned bucket rec joins the key's versions instead (putVersioned),
// and a null rec replaces only the null version.
func (w *writeTx) putObject(tx indexTx, rec *objRecord, pre func(*ObjectInfo) error, extra usageDelta) error {
	b, err := bucketOf(tx, rec.Tenant, rec.Bucket)
	if err != nil {
		return err
	}
	if err := w.resealRecord(rec); err != nil {
		return err
	}
	if b.ID != rec.BucketID {
		return fmt.Errorf("%w: %s was deleted", ErrBucketNotFound, rec.Bucket)
	}
	prev, err := tx.object(b.ID, rec.Key)
	if err != nil {
		return err
	}
	if pre != nil {
		var cur *ObjectInfo
		if prev != nil {
			info := prev.info()
			cur = &info
		}
		if err := pre(cur); err != nil {
			return err
		}
	}
	if b.versioned() || rec.VersionID != "" || rec.DeleteMarker {
		w.latest = false
		err := w.putVersioned(tx, b, prev, rec, extra)
		if err == nil {
			cur, err2 := tx.object(b.ID, rec.Key)
			w.latest = err2 == nil && cur != nil && cur.ID == rec.ID
			err = err2
		}
		return err
	}
	w.latest = true
	if err := w.s.applyUsage(tx, rec.Tenant, b, putDelta(prev, rec.Size).plus(extra)); err != nil {
		return err
	}
	if prev != nil {
		if err := unlinkObject(tx, prev); err != nil {
			return err
		}
		w.replaceObject(prev)
	}
	if err := packDelta(tx, rec, 1); err != nil {
		return err
	}
	for _, id := range rec.dataIDs() {
		if err := tx.addID(id, b.ID); err != nil {
			return err
		}
	}
	return tx.putObject(rec)
}

// unlinkObject drops a version's data ids and packed bytes from the index
// (its record is overwritten or deleted by the caller).
func unlinkObject(tx indexTx, r *objRecord) error {
	for _, id := range r.dataIDs() {
		if err := tx.deleteID(id); err != nil {
			return err
		}
	}
	return packDelta(tx, r, -1)
}

// GetObjectInfo returns the current version's description (see
// GetObjectVersion).
func (s *Store) GetObjectInfo(ctx context.Context, tenant, bucket, key string) (ObjectInfo, error) {
	return s.GetObjectVersion(ctx, tenant, bucket, key, "")
}

// packDelta adds (sign 1) or removes (sign -1) a record's packed copies
// from the live byte counts of their segments.
func packDelta(tx indexTx, r *objRecord, sign int64) error {
	if !r.packed() {
		return nil
	}
	for i, loc := range r.Parts[0].Packed {
		if loc.Len > 0 {
			if err := tx.addPackBytes(i, loc.Seg, sign*int64(packFrameHead+int(loc.Len))); err != nil {
				return err
			}
		}
	}
	return nil
}

// UpdateObjectMeta replaces content headers and user metadata in place.
// Tags are kept unless meta.Tags is non-nil.
func (s *Store) UpdateObjectMeta(ctx context.Context, tenant, bucket, key string, meta ObjectMeta) (ObjectInfo, error) {
	rec, err := s.modifyObject(tenant, bucket, key, func(r *objRecord) {
		if meta.Tags == nil {
			meta.Tags = r.Meta.Tags
		}
		r.Meta = meta
		r.ModTime = now()
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	return rec.info(), nil
}

// modifyObject changes an object's record in the index and then rewrites
// the per-drive copies of its metadata (best effort: the index is the truth,
// the copies serve RebuildIndex).
func (s *Store) modifyObject(tenant, bucket, key string, change func(r *objRecord)) (*objRecord, error) {
	if err := ValidObjectKey(key); err != nil {
		return nil, err
	}
	var rec *objRecord
	w := s.newIndexWrite()
	err := w.commit(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		rec, err = tx.object(b.ID, key)
		if err != nil {
			return err
		}
		if rec == nil {
			return fmt.Errorf("%w: %s", ErrObjectNotFound, key)
		}
		change(rec)
		rec.BucketID = b.ID
		w.rewriteRecord(rec)
		return tx.putObject(rec)
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// rewriteMeta replaces the object header in each drive's .meta file,
// keeping inline shard data.
func (s *Store) rewriteMeta(rec *objRecord) {
	if rec.packed() {
		s.rewritePacked(rec)
		return
	}
	s.parallel(func(i int) {
		d := s.drives[i]
		raw, err := d.ReadFile(rec.ID + ".meta")
		if err != nil {
			return
		}
		h, inline, err := decodeMeta(raw)
		if err != nil {
			return
		}
		h.Object = rec
		if err := s.writeMetaFile(d, rec.ID, h, inline); err != nil {
			d.noteError(err)
		}
	})
}

// writeMetaFile atomically writes one .meta file on one drive.
func (s *Store) writeMetaFile(d drive, id string, h *metaHeader, inline []byte) error {
	raw, err := encodeMeta(h, inline)
	if err != nil {
		return err
	}
	f, err := d.Create(id + ".meta")
	if err != nil {
		return err
	}
	if _, err := f.Write(raw); err != nil {
		f.Abort()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Abort()
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	return d.SyncDir(id + ".meta")
}
