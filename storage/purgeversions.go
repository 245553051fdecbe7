package storage

import (
	"context"
	"errors"
	"fmt"
)

// checkNoVersions refuses a plain DeleteBucket of a bucket that still
// holds noncurrent versions or delete markers (S3: BucketNotEmpty).
func checkNoVersions(tx indexTx, b *bucketRecord) error {
	if !b.versioned() {
		return nil
	}
	has := false
	err := tx.eachVersion(b.ID, nil, func(*objRecord) bool { has = true; return false })
	if err != nil {
		return err
	}
	if has {
		return fmt.Errorf("%w: %s holds object versions or delete markers", ErrBucketNotEmpty, b.Name)
	}
	return nil
}

// purgeVersions removes up to purgeBatch of a trashed bucket's noncurrent
// versions and delete markers, data first (as purgeObjects), and returns
// how many it found. The bucket's null pointers go with the keyspace.
func (s *Store) purgeVersions(ctx context.Context, b *bucketRecord) (int, error) {
	return s.purgeRecords(ctx,
		func(tx indexTx, fn func(*objRecord) bool) error { return tx.eachVersion(b.ID, nil, fn) },
		func(tx indexTx, r *objRecord) error { return tx.deleteVersion(b.ID, r.Key, r.Stamp) })
}

// maxLockedNamed is how many locked versions a *LockedError names.
const maxLockedNamed = 10

// checkBucketUnlocked returns a *LockedError when the bucket holds any
// version under retention or legal hold (which a forced delete must not
// remove), walking its versions in batches of short transactions. Only
// Object Lock buckets can hold such versions.
func (s *Store) checkBucketUnlocked(ctx context.Context, tenant, bucket string) error {
	b, err := s.lookupBucket(tenant, bucket)
	if err != nil {
		return err
	}
	if b.Lock == nil || !b.Lock.Enabled {
		return nil
	}
	at := s.lockNow()
	le := &LockedError{}
	note := func(r *objRecord) bool {
		if blocked, _ := locked(r, at); blocked {
			if len(le.Versions) == maxLockedNamed {
				le.More = true
				return false
			}
			le.Versions = append(le.Versions, r.Key+"@"+r.versionID())
		}
		return true
	}
	// Current versions, then noncurrent ones, purgeBatch per transaction.
	after := ""
	for {
		n, last, more := 0, "", true
		err := s.idx.ViewContext(ctx, func(tx indexTx) error {
			n = 0
			return tx.eachObject(b.ID, after, func(r *objRecord) bool {
				n++
				last = r.Key
				more = note(r)
				return more && n < purgeBatch
			})
		})
		if err != nil {
			return err
		}
		if !more || n < purgeBatch {
			break
		}
		after = last
	}
	var pos []byte
	for !le.More {
		n := 0
		var last []byte
		err := s.idx.ViewContext(ctx, func(tx indexTx) error {
			n = 0
			return tx.eachVersion(b.ID, pos, func(r *objRecord) bool {
				n++
				last = versionKey(r.Key, r.Stamp)
				return note(r) && n < purgeBatch
			})
		})
		if err != nil {
			return err
		}
		if n < purgeBatch {
			break
		}
		pos = last
	}
	if len(le.Versions) > 0 {
		return le
	}
	return nil
}

// checkTenantUnlocked is checkBucketUnlocked over every bucket of a
// tenant, before DeleteTenant removes any.
func (s *Store) checkTenantUnlocked(ctx context.Context, tenant string) error {
	buckets, err := s.ListBuckets(ctx, tenant)
	if err != nil {
		return err
	}
	for _, b := range buckets {
		if err := s.checkBucketUnlocked(ctx, tenant, b.Name); err != nil && !errors.Is(err, ErrBucketNotFound) {
			return err
		}
	}
	return nil
}
