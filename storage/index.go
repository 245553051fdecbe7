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

	"github.com/cofferstore/coffer/internal/kv"
	bolt "go.etcd.io/bbolt"
)

// index is the metadata seam, over internal/kv: bbolt for one node, etcd
// for a cluster. All
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
	// fastMark and putFastMark read and write the fast log's applied mark
	// (fastput.go); nil when none was written.
	fastMark() (*fastMark, error)
	putFastMark(m *fastMark) error

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
	// fastlog: "mark" -> fastMark (fastput.go).
	bktFast = []byte("fastlog")
)

// kvIndex is the index over a kv.DB: bbolt (DataDir/index.db, committed
// through groupCommit) or a shared store (Config.Index, e.g. etcd). Every
// transaction is registered with txs while it is open (see txWatch).
type kvIndex struct {
	db     kv.DB
	bolt   *bolt.DB     // the bbolt file, nil for Config.Index
	commit *groupCommit // bbolt's group commit, nil for Config.Index
	txs    *txWatch
	// shard, for a shared index, is this process's suffix of the pack
	// byte counters: every small PUT adds to the counter of its pack
	// segment, so on one counter per segment the writers of several nodes
	// would conflict and retry on every commit (measured in
	// BenchmarkEtcdIndexPut: a third of the commits of two stores writing
	// to different tenants). Each process adds to its own counter of a
	// segment; packBytes sums them. nil for bbolt, whose key format
	// stays one counter per segment.
	shard []byte
	// recs caches decoded tenant and bucket records (reccache.go).
	recs *recCaches
}

// topBuckets are the index's keyspaces; each exists from Open on.
var topBuckets = [...][]byte{bktTenants, bktVolumes, bktBuckets, bktObjects, bktUploads, bktParts, bktIDs, bktTrash, bktPacks, bktVersions, bktNulls, bktConfigs, bktCleanup, bktFast}

// topPaths are the kv paths of topBuckets.
var topPaths = func() (p [len(topBuckets)][][]byte) {
	for i, b := range topBuckets {
		p[i] = [][]byte{b}
	}
	return p
}()

