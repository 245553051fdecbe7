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

// checkQuota returns a *QuotaError when adding objects/bytes would pass the
// tenant's quota. Decreases always pass.
func checkQuota(t *tenantRecord, addObjects, addBytes int64) error {
	if q := t.Quota.MaxObjects; q > 0 && addObjects > 0 && t.Objects+addObjects > q {
		return &QuotaError{Resource: "objects", Used: t.Objects, Adding: addObjects, Limit: q}
	}
	if q := t.Quota.MaxBytes; q > 0 && addBytes > 0 && t.Bytes+addBytes > q {
		return &QuotaError{Resource: "bytes", Used: t.Bytes, Adding: addBytes, Limit: q}
	}
	return nil
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

// precheckQuota fails early, before any data is written, when a write
// could never commit. It applies checkQuota to the delta the commit will
// apply: a write adds its size less the size of what it replaces (the
// key's current version, or the part of the same number), and a new key
// adds an object. size < 0 (unknown) checks the object count only. The
// binding check is the commit's.
func precheckQuota(tx indexTx, tenant string, addObjects, size, replaced int64) error {
	t, err := tenantOf(tx, tenant)
	if err != nil {
		return err
	}
	addBytes := int64(0)
	if size >= 0 {
		addBytes = size - replaced
	}
	return checkQuota(t, addObjects, addBytes)
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
		if prev == nil {
			return precheckQuota(tx, tenant, 1, opts.Size, 0)
		}
		return precheckQuota(tx, tenant, 0, opts.Size, prev.Size)
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	p, err := s.writeData(ctx, body, opts)
	if err != nil {
		return ObjectInfo{}, err
	}
	rec := &objRecord{
		ID: p.ref.ID, Tenant: tenant, Bucket: bucket, BucketID: b.ID, Key: key,
		Size: p.dig.size, ETag: hex.EncodeToString(p.dig.md5), ModTime: now(),
		Meta: opts.Meta, Parts: []dataRef{p.ref},
	}
	if p.dig.algo != checksum.None {
		rec.Checksums = map[checksum.Algorithm]string{p.dig.algo: p.dig.checksum}
		rec.ChecksumType = checksum.FullObject
	}
	if p.ref.Inline {
		err = s.persistPacked(p, rec)
	} else {
		err = s.persist(p, func(i int) *metaHeader { return &metaHeader{Kind: "object", Shard: i, Object: rec} })
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	old, err := s.commitObject(rec, 0, opts.Precondition)
	s.committed(p)
	if err != nil {
		s.removeData(rec.fileIDs())
		return ObjectInfo{}, err
	}
	if old != nil {
		s.removeData(old.fileIDs())
		s.tombstone(old)
	}
	return rec.info(), nil
}

// commitObject records rec as the current version of its key in one
// transaction with the usage counters and the quota check. It returns the
// replaced version, whose data the caller removes. freedBytes are upload
// bytes that become object bytes (multipart completion).
//
// The same body also serves CompleteMultipartUpload through commitObjectWith.
func (s *Store) commitObject(rec *objRecord, uploadBytes int64, pre func(*ObjectInfo) error) (*objRecord, error) {
	return s.commitObjectWith(rec, uploadBytes, pre, nil)
}

// commitObjectWith is commitObject with extra work (multipart bookkeeping)
// done in the same transaction before the quota check. pre, if set, sees
// the current version first (PutOptions.Precondition).
func (s *Store) commitObjectWith(rec *objRecord, uploadBytes int64, pre func(*ObjectInfo) error, extra func(tx indexTx, t *tenantRecord) error) (*objRecord, error) {
	var old *objRecord
	err := s.idx.Batch(func(tx indexTx) error {
		old = nil
		b, err := bucketOf(tx, rec.Tenant, rec.Bucket)
		if err != nil {
			return err
		}
		if b.ID != rec.BucketID {
			return fmt.Errorf("%w: %s was deleted", ErrBucketNotFound, rec.Bucket)
		}
		t, err := tenantOf(tx, rec.Tenant)
		if err != nil {
			return err
		}
		if extra != nil {
			if err := extra(tx, t); err != nil {
				return err
			}
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
		addObjects, addBytes := int64(1), rec.Size-uploadBytes
		if prev != nil {
			addObjects, addBytes = 0, addBytes-prev.Size
		}
		if err := checkQuota(t, addObjects, addBytes); err != nil {
			return err
		}
		t.Objects += addObjects
		t.Bytes += addBytes
		t.UploadBytes -= uploadBytes
		b.Objects += addObjects
		b.Bytes += rec.Size
		if prev != nil {
			b.Bytes -= prev.Size
			for _, id := range prev.dataIDs() {
				if err := tx.deleteID(id); err != nil {
					return err
				}
			}
			if err := packDelta(tx, prev, -1); err != nil {
				return err
			}
		}
		if err := packDelta(tx, rec, 1); err != nil {
			return err
		}
		for _, id := range rec.dataIDs() {
			if err := tx.addID(id, b.ID); err != nil {
				return err
			}
		}
		if err := tx.putObject(rec); err != nil {
			return err
		}
		if err := tx.putBucket(b); err != nil {
			return err
		}
		old = prev
		return tx.putTenant(t)
	})
	return old, err
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
func (s *Store) DeleteObject(ctx context.Context, tenant, bucket, key string) error {
	if err := ValidObjectKey(key); err != nil {
		return err
	}
	var old *objRecord
	err := s.idx.Batch(func(tx indexTx) error {
		old = nil
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		prev, err := tx.object(b.ID, key)
		if err != nil || prev == nil {
			return err
		}
		if t, err := tx.tenant(tenant); err == nil && t != nil {
			t.Objects--
			t.Bytes -= prev.Size
			if err := tx.putTenant(t); err != nil {
				return err
			}
		}
		b.Objects--
		b.Bytes -= prev.Size
		for _, id := range prev.dataIDs() {
			if err := tx.deleteID(id); err != nil {
				return err
			}
		}
		if err := packDelta(tx, prev, -1); err != nil {
			return err
		}
		if err := tx.deleteObject(b.ID, key); err != nil {
			return err
		}
		old = prev
		return tx.putBucket(b)
	})
	if err == nil && old != nil {
		s.removeData(old.fileIDs())
		s.tombstone(old)
	}
	return err
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
func (s *Store) SetObjectTags(ctx context.Context, tenant, bucket, key string, tags map[string]string) error {
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
	err := s.idx.Batch(func(tx indexTx) error {
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
