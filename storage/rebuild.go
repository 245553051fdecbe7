package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RebuildStats is what RebuildIndex restored and what it had to skip.
type RebuildStats struct {
	Objects int // object versions recorded in the index
	Parts   int // upload parts recorded
	// Errors counts the errors skipped on the way (an unreadable drive,
	// directory, pack segment or metadata file): each may have left
	// objects out of the index. FirstErrors holds the first 16 messages.
	Errors      uint64
	FirstErrors []string
}

// RebuildIndex restores the index from the per-drive .meta files: every
// object version found on the drives that is newer than what the index
// holds for its key is recorded (creating missing tenants, with no quota,
// and buckets), unfinished uploads are restored from their parts, and
// usage counters (with the count of unfinished uploads) are recounted.
// Small objects are found in the drives' pack logs as well as in .meta
// files, and buckets' versioning state, Object Lock configuration and
// configuration documents in their bucket files. Versions that lost to a
// newer one of the same version id (a replaced null version, an
// overwritten object) are removed from the drives (discardVersions), so a
// later rebuild cannot bring them back once the newer one is gone. Quotas,
// suspension, tenant defaults and volumes are not stored on the drives and
// are not restored. Read errors do not stop it: they are
// counted and listed in the stats (and logged), since each may mean a
// smaller index.
func (s *Store) RebuildIndex(ctx context.Context) (st RebuildStats, err error) {
	errs := &errorTally{log: s.log}
	defer func() { st.Errors, st.FirstErrors = errs.snapshot() }()
	ids := s.metaIDs(ctx, errs)
	if err := ctx.Err(); err != nil {
		return st, err
	}
	trashed := map[string]bool{}
	if err := s.idx.View(func(tx indexTx) error {
		bs, err := tx.trash()
		for _, b := range bs {
			trashed[b.ID] = true
		}
		return err
	}); err != nil {
		return st, err
	}
	found := s.scanPackLogs(ctx, trashed, errs)
	if err := ctx.Err(); err != nil {
		return st, err
	}
	// By tenant\0bucket\0key\0version id: every version with an id, and
	// the newest null version of each key (older ones were replaced, and
	// are left for the scrubber as orphans).
	objects := map[string]*objRecord{}
	var losers []*objRecord // replaced versions still on the drives
	keep := func(r *objRecord) {
		k := r.Tenant + "\x00" + r.Bucket + "\x00" + r.Key + "\x00" + r.VersionID
		old := objects[k]
		switch {
		case old == nil:
			objects[k] = r
		case old.ID == r.ID: // two copies of one version's record
			if newerVersion(r, old) {
				objects[k] = r
			}
		case newerVersion(r, old):
			objects[k] = r
			losers = append(losers, old)
		default:
			losers = append(losers, r)
		}
	}
	var cfgs []*metaHeader
	for id, r := range found.recs {
		if !found.killed[id] && s.readable(countLocs(found.locs[id])) {
			keep(r)
		}
	}
	parts := map[string]*metaHeader{}
	for id, copies := range ids {
		h, err := s.readAnyHeader(id)
		errs.add("read metadata of "+id, err)
		switch {
		case h == nil:
		case h.Kind != "bucket" && !s.readable(copies):
			// On fewer drives than it takes to read it back: a write cut
			// before its commit (never acknowledged, since a commit needs
			// write quorum), left for the scrubber. Restoring it would
			// shadow the version it was to replace with an unreadable one.
		case h.Object != nil && trashed[h.Object.BucketID], h.Part != nil && trashed[h.BucketID]:
		case h.Kind == "object" && h.Object.ID == id:
			keep(h.Object)
		case h.Kind == "part" && h.Part.Ref.ID == id:
			parts[id] = h
		case h.Kind == "bucket" && h.BucketCfg.ID == id && !trashed[id]:
			cfgs = append(cfgs, h)
		}
	}
	for _, r := range objects {
		for _, p := range r.Parts {
			delete(parts, p.ID)
		}
	}
	recs := make([]*objRecord, 0, len(objects))
	for _, r := range objects {
		recs = append(recs, r)
	}
	for _, r := range append(recs, losers...) {
		if locs := found.locs[r.ID]; locs != nil && len(r.Parts) == 1 && r.Parts[0].Inline {
			r.Parts[0].Packed = locs
		}
	}
	if err := s.restoreBucketCfgs(cfgs); err != nil {
		return st, err
	}
	var replaced []*objRecord
	if st.Objects, replaced, err = s.restoreObjects(recs); err != nil {
		return st, err
	}
	if err := s.discardVersions(append(losers, replaced...)); err != nil {
		return st, err
	}
	if st.Parts, err = s.restoreParts(parts); err != nil {
		return st, err
	}
	if err := s.recountUsage(); err != nil {
		return st, err
	}
	return st, s.recountUploads()
}

