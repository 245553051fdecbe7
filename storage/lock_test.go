package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for retention (Config.testNow).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestChangeRetentionRules(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	gov := func(d time.Duration) *Retention { return &Retention{Mode: LockGovernance, Until: at.Add(d)} }
	comp := func(d time.Duration) *Retention { return &Retention{Mode: LockCompliance, Until: at.Add(d)} }
	for _, tc := range []struct {
		name   string
		old    *Retention
		new    Retention
		bypass bool
		want   error
	}{
		{"set on none", nil, *gov(day), false, nil},
		{"past date", nil, *gov(-day), false, ErrInvalidRetention},
		{"now is not future", nil, Retention{Mode: LockCompliance, Until: at}, false, ErrInvalidRetention},
		{"bad mode", nil, Retention{Mode: "governance", Until: at.Add(day)}, false, ErrInvalidRetention},
		{"date without mode", nil, Retention{Until: at.Add(day)}, false, ErrInvalidRetention},
		{"remove none", nil, Retention{}, false, nil},
		{"compliance extend", comp(day), *comp(2 * day), false, nil},
		{"compliance same", comp(day), *comp(day), false, nil},
		{"compliance shorten", comp(2 * day), *comp(day), true, ErrRetentionShortened},
		{"compliance to governance", comp(day), *gov(2 * day), true, ErrRetentionShortened},
		{"compliance remove", comp(day), Retention{}, true, ErrRetentionShortened},
		{"compliance expired replaced", comp(-day), *gov(day), false, nil},
		{"compliance expired removed", comp(-day), Retention{}, false, nil},
		{"governance extend", gov(day), *gov(2 * day), false, nil},
		{"governance to compliance", gov(day), *comp(day), false, nil},
		{"governance shorten", gov(2 * day), *gov(day), false, ErrRetentionShortened},
		{"governance shorten bypass", gov(2 * day), *gov(day), true, nil},
		{"governance remove", gov(day), Retention{}, false, ErrRetentionShortened},
		{"governance remove bypass", gov(day), Retention{}, true, nil},
		{"governance to shorter compliance", gov(2 * day), *comp(day), false, ErrRetentionShortened},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := changeRetention(tc.old, tc.new, at, tc.bypass)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCheckRemoveRules(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		rec    objRecord
		bypass bool
		want   error
	}{
		{"unlocked", objRecord{}, false, nil},
		{"governance", objRecord{Retention: &Retention{Mode: LockGovernance, Until: at.Add(time.Second)}}, false, ErrObjectLocked},
		{"governance bypass", objRecord{Retention: &Retention{Mode: LockGovernance, Until: at.Add(time.Second)}}, true, nil},
		{"compliance bypass", objRecord{Retention: &Retention{Mode: LockCompliance, Until: at.Add(time.Second)}}, true, ErrObjectLocked},
		{"compliance expired", objRecord{Retention: &Retention{Mode: LockCompliance, Until: at}}, false, nil},
		{"legal hold bypass", objRecord{LegalHold: true}, true, ErrObjectLocked},
		{"legal hold expired retention", objRecord{LegalHold: true, Retention: &Retention{Mode: LockGovernance, Until: at.Add(-time.Hour)}}, true, ErrObjectLocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkRemove(&tc.rec, at, tc.bypass); err != tc.want {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestValidLockConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg LockConfig
		ok  bool
	}{
		{LockConfig{}, true},
		{LockConfig{Mode: LockGovernance, Days: 1}, true},
		{LockConfig{Mode: LockCompliance, Years: 100}, true},
		{LockConfig{Mode: LockCompliance, Years: 101}, false},
		{LockConfig{Mode: LockCompliance, Days: 36501}, false},
		{LockConfig{Mode: LockGovernance}, false},
		{LockConfig{Mode: LockGovernance, Days: 1, Years: 1}, false},
		{LockConfig{Days: 1}, false},
		{LockConfig{Mode: "x", Days: 1}, false},
		{LockConfig{Mode: LockGovernance, Days: -1}, false},
	} {
		if err := validLockConfig(tc.cfg); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.cfg, err)
		}
	}
}

func newLockStore(t *testing.T) (*testStore, *testClock) {
	clk := &testClock{t: time.Now().UTC()}
	ts := newTestStore(t, 4, func(c *Config) { c.testNow = clk.now })
	must(t, ts.CreateBucket(context.Background(), "acme", "vault", BucketOptions{ObjectLock: true}))
	return ts, clk
}

func putIn(t testing.TB, s *Store, bucket, key string, body []byte, opts PutOptions) ObjectInfo {
	t.Helper()
	opts.Size = int64(len(body))
	info, err := s.PutObject(context.Background(), "acme", bucket, key, bytes.NewReader(body), opts)
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return info
}

func TestObjectLockEnforcement(t *testing.T) {
	ts, clk := newLockStore(t)
	ctx := context.Background()
	b, err := ts.GetBucket(ctx, "acme", "vault")
	must(t, err)
	if b.Versioning != VersioningEnabled || !b.Lock.Enabled {
		t.Fatalf("lock bucket %+v", b)
	}
	if err := ts.SetBucketVersioning(ctx, "acme", "vault", VersioningSuspended); !errors.Is(err, ErrInvalidBucketState) {
		t.Fatalf("suspending a lock bucket: %v", err)
	}
	// Lock options on a bucket without Object Lock.
	if _, err := ts.PutObject(ctx, "acme", "bkt", "k", bytes.NewReader(nil), PutOptions{LegalHold: true}); !errors.Is(err, ErrNoLockConfig) {
		t.Fatalf("legal hold without lock: %v", err)
	}
	putBytes(t, ts.Store, "plain", []byte("x"))
	if _, err := ts.PutObjectRetention(ctx, "acme", "bkt", "plain", "", Retention{Mode: LockGovernance, Until: clk.now().Add(time.Hour)}, false); !errors.Is(err, ErrNoLockConfig) {
		t.Fatalf("retention without lock: %v", err)
	}
	if _, err := ts.PutObjectLegalHold(ctx, "acme", "bkt", "plain", "", true); !errors.Is(err, ErrNoLockConfig) {
		t.Fatalf("legal hold without lock: %v", err)
	}
	if err := ts.PutObjectLockConfig(ctx, "acme", "bkt", LockConfig{}); !errors.Is(err, ErrInvalidBucketState) {
		t.Fatalf("lock config on an unversioned bucket: %v", err)
	}

	hour := time.Hour
	gov := putIn(t, ts.Store, "vault", "gov", []byte("g"), PutOptions{Retention: &Retention{Mode: LockGovernance, Until: clk.now().Add(hour)}})
	comp := putIn(t, ts.Store, "vault", "comp", []byte("c"), PutOptions{Retention: &Retention{Mode: LockCompliance, Until: clk.now().Add(hour)}})
	hold := putIn(t, ts.Store, "vault", "hold", []byte("h"), PutOptions{LegalHold: true})
	if gov.Retention.Mode != LockGovernance || !comp.Retention.Until.Equal(clk.now().Add(hour)) || !hold.LegalHold {
		t.Fatalf("put infos %+v %+v %+v", gov, comp, hold)
	}
	// A delete marker is always allowed, and removing it too.
	m, err := ts.DeleteObject(ctx, "acme", "vault", "comp", DeleteOptions{})
	must(t, err)
	_, err = ts.DeleteObject(ctx, "acme", "vault", "comp", DeleteOptions{VersionID: m.VersionID})
	must(t, err)

	for _, tc := range []struct {
		key, id string
		bypass  bool
		want    error
	}{
		{"gov", gov.VersionID, false, ErrObjectLocked},
		{"comp", comp.VersionID, true, ErrObjectLocked},
		{"hold", hold.VersionID, true, ErrObjectLocked},
	} {
		if _, err := ts.DeleteObject(ctx, "acme", "vault", tc.key, DeleteOptions{VersionID: tc.id, BypassGovernance: tc.bypass}); !errors.Is(err, tc.want) {
			t.Fatalf("delete %s: %v", tc.key, err)
		}
	}
	// Force deleting the bucket or the tenant refuses, naming versions,
	// and removes nothing.
	err = ts.DeleteBucket(ctx, "acme", "vault", true)
	var le *LockedError
	if !errors.Is(err, ErrObjectLocked) || !errors.As(err, &le) || len(le.Versions) != 3 || !slices.Contains(le.Versions, "comp@"+comp.VersionID) {
		t.Fatalf("force delete of a locked bucket: %v", err)
	}
	if err := ts.DeleteTenant(ctx, "acme"); !errors.Is(err, ErrObjectLocked) || !strings.Contains(err.Error(), "hold@"+hold.VersionID) {
		t.Fatalf("tenant delete: %v", err)
	}
	if _, err := ts.GetBucket(ctx, "acme", "bkt"); err != nil {
		t.Fatalf("tenant delete removed a bucket: %v", err)
	}
	if got := string(readIn(t, ts.Store, "vault", "comp", "")); got != "c" {
		t.Fatalf("locked object reads %q", got)
	}
	// Retention changes.
	if _, err := ts.PutObjectRetention(ctx, "acme", "vault", "comp", comp.VersionID, Retention{Mode: LockCompliance, Until: clk.now().Add(time.Minute)}, true); !errors.Is(err, ErrRetentionShortened) {
		t.Fatalf("shortening compliance: %v", err)
	}
	info, err := ts.PutObjectRetention(ctx, "acme", "vault", "comp", "", Retention{Mode: LockCompliance, Until: clk.now().Add(2 * hour)}, false)
	if err != nil || !info.Retention.Until.Equal(clk.now().Add(2*hour)) || !info.IsLatest {
		t.Fatalf("extending compliance: %+v %v", info, err)
	}
	if _, err := ts.PutObjectRetention(ctx, "acme", "vault", "gov", gov.VersionID, Retention{}, false); !errors.Is(err, ErrRetentionShortened) {
		t.Fatalf("removing governance: %v", err)
	}
	// GOVERNANCE yields to bypass.
	if _, err := ts.DeleteObject(ctx, "acme", "vault", "gov", DeleteOptions{VersionID: gov.VersionID, BypassGovernance: true}); err != nil {
		t.Fatalf("bypassing governance: %v", err)
	}
	if _, err := ts.PutObjectLegalHold(ctx, "acme", "vault", "hold", hold.VersionID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.DeleteObject(ctx, "acme", "vault", "hold", DeleteOptions{VersionID: hold.VersionID}); err != nil {
		t.Fatalf("after legal hold off: %v", err)
	}
	// COMPLIANCE ends with time, not before.
	clk.add(2*hour - time.Second)
	if _, err := ts.DeleteObject(ctx, "acme", "vault", "comp", DeleteOptions{VersionID: comp.VersionID, BypassGovernance: true}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("compliance a second early: %v", err)
	}
	clk.add(time.Second)
	if _, err := ts.DeleteObject(ctx, "acme", "vault", "comp", DeleteOptions{VersionID: comp.VersionID}); err != nil {
		t.Fatalf("compliance expired: %v", err)
	}
	// Default retention applies to new versions without their own.
	must(t, ts.PutObjectLockConfig(ctx, "acme", "vault", LockConfig{Mode: LockGovernance, Days: 2}))
	d := putIn(t, ts.Store, "vault", "dflt", []byte("d"), PutOptions{})
	if d.Retention.Mode != LockGovernance || !d.Retention.Until.Equal(d.ModTime.AddDate(0, 0, 2)) {
		t.Fatalf("default retention %+v (mod %v)", d.Retention, d.ModTime)
	}
	up, err := ts.CreateMultipartUpload(ctx, "acme", "vault", "mp", PutOptions{Retention: &Retention{Mode: LockCompliance, Until: clk.now().Add(hour)}, LegalHold: true})
	must(t, err)
	p, err := ts.PutPart(ctx, "acme", "vault", "mp", up, 1, bytes.NewReader([]byte("part")), PutOptions{Size: 4})
	must(t, err)
	mp, err := ts.CompleteMultipartUpload(ctx, "acme", "vault", "mp", up, []CompletePart{{PartNumber: 1, ETag: p.ETag}})
	must(t, err)
	if mp.Retention.Mode != LockCompliance || !mp.LegalHold || !ValidVersionID(mp.VersionID) || mp.VersionID == NullVersion {
		t.Fatalf("multipart lock %+v", mp)
	}
	if _, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "mp", PutOptions{LegalHold: true}); !errors.Is(err, ErrNoLockConfig) {
		t.Fatalf("multipart legal hold without lock: %v", err)
	}
	checkUsageExact(t, ts.Store)
	// Once nothing is locked, force delete goes.
	_, err = ts.PutObjectLegalHold(ctx, "acme", "vault", "mp", "", false)
	must(t, err)
	clk.add(3 * 24 * hour)
	must(t, ts.DeleteBucket(ctx, "acme", "vault", true))
	u, err := ts.TenantUsage(ctx, "acme")
	must(t, err)
	if u.Objects != 1 || u.NoncurrentObjects != 0 {
		t.Fatalf("usage after force delete %+v", u)
	}
}

// A Suspended write cannot replace a locked null version (a bucket made
// lockable after its null versions were written).
func TestSuspendedOverwriteOfLockedNull(t *testing.T) {
	clk := &testClock{t: time.Now().UTC()}
	ts := newTestStore(t, 4, func(c *Config) { c.testNow = clk.now })
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningSuspended))
	putBytes(t, ts.Store, "k", []byte("null"))
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	must(t, ts.PutObjectLockConfig(ctx, "acme", "bkt", LockConfig{}))
	_, err := ts.PutObjectLegalHold(ctx, "acme", "bkt", "k", NullVersion, true)
	must(t, err)
	// Lock and suspension exclude each other, so force the state the way
	// an upgrade could leave it: suspended with a held null version.
	must(t, ts.idx.Update(func(tx indexTx) error {
		b, err := tx.bucket("acme", "bkt")
		if err != nil {
			return err
		}
		b.Versioning = VersioningSuspended
		return tx.putBucket(b)
	}))
	if _, err := ts.PutObject(ctx, "acme", "bkt", "k", bytes.NewReader([]byte("x")), PutOptions{Size: 1}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("overwrite of a held null version: %v", err)
	}
	if got := string(readVersion(t, ts.Store, "k", NullVersion)); got != "null" {
		t.Fatalf("null version reads %q", got)
	}
}

