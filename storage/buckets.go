package storage

import (
	"context"
	"fmt"
)

// CreateBucket creates a bucket in the tenant's namespace, unless the
// tenant owns as many as its bucket limit allows (ErrTooManyBuckets).
func (s *Store) CreateBucket(ctx context.Context, tenant, bucket string, opts BucketOptions) error {
	if err := ValidBucketName(bucket); err != nil {
		return err
	}
	rec := &bucketRecord{ID: newID(), Tenant: tenant, Name: bucket, Created: now()}
	docs, err := createDocs(opts.Configs)
	if err != nil {
		return err
	}
	if opts.ObjectLock {
		rec.Versioning, rec.Lock = VersioningEnabled, &LockConfig{Enabled: true}
	}
	if len(docs) > 0 {
		rec.CfgGen = s.newStamp()
	}
	if rec.hasCfgFile() {
		// The bucket file goes to the drives first (see bucketcfg.go).
		if _, err := s.lookupBucket(tenant, bucket); err == nil {
			return fmt.Errorf("%w: %s", ErrBucketExists, bucket)
		}
		s.pinID(rec.ID)
		defer s.unpinID(rec.ID)
		if err := s.persistBucketCfg(rec, docs); err != nil {
			s.removeData([]string{rec.ID})
			return err
		}
	}
	err = s.idx.Update(func(tx indexTx) error {
		t, err := tenantOf(tx, tenant)
		if err != nil {
			return err
		}
		b, err := tx.bucket(tenant, bucket)
		if err != nil {
			return err
		}
		if b != nil {
			return fmt.Errorf("%w: %s", ErrBucketExists, bucket)
		}
		// Counted in this transaction, so concurrent creates cannot pass
		// the limit together; the count stops at the limit.
		if max, _ := s.limits(t); max > 0 {
			n, err := tx.countBuckets(tenant, max)
			if err != nil {
				return err
			}
			if n >= max {
				return &QuotaError{Resource: "buckets", Used: n, Adding: 1, Limit: max}
			}
		}
		if rec.hasCfgFile() {
			if err := tx.addID(rec.ID, rec.ID); err != nil {
				return err
			}
		}
		for _, k := range sortedKinds(docs) {
			if err := tx.putBucketConfig(rec.ID, k, docs[k]); err != nil {
				return err
			}
		}
		return tx.putBucket(rec)
	})
	if err != nil && rec.hasCfgFile() {
		s.removeData([]string{rec.ID})
	}
	return err
}

// createDocs checks a new bucket's documents (as SetBucketConfig would)
// and returns the non-empty ones.
func createDocs(in map[ConfigKind][]byte) (map[ConfigKind][]byte, error) {
	docs := map[ConfigKind][]byte{}
	for _, k := range sortedKinds(in) {
		if err := checkConfigDoc(k, in[k], 0); err != nil {
			return nil, err
		}
		setDoc(docs, k, in[k])
	}
	if n := configBytes(docs); n > maxBucketConfigBytes {
		return nil, fmt.Errorf("%w: the bucket's configuration would be %d bytes, limit %d", ErrConfigTooLarge, n, maxBucketConfigBytes)
	}
	return docs, nil
}

func (b *bucketRecord) info() BucketInfo {
	info := BucketInfo{Name: b.Name, Created: b.Created, Objects: b.Objects, Bytes: b.Bytes,
		NoncurrentObjects: b.NoncurrentObjects, NoncurrentBytes: b.NoncurrentBytes, Versioning: b.Versioning}
	if b.Lock != nil {
		info.Lock = *b.Lock
	}
	return info
}

// GetBucket returns a bucket and its usage.
// Through s.idx (the fast log's barrier): its counters include every
// acknowledged PUT.
func (s *Store) GetBucket(ctx context.Context, tenant, bucket string) (BucketInfo, error) {
	return bucketInfoIn(s.idx, tenant, bucket)
}

// BucketSettings is GetBucket without the fast log's barrier (see the
// ObjectStore interface).
func (s *Store) BucketSettings(ctx context.Context, tenant, bucket string) (BucketInfo, error) {
	return bucketInfoIn(s.raw, tenant, bucket)
}

func bucketInfoIn(ix index, tenant, bucket string) (BucketInfo, error) {
	b, err := bucketIn(ix, tenant, bucket)
	if err != nil {
		return BucketInfo{}, err
	}
	return b.info(), nil
}

// ListBuckets returns the tenant's buckets sorted by name.
func (s *Store) ListBuckets(ctx context.Context, tenant string) ([]BucketInfo, error) {
	out := []BucketInfo{}
	err := s.idx.View(func(tx indexTx) error {
		bs, err := tx.buckets(tenant)
		for _, b := range bs {
			out = append(out, b.info())
		}
		return err
	})
	return out, err
}

