package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"
)

// A bucket's versioning state, Object Lock configuration and configuration
// documents (configs.go) live in the index (the bucket record; documents in
// configs/<bucket id>) and, so that RebuildIndex restores them, in a
// "bucket" .meta file on every drive named by the bucket id (which is also
// in the ids keyspace, so the scrubber keeps it). Never-versioned buckets
// without Object Lock that were never configured have no such file
// (hasCfgFile). A change writes the whole configuration to the files
// (fsync, rename, directory fsync; write quorum) before it commits the
// index in one transaction, under bucketCfgMu, so the drives never hold a
// state older than the index. Every change raises CfgGen (a stamp), which
// the file carries: RebuildIndex takes the copy with the highest, and scrub rewrites
// copies that differ from the index.

// bucketCfg is what a bucket file records: the bucket without counters.
func (b *bucketRecord) cfg() *bucketRecord {
	c := &bucketRecord{ID: b.ID, Tenant: b.Tenant, Name: b.Name, Created: b.Created, Versioning: b.Versioning, CfgGen: b.CfgGen}
	if b.Lock != nil {
		l := *b.Lock
		c.Lock = &l
	}
	return c
}

// hasCfgFile reports whether the bucket has bucket files on the drives.
func (b *bucketRecord) hasCfgFile() bool {
	return b.versioned() || b.Lock != nil || b.CfgGen > 0
}

// bucketFile is drive i's bucket file header for b and its documents.
func bucketFile(b *bucketRecord, docs map[ConfigKind][]byte, i int) *metaHeader {
	h := &metaHeader{Kind: "bucket", Shard: i, BucketCfg: b.cfg()}
	if len(docs) > 0 {
		h.Configs = docs
	}
	return h
}

// persistBucketCfg writes b's bucket file on every drive. The caller holds
// the pin of b.ID until the index records the id.
func (s *Store) persistBucketCfg(b *bucketRecord, docs map[ConfigKind][]byte) error {
	failed := make([]error, len(s.drives))
	var ok atomic.Int32
	s.parallel(func(i int) {
		d := s.drives[i]
		if err := s.writeMetaFile(d, b.ID, bucketFile(b, docs, i), nil); err != nil {
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

// changeBucketCfg applies change to the bucket's record and documents
// (change may edit both, and reports whether it changed anything), writes
// the bucket file and then commits record and documents in one
// transaction.
func (s *Store) changeBucketCfg(tenant, bucket string, change func(b *bucketRecord, docs map[ConfigKind][]byte) (bool, error)) error {
	s.bucketCfgMu.Lock()
	defer s.bucketCfgMu.Unlock()
	var (
		b    *bucketRecord
		docs map[ConfigKind][]byte
	)
	err := s.idx.View(func(tx indexTx) (err error) {
		if b, err = bucketOf(tx, tenant, bucket); err != nil {
			return err
		}
		docs, err = tx.bucketConfigs(b.ID)
		return err
	})
	if err != nil {
		return err
	}
	old := maps.Clone(docs)
	changed, err := change(b, docs)
	if err != nil || !changed {
		return err
	}
	// Unique even after a change whose files were written but whose
	// commit failed: a later change never shares its generation.
	b.CfgGen = max(b.CfgGen+1, s.newStamp())
	s.pinID(b.ID)
	defer s.unpinID(b.ID)
	if err := s.persistBucketCfg(b, docs); err != nil {
		return err
	}
	release := s.excludeFast() // versioning and Object Lock end a bucket's fast PUTs
	err = s.idx.Update(func(tx indexTx) error {
		cur, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if cur.ID != b.ID {
			return fmt.Errorf("%w: %s was deleted", ErrBucketNotFound, bucket)
		}
		cur.Versioning, cur.Lock, cur.CfgGen = b.Versioning, b.Lock, b.CfgGen
		for _, k := range sortedKinds(old) {
			if _, keep := docs[k]; !keep {
				if err := tx.deleteBucketConfig(b.ID, k); err != nil {
					return err
				}
			}
		}
		for _, k := range sortedKinds(docs) {
			if !bytes.Equal(old[k], docs[k]) {
				if err := tx.putBucketConfig(b.ID, k, docs[k]); err != nil {
					return err
				}
			}
		}
		if err := tx.addID(b.ID, b.ID); err != nil {
			return err
		}
		return tx.putBucket(cur)
	})
	release()
	if errors.Is(err, ErrBucketNotFound) {
		// Deleted meanwhile (its delete saw no file to remove, or removed
		// the old one): the files just written must not bring it back in
		// a rebuild.
		s.removeData([]string{b.ID})
	}
	return err
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
	return s.changeBucketCfg(tenant, bucket, func(b *bucketRecord, _ map[ConfigKind][]byte) (bool, error) {
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
	return s.changeBucketCfg(tenant, bucket, func(b *bucketRecord, _ map[ConfigKind][]byte) (bool, error) {
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
	if b.hasCfgFile() {
		s.removeData([]string{b.ID})
	}
}

// healBucketCfgs rewrites the bucket files of buckets that have them
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
				if b.hasCfgFile() {
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
	var (
		cur  *bucketRecord
		docs map[ConfigKind][]byte
	)
	err := s.idx.View(func(tx indexTx) (err error) {
		if cur, err = bucketOf(tx, b.Tenant, b.Name); err != nil || cur.ID != b.ID {
			return err
		}
		docs, err = tx.bucketConfigs(b.ID)
		return err
	})
	if err != nil || cur.ID != b.ID {
		return
	}
	want := cur.cfg()
	hs := s.readHeaders(b.ID)
	for i, h := range hs {
		if h != nil && h.BucketCfg != nil && sameCfg(h.BucketCfg, want) && sameDocs(h.Configs, docs) {
			continue
		}
		d := s.drives[i]
		if err := s.writeMetaFile(d, b.ID, bucketFile(cur, docs, i), nil); err != nil {
			d.noteError(err)
			s.skipped("rewrite bucket file "+b.ID+" on "+d.Path(), err)
			continue
		}
		s.scrub.note(func(st *ScrubStats) { st.ShardsRepaired++ })
	}
}

func sameCfg(a, b *bucketRecord) bool {
	if a.ID != b.ID || a.Tenant != b.Tenant || a.Name != b.Name || !a.Created.Equal(b.Created) ||
		a.Versioning != b.Versioning || a.CfgGen != b.CfgGen {
		return false
	}
	if (a.Lock == nil) != (b.Lock == nil) {
		return false
	}
	return a.Lock == nil || *a.Lock == *b.Lock
}

func sameDocs(a, b map[ConfigKind][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}