func readIn(t testing.TB, s *Store, bucket, key, id string) []byte {
	t.Helper()
	r, err := s.OpenObjectVersion(context.Background(), "acme", bucket, key, id)
	if err != nil {
		t.Fatalf("OpenObjectVersion %s/%s@%s: %v", bucket, key, id, err)
	}
	defer r.Close()
	rc, err := r.Range(context.Background(), 0, r.Info().Size)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// RebuildIndex restores versions, delete markers, retention, legal holds
// and the buckets' versioning and lock configuration exactly.
func TestRebuildVersions(t *testing.T) {
	ts, clk := newLockStore(t)
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	putBytes(t, ts.Store, "a", []byte("a1"))
	putBytes(t, ts.Store, "a", []byte("a2-longer"))
	_, err := ts.DeleteObject(ctx, "acme", "bkt", "a", DeleteOptions{})
	must(t, err)
	v := putBytes(t, ts.Store, "b", []byte("b1"))
	putBytes(t, ts.Store, "b", bytes.Repeat([]byte("big"), 100_000)) // files, not packed
	gone := putBytes(t, ts.Store, "b", []byte("b3"))
	_, err = ts.DeleteObject(ctx, "acme", "bkt", "b", DeleteOptions{VersionID: gone.VersionID}) // promotes the big one
	must(t, err)
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningSuspended))
	putBytes(t, ts.Store, "c", []byte("null-1"))
	putBytes(t, ts.Store, "c", []byte("null-2"))
	_, err = ts.DeleteObject(ctx, "acme", "bkt", "d", DeleteOptions{})
	must(t, err)
	_ = v
	putIn(t, ts.Store, "vault", "x", []byte("x1"), PutOptions{Retention: &Retention{Mode: LockCompliance, Until: clk.now().Add(time.Hour).Truncate(time.Second)}})
	x2 := putIn(t, ts.Store, "vault", "x", []byte("x2"), PutOptions{LegalHold: true})
	_, err = ts.PutObjectRetention(ctx, "acme", "vault", "x", x2.VersionID, Retention{Mode: LockGovernance, Until: clk.now().Add(2 * time.Hour).Truncate(time.Second)}, false)
	must(t, err)
	must(t, ts.PutObjectLockConfig(ctx, "acme", "vault", LockConfig{Mode: LockCompliance, Years: 1}))
	must(t, ts.CreateBucket(ctx, "acme", "empty-versioned", BucketOptions{}))
	must(t, ts.SetBucketVersioning(ctx, "acme", "empty-versioned", VersioningEnabled))

	type snap struct {
		lists   map[string][]string
		infos   map[string]ObjectInfo
		buckets []BucketInfo
		usage   Usage
	}
	take := func() snap {
		sn := snap{lists: map[string][]string{}, infos: map[string]ObjectInfo{}}
		for _, bk := range []string{"bkt", "vault", "empty-versioned"} {
			sn.lists[bk] = versionsOf(t, ts.Store, bk, ListVersionsOptions{})
			res, err := ts.ListObjectVersions(ctx, "acme", bk, ListVersionsOptions{})
			must(t, err)
			for _, v := range res.Versions {
				if v.DeleteMarker {
					continue
				}
				info, err := ts.GetObjectVersion(ctx, "acme", bk, v.Key, v.VersionID)
				must(t, err)
				info.ModTime = info.ModTime.UTC()
				if info.Retention.Until.IsZero() {
					info.Retention.Until = time.Time{}
				} else {
					info.Retention.Until = info.Retention.Until.UTC()
				}
				sn.infos[bk+"/"+v.Key+"@"+v.VersionID] = info
			}
		}
		var err error
		sn.buckets, err = ts.ListBuckets(ctx, "acme")
		must(t, err)
		for i := range sn.buckets {
			sn.buckets[i].Created = sn.buckets[i].Created.UTC()
		}
		sn.usage, err = ts.TenantUsage(ctx, "acme")
		must(t, err)
		return sn
	}
	before := take()
	if len(before.lists["bkt"]) != 7 || len(before.lists["vault"]) != 2 {
		t.Fatalf("setup: %v", before.lists)
	}
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	st, err := ts.RebuildIndex(ctx)
	if err != nil || st.Errors != 0 {
		t.Fatalf("RebuildIndex: %+v %v", st, err)
	}
	after := take()
	for bk, l := range before.lists {
		if !slices.Equal(after.lists[bk], l) {
			t.Fatalf("%s versions after rebuild:\n%v\nbefore:\n%v", bk, after.lists[bk], l)
		}
	}
	for k, b := range before.infos {
		a := after.infos[k]
		if a.ETag != b.ETag || a.Size != b.Size || a.IsLatest != b.IsLatest || a.LegalHold != b.LegalHold ||
			a.Retention.Mode != b.Retention.Mode || !a.Retention.Until.Equal(b.Retention.Until) {
			t.Fatalf("%s after rebuild %+v, before %+v", k, a, b)
		}
	}
	if len(after.infos) != len(before.infos) {
		t.Fatalf("%d versions after rebuild, %d before", len(after.infos), len(before.infos))
	}
	if !slices.EqualFunc(after.buckets, before.buckets, func(a, b BucketInfo) bool {
		return a.Name == b.Name && a.Objects == b.Objects && a.Bytes == b.Bytes && a.NoncurrentObjects == b.NoncurrentObjects &&
			a.NoncurrentBytes == b.NoncurrentBytes && a.Versioning == b.Versioning && a.Lock == b.Lock
	}) {
		t.Fatalf("buckets after rebuild %+v\nbefore %+v", after.buckets, before.buckets)
	}
	if after.usage != before.usage {
		t.Fatalf("usage after rebuild %+v, before %+v", after.usage, before.usage)
	}
	// And the lock still holds.
	if _, err := ts.DeleteObject(ctx, "acme", "vault", "x", DeleteOptions{VersionID: x2.VersionID, BypassGovernance: true}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("legal hold after rebuild: %v", err)
	}
}