func openBoltIndex(path string, txs *txWatch, durable func(*bolt.DB) error) (*kvIndex, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
	if err != nil {
		return nil, err
	}
	x := &kvIndex{db: kv.NewBolt(db), bolt: db, commit: newGroupCommit(db), txs: txs, recs: newRecCaches()}
	x.commit.durable = durable
	if err := x.createTop(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return x, nil
}

// openKVIndex is the index in a store another owner opened (and closes).
func openKVIndex(db kv.DB, txs *txWatch) (*kvIndex, error) {
	x := &kvIndex{db: db, txs: txs, shard: []byte(newID()), recs: newRecCaches()}
	return x, x.createTop()
}

func (x *kvIndex) createTop() error {
	return x.Update(func(tx indexTx) error {
		for _, b := range topBuckets {
			if _, err := tx.(*kvTx).tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
}

func (x *kvIndex) View(fn func(indexTx) error) error {
	return x.ViewContext(context.Background(), fn)
}
func (x *kvIndex) ViewContext(ctx context.Context, fn func(indexTx) error) error {
	defer x.txs.end(x.txs.begin())
	return x.db.View(ctx, func(tx kv.Tx) error { return fn(x.newTx(tx, ctx)) })
}
func (x *kvIndex) Update(fn func(indexTx) error) error {
	defer x.txs.end(x.txs.begin())
	ctx := context.Background()
	if x.commit != nil {
		return x.commit.update(func(tx *bolt.Tx) error { return fn(x.newTx(kv.BoltTx(tx), ctx)) })
	}
	return x.db.Update(ctx, func(tx kv.Tx) error { return fn(x.newTx(tx, ctx)) })
}

// Batch registers each caller's wait for its shared commit: a stuck
// commit shows as all of them.
func (x *kvIndex) Batch(fn func(indexTx) error) error {
	if x.commit != nil {
		return x.batchWith(x.commit.do, fn)
	}
	defer x.txs.end(x.txs.begin())
	ctx := context.Background()
	return x.db.Batch(ctx, func(tx kv.Tx) error { return fn(x.newTx(tx, ctx)) })
}

// batchWith is Batch on bbolt through do (the group commit's do or
// doAnnounced).
func (x *kvIndex) batchWith(do func(func(*bolt.Tx) error) error, fn func(indexTx) error) error {
	defer x.txs.end(x.txs.begin())
	ctx := context.Background()
	return do(func(tx *bolt.Tx) error { return fn(x.newTx(kv.BoltTx(tx), ctx)) })
}

// Close closes the bbolt file; a Config.Index store is its owner's.
func (x *kvIndex) Close() error {
	if x.bolt != nil {
		return x.bolt.Close()
	}
	return nil
}

// kvTx is one index transaction; ctx ends its cursor walks.
type kvTx struct {
	tx   kv.Tx
	ctx  context.Context
	recs *recCaches
	tops [len(topBuckets)]kv.Bucket // top-level keyspaces looked up so far
	// shard suffixes the pack byte counters this process adds to (see
	// kvIndex.shard); nil: one counter per segment (bbolt).
	shard []byte
}

func (x *kvIndex) newTx(tx kv.Tx, ctx context.Context) *kvTx {
	return &kvTx{tx: tx, ctx: ctx, shard: x.shard, recs: x.recs}
}

// errNoKeyspace reports a top-level keyspace missing (every one is
// created at Open).
var errNoKeyspace = errors.New("storage: index keyspace missing")

// top is a top-level keyspace, looked up once per transaction (every
// record access starts here).
func (t *kvTx) top(name []byte) (kv.Bucket, error) {
	i := 0
	for i < len(topBuckets) && !bytes.Equal(topBuckets[i], name) {
		i++
	}
	if i < len(topBuckets) && t.tops[i] != nil {
		return t.tops[i], nil
	}
	var b kv.Bucket
	var err error
	if i < len(topBuckets) {
		b, err = t.tx.Bucket(topPaths[i]...) // a prepared path: no allocation per call
	} else {
		b, err = t.tx.Bucket(name)
	}
	if err == nil && b == nil {
		err = fmt.Errorf("%w: %s", errNoKeyspace, name)
	}
	if err == nil && i < len(topBuckets) {
		t.tops[i] = b
	}
	return b, err
}

func pair(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, 0)
	return append(k, b...)
}

func getJSON[T any](b kv.Bucket, key []byte) (*T, error) {
	if b == nil {
		return nil, nil
	}
	v, err := b.Get(key)
	if v == nil || err != nil {
		return nil, err
	}
	var out T
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func putJSON(b kv.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

func scanPrefix[T any](ctx context.Context, b kv.Bucket, prefix []byte) ([]T, error) {
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

// getTop, putTop, deleteTop and scanTop are getJSON, putJSON, Delete and
// scanPrefix on a top-level keyspace.
func getTop[T any](t *kvTx, top, key []byte) (*T, error) {
	b, err := t.top(top)
	if err != nil {
		return nil, err
	}
	return getJSON[T](b, key)
}

func (t *kvTx) putTop(top, key []byte, v any) error {
	b, err := t.top(top)
	if err != nil {
		return err
	}
	return putJSON(b, key, v)
}

// getCached is getTop through one of the index's record caches
// (reccache.go).
func getCached[T any](t *kvTx, top, key []byte, c *recCache[T]) (*T, error) {
	b, err := t.top(top)
	if err != nil {
		return nil, err
	}
	return c.get(b, key)
}

// putCached is putTop through one of the index's record caches.
func putCached[T any](t *kvTx, top, key []byte, v *T, c *recCache[T]) error {
	b, err := t.top(top)
	if err != nil {
		return err
	}
	return c.put(b, key, v)
}

func (t *kvTx) deleteTop(top, key []byte) error {
	b, err := t.top(top)
	if err != nil {
		return err
	}
	return b.Delete(key)
}

func scanTop[T any](t *kvTx, top, prefix []byte) ([]T, error) {
	b, err := t.top(top)
	if err != nil {
		return nil, err
	}
	return scanPrefix[T](t.ctx, b, prefix)
}

func (t *kvTx) tenant(name string) (*tenantRecord, error) {
	return getCached(t, bktTenants, []byte(name), t.recs.tenants)
}
func (t *kvTx) putTenant(r *tenantRecord) error {
	return putCached(t, bktTenants, []byte(r.Name), r, t.recs.tenants)
}
func (t *kvTx) deleteTenant(name string) error {
	return t.deleteTop(bktTenants, []byte(name))
}
func (t *kvTx) tenants() ([]tenantRecord, error) {
	return scanTop[tenantRecord](t, bktTenants, nil)
}

func (t *kvTx) volumes(tenant string) ([]Volume, error) {
	return scanTop[Volume](t, bktVolumes, pair(tenant, ""))
}
func (t *kvTx) volume(tenant, name string) (*Volume, error) {
	return getTop[Volume](t, bktVolumes, pair(tenant, name))
}
func (t *kvTx) putVolume(tenant string, v *Volume) error {
	return t.putTop(bktVolumes, pair(tenant, v.Name), v)
}
func (t *kvTx) deleteVolume(tenant, name string) error {
	return t.deleteTop(bktVolumes, pair(tenant, name))
}

func (t *kvTx) bucket(tenant, name string) (*bucketRecord, error) {
	return getCached(t, bktBuckets, pair(tenant, name), t.recs.buckets)
}
func (t *kvTx) putBucket(b *bucketRecord) error {
	return putCached(t, bktBuckets, pair(b.Tenant, b.Name), b, t.recs.buckets)
}
func (t *kvTx) deleteBucket(tenant, name string) error {
	return t.deleteTop(bktBuckets, pair(tenant, name))
}
func (t *kvTx) buckets(tenant string) ([]bucketRecord, error) {
	return scanTop[bucketRecord](t, bktBuckets, pair(tenant, ""))
}
func (t *kvTx) countBuckets(tenant string, limit int64) (int64, error) {
	b, err := t.top(bktBuckets)
	if err != nil {
		return 0, err
	}
	prefix := pair(tenant, "")
	w := walk(t.ctx, b.Cursor())
	var n int64
	for k, _ := w.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && (limit <= 0 || n < limit); k, _ = w.Next() {
		n++
	}
	return n, w.Err()
}

// space is a bucket's keyspace under top (objects, uploads, versions,
// nulls, configs); nil when absent and !create.
func (t *kvTx) space(top []byte, bucketID string, create bool) (kv.Bucket, error) {
	if create {
		return t.tx.CreateBucketIfNotExists(top, []byte(bucketID))
	}
	return t.tx.Bucket(top, []byte(bucketID))
}

// spaceGet is key's value in a bucket's keyspace (nil: absent).
func (t *kvTx) spaceGet(top []byte, bucketID string, key []byte) ([]byte, error) {
	b, err := t.space(top, bucketID, false)
	if b == nil || err != nil {
		return nil, err
	}
	return b.Get(key)
}

// spacePut sets key in a bucket's keyspace, creating the keyspace.
func (t *kvTx) spacePut(top []byte, bucketID string, key, value []byte) error {
	b, err := t.space(top, bucketID, true)
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

// spaceDelete removes key from a bucket's keyspace.
func (t *kvTx) spaceDelete(top []byte, bucketID string, key []byte) error {
	b, err := t.space(top, bucketID, false)
	if b == nil || err != nil {
		return err
	}
	return b.Delete(key)
}

// spaceWalk walks a bucket's keyspace (empty when absent).
func (t *kvTx) spaceWalk(top []byte, bucketID string) *walker {
	b, err := t.space(top, bucketID, false)
	switch {
	case err != nil:
		return failedWalk(err)
	case b == nil:
		return walk(t.ctx, nil)
	}
	return walk(t.ctx, b.Cursor())
}

func (t *kvTx) object(bucketID, key string) (*objRecord, error) {
	v, err := t.spaceGet(bktObjects, bucketID, []byte(key))
	if v == nil || err != nil {
		return nil, err
	}
	var r objRecord
	if err := decodeObjValue(v, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
func (t *kvTx) putObject(r *objRecord) error {
	raw, err := encodeObjValue(r)
	if err != nil {
		return err
	}
	return t.spacePut(bktObjects, r.BucketID, []byte(r.Key), raw)
}

// putObjectRaw stores a pre-encoded record (bulk loading for tests and
// benchmarks; not part of the indexTx seam).
func (t *kvTx) putObjectRaw(bucketID, key string, v []byte) error {
	return t.spacePut(bktObjects, bucketID, []byte(key), v)
}
func (t *kvTx) deleteObject(bucketID, key string) error {
	return t.spaceDelete(bktObjects, bucketID, []byte(key))
}
func (t *kvTx) listObjects(bucketID string) *objectWalk {
	return &objectWalk{w: t.objects(bucketID)}
}

// objects walks a bucket's raw object keyspace (key -> encoded record).
func (t *kvTx) objects(bucketID string) *walker { return t.spaceWalk(bktObjects, bucketID) }

func (t *kvTx) upload(bucketID, key, uploadID string) (*uploadRecord, error) {
	b, err := t.space(bktUploads, bucketID, false)
	if err != nil {
		return nil, err
	}
	return getJSON[uploadRecord](b, pair(key, uploadID))
}
func (t *kvTx) putUpload(bucketID string, u *uploadRecord) error {
	b, err := t.space(bktUploads, bucketID, true)
	if err != nil {
		return err
	}
	return putJSON(b, pair(u.Key, u.UploadID), u)
}
func (t *kvTx) deleteUpload(bucketID, key, uploadID string) error {
	return t.spaceDelete(bktUploads, bucketID, pair(key, uploadID))
}
func (t *kvTx) eachObject(bucketID, after string, fn func(r *objRecord) bool) error {
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

func (t *kvTx) hasObjects(bucketID string) (bool, error) {
	w := t.objects(bucketID)
	k, _ := w.Next()
	return k != nil, w.Err()
}

func (t *kvTx) eachUpload(bucketID string, fn func(u *uploadRecord) bool) error {
	return t.eachUploadAfter(bucketID, nil, fn)
}

func (t *kvTx) eachUploadAfter(bucketID string, after []byte, fn func(u *uploadRecord) bool) error {
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

func (t *kvTx) countUploads(bucketID string) (int64, error) {
	w := t.uploads(bucketID)
	var n int64
	for k, _ := w.Next(); k != nil; k, _ = w.Next() {
		n++
	}
	return n, w.Err()
}

func (t *kvTx) listUploads(bucketID string) *uploadWalk {
	return &uploadWalk{w: t.uploads(bucketID)}
}

// uploads walks a bucket's raw upload keyspace (key\0uploadID -> JSON).
func (t *kvTx) uploads(bucketID string) *walker { return t.spaceWalk(bktUploads, bucketID) }

func partKey(uploadID string, n int) []byte {
	return binary.BigEndian.AppendUint32(pair(uploadID, ""), uint32(n))
}

func (t *kvTx) part(uploadID string, n int) (*partRecord, error) {
	return getTop[partRecord](t, bktParts, partKey(uploadID, n))
}
func (t *kvTx) putPart(p *partRecord) error {
	return t.putTop(bktParts, partKey(p.UploadID, p.Number), p)
}
func (t *kvTx) deletePart(uploadID string, n int) error {
	return t.deleteTop(bktParts, partKey(uploadID, n))
}
func (t *kvTx) parts(uploadID string, after int, fn func(p *partRecord) bool) error {
	if int64(after) >= math.MaxUint32 {
		return nil // part keys hold 32-bit numbers: none is above
	}
	b, err := t.top(bktParts)
	if err != nil {
		return err
	}
	prefix := pair(uploadID, "")
	w := walk(t.ctx, b.Cursor())
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

func (t *kvTx) addID(id, owner string) error {
	b, err := t.top(bktIDs)
	if err != nil {
		return err
	}
	return b.Put([]byte(id), []byte(owner))
}
func (t *kvTx) hasID(id string) (bool, error) {
	b, err := t.top(bktIDs)
	if err != nil {
		return false, err
	}
	v, err := b.Get([]byte(id))
	return v != nil, err
}
func (t *kvTx) deleteID(id string) error { return t.deleteTop(bktIDs, []byte(id)) }

func (t *kvTx) trash() ([]bucketRecord, error) {
	return scanTop[bucketRecord](t, bktTrash, nil)
}
func (t *kvTx) putTrash(b *bucketRecord) error {
	return t.putTop(bktTrash, []byte(b.ID), b)
}
func (t *kvTx) deleteTrash(bucketID string) error {
	return t.deleteTop(bktTrash, []byte(bucketID))
}

// dropBucketSpace removes the (by now empty) object and upload keyspaces
// of a bucket, and its configuration documents.
func (t *kvTx) dropBucketSpace(bucketID string) error {
	for _, top := range [][]byte{bktObjects, bktUploads, bktVersions, bktNulls, bktConfigs} {
		if err := t.tx.DeleteBucket(top, []byte(bucketID)); err != nil {
			return err
		}
	}
	return nil
}

func (t *kvTx) bucketConfig(bucketID string, kind ConfigKind) ([]byte, error) {
	v, err := t.spaceGet(bktConfigs, bucketID, []byte(kind))
	if v == nil || err != nil {
		return nil, err
	}
	return bytes.Clone(v), nil
}

// bucketConfigs walks the (at most len(configKinds)) documents of a bucket.
func (t *kvTx) bucketConfigs(bucketID string) (map[ConfigKind][]byte, error) {
	out := map[ConfigKind][]byte{}
	w := t.spaceWalk(bktConfigs, bucketID)
	for k, v := w.Next(); k != nil; k, v = w.Next() {
		out[ConfigKind(k)] = bytes.Clone(v)
	}
	return out, w.Err()
}

func (t *kvTx) putBucketConfig(bucketID string, kind ConfigKind, doc []byte) error {
	return t.spacePut(bktConfigs, bucketID, []byte(kind), doc)
}

func (t *kvTx) deleteBucketConfig(bucketID string, kind ConfigKind) error {
	return t.spaceDelete(bktConfigs, bucketID, []byte(kind))
}

func (t *kvTx) putCleanup(c *cleanupRecord) (uint64, error) {
	b, err := t.top(bktCleanup)
	if err != nil {
		return 0, err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	return seq, putJSON(b, binary.BigEndian.AppendUint64(nil, seq), c)
}

func (t *kvTx) fastMark() (*fastMark, error) { return getTop[fastMark](t, bktFast, []byte("mark")) }

func (t *kvTx) putFastMark(m *fastMark) error { return t.putTop(bktFast, []byte("mark"), m) }

func (t *kvTx) deleteCleanup(seq uint64) error {
	return t.deleteTop(bktCleanup, binary.BigEndian.AppendUint64(nil, seq))
}

func (t *kvTx) eachCleanup(fn func(seq uint64, c *cleanupRecord)) error {
	b, err := t.top(bktCleanup)
	if err != nil {
		return err
	}
	w := walk(t.ctx, b.Cursor())
	for k, v := w.Next(); k != nil; k, v = w.Next() {
		var c cleanupRecord
		if len(k) != 8 {
			return fmt.Errorf("storage: cleanup journal key of %d bytes", len(k))
		}
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("storage: cleanup journal entry %x: %w", k, err)
		}
		fn(binary.BigEndian.Uint64(k), &c)
	}
	return w.Err()
}

func packKey(drive int, seg uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{byte(drive)}, seg)
}

// packBytes is the live byte count of a segment: its counter, or with
// shards the sum of every process's counter of it.
func (t *kvTx) packBytes(drive int, seg uint32) (int64, error) {
	if t.shard == nil {
		return t.packCounter(packKey(drive, seg))
	}
	var sum int64
	err := t.eachPackShard(drive, seg, func(_, v []byte) error {
		n, err := decodePackBytes(v)
		sum += n
		return err
	})
	return sum, err
}

// eachPackShard calls fn for each counter of a segment (shards suffix
// its 5-byte key).
func (t *kvTx) eachPackShard(drive int, seg uint32, fn func(k, v []byte) error) error {
	b, err := t.top(bktPacks)
	if err != nil {
		return err
	}
	prefix := packKey(drive, seg)
	w := walk(t.ctx, b.Cursor())
	for k, v := w.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = w.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return w.Err()
}

func (t *kvTx) packCounter(key []byte) (int64, error) {
	b, err := t.top(bktPacks)
	if err != nil {
		return 0, err
	}
	v, err := b.Get(key)
	if err != nil {
		return 0, err
	}
	return decodePackBytes(v)
}

func decodePackBytes(v []byte) (int64, error) {
	switch len(v) {
	case 0:
		return 0, nil
	case 8:
		return int64(binary.BigEndian.Uint64(v)), nil
	}
	return 0, fmt.Errorf("storage: pack byte count of %d bytes, want 8", len(v))
}

// addPackBytes adds to this process's counter of the segment (a read and
// a put of one key).
func (t *kvTx) addPackBytes(drive int, seg uint32, delta int64) error {
	key := append(packKey(drive, seg), t.shard...)
	n, err := t.packCounter(key)
	if err != nil {
		return err
	}
	n += delta
	b, err := t.top(bktPacks)
	if err != nil {
		return err
	}
	return b.Put(key, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func (t *kvTx) deletePackBytes(drive int, seg uint32) error {
	if t.shard == nil {
		return t.deleteTop(bktPacks, packKey(drive, seg))
	}
	var keys [][]byte
	if err := t.eachPackShard(drive, seg, func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := t.deleteTop(bktPacks, k); err != nil {
			return err
		}
	}
	return nil
}

func (t *kvTx) clearPackBytes() error {
	t.tops = [len(topBuckets)]kv.Bucket{} // the packs handle dies with its bucket
	if err := t.tx.DeleteBucket(bktPacks); err != nil {
		return err
	}
	_, err := t.tx.CreateBucketIfNotExists(bktPacks)
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

func (t *kvTx) version(bucketID, key string, stamp uint64) (*objRecord, error) {
	v, err := t.spaceGet(bktVersions, bucketID, versionKey(key, stamp))
	if v == nil || err != nil {
		return nil, err
	}
	var r objRecord
	if err := decodeObjValue(v, &r); err != nil {
		return nil, err
	}
	r.Key = key
	return &r, nil
}

func (t *kvTx) putVersion(r *objRecord) error {
	raw, err := encodeObjValue(r)
	if err != nil {
		return err
	}
	return t.spacePut(bktVersions, r.BucketID, versionKey(r.Key, r.Stamp), raw)
}

func (t *kvTx) deleteVersion(bucketID, key string, stamp uint64) error {
	return t.spaceDelete(bktVersions, bucketID, versionKey(key, stamp))
}

func (t *kvTx) versionsWalk(bucketID string) *walker { return t.spaceWalk(bktVersions, bucketID) }

func (t *kvTx) newestVersion(bucketID, key string) (*objRecord, error) {
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

func (t *kvTx) eachVersion(bucketID string, after []byte, fn func(r *objRecord) bool) error {
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

func (t *kvTx) listVersions(bucketID string) *objectWalk {
	return &objectWalk{w: t.versionsWalk(bucketID)}
}

func (t *kvTx) nullStamp(bucketID, key string) (uint64, bool, error) {
	v, err := t.spaceGet(bktNulls, bucketID, []byte(key))
	if v == nil || err != nil {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("storage: null version pointer of %d bytes, want 8", len(v))
	}
	return binary.BigEndian.Uint64(v), true, nil
}

func (t *kvTx) putNull(bucketID, key string, stamp uint64) error {
	return t.spacePut(bktNulls, bucketID, []byte(key), binary.BigEndian.AppendUint64(nil, stamp))
}

func (t *kvTx) deleteNull(bucketID, key string) error {
	return t.spaceDelete(bktNulls, bucketID, []byte(key))
}
