package storage

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
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

func (s *Store) lookupBucket(tenant, bucket string) (*bucketRecord, error) {
	var b *bucketRecord
	err := s.idx.View(func(tx indexTx) (err error) {
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
	var b *bucketRecord
	err := s.idx.View(func(tx indexTx) (err error) {
		if b, err = bucketOf(tx, tenant, bucket); err != nil {
			return err
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
	w, err := s.stageBody(ctx, body, opts)
	if err != nil {
		return ObjectInfo{}, err
	}
	p := w.p
	rec := &objRecord{
		ID: p.ref.ID, Tenant: tenant, Bucket: bucket, BucketID: b.ID, Key: key,
		Size: p.dig.size, ETag: hex.EncodeToString(p.dig.md5), ModTime: now(),
		Meta: opts.Meta, Parts: []dataRef{p.ref},
	}
	if p.dig.algo != checksum.None {
		rec.Checksums = map[checksum.Algorithm]string{p.dig.algo: p.dig.checksum}
		rec.ChecksumType = checksum.FullObject
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
	return rec.info(), nil
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
// set, sees the current version first (PutOptions.Precondition).
func (w *writeTx) putObject(tx indexTx, rec *objRecord, pre func(*ObjectInfo) error, extra usageDelta) error {
	b, err := bucketOf(tx, rec.Tenant, rec.Bucket)
	if err != nil {
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

func (s *Store) getObject(tenant, bucket, key string) (*objRecord, error) {
	var rec *objRecord
	err := s.idx.View(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		rec, err = tx.object(b.ID, key)
		if err == nil && rec == nil {
			err = fmt.Errorf("%w: %s", ErrObjectNotFound, key)
		}
		return err
	})
	return rec, err
}

// GetObjectInfo returns the current version's description.
func (s *Store) GetObjectInfo(ctx context.Context, tenant, bucket, key string) (ObjectInfo, error) {
	if err := ValidObjectKey(key); err != nil {
		return ObjectInfo{}, err
	}
	rec, err := s.getObject(tenant, bucket, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	return rec.info(), nil
}

// DeleteObject removes a key. Deleting a missing key succeeds (S3 semantics);
// a missing bucket is ErrBucketNotFound.
func (s *Store) DeleteObject(ctx context.Context, tenant, bucket, key string, opts DeleteOptions) (DeleteResult, error) {
	if err := ValidObjectKey(key); err != nil {
		return DeleteResult{}, err
	}
	if opts.VersionID != "" {
		return DeleteResult{}, errNotImplemented
	}
	w := s.newIndexWrite()
	return DeleteResult{}, w.commit(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		prev, err := tx.object(b.ID, key)
		if err != nil || prev == nil {
			return err
		}
		if err := s.applyUsage(tx, tenant, b, usageDelta{Objects: -1, Bytes: -prev.Size}); err != nil {
			return err
		}
		if err := unlinkObject(tx, prev); err != nil {
			return err
		}
		w.replaceObject(prev)
		return tx.deleteObject(b.ID, key)
	})
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

// SetObjectTags replaces an object's tag set.
func (s *Store) SetObjectTags(ctx context.Context, tenant, bucket, key, versionID string, tags map[string]string) error {
	if versionID != "" {
		return errNotImplemented
	}
	_, err := s.modifyObject(tenant, bucket, key, func(r *objRecord) { r.Meta.Tags = maps.Clone(tags) })
	return err
}

// modifyObject changes an object's record in the index and then rewrites
// the per-drive copies of its metadata (best effort: the index is the truth,
// the copies serve RebuildIndex).
func (s *Store) modifyObject(tenant, bucket, key string, change func(r *objRecord)) (*objRecord, error) {
	if err := ValidObjectKey(key); err != nil {
		return nil, err
	}
	var rec *objRecord
	err := s.newIndexWrite().commit(func(tx indexTx) error {
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
		return tx.putObject(rec)
	})
	if err != nil {
		return nil, err
	}
	s.rewriteMeta(rec)
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
