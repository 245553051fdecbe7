package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// index is the metadata seam: bbolt now, a distributed store later. All
// reads and writes happen inside transactions so quota checks and usage
// counters change atomically with the records they count.
type index interface {
	View(fn func(tx indexTx) error) error
	// ViewContext is View whose cursor walks end with ctx's error once ctx
	// is done, so a cancelled request leaves its read transaction.
	ViewContext(ctx context.Context, fn func(tx indexTx) error) error
	Update(fn func(tx indexTx) error) error
	// Batch is Update with commits of concurrent callers coalesced into one
	// fsync. fn may run more than once and must be idempotent.
	Batch(fn func(tx indexTx) error) error
	Close() error
}

// indexTx is one index transaction.
type indexTx interface {
	tenant(name string) (*tenantRecord, error) // nil when absent
	putTenant(t *tenantRecord) error
	deleteTenant(name string) error
	tenants() ([]tenantRecord, error)

	volumes(tenant string) ([]Volume, error)
	volume(tenant, name string) (*Volume, error)
	putVolume(tenant string, v *Volume) error
	deleteVolume(tenant, name string) error

	bucket(tenant, name string) (*bucketRecord, error) // nil when absent
	putBucket(b *bucketRecord) error
	deleteBucket(tenant, name string) error
	buckets(tenant string) ([]bucketRecord, error)
	// countBuckets counts the tenant's buckets, stopping at limit (0: all).
	countBuckets(tenant string, limit int64) (int64, error)

	object(bucketID, key string) (*objRecord, error) // nil when absent
	putObject(r *objRecord) error
	deleteObject(bucketID, key string) error
	// listObjects walks a bucket's objects in key order for listings,
	// which decode only each record's listing header (see objectWalk).
	listObjects(bucketID string) *objectWalk
	// eachObject calls fn for each object whose key is above after ("":
	// all), in key order, until fn returns false.
	eachObject(bucketID, after string, fn func(r *objRecord) bool) error
	// hasObjects reports whether the bucket holds any object.
	hasObjects(bucketID string) (bool, error)

	// Noncurrent versions and delete markers (versions keyspace), a key's
	// newest first; see versions.go.
	version(bucketID, key string, stamp uint64) (*objRecord, error) // nil when absent
	putVersion(r *objRecord) error
	deleteVersion(bucketID, key string, stamp uint64) error
	// newestVersion is the key's newest entry in versions (nil: none).
	newestVersion(bucketID, key string) (*objRecord, error)
	// eachVersion calls fn for each entry after position (key, stamp) (""
	// and 0: from the start) in order, until fn returns false.
	eachVersion(bucketID string, after []byte, fn func(r *objRecord) bool) error
	// listVersions walks the versions keyspace for listings.
	listVersions(bucketID string) *objectWalk
	// nullStamp is the stamp of the key's null version when it is in
	// versions.
	nullStamp(bucketID, key string) (uint64, bool, error)
	putNull(bucketID, key string, stamp uint64) error
	deleteNull(bucketID, key string) error

	upload(bucketID, key, uploadID string) (*uploadRecord, error)
	putUpload(bucketID string, u *uploadRecord) error
	deleteUpload(bucketID, key, uploadID string) error
	// eachUpload calls fn for each upload in (key, upload id) order until
	// fn returns false.
	eachUpload(bucketID string, fn func(u *uploadRecord) bool) error
	// eachUploadAfter is eachUpload from the first upload past position
	// after (key\0uploadID; nil: from the start).
	eachUploadAfter(bucketID string, after []byte, fn func(u *uploadRecord) bool) error
	// countUploads counts a bucket's uploads (keys only).
	countUploads(bucketID string) (int64, error)
	// listUploads walks uploads for ListMultipartUploads (see uploadWalk).
	listUploads(bucketID string) *uploadWalk
	part(uploadID string, n int) (*partRecord, error)
	putPart(p *partRecord) error
	deletePart(uploadID string, n int) error
	// parts calls fn for each part numbered above after, in order, until fn
	// returns false.
	parts(uploadID string, after int, fn func(p *partRecord) bool) error

	addID(id, owner string) error
	hasID(id string) (bool, error)
	deleteID(id string) error

	trash() ([]bucketRecord, error)
	putTrash(b *bucketRecord) error
	deleteTrash(bucketID string) error
	dropBucketSpace(bucketID string) error

	// A bucket's configuration documents (configs/<bucket id>: kind ->
	// document), dropped with the bucket's other keyspaces.
	bucketConfig(bucketID string, kind ConfigKind) ([]byte, error) // nil when absent
	bucketConfigs(bucketID string) (map[ConfigKind][]byte, error)
	putBucketConfig(bucketID string, kind ConfigKind, doc []byte) error
	deleteBucketConfig(bucketID string, kind ConfigKind) error

	// The cleanup journal (cleanup.go): removals a commit leaves to do
	// after it, by sequence number.
	putCleanup(c *cleanupRecord) (uint64, error)
	deleteCleanup(seq uint64) error
	eachCleanup(fn func(seq uint64, c *cleanupRecord)) error

	// Live bytes of each drive's pack segments, for compaction.
	addPackBytes(drive int, seg uint32, delta int64) error
	packBytes(drive int, seg uint32) (int64, error)
	deletePackBytes(drive int, seg uint32) error
	clearPackBytes() error
}