// A drive that missed a lock change (it was away while the .meta copies
// were rewritten) does not weaken the lock a rebuild restores.
func TestRebuildKeepsStrongestLock(t *testing.T) {
	ts, clk := newLockStore(t)
	ctx := context.Background()
	big := bytes.Repeat([]byte("L"), 300<<10) // .meta and shard files, not packed
	v := putIn(t, ts.Store, "vault", "k", big, PutOptions{Retention: &Retention{Mode: LockGovernance, Until: clk.now().Add(time.Hour)}})
	var rec *objRecord
	must(t, ts.idx.View(func(tx indexTx) (err error) {
		bk, err := bucketOf(tx, "acme", "vault")
		if err != nil {
			return err
		}
		rec, err = tx.object(bk.ID, "k")
		return err
	}))
	metaPath := filepath.Join(ts.drives[0], "data", rec.ID[:2], rec.ID+".meta")
	stale, err := os.ReadFile(metaPath)
	must(t, err)
	until := clk.now().Add(48 * time.Hour).Truncate(time.Second)
	_, err = ts.PutObjectRetention(ctx, "acme", "vault", "k", v.VersionID, Retention{Mode: LockCompliance, Until: until}, false)
	must(t, err)
	_, err = ts.PutObjectLegalHold(ctx, "acme", "vault", "k", v.VersionID, true)
	must(t, err)
	must(t, os.WriteFile(metaPath, stale, 0o600)) // drive 0 missed both changes
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err = ts.RebuildIndex(ctx)
	must(t, err)
	info, err := ts.GetObjectVersion(ctx, "acme", "vault", "k", v.VersionID)
	must(t, err)
	if info.Retention.Mode != LockCompliance || !info.Retention.Until.Equal(until) || !info.LegalHold {
		t.Fatalf("rebuilt lock %+v legal hold %v", info.Retention, info.LegalHold)
	}
}