// readable reports whether copies on that many drives can be read back:
// a stream needs data shards, one per drive.
func (s *Store) readable(copies int) bool { return copies >= s.data }

// countLocs counts the drives holding a packed record.
func countLocs(locs []PackLoc) int {
	n := 0
	for _, l := range locs {
		if l.Len > 0 {
			n++
		}
	}
	return n
}

// metaIDs counts, per data id, the drives that have its .meta file.
func (s *Store) metaIDs(ctx context.Context, errs *errorTally) map[string]int {
	ids := map[string]int{}
	for _, d := range s.drives {
		err := d.Walk(func(name string, _ time.Time) error {
			if id, ok := strings.CutSuffix(name, ".meta"); ok {
				ids[id]++
			}
			return ctx.Err()
		})
		if ctx.Err() == nil {
			errs.add("list "+d.Path(), err)
		}
	}
	return ids
}

// packedFound is what the pack logs hold: each id's latest location on
// each drive, the record at its latest location overall, and the ids
// killed by "delete" records.
type packedFound struct {
	locs   map[string][]PackLoc
	latest map[string]PackLoc
	recs   map[string]*objRecord
	killed map[string]bool
}

// scanPackLogs reads every pack segment of every drive.
func (s *Store) scanPackLogs(ctx context.Context, trashed map[string]bool, errs *errorTally) *packedFound {
	f := &packedFound{locs: map[string][]PackLoc{}, latest: map[string]PackLoc{}, recs: map[string]*objRecord{}, killed: map[string]bool{}}
	after := func(a, b PackLoc) bool { return a.Seg > b.Seg || a.Seg == b.Seg && a.Off > b.Off }
	for i, d := range s.drives {
		segs, err := d.PackSegments()
		errs.add("list pack segments of "+d.Path(), err)
		for _, seg := range segs {
			err := d.ScanPack(seg, func(loc PackLoc, rec []byte) error {
				h, _, err := decodeMeta(rec)
				if err != nil || h.Shard != i {
					errs.add(fmt.Sprintf("pack segment %s of %s at %d", segName(seg), d.Path(), loc.Off), err)
					return nil
				}
				if h.Kind == "delete" {
					for _, k := range h.Kills {
						f.killed[k.ID] = true
					}
					return nil
				}
				if h.Object == nil || len(h.Object.Parts) != 1 || trashed[h.Object.BucketID] {
					return nil
				}
				r := h.Object
				if f.locs[r.ID] == nil {
					f.locs[r.ID] = make([]PackLoc, len(s.drives))
				}
				if prev := f.locs[r.ID][i]; prev.Len == 0 || after(loc, prev) {
					f.locs[r.ID][i] = loc
				}
				if l, ok := f.latest[r.ID]; !ok || after(loc, l) {
					f.latest[r.ID], f.recs[r.ID] = loc, r
				}
				return ctx.Err()
			})
			if ctx.Err() == nil {
				errs.add(fmt.Sprintf("scan pack segment %s of %s", segName(seg), d.Path()), err)
			}
		}
	}
	return f
}

// restoreObjects records recs, in batches, where the index holds nothing
// newer for their key, and returns how many it recorded and the versions
// that lost to a newer one of the same key and version id (replaced).
func (s *Store) restoreObjects(recs []*objRecord) (int, []*objRecord, error) {
	restored := 0
	var replaced []*objRecord
	for i := 0; i < len(recs); i += purgeBatch {
		chunk := recs[i:min(i+purgeBatch, len(recs))]
		n := 0
		var lost []*objRecord
		if err := s.idx.Update(func(tx indexTx) error {
			n, lost = 0, lost[:0]
			for _, r := range chunk {
				b, err := ensureBucket(tx, r.Tenant, r.Bucket, r.BucketID, r.ModTime)
				if err != nil {
					return err
				}
				if b.ID != r.BucketID {
					continue // left over from a deleted bucket of the same name
				}
				if have, _, err := storedVersion(tx, r); err != nil || have != nil {
					if err != nil {
						return err
					}
					continue
				}
				if b.versioned() || r.VersionID != "" || r.DeleteMarker {
					placed, loser, err := restoreVersion(tx, r)
					if err != nil {
						return err
					}
					if placed {
						n++
					}
					if loser != nil {
						lost = append(lost, loser)
					}
					continue
				}
				cur, err := tx.object(b.ID, r.Key)
				if err != nil {
					return err
				}
				if cur != nil && cur.ID == r.ID {
					continue
				}
				if cur != nil && newerVersion(cur, r) {
					lost = append(lost, r)
					continue
				}
				if cur != nil {
					lost = append(lost, cur)
					for _, id := range cur.dataIDs() {
						if err := tx.deleteID(id); err != nil {
							return err
						}
					}
				}
				for _, id := range r.dataIDs() {
					if err := tx.addID(id, b.ID); err != nil {
						return err
					}
				}
				if err := tx.putObject(r); err != nil {
					return err
				}
				n++
			}
			return nil
		}); err != nil {
			return restored, replaced, err
		}
		restored += n
		replaced = append(replaced, lost...)
	}
	return restored, replaced, nil
}

