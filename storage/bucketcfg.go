package storage

import (
	"context"
	"fmt"
	"sync/atomic"
)

// A bucket's versioning state and Object Lock configuration live in its
// index record and, so that RebuildIndex restores them, in a "bucket"
// .meta file on every drive named by the bucket id (which is also in the
// ids keyspace, so the scrubber keeps it). Never-versioned buckets without
// Object Lock have no such file. A change writes the files (fsync, rename,
// directory fsync; write quorum) before it commits the index, under
// bucketCfgMu, so the drives never hold a state older than the index.

// bucketCfg is what a bucket file records: the bucket without counters.
func (b *bucketRecord) cfg() *bucketRecord {
	c := &bucketRecord{ID: b.ID, Tenant: b.Tenant, Name: b.Name, Created: b.Created, Versioning: b.Versioning}
	if b.Lock != nil {
		l := *b.Lock
		c.Lock = &l
	}
	return c
}

// persistBucketCfg writes b's bucket file on every drive. The caller holds
// the pin of b.ID until the index records the id.
func (s *Store) persistBucketCfg(b *bucketRecord) error {
	cfg := b.cfg()
	failed := make([]error, len(s.drives))
	var ok atomic.Int32
	s.parallel(func(i int) {
		d := s.drives[i]
		if err := s.writeMetaFile(d, b.ID, &metaHeader{Kind: "bucket", Shard: i, BucketCfg: cfg}, nil); err != nil {
			failed[i] = err
			d.noteError(err)
			return
		}
		ok.Add(1)
	})
	if int(ok.Load()) < s.writeQuorum() {
		return s.quorumError(failed)
	}
	return nil
}

// changeBucketCfg applies change to the bucket's record, writes the
// bucket file and then commits the record.
func (s *Store) changeBucketCfg(tenant, bucket string, change func(b *bucketRecord) (bool, error)) error {
	s.bucketCfgMu.Lock()
	defer s.bucketCfgMu.Unlock()
	b, err := s.lookupBucket(tenant, bucket)
	if err != nil {
		return err
	}
	changed, err := change(b)
	if err != nil || !changed {
		return err
	}
	s.pinID(b.ID)
	defer s.unpinID(b.ID)
	if err := s.persistBucketCfg(b); err != nil {
		return err
	}
	return s.idx.Update(func(tx indexTx) error {
		cur, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if cur.ID != b.ID {
			return fmt.Errorf("%w: %s was deleted", ErrBucketNotFound, bucket)
		}
		cur.Versioning, cur.Lock = b.Versioning, b.Lock
		if err := tx.addID(b.ID, b.ID); err != nil {
			return err
		}
		return tx.putBucket(cur)
	})
}

// SetBucketVersioning sets a bucket's versioning state: VersioningEnabled
// or VersioningSuspended (ErrInvalidVersioning otherwise). A bucket with
// Object Lock cannot be suspended (ErrInvalidBucketState). Suspending a
// never-versioned bucket records the state (it writes null versions, as
// before, but lists them as versions).
func (s *Store) SetBucketVersioning(ctx context.Context, tenant, bucket, state string) error {
	if state != VersioningEnabled && state != VersioningSuspended {
		return fmt.Errorf("%w: %q", ErrInvalidVersioning, state)
	}
	return s.changeBucketCfg(tenant, bucket, func(b *bucketRecord) (bool, error) {
		if state == VersioningSuspended && b.Lock != nil && b.Lock.Enabled {
			return false, fmt.Errorf("%w: versioning cannot be suspended on %s: it has Object Lock", ErrInvalidBucketState, bucket)
		}
		if b.Versioning == state {
			return false, nil
		}
		b.Versioning = state
		return true, nil
	})
}

// PutObjectLockConfig sets a bucket's Object Lock configuration (the
// default retention of new versions). It enables Object Lock on a bucket
// whose versioning is Enabled; any other is ErrInvalidBucketState.
func (s *Store) PutObjectLockConfig(ctx context.Context, tenant, bucket string, cfg LockConfig) error {
	cfg.Enabled = true
	if err := validLockConfig(cfg); err != nil {
		return err
	}
	return s.changeBucketCfg(tenant, bucket, func(b *bucketRecord) (bool, error) {
		if b.Versioning != VersioningEnabled {
			return false, fmt.Errorf("%w: Object Lock needs versioning Enabled on %s", ErrInvalidBucketState, bucket)
		}
		if b.Lock != nil && *b.Lock == cfg {
			return false, nil
		}
		b.Lock = &cfg
		return true, nil
	})
}

// dropBucketCfg removes a deleted bucket's files (best effort, like every
// removal: a leftover is an orphan the scrubber removes).
func (s *Store) dropBucketCfg(b *bucketRecord) {
	if b.versioned() || b.Lock != nil {
		s.removeData([]string{b.ID})
	}
}

// healBucketCfgs rewrites the bucket files of versioned or locked buckets
// that a drive lacks, holds corrupt, or holds with a state other than the
// index's (a scrub pass runs it; the index is the truth).
func (s *Store) healBucketCfgs(ctx context.Context) error {
	var bs []bucketRecord
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		ts, err := tx.tenants()
		if err != nil {
			return err
		}
		for _, t := range ts {
			all, err := tx.buckets(t.Name)
			if err != nil {
				return err
			}
			for _, b := range all {
				if b.versioned() || b.Lock != nil {
					bs = append(bs, b)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range bs {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.healBucketCfg(&bs[i])
	}
	return nil
}

func (s *Store) healBucketCfg(b *bucketRecord) {
	s.bucketCfgMu.Lock()
	defer s.bucketCfgMu.Unlock()
	// Re-read under the lock: a change since the scan wrote its own files.
	cur, err := s.lookupBucket(b.Tenant, b.Name)
	if err != nil || cur.ID != b.ID {
		return
	}
	want := cur.cfg()
	hs := s.readHeaders(b.ID)
	for i, h := range hs {
		if h != nil && h.BucketCfg != nil && sameCfg(h.BucketCfg, want) {
			continue
		}
		d := s.drives[i]
		if err := s.writeMetaFile(d, b.ID, &metaHeader{Kind: "bucket", Shard: i, BucketCfg: want}, nil); err != nil {
			d.noteError(err)
			s.skipped("rewrite bucket file "+b.ID+" on "+d.Path(), err)
			continue
		}
		s.scrub.note(func(st *ScrubStats) { st.ShardsRepaired++ })
	}
}

func sameCfg(a, b *bucketRecord) bool {
	if a.ID != b.ID || a.Tenant != b.Tenant || a.Name != b.Name || !a.Created.Equal(b.Created) || a.Versioning != b.Versioning {
		return false
	}
	if (a.Lock == nil) != (b.Lock == nil) {
		return false
	}
	return a.Lock == nil || *a.Lock == *b.Lock
}