// The forced-delete lock check walks past its batches: a locked version
// far into a large bucket (objects and versions) is found, and at most
// ten are named.
func TestLockCheckWalksBatches(t *testing.T) {
	ts, clk := newLockStore(t)
	ctx := context.Background()
	b, err := ts.lookupBucket("acme", "vault")
	must(t, err)
	locked := &Retention{Mode: LockCompliance, Until: clk.now().Add(time.Hour)}
	put := func(n int, lockFrom int) {
		must(t, ts.idx.Update(func(tx indexTx) error {
			for i := range n {
				st := uint64(1000 + i)
				r := &objRecord{ID: fmt.Sprint("id", i), Tenant: "acme", Bucket: "vault", BucketID: b.ID,
					Key: fmt.Sprintf("k%05d", i/2), Stamp: st, VersionID: newVersionID(st)}
				if i >= lockFrom {
					r.Retention = locked
				}
				var err error
				if i%2 == 1 {
					err = tx.putObject(r)
				} else {
					err = tx.putVersion(r)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}))
	}
	put(2*purgeBatch+500, 2*purgeBatch+498) // the last key: both versions locked
	err = ts.DeleteBucket(ctx, "acme", "vault", true)
	var le *LockedError
	if !errors.As(err, &le) || len(le.Versions) != 2 || le.More {
		t.Fatalf("locked versions at the end: %v", err)
	}
	put(2*purgeBatch+500, 0) // every version locked
	err = ts.DeleteBucket(ctx, "acme", "vault", true)
	if !errors.As(err, &le) || len(le.Versions) != maxLockedNamed || !le.More || !strings.Contains(err.Error(), "and more") {
		t.Fatalf("many locked versions: %v", err)
	}
	if _, err := ts.GetBucket(ctx, "acme", "vault"); err != nil {
		t.Fatalf("the refused delete removed the bucket: %v", err)
	}
}