// discardVersions removes replaced versions' data from the drives
// (files, and tombstones for packed records) through the cleanup journal,
// so no later rebuild finds them again once what replaced them is gone.
// A version can be both a loser among the drives' copies and the index's
// record a restore replaced: it is discarded once.
func (s *Store) discardVersions(recs []*objRecord) error {
	seen := map[string]bool{}
	recs = slices.DeleteFunc(slices.Clone(recs), func(r *objRecord) bool {
		dup := seen[r.ID]
		seen[r.ID] = true
		return dup
	})
	for i := 0; i < len(recs); i += purgeBatch {
		chunk := recs[i:min(i+purgeBatch, len(recs))]
		var ids []string
		for _, r := range chunk {
			ids = append(ids, r.fileIDs()...)
		}
		c := newCleanupRecord(ids, chunk, nil)
		var seq uint64
		if err := s.idx.Update(func(tx indexTx) error {
			var err error
			seq, err = journal(tx, nil, c)
			return err
		}); err != nil {
			return err
		}
		s.runCleanup(seq, c)
	}
	return s.flushCleanups()
}

// restoreVersion records r among its key's versions (placeVersion); a null
// version it would replace wins when it is newer. The loser of the two,
// if any, is returned for discardVersions. Usage and pack byte
// counts are recounted afterwards.
func restoreVersion(tx indexTx, r *objRecord) (placed bool, loser *objRecord, err error) {
	prev, err := tx.object(r.BucketID, r.Key)
	if err != nil {
		return false, nil, err
	}
	_, placed, err = placeVersion(tx, r, prev, func(old *objRecord, _ bool) (bool, error) {
		if newerVersion(old, r) {
			loser = r
			return true, nil
		}
		loser = old
		for _, id := range old.dataIDs() {
			if err := tx.deleteID(id); err != nil {
				return false, err
			}
		}
		return false, nil
	})
	if err != nil || !placed {
		return false, loser, err
	}
	for _, id := range r.dataIDs() {
		if err := tx.addID(id, r.BucketID); err != nil {
			return false, nil, err
		}
	}
	return true, loser, nil
}

