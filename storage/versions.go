package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"time"
)

// A version id is 32 lowercase hex digits: 16 of the inverted stamp (so
// ids of one key sort newest first, as their index keys do) and 16 random
// ones (so an id cannot be guessed from the time). The stamp makes a
// lookup by id a point get in the versions keyspace.
const versionIDLen = 32

// newStamp returns a stamp larger than every stamp this store handed out:
// the wall clock in nanoseconds, or the last stamp plus one.
func (s *Store) newStamp() uint64 {
	for {
		n := uint64(time.Now().UnixNano())
		last := s.lastStamp.Load()
		if n <= last {
			n = last + 1
		}
		if s.lastStamp.CompareAndSwap(last, n) {
			return n
		}
	}
}

// newVersionID is the id of a new (non-null) version with stamp st.
func newVersionID(st uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], ^st)
	if _, err := rand.Read(b[8:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// ValidVersionID reports whether id is syntactically a version id:
// NullVersion or one this store generates. Anything else names no version.
func ValidVersionID(id string) bool {
	if id == NullVersion {
		return true
	}
	if len(id) != versionIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// stampOfVersionID returns the stamp a non-null version id encodes.
func stampOfVersionID(id string) (uint64, bool) {
	if id == NullVersion || !ValidVersionID(id) {
		return 0, false
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(id[:16])); err != nil {
		return 0, false
	}
	return ^binary.BigEndian.Uint64(b[:]), true
}

// newerVersion orders two versions of one key: the larger stamp is newer;
// records without stamps (written before versioning) fall back to newer.
func newerVersion(a, b *objRecord) bool {
	if a.Stamp != b.Stamp {
		return a.Stamp > b.Stamp
	}
	return newer(a, b)
}

func (b *bucketRecord) versioned() bool { return b.Versioning != "" }

// versionFields are what a new version gets from its bucket when its
// write starts: its stamp and id (null unless versioning is Enabled) and
// its lock (explicit, or the bucket's default retention from modTime).
type versionFields struct {
	stamp     uint64
	versionID string
	retention *Retention
	legalHold bool
}

func (s *Store) newVersionFields(b *bucketRecord, r *Retention, legalHold bool, modTime time.Time) (versionFields, error) {
	st := s.newStamp()
	f := versionFields{stamp: st, legalHold: legalHold}
	if b.Versioning == VersioningEnabled {
		f.versionID = newVersionID(st)
	}
	if r != nil || legalHold {
		if b.Lock == nil || !b.Lock.Enabled {
			return f, fmt.Errorf("%w: %s", ErrNoLockConfig, b.Name)
		}
	}
	switch {
	case r != nil:
		if err := validRetention(*r, s.lockNow()); err != nil {
			return f, err
		}
		cp := *r
		f.retention = &cp
	case b.Lock != nil:
		f.retention = b.Lock.defaultRetention(modTime)
	}
	return f, nil
}

func (f versionFields) apply(rec *objRecord) {
	rec.Stamp, rec.VersionID, rec.Retention, rec.LegalHold = f.stamp, f.versionID, f.retention, f.legalHold
}

// storedVersion finds r's version in the index: current (in objects) or
// noncurrent (in versions); nil when it is gone.
func storedVersion(tx indexTx, r *objRecord) (*objRecord, bool, error) {
	cur, err := tx.object(r.BucketID, r.Key)
	if err != nil {
		return nil, false, err
	}
	if cur != nil && cur.ID == r.ID {
		return cur, true, nil
	}
	v, err := tx.version(r.BucketID, r.Key, r.Stamp)
	if err != nil || v == nil || v.ID != r.ID {
		return nil, false, err
	}
	return v, false, nil
}

// putStored writes back a version found by storedVersion or findVersion.
func putStored(tx indexTx, r *objRecord, current bool) error {
	if current {
		return tx.putObject(r)
	}
	return tx.putVersion(r)
}

// findVersion finds a key's version by id (NullVersion: the null version)
// and whether it is the current one; nil when there is none.
func findVersion(tx indexTx, bucketID, key, id string) (*objRecord, bool, error) {
	cur, err := tx.object(bucketID, key)
	if err != nil {
		return nil, false, err
	}
	if cur != nil && cur.versionID() == id {
		return cur, true, nil
	}
	var st uint64
	if id == NullVersion {
		s, ok, err := tx.nullStamp(bucketID, key)
		if err != nil || !ok {
			return nil, false, err
		}
		st = s
	} else {
		s, ok := stampOfVersionID(id)
		if !ok {
			return nil, false, nil
		}
		st = s
	}
	v, err := tx.version(bucketID, key, st)
	if err != nil || v == nil || v.versionID() != id {
		return nil, false, err
	}
	return v, false, nil
}

// nullNoncurrent returns the key's null version when it is in versions.
func nullNoncurrent(tx indexTx, bucketID, key string) (*objRecord, error) {
	st, ok, err := tx.nullStamp(bucketID, key)
	if err != nil || !ok {
		return nil, err
	}
	return tx.version(bucketID, key, st)
}

// demote moves the current version r into versions (it stays stored).
func demote(tx indexTx, r *objRecord) (usageDelta, error) {
	if err := tx.deleteObject(r.BucketID, r.Key); err != nil {
		return usageDelta{}, err
	}
	if err := tx.putVersion(r); err != nil {
		return usageDelta{}, err
	}
	if r.VersionID == "" {
		if err := tx.putNull(r.BucketID, r.Key, r.Stamp); err != nil {
			return usageDelta{}, err
		}
	}
	return usageDelta{NoncurrentObjects: 1, NoncurrentBytes: r.Size}, nil
}

// dropVersion removes r's index entry (current or in versions).
func dropVersion(tx indexTx, r *objRecord, current bool) error {
	if current {
		return tx.deleteObject(r.BucketID, r.Key)
	}
	if r.VersionID == "" {
		if err := tx.deleteNull(r.BucketID, r.Key); err != nil {
			return err
		}
	}
	return tx.deleteVersion(r.BucketID, r.Key, r.Stamp)
}

// promote makes the key's newest version current again when the key has
// no current version and that version is an object (not a delete marker):
// after the current version or the latest delete marker was removed.
func promote(tx indexTx, bucketID, key string) (usageDelta, error) {
	cur, err := tx.object(bucketID, key)
	if err != nil || cur != nil {
		return usageDelta{}, err
	}
	nv, err := tx.newestVersion(bucketID, key)
	if err != nil || nv == nil || nv.DeleteMarker {
		return usageDelta{}, err
	}
	nv.BucketID = bucketID
	if err := dropVersion(tx, nv, false); err != nil {
		return usageDelta{}, err
	}
	if err := tx.putObject(nv); err != nil {
		return usageDelta{}, err
	}
	return usageDelta{NoncurrentObjects: -1, NoncurrentBytes: -nv.Size}, nil
}

// placeVersion records rec among the versions of its key in a versioned
// bucket (or one being restored): a null rec first replaces the key's null
// version wherever it is (replaced is called with it and may refuse, or
// skip rec when the old one wins); rec becomes current when it is an
// object newer than every version, and the current version moves to
// versions when rec is newer than it. It returns the usage change (rec
// counted) and whether rec was placed.
func placeVersion(tx indexTx, rec *objRecord, prev *objRecord, replaced func(old *objRecord, current bool) (skip bool, err error)) (usageDelta, bool, error) {
	var d usageDelta
	if rec.VersionID == "" {
		old, oldCurrent := prev, true
		if old == nil || old.VersionID != "" {
			var err error
			if old, err = nullNoncurrent(tx, rec.BucketID, rec.Key); err != nil {
				return d, false, err
			}
			oldCurrent = false
		}
		if old != nil {
			old.BucketID = rec.BucketID
			skip, err := replaced(old, oldCurrent)
			if err != nil || skip {
				return d, false, err
			}
			if err := dropVersion(tx, old, oldCurrent); err != nil {
				return d, false, err
			}
			d = d.plus(versionDelta(old, !oldCurrent, -1))
			if oldCurrent {
				prev = nil
			}
		}
	}
	newest := prev
	if newest == nil {
		var err error
		if newest, err = tx.newestVersion(rec.BucketID, rec.Key); err != nil {
			return d, false, err
		}
	}
	newestOverall := newest == nil || newerVersion(rec, newest)
	if prev != nil && newestOverall {
		dd, err := demote(tx, prev)
		if err != nil {
			return d, false, err
		}
		d = d.plus(dd)
	}
	if !rec.DeleteMarker && newestOverall {
		d = d.plus(versionDelta(rec, false, 1))
		return d, true, tx.putObject(rec)
	}
	if rec.VersionID == "" {
		if err := tx.putNull(rec.BucketID, rec.Key, rec.Stamp); err != nil {
			return d, false, err
		}
	}
	d = d.plus(versionDelta(rec, true, 1))
	return d, true, tx.putVersion(rec)
}

// putVersioned is writeTx.putObject in a versioned bucket: rec joins the
// key's versions (see placeVersion); a null version it replaces must not
// be locked and its data is removed after the commit.
func (w *writeTx) putVersioned(tx indexTx, b *bucketRecord, prev, rec *objRecord, extra usageDelta) error {
	at := w.s.lockNow()
	d, _, err := placeVersion(tx, rec, prev, func(old *objRecord, current bool) (bool, error) {
		if err := checkRemove(old, at, false); err != nil {
			return false, fmt.Errorf("%w: %s version %s", err, old.Key, old.versionID())
		}
		if err := unlinkObject(tx, old); err != nil {
			return false, err
		}
		w.replaceObject(old)
		return false, nil
	})
	if err != nil {
		return err
	}
	if rec.DeleteMarker {
		d.noQuota = true // deleting is never refused for quota
	}
	if err := w.s.applyUsage(tx, rec.Tenant, b, d.plus(extra)); err != nil {
		return err
	}
	if err := packDelta(tx, rec, 1); err != nil {
		return err
	}
	for _, id := range rec.dataIDs() {
		if err := tx.addID(id, b.ID); err != nil {
			return err
		}
	}
	return nil
}

// versionedPutDelta is the usage delta a write of size bytes will apply in
// a versioned bucket: one more version, less the null version it replaces
// (a null write: versionID ""), for precheckQuota.
func versionedPutDelta(tx indexTx, b *bucketRecord, key, versionID string, size int64) (usageDelta, error) {
	d := usageDelta{Objects: 1}
	if size >= 0 {
		d.Bytes = size
	}
	if versionID != "" {
		return d, nil
	}
	old, _, err := findVersion(tx, b.ID, key, NullVersion)
	if err != nil || old == nil {
		return d, err
	}
	d.Objects--
	if size >= 0 {
		d.Bytes -= old.Size
	}
	return d, nil
}

// errBecameVersioned makes an unversioned delete start again as a
// versioned one: versioning was enabled since it looked.
var errBecameVersioned = errors.New("storage: bucket became versioned")

// DeleteObject removes a key's current version (S3 DELETE without a
// version id): in a never-versioned bucket the object is gone (a missing
// key succeeds); in a versioned one a delete marker becomes the latest
// version (null when versioning is Suspended, replacing the null version).
// With opts.VersionID it removes that version for good (see
// deleteVersionByID). A missing bucket is ErrBucketNotFound.
func (s *Store) DeleteObject(ctx context.Context, tenant, bucket, key string, opts DeleteOptions) (DeleteResult, error) {
	if err := ValidObjectKey(key); err != nil {
		return DeleteResult{}, err
	}
	if opts.VersionID != "" {
		return s.deleteVersionByID(tenant, bucket, key, opts)
	}
	w := s.newIndexWrite()
	err := w.commit(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if b.versioned() {
			return errBecameVersioned
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
	if errors.Is(err, errBecameVersioned) {
		return s.putDeleteMarker(ctx, tenant, bucket, key)
	}
	return DeleteResult{}, err
}

// putDeleteMarker writes a delete marker: a 0-byte packed record with
// DeleteMarker set, persisted like a small object so that RebuildIndex
// finds it, and committed through writeTx.putObject.
func (s *Store) putDeleteMarker(ctx context.Context, tenant, bucket, key string) (DeleteResult, error) {
	b, err := s.lookupBucket(tenant, bucket)
	if err != nil {
		return DeleteResult{}, err
	}
	mod := now()
	f, err := s.newVersionFields(b, nil, false, mod)
	if err != nil {
		return DeleteResult{}, err
	}
	f.retention = nil // a marker is never locked
	w, err := s.stageBody(ctx, bytes.NewReader(nil), PutOptions{Size: 0})
	if err != nil {
		return DeleteResult{}, err
	}
	p := w.p
	rec := &objRecord{ID: p.ref.ID, Tenant: tenant, Bucket: bucket, BucketID: b.ID, Key: key,
		ETag: emptyETag, ModTime: mod, Parts: []dataRef{p.ref}, DeleteMarker: true}
	f.apply(rec)
	if err := w.persistObject(rec); err != nil {
		return DeleteResult{}, err
	}
	if err := w.commit(func(tx indexTx) error { return w.putObject(tx, rec, nil, usageDelta{}) }); err != nil {
		return DeleteResult{}, err
	}
	return DeleteResult{VersionID: rec.versionID(), DeleteMarker: true}, nil
}

// emptyETag is the MD5 of no bytes.
const emptyETag = "d41d8cd98f00b204e9800998ecf8427e"

// deleteVersionByID removes one version for good: its data, index entry
// and usage, in one commit. Removing the current version (or the latest
// delete marker) makes the next newest object version current. A version
// under retention or legal hold is ErrObjectLocked (GOVERNANCE yields to
// opts.BypassGovernance). A well-formed id that names no version succeeds,
// as S3 does; a malformed one is ErrNoSuchVersion.
func (s *Store) deleteVersionByID(tenant, bucket, key string, opts DeleteOptions) (DeleteResult, error) {
	id := opts.VersionID
	if !ValidVersionID(id) {
		return DeleteResult{}, fmt.Errorf("%w: %q", ErrNoSuchVersion, id)
	}
	var res DeleteResult
	w := s.newIndexWrite()
	err := w.commit(func(tx indexTx) error {
		res = DeleteResult{VersionID: id}
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		rec, current, err := findVersion(tx, b.ID, key, id)
		if err != nil || rec == nil {
			return err
		}
		rec.BucketID = b.ID
		if err := checkRemove(rec, s.lockNow(), opts.BypassGovernance); err != nil {
			return fmt.Errorf("%w: %s version %s", err, key, id)
		}
		res.DeleteMarker = rec.DeleteMarker
		if err := dropVersion(tx, rec, current); err != nil {
			return err
		}
		d := versionDelta(rec, !current, -1)
		pd, err := promote(tx, b.ID, key)
		if err != nil {
			return err
		}
		if err := s.applyUsage(tx, tenant, b, d.plus(pd)); err != nil {
			return err
		}
		if err := unlinkObject(tx, rec); err != nil {
			return err
		}
		w.replaceObject(rec)
		return nil
	})
	if err != nil {
		return DeleteResult{}, err
	}
	return res, nil
}

// getVersion reads one version ("" is the current one) and whether it is
// the latest. A delete marker is a *DeleteMarkerError.
func (s *Store) getVersion(tenant, bucket, key, versionID string) (*objRecord, bool, error) {
	var (
		rec    *objRecord
		latest bool
	)
	ix := s.idx
	if versionID == "" && s.fast != nil {
		// The current version: a PUT acknowledged and not yet applied is
		// in the fast log's overlay; any other is in the index already.
		if rec := s.fast.lookup(tenant, bucket, key); rec != nil {
			return rec, true, nil
		}
		ix = s.raw
	}
	err := ix.View(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if versionID == "" {
			rec, err = tx.object(b.ID, key)
			if err != nil || rec != nil {
				latest = true
				return err
			}
			if b.versioned() {
				nv, err := tx.newestVersion(b.ID, key)
				if err != nil {
					return err
				}
				if nv != nil && nv.DeleteMarker {
					return &DeleteMarkerError{VersionID: nv.versionID(), ModTime: nv.ModTime}
				}
			}
			return fmt.Errorf("%w: %s", ErrObjectNotFound, key)
		}
		if !ValidVersionID(versionID) {
			return fmt.Errorf("%w: %q", ErrNoSuchVersion, versionID)
		}
		rec, latest, err = findVersion(tx, b.ID, key, versionID)
		if err != nil {
			return err
		}
		if rec == nil {
			return fmt.Errorf("%w: %s version %s", ErrNoSuchVersion, key, versionID)
		}
		if rec.DeleteMarker {
			return &DeleteMarkerError{VersionID: versionID, Addressed: true, ModTime: rec.ModTime}
		}
		if !latest {
			// A noncurrent version's record names its bucket by id as
			// stored; make sure it is this bucket's.
			rec.BucketID = b.ID
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return rec, latest, nil
}

// GetObjectVersion returns one version's description ("" is the current
// version). A delete marker is a *DeleteMarkerError.
func (s *Store) GetObjectVersion(ctx context.Context, tenant, bucket, key, versionID string) (ObjectInfo, error) {
	if err := ValidObjectKey(key); err != nil {
		return ObjectInfo{}, err
	}
	rec, latest, err := s.getVersion(tenant, bucket, key, versionID)
	if err != nil {
		return ObjectInfo{}, err
	}
	info := rec.fullInfo()
	info.IsLatest = latest
	return info, nil
}

// OpenObjectVersion pins one version for reading ("" is the current one),
// as OpenObject does.
func (s *Store) OpenObjectVersion(ctx context.Context, tenant, bucket, key, versionID string) (ObjectReader, error) {
	return s.openVersion(ctx, tenant, bucket, key, versionID)
}

// modifyVersion changes one version's record in place (the current one
// for versionID "") and rewrites the per-drive copies of its metadata, as
// modifyObject does. change may refuse with an error.
func (s *Store) modifyVersion(tenant, bucket, key, versionID string, change func(b *bucketRecord, r *objRecord) error) (*objRecord, bool, error) {
	if err := ValidObjectKey(key); err != nil {
		return nil, false, err
	}
	if versionID != "" && !ValidVersionID(versionID) {
		return nil, false, fmt.Errorf("%w: %q", ErrNoSuchVersion, versionID)
	}
	var (
		rec     *objRecord
		current bool
	)
	w := s.newIndexWrite()
	err := w.commit(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if versionID == "" {
			rec, err = tx.object(b.ID, key)
			current = true
		} else {
			rec, current, err = findVersion(tx, b.ID, key, versionID)
		}
		if err != nil {
			return err
		}
		if rec == nil {
			if versionID == "" {
				return fmt.Errorf("%w: %s", ErrObjectNotFound, key)
			}
			return fmt.Errorf("%w: %s version %s", ErrNoSuchVersion, key, versionID)
		}
		if rec.DeleteMarker {
			return &DeleteMarkerError{VersionID: rec.versionID(), Addressed: true}
		}
		rec.BucketID = b.ID
		if err := change(b, rec); err != nil {
			return err
		}
		w.rewriteRecord(rec)
		return putStored(tx, rec, current)
	})
	if err != nil {
		return nil, false, err
	}
	return rec, current, nil
}

// SetObjectTags replaces one version's tag set ("" is the current one).
func (s *Store) SetObjectTags(ctx context.Context, tenant, bucket, key, versionID string, tags map[string]string) error {
	_, _, err := s.modifyVersion(tenant, bucket, key, versionID, func(_ *bucketRecord, r *objRecord) error {
		r.Meta.Tags = maps.Clone(tags)
		return nil
	})
	return err
}

// SetObjectACL sets one version's canned ACL name ("" is the current
// version; an empty acl clears it) in place, like tags: index commit, then
// the drive copies, so RebuildIndex restores it.
func (s *Store) SetObjectACL(ctx context.Context, tenant, bucket, key, versionID, acl string) error {
	if err := checkACL(acl); err != nil {
		return err
	}
	_, _, err := s.modifyVersion(tenant, bucket, key, versionID, func(_ *bucketRecord, r *objRecord) error {
		r.ACL = acl
		return nil
	})
	return err
}

// PutObjectRetention sets one version's retention (the zero Retention
// removes it) under the rules of changeRetention.
func (s *Store) PutObjectRetention(ctx context.Context, tenant, bucket, key, versionID string, r Retention, bypassGovernance bool) (ObjectInfo, error) {
	rec, latest, err := s.modifyVersion(tenant, bucket, key, versionID, func(b *bucketRecord, rec *objRecord) error {
		if b.Lock == nil || !b.Lock.Enabled {
			return fmt.Errorf("%w: %s", ErrNoLockConfig, bucket)
		}
		if err := changeRetention(rec.Retention, r, s.lockNow(), bypassGovernance); err != nil {
			return err
		}
		if r.Mode == "" {
			rec.Retention = nil
		} else {
			cp := r
			rec.Retention = &cp
		}
		return nil
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	info := rec.info()
	info.IsLatest = latest
	return info, nil
}

// PutObjectLegalHold sets or clears one version's legal hold.
func (s *Store) PutObjectLegalHold(ctx context.Context, tenant, bucket, key, versionID string, on bool) (ObjectInfo, error) {
	rec, latest, err := s.modifyVersion(tenant, bucket, key, versionID, func(b *bucketRecord, rec *objRecord) error {
		if b.Lock == nil || !b.Lock.Enabled {
			return fmt.Errorf("%w: %s", ErrNoLockConfig, bucket)
		}
		rec.LegalHold = on
		return nil
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	info := rec.info()
	info.IsLatest = latest
	return info, nil
}