// tenantRecord is a tenant with its usage counters.
type tenantRecord struct {
	Name        string    `json:"name"`
	Created     time.Time `json:"created"`
	Quota       Quota     `json:"quota"`
	Suspended   bool      `json:"suspended,omitempty"`
	Objects     int64     `json:"objects"`
	Bytes       int64     `json:"bytes"`
	UploadBytes int64     `json:"uploadBytes"`
	// Of Objects and Bytes: noncurrent versions and delete markers.
	NoncurrentObjects int64 `json:"noncurrentObjects,omitempty"`
	NoncurrentBytes   int64 `json:"noncurrentBytes,omitempty"`
	// Uploads counts unfinished multipart uploads, live or in trashed
	// buckets not yet purged, for the upload limit.
	Uploads int64 `json:"uploads"`
	// Configs are the operator's defaults for the tenant's buckets, by
	// kind (configs.go); index only, not restored by RebuildIndex.
	Configs map[ConfigKind][]byte `json:"configs,omitempty"`
}

// bucketRecord is a bucket. Its objects and uploads live in keyspaces named
// by ID, so a force-deleted bucket's name is free at once while its contents
// are still being removed.
type bucketRecord struct {
	ID      string    `json:"id"`
	Tenant  string    `json:"tenant"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Objects int64     `json:"objects"`
	Bytes   int64     `json:"bytes"`
	// Of Objects and Bytes: noncurrent versions and delete markers.
	NoncurrentObjects int64 `json:"noncurrentObjects,omitempty"`
	NoncurrentBytes   int64 `json:"noncurrentBytes,omitempty"`
	// Versioning is "", VersioningEnabled or VersioningSuspended.
	Versioning string `json:"versioning,omitempty"`
	// Lock is the Object Lock configuration; nil without Object Lock.
	Lock *LockConfig `json:"lock,omitempty"`
	// CfgGen orders changes of the bucket's configuration (versioning,
	// Object Lock, documents): each change raises it to a new stamp. The
	// bucket file carries it, so RebuildIndex tells a stale copy from a
	// current one. 0 until the first change.
	CfgGen uint64 `json:"cfgGen,omitempty"`
}

var (
	bktTenants = []byte("tenants")
	bktVolumes = []byte("volumes")
	bktBuckets = []byte("buckets")
	bktObjects = []byte("objects")
	bktUploads = []byte("uploads")
	bktParts   = []byte("parts")
	bktIDs     = []byte("ids")
	bktTrash   = []byte("trash")
	bktPacks   = []byte("packs")
	// versions/<bucket id>: key\0<8-byte big-endian ^stamp> -> object
	// value of a noncurrent version or a delete marker (newest first).
	bktVersions = []byte("versions")
	// nulls/<bucket id>: key -> 8-byte big-endian stamp of the key's null
	// version when it is in versions (noncurrent or a delete marker).
	bktNulls = []byte("nulls")
	// configs/<bucket id>: config kind -> opaque document (bucketcfg.go).
	bktConfigs = []byte("configs")
	// cleanup: 8-byte big-endian sequence -> cleanupRecord.
	bktCleanup = []byte("cleanup")
)

// boltIndex is the bbolt implementation of index. Every transaction is
// registered with txs while it is open (see txWatch).
type boltIndex struct {
	db     *bolt.DB
	commit *groupCommit
	txs    *txWatch
}

func openBoltIndex(path string, txs *txWatch, durable func(*bolt.DB) error) (*boltIndex, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktTenants, bktVolumes, bktBuckets, bktObjects, bktUploads, bktParts, bktIDs, bktTrash, bktPacks, bktVersions, bktNulls, bktConfigs, bktCleanup} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	g := newGroupCommit(db)
	g.durable = durable
	return &boltIndex{db: db, commit: g, txs: txs}, nil
}

func (x *boltIndex) View(fn func(indexTx) error) error {
	return x.ViewContext(context.Background(), fn)
}
func (x *boltIndex) ViewContext(ctx context.Context, fn func(indexTx) error) error {
	defer x.txs.end(x.txs.begin())
	return x.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx, ctx}) })
}
func (x *boltIndex) Update(fn func(indexTx) error) error {
	defer x.txs.end(x.txs.begin())
	return x.commit.update(func(tx *bolt.Tx) error { return fn(boltTx{tx, context.Background()}) })
}

// Batch registers each caller's wait for its shared commit: a stuck
// commit shows as all of them.
func (x *boltIndex) Batch(fn func(indexTx) error) error {
	defer x.txs.end(x.txs.begin())
	return x.commit.do(func(tx *bolt.Tx) error { return fn(boltTx{tx, context.Background()}) })
}
func (x *boltIndex) Close() error { return x.db.Close() }

// boltTx is one bbolt transaction; ctx ends its cursor walks.
type boltTx struct {
	tx  *bolt.Tx
	ctx context.Context
}

func pair(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, 0)
	return append(k, b...)
}

func getJSON[T any](b *bolt.Bucket, key []byte) (*T, error) {
	if b == nil {
		return nil, nil
	}
	v := b.Get(key)
	if v == nil {
		return nil, nil
	}
	var out T
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

func scanPrefix[T any](ctx context.Context, b *bolt.Bucket, prefix []byte) ([]T, error) {
	var out []T
	w := walk(ctx, b.Cursor())
	for k, v := w.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = w.Next() {
		var r T
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, w.Err()
}

func (t boltTx) tenant(name string) (*tenantRecord, error) {
	return getJSON[tenantRecord](t.tx.Bucket(bktTenants), []byte(name))
}
func (t boltTx) putTenant(r *tenantRecord) error {
	return putJSON(t.tx.Bucket(bktTenants), []byte(r.Name), r)
}
func (t boltTx) deleteTenant(name string) error {
	return t.tx.Bucket(bktTenants).Delete([]byte(name))
}
func (t boltTx) tenants() ([]tenantRecord, error) {
	return scanPrefix[tenantRecord](t.ctx, t.tx.Bucket(bktTenants), nil)
}

func (t boltTx) volumes(tenant string) ([]Volume, error) {
	return scanPrefix[Volume](t.ctx, t.tx.Bucket(bktVolumes), pair(tenant, ""))
}
func (t boltTx) volume(tenant, name string) (*Volume, error) {
	return getJSON[Volume](t.tx.Bucket(bktVolumes), pair(tenant, name))
}
func (t boltTx) putVolume(tenant string, v *Volume) error {
	return putJSON(t.tx.Bucket(bktVolumes), pair(tenant, v.Name), v)
}
func (t boltTx) deleteVolume(tenant, name string) error {
	return t.tx.Bucket(bktVolumes).Delete(pair(tenant, name))
}

func (t boltTx) bucket(tenant, name string) (*bucketRecord, error) {
	return getJSON[bucketRecord](t.tx.Bucket(bktBuckets), pair(tenant, name))
}
func (t boltTx) putBucket(b *bucketRecord) error {
	return putJSON(t.tx.Bucket(bktBuckets), pair(b.Tenant, b.Name), b)
}
func (t boltTx) deleteBucket(tenant, name string) error {
	return t.tx.Bucket(bktBuckets).Delete(pair(tenant, name))
}
func (t boltTx) buckets(tenant string) ([]bucketRecord, error) {
	return scanPrefix[bucketRecord](t.ctx, t.tx.Bucket(bktBuckets), pair(tenant, ""))
}
func (t boltTx) countBuckets(tenant string, limit int64) (int64, error) {
	prefix := pair(tenant, "")
	w := walk(t.ctx, t.tx.Bucket(bktBuckets).Cursor())
	var n int64
	for k, _ := w.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && (limit <= 0 || n < limit); k, _ = w.Next() {
		n++
	}
	return n, w.Err()
}

func (t boltTx) space(top []byte, bucketID string, create bool) (*bolt.Bucket, error) {
	parent := t.tx.Bucket(top)
	if create {
		return parent.CreateBucketIfNotExists([]byte(bucketID))
	}
	return parent.Bucket([]byte(bucketID)), nil
}

func (t boltTx) object(bucketID, key string) (*objRecord, error) {
	b, _ := t.space(bktObjects, bucketID, false)
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	var r objRecord
	if err := decodeObjValue(v, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
func (t boltTx) putObject(r *objRecord) error {
	b, err := t.space(bktObjects, r.BucketID, true)
	if err != nil {
		return err
	}
	raw, err := encodeObjValue(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(r.Key), raw)
}

// putObjectRaw stores a pre-encoded record (bulk loading for tests and
// benchmarks; not part of the indexTx seam).
func (t boltTx) putObjectRaw(bucketID, key string, v []byte) error {
	b, err := t.space(bktObjects, bucketID, true)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), v)
}
func (t boltTx) deleteObject(bucketID, key string) error {
	b, _ := t.space(bktObjects, bucketID, false)
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}
func (t boltTx) listObjects(bucketID string) *objectWalk {
	return &objectWalk{w: t.objects(bucketID)}
}

// objects walks a bucket's raw object keyspace (key -> encoded record).
func (t boltTx) objects(bucketID string) *walker {
	b, _ := t.space(bktObjects, bucketID, false)
	if b == nil {
		return walk(t.ctx, nil)
	}
	return walk(t.ctx, b.Cursor())
}

func (t boltTx) upload(bucketID, key, uploadID string) (*uploadRecord, error) {
	b, _ := t.space(bktUploads, bucketID, false)
	return getJSON[uploadRecord](b, pair(key, uploadID))
}
func (t boltTx) putUpload(bucketID string, u *uploadRecord) error {
	b, err := t.space(bktUploads, bucketID, true)
	if err != nil {
		return err
	}
	return putJSON(b, pair(u.Key, u.UploadID), u)
}
func (t boltTx) deleteUpload(bucketID, key, uploadID string) error {
	b, _ := t.space(bktUploads, bucketID, false)
	if b == nil {
		return nil
	}
	return b.Delete(pair(key, uploadID))
}
func (t boltTx) eachObject(bucketID, after string, fn func(r *objRecord) bool) error {
	w := t.objects(bucketID)
	var k, v []byte
	if after == "" {
		k, v = w.Next()
	} else {
		k, v = w.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = w.Next()
		}
	}
	for ; k != nil; k, v = w.Next() {
		var r objRecord
		if err := decodeObjValue(v, &r); err != nil {
			return err
		}
		r.Key = string(k) // the record describes the key it is stored under
		if !fn(&r) {
			return nil
		}
	}
	return w.Err()
}

func (t boltTx) hasObjects(bucketID string) (bool, error) {
	w := t.objects(bucketID)
	k, _ := w.Next()
	return k != nil, w.Err()
}

func (t boltTx) eachUpload(bucketID string, fn func(u *uploadRecord) bool) error {
	return t.eachUploadAfter(bucketID, nil, fn)
}

func (t boltTx) eachUploadAfter(bucketID string, after []byte, fn func(u *uploadRecord) bool) error {
	w := t.uploads(bucketID)
	var k, v []byte
	if after == nil {
		k, v = w.Next()
	} else if k, v = w.Seek(after); k != nil && bytes.Equal(k, after) {
		k, v = w.Next()
	}
	for ; k != nil; k, v = w.Next() {
		var u uploadRecord
		if err := json.Unmarshal(v, &u); err != nil {
			return err
		}
		if !fn(&u) {
			return nil
		}
	}
	return w.Err()
}

func (t boltTx) countUploads(bucketID string) (int64, error) {
	w := t.uploads(bucketID)
	var n int64
	for k, _ := w.Next(); k != nil; k, _ = w.Next() {
		n++
	}
	return n, w.Err()
}

func (t boltTx) listUploads(bucketID string) *uploadWalk {
	return &uploadWalk{w: t.uploads(bucketID)}
}

// uploads walks a bucket's raw upload keyspace (key\0uploadID -> JSON).
func (t boltTx) uploads(bucketID string) *walker {
	b, _ := t.space(bktUploads, bucketID, false)
	if b == nil {
		return walk(t.ctx, nil)
	}
	return walk(t.ctx, b.Cursor())
}

func partKey(uploadID string, n int) []byte {
	return binary.BigEndian.AppendUint32(pair(uploadID, ""), uint32(n))
}

func (t boltTx) part(uploadID string, n int) (*partRecord, error) {
	return getJSON[partRecord](t.tx.Bucket(bktParts), partKey(uploadID, n))
}
func (t boltTx) putPart(p *partRecord) error {
	return putJSON(t.tx.Bucket(bktParts), partKey(p.UploadID, p.Number), p)
}
func (t boltTx) deletePart(uploadID string, n int) error {
	return t.tx.Bucket(bktParts).Delete(partKey(uploadID, n))
}
func (t boltTx) parts(uploadID string, after int, fn func(p *partRecord) bool) error {
	if int64(after) >= math.MaxUint32 {
		return nil // part keys hold 32-bit numbers: none is above
	}
	prefix := pair(uploadID, "")
	w := walk(t.ctx, t.tx.Bucket(bktParts).Cursor())
	for k, v := w.Seek(partKey(uploadID, max(after, 0)+1)); k != nil && len(k) == len(prefix)+4 && bytes.HasPrefix(k, prefix); k, v = w.Next() {
		var p partRecord
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		if !fn(&p) {
			return nil
		}
	}
	return w.Err()
}

func (t boltTx) addID(id, owner string) error {
	return t.tx.Bucket(bktIDs).Put([]byte(id), []byte(owner))
}
func (t boltTx) hasID(id string) (bool, error) {
	return t.tx.Bucket(bktIDs).Get([]byte(id)) != nil, nil
}
func (t boltTx) deleteID(id string) error { return t.tx.Bucket(bktIDs).Delete([]byte(id)) }

func (t boltTx) trash() ([]bucketRecord, error) {
	return scanPrefix[bucketRecord](t.ctx, t.tx.Bucket(bktTrash), nil)
}
func (t boltTx) putTrash(b *bucketRecord) error {
	return putJSON(t.tx.Bucket(bktTrash), []byte(b.ID), b)
}
func (t boltTx) deleteTrash(bucketID string) error {
	return t.tx.Bucket(bktTrash).Delete([]byte(bucketID))
}

// dropBucketSpace removes the (by now empty) object and upload keyspaces
// of a bucket, and its configuration documents.
func (t boltTx) dropBucketSpace(bucketID string) error {
	for _, top := range [][]byte{bktObjects, bktUploads, bktVersions, bktNulls, bktConfigs} {
		if err := t.tx.Bucket(top).DeleteBucket([]byte(bucketID)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
	}
	return nil
}

func (t boltTx) bucketConfig(bucketID string, kind ConfigKind) ([]byte, error) {
	b, _ := t.space(bktConfigs, bucketID, false)
	if b == nil {
		return nil, nil
	}
	if v := b.Get([]byte(kind)); v != nil {
		return bytes.Clone(v), nil
	}
	return nil, nil
}

// bucketConfigs walks the (at most len(configKinds)) documents of a bucket.
func (t boltTx) bucketConfigs(bucketID string) (map[ConfigKind][]byte, error) {
	out := map[ConfigKind][]byte{}
	b, _ := t.space(bktConfigs, bucketID, false)
	if b == nil {
		return out, nil
	}
	w := walk(t.ctx, b.Cursor())
	for k, v := w.Next(); k != nil; k, v = w.Next() {
		out[ConfigKind(k)] = bytes.Clone(v)
	}
	return out, w.Err()
}

func (t boltTx) putBucketConfig(bucketID string, kind ConfigKind, doc []byte) error {
	b, err := t.space(bktConfigs, bucketID, true)
	if err != nil {
		return err
	}
	return b.Put([]byte(kind), doc)
}

func (t boltTx) deleteBucketConfig(bucketID string, kind ConfigKind) error {
	b, _ := t.space(bktConfigs, bucketID, false)
	if b == nil {
		return nil
	}
	return b.Delete([]byte(kind))
}

func (t boltTx) putCleanup(c *cleanupRecord) (uint64, error) {
	b := t.tx.Bucket(bktCleanup)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	return seq, putJSON(b, binary.BigEndian.AppendUint64(nil, seq), c)
}

func (t boltTx) deleteCleanup(seq uint64) error {
	return t.tx.Bucket(bktCleanup).Delete(binary.BigEndian.AppendUint64(nil, seq))
}

func (t boltTx) eachCleanup(fn func(seq uint64, c *cleanupRecord)) error {
	return t.tx.Bucket(bktCleanup).ForEach(func(k, v []byte) error {
		var c cleanupRecord
		if len(k) != 8 {
			return fmt.Errorf("storage: cleanup journal key of %d bytes", len(k))
		}
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("storage: cleanup journal entry %x: %w", k, err)
		}
		fn(binary.BigEndian.Uint64(k), &c)
		return nil
	})
}

func packKey(drive int, seg uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{byte(drive)}, seg)
}

func (t boltTx) packBytes(drive int, seg uint32) (int64, error) {
	v := t.tx.Bucket(bktPacks).Get(packKey(drive, seg))
	switch len(v) {
	case 0:
		return 0, nil
	case 8:
		return int64(binary.BigEndian.Uint64(v)), nil
	}
	return 0, fmt.Errorf("storage: pack byte count of drive %d segment %d is %d bytes, want 8", drive, seg, len(v))
}

func (t boltTx) addPackBytes(drive int, seg uint32, delta int64) error {
	n, err := t.packBytes(drive, seg)
	if err != nil {
		return err
	}
	n += delta
	return t.tx.Bucket(bktPacks).Put(packKey(drive, seg), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func (t boltTx) deletePackBytes(drive int, seg uint32) error {
	return t.tx.Bucket(bktPacks).Delete(packKey(drive, seg))
}

func (t boltTx) clearPackBytes() error {
	if err := t.tx.DeleteBucket(bktPacks); err != nil {
		return err
	}
	_, err := t.tx.CreateBucket(bktPacks)
	return err
}

// objectWalk is a forward walk over a bucket's objects in key order for
// listings. Like walker, every step moves forward.
type objectWalk struct {
	w    *walker
	k, v []byte
}

// seek moves to the first object whose key is >= key; false at the end.
func (o *objectWalk) seek(key []byte) bool {
	o.k, o.v = o.w.Seek(key)
	return o.k != nil
}

// next moves to the following object; false at the end.
func (o *objectWalk) next() bool {
	o.k, o.v = o.w.Next()
	return o.k != nil
}

// key is the current object's key.
func (o *objectWalk) key() string { return string(o.k) }

// listed decodes the current object's listing header only.
func (o *objectWalk) listed(bucket string) (ObjectInfo, error) {
	return listedObject(bucket, string(o.k), o.v)
}

// err is why the walk ended early (see walker.Err).
func (o *objectWalk) err() error { return o.w.Err() }

// uploadWalk is a forward walk over a bucket's uploads in (key, upload id)
// order for listings: the positions are index keys (see uploadsStart), the
// entries are parsed here. Like walker, every step moves forward.
type uploadWalk struct {
	w    *walker
	k, v []byte
}

// seek moves to the first upload at or after start; false at the end.
func (u *uploadWalk) seek(start []byte) bool {
	u.k, u.v = u.w.Seek(start)
	return u.k != nil
}

// next moves to the following upload; false at the end.
func (u *uploadWalk) next() bool {
	u.k, u.v = u.w.Next()
	return u.k != nil
}

// at reports whether the current entry is at position p.
func (u *uploadWalk) at(p []byte) bool { return bytes.Equal(u.k, p) }

// key is the current upload's object key.
func (u *uploadWalk) key() string {
	key, _, _ := strings.Cut(string(u.k), "\x00")
	return key
}

// record decodes the current upload.
func (u *uploadWalk) record() (*uploadRecord, error) {
	var r uploadRecord
	if err := json.Unmarshal(u.v, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// err is why the walk ended early (see walker.Err).
func (u *uploadWalk) err() error { return u.w.Err() }

// uploadsStart is where a listing of the uploads index begins: the later
// of Prefix and the position after the markers, and whether an entry equal
// to it is skipped (it is the upload the markers name). Uploads of the key
// marker itself are listed only after UploadIDMarker. No key holds NUL, so
// a key marker holding one names no key: cut there, it orders before every
// key that extends that part and after every other key it is greater than.
func uploadsStart(opts ListUploadsOptions) (start []byte, skip bool) {
	start = []byte(opts.Prefix)
	if opts.KeyMarker == "" {
		return start, false
	}
	var after []byte
	marker, _, hasNUL := strings.Cut(opts.KeyMarker, "\x00")
	if opts.UploadIDMarker != "" && !hasNUL {
		after, skip = pair(marker, opts.UploadIDMarker), true
	} else {
		// The first entry of a key greater than the marker: marker+"\x00..."
		// entries are the marker's own uploads, marker+"\x01" is above them.
		after = append([]byte(marker), 1)
	}
	if bytes.Compare(after, start) >= 0 {
		return after, skip
	}
	return start, false
}

// versionKey is a versions keyspace key: key\0<^stamp>, so a key's
// versions sort together, newest first (keys hold no NUL).
func versionKey(key string, stamp uint64) []byte {
	return binary.BigEndian.AppendUint64(pair(key, ""), ^stamp)
}

// splitVersionKey returns the object key and stamp of a versions key.
func splitVersionKey(k []byte) (string, uint64, bool) {
	if len(k) < 9 || k[len(k)-9] != 0 {
		return "", 0, false
	}
	return string(k[:len(k)-9]), ^binary.BigEndian.Uint64(k[len(k)-8:]), true
}

// versionsAfterKey is the first versions position past every version of key.
func versionsAfterKey(key string) []byte { return append([]byte(key), 1) }

func (t boltTx) version(bucketID, key string, stamp uint64) (*objRecord, error) {
	b, _ := t.space(bktVersions, bucketID, false)
	if b == nil {
		return nil, nil
	}
	v := b.Get(versionKey(key, stamp))
	if v == nil {
		return nil, nil
	}
	var r objRecord
	if err := decodeObjValue(v, &r); err != nil {
		return nil, err
	}
	r.Key = key
	return &r, nil
}

func (t boltTx) putVersion(r *objRecord) error {
	b, err := t.space(bktVersions, r.BucketID, true)
	if err != nil {
		return err
	}
	raw, err := encodeObjValue(r)
	if err != nil {
		return err
	}
	return b.Put(versionKey(r.Key, r.Stamp), raw)
}

func (t boltTx) deleteVersion(bucketID, key string, stamp uint64) error {
	b, _ := t.space(bktVersions, bucketID, false)
	if b == nil {
		return nil
	}
	return b.Delete(versionKey(key, stamp))
}

func (t boltTx) versionsWalk(bucketID string) *walker {
	b, _ := t.space(bktVersions, bucketID, false)
	if b == nil {
		return walk(t.ctx, nil)
	}
	return walk(t.ctx, b.Cursor())
}

func (t boltTx) newestVersion(bucketID, key string) (*objRecord, error) {
	w := t.versionsWalk(bucketID)
	prefix := pair(key, "")
	k, v := w.Seek(prefix)
	if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
		return nil, w.Err()
	}
	var r objRecord
	if err := decodeObjValue(v, &r); err != nil {
		return nil, err
	}
	r.Key = key
	return &r, nil
}

func (t boltTx) eachVersion(bucketID string, after []byte, fn func(r *objRecord) bool) error {
	w := t.versionsWalk(bucketID)
	var k, v []byte
	if after == nil {
		k, v = w.Next()
	} else {
		k, v = w.Seek(after)
		if k != nil && bytes.Equal(k, after) {
			k, v = w.Next()
		}
	}
	for ; k != nil; k, v = w.Next() {
		key, _, ok := splitVersionKey(k)
		if !ok {
			return fmt.Errorf("storage: malformed versions key of %d bytes", len(k))
		}
		var r objRecord
		if err := decodeObjValue(v, &r); err != nil {
			return err
		}
		r.Key = key
		if !fn(&r) {
			return nil
		}
	}
	return w.Err()
}

func (t boltTx) listVersions(bucketID string) *objectWalk {
	return &objectWalk{w: t.versionsWalk(bucketID)}
}

func (t boltTx) nullStamp(bucketID, key string) (uint64, bool, error) {
	b, _ := t.space(bktNulls, bucketID, false)
	if b == nil {
		return 0, false, nil
	}
	v := b.Get([]byte(key))
	if v == nil {
		return 0, false, nil
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("storage: null version pointer of %d bytes, want 8", len(v))
	}
	return binary.BigEndian.Uint64(v), true, nil
}

func (t boltTx) putNull(bucketID, key string, stamp uint64) error {
	b, err := t.space(bktNulls, bucketID, true)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, stamp))
}

func (t boltTx) deleteNull(bucketID, key string) error {
	b, _ := t.space(bktNulls, bucketID, false)
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}