// restoreBucketCfgs restores buckets from their bucket files (versioning
// state, Object Lock configuration and configuration documents), creating
// missing tenants and buckets. A bucket whose index configuration is as
// new as the file's (CfgGen; or, for files from before CfgGen, one the
// index already versions or locks) is left as it is; otherwise the
// file's configuration replaces the index's, documents included.
func (s *Store) restoreBucketCfgs(cfgs []*metaHeader) error {
	s.bucketCfgMu.Lock()
	defer s.bucketCfgMu.Unlock()
	return s.idx.Update(func(tx indexTx) error {
		for _, h := range cfgs {
			c := h.BucketCfg
			b, err := ensureBucket(tx, c.Tenant, c.Name, c.ID, c.Created)
			if err != nil {
				return err
			}
			if b.ID != c.ID {
				continue // a deleted bucket's leftover file
			}
			if c.CfgGen > b.CfgGen || c.CfgGen == 0 && b.CfgGen == 0 && !b.versioned() && b.Lock == nil {
				b.Versioning, b.Lock, b.CfgGen = c.Versioning, c.Lock, c.CfgGen
				if err := tx.putBucket(b); err != nil {
					return err
				}
				if err := restoreDocs(tx, b.ID, h.Configs); err != nil {
					return err
				}
			}
			if err := tx.addID(c.ID, c.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// restoreDocs makes the bucket's documents in the index those of a bucket
// file. Kinds this build does not know (a file from a newer one) are
// skipped.
func restoreDocs(tx indexTx, bucketID string, docs map[ConfigKind][]byte) error {
	have, err := tx.bucketConfigs(bucketID)
	if err != nil {
		return err
	}
	for _, k := range sortedKinds(have) {
		if _, keep := docs[k]; !keep {
			if err := tx.deleteBucketConfig(bucketID, k); err != nil {
				return err
			}
		}
	}
	for _, k := range sortedKinds(docs) {
		if _, known := configLimits[k]; !known || len(docs[k]) == 0 {
			continue
		}
		if err := tx.putBucketConfig(bucketID, k, docs[k]); err != nil {
			return err
		}
	}
	return nil
}

// restoreParts records upload parts (and their uploads) where the index
// holds no newer part of that number, and returns how many it recorded.
func (s *Store) restoreParts(parts map[string]*metaHeader) (int, error) {
	n := 0
	err := s.idx.Update(func(tx indexTx) error {
		n = 0
		for _, h := range parts {
			b, err := ensureBucket(tx, h.Tenant, h.Bucket, h.BucketID, h.Part.ModTime)
			if err != nil {
				return err
			}
			if b.ID != h.BucketID {
				continue
			}
			u, err := tx.upload(b.ID, h.Key, h.Part.UploadID)
			if err != nil {
				return err
			}
			if u == nil {
				u = &uploadRecord{UploadID: h.Part.UploadID, Tenant: h.Tenant, Bucket: h.Bucket, Key: h.Key, Initiated: h.Part.ModTime,
					SSE: h.UploadSSE}
				if err := tx.putUpload(b.ID, u); err != nil {
					return err
				}
			}
			p, err := tx.part(h.Part.UploadID, h.Part.Number)
			if err != nil {
				return err
			}
			if p != nil && !p.ModTime.Before(h.Part.ModTime) {
				continue
			}
			if err := tx.putPart(h.Part); err != nil {
				return err
			}
			if err := tx.addID(h.Part.Ref.ID, b.ID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// newer orders versions of one key: later ModTime wins, then larger id.
func newer(a, b *objRecord) bool {
	if !a.ModTime.Equal(b.ModTime) {
		return a.ModTime.After(b.ModTime)
	}
	return a.ID > b.ID
}

// readAnyHeader returns the first .meta header of id that decodes. The
// error (nil when a copy decoded) joins why each drive's copy did not.
// An object version's Object Lock is the strongest any copy holds (see
// mergeLock): a drive that missed a retention extension or a legal hold
// must not weaken the lock. Of a bucket file's copies, the one with the
// highest CfgGen wins: a drive that missed a configuration change holds
// an older one.
func (s *Store) readAnyHeader(id string) (*metaHeader, error) {
	var (
		errs  []error
		first *metaHeader
	)
	for _, d := range s.drives {
		raw, err := d.ReadFile(id + ".meta")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		h, _, err := decodeMeta(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Path(), err))
			continue
		}
		if first == nil {
			first = h
			if (h.Object == nil || h.Object.Stamp == 0) && h.BucketCfg == nil {
				return h, nil // no version, no lock to merge
			}
			continue
		}
		switch {
		case h.Object != nil && first.Object != nil && h.Object.ID == first.Object.ID:
			mergeLock(first.Object, h.Object)
		case h.BucketCfg != nil && first.BucketCfg != nil && h.BucketCfg.ID == first.BucketCfg.ID &&
			h.BucketCfg.CfgGen > first.BucketCfg.CfgGen:
			first = h
		}
	}
	if first != nil {
		return first, nil
	}
	return nil, errors.Join(errs...)
}

// mergeLock gives r the stronger lock of r and o: legal hold if either
// has it, and the retention that ends later (COMPLIANCE over GOVERNANCE at
// the same date).
func mergeLock(r, o *objRecord) {
	r.LegalHold = r.LegalHold || o.LegalHold
	switch {
	case o.Retention == nil:
	case r.Retention == nil, o.Retention.Until.After(r.Retention.Until),
		o.Retention.Until.Equal(r.Retention.Until) && o.Retention.Mode == LockCompliance:
		cp := *o.Retention
		r.Retention = &cp
	}
}

// ensureBucket returns the tenant's bucket, creating tenant and bucket
// records when missing.
func ensureBucket(tx indexTx, tenant, bucket, id string, created time.Time) (*bucketRecord, error) {
	t, err := tx.tenant(tenant)
	if err != nil {
		return nil, err
	}
	if t == nil {
		if err := tx.putTenant(&tenantRecord{Name: tenant, Created: created}); err != nil {
			return nil, err
		}
	}
	b, err := tx.bucket(tenant, bucket)
	if err != nil || b != nil {
		return b, err
	}
	if id == "" {
		id = newID()
	}
	b = &bucketRecord{ID: id, Tenant: tenant, Name: bucket, Created: created}
	return b, tx.putBucket(b)
}