// DeleteBucket removes an empty bucket, or with force the bucket and all
// it holds. A bucket holding only unfinished multipart uploads is deleted
// without force too, its uploads aborted (as S3 does). A forced delete first moves the bucket record to the trash in
// one transaction (the name disappears and is free at once; usage drops),
// then removes objects and uploads in batches. Open finishes any trash
// left by a crash, so a bucket never reappears half full.
func (s *Store) DeleteBucket(ctx context.Context, tenant, bucket string, force bool) error {
	if force {
		// Object Lock is checked before anything is removed: a bucket
		// holding a locked version is not deleted at all.
		if err := s.checkBucketUnlocked(ctx, tenant, bucket); err != nil {
			return err
		}
	}
	var (
		trashed *bucketRecord
		dropped *bucketRecord
	)
	release := s.excludeFast() // no fast PUT into the bucket is between its check and publication
	err := s.idx.Update(func(tx indexTx) error {
		dropped, trashed = nil, nil // fn may run again (optimistic index)
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if !force {
			uploads, err := plainDeletable(tx, b)
			if err != nil {
				return err
			}
			if !uploads {
				if err := tx.dropBucketSpace(b.ID); err != nil {
					return err
				}
				if err := tx.deleteID(b.ID); err != nil { // its bucket file, if any
					return err
				}
				dropped = b
				return tx.deleteBucket(tenant, bucket)
			}
			// Only unfinished uploads: S3 aborts them, which is the
			// forced path (trash, then a resumable purge).
		}
		// The tenant's usage drops at once; the bucket record moves to the
		// trash unchanged (nil: its counters are not edited).
		if err := s.applyUsage(tx, tenant, nil, usageDelta{Objects: -b.Objects, Bytes: -b.Bytes,
			NoncurrentObjects: -b.NoncurrentObjects, NoncurrentBytes: -b.NoncurrentBytes}); err != nil {
			return err
		}
		if err := tx.putTrash(b); err != nil {
			return err
		}
		trashed = b
		return tx.deleteBucket(tenant, bucket)
	})
	release()
	if err == nil && dropped != nil {
		s.dropBucketCfg(dropped)
	}
	if err != nil || trashed == nil {
		return err
	}
	return s.purgeBucket(ctx, trashed)
}

// plainDeletable decides a non-forced delete inside its transaction: a
// bucket holding objects (or, in a versioned bucket, any version or delete
// marker: b.Objects counts them all) is ErrBucketNotEmpty; otherwise
// uploads reports whether unfinished multipart uploads remain, which the
// delete aborts as AWS does rather than refusing.
func plainDeletable(tx indexTx, b *bucketRecord) (uploads bool, err error) {
	has, err := tx.hasObjects(b.ID)
	if err != nil {
		return false, err
	}
	if has || b.Objects > 0 {
		return false, fmt.Errorf("%w: %s holds %d objects", ErrBucketNotEmpty, b.Name, b.Objects)
	}
	if err := checkNoVersions(tx, b); err != nil {
		return false, err
	}
	n, err := tx.countUploads(b.ID)
	return n > 0, err
}

// finishTrash completes force deletions interrupted by a crash.
func (s *Store) finishTrash(ctx context.Context) error {
	var bs []bucketRecord
	if err := s.idx.View(func(tx indexTx) (err error) { bs, err = tx.trash(); return err }); err != nil {
		return err
	}
	for i := range bs {
		if err := s.purgeBucket(ctx, &bs[i]); err != nil {
			return err
		}
	}
	return nil
}

const purgeBatch = 1000

// purgeBucket removes a trashed bucket's uploads and objects in batches:
// data files first, then their index entries, so a crash at any point
// leaves entries that the next purge removes again. (This is the one
// delete whose data goes before its index entries: the bucket is already
// invisible, and the trash record makes the purge resumable.)
func (s *Store) purgeBucket(ctx context.Context, b *bucketRecord) error {
	for {
		n, err := s.purgeUploads(ctx, b)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	for {
		n, err := s.purgeObjects(ctx, b)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	for {
		n, err := s.purgeVersions(ctx, b)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	s.dropBucketCfg(b)
	return s.idx.Update(func(tx indexTx) error {
		if err := tx.dropBucketSpace(b.ID); err != nil {
			return err
		}
		if err := tx.deleteID(b.ID); err != nil {
			return err
		}
		return tx.deleteTrash(b.ID)
	})
}

// purgeUploads drops up to purgeBatch of a trashed bucket's uploads and
// returns how many it found.
func (s *Store) purgeUploads(ctx context.Context, b *bucketRecord) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var ups []*uploadRecord
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		return tx.eachUpload(b.ID, func(u *uploadRecord) bool {
			ups = append(ups, u)
			return len(ups) < purgeBatch
		})
	})
	if err != nil {
		return 0, err
	}
	for _, u := range ups {
		if err := s.dropUpload(b.ID, u); err != nil {
			return 0, err
		}
	}
	return len(ups), nil
}

// purgeObjects removes up to purgeBatch of a trashed bucket's objects,
// data first, and returns how many it found.
func (s *Store) purgeObjects(ctx context.Context, b *bucketRecord) (int, error) {
	return s.purgeRecords(ctx,
		func(tx indexTx, fn func(*objRecord) bool) error { return tx.eachObject(b.ID, "", fn) },
		func(tx indexTx, r *objRecord) error { return tx.deleteObject(b.ID, r.Key) })
}

// purgeRecords removes one batch (up to purgeBatch) of a trashed bucket's
// records as each lists them: their data files first, then tombstones for
// packed ones, then in one index commit their ids and packed bytes
// (unlinkObject) and the records themselves (drop). It returns how many
// it found; 0 means the keyspace is empty.
func (s *Store) purgeRecords(ctx context.Context, each func(tx indexTx, fn func(*objRecord) bool) error,
	drop func(tx indexTx, r *objRecord) error) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var recs []*objRecord
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		recs = recs[:0]
		return each(tx, func(r *objRecord) bool {
			recs = append(recs, r)
			return len(recs) < purgeBatch
		})
	})
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	var files []string
	for _, r := range recs {
		files = append(files, r.fileIDs()...)
	}
	s.removeData(files)
	s.tombstone(recs...)
	err = s.idx.Update(func(tx indexTx) error {
		for _, r := range recs {
			if err := unlinkObject(tx, r); err != nil {
				return err
			}
			if err := drop(tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	return len(recs), err
}
