package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// getCfg returns the bucket's document of kind, nil when unset (failing
// on any other error).
func getCfg(t testing.TB, s *Store, bucket string, kind ConfigKind) []byte {
	t.Helper()
	doc, err := s.GetBucketConfig(context.Background(), "acme", bucket, kind)
	if errors.Is(err, ErrNoSuchBucketConfig) {
		if doc != nil {
			t.Fatalf("%s: %d bytes beside %v", kind, len(doc), err)
		}
		return nil
	}
	must(t, err)
	return doc
}

// bucketFilePath is drive i's bucket file of bucket id.
func (ts *testStore) bucketFilePath(i int, id string) string {
	return filepath.Join(ts.drives[i], "data", id[:2], id+".meta")
}

// Every kind: unset, set, read back, overwrite, unchanged rewrite, size
// limit (exact limit fits, one byte more is refused and changes nothing),
// delete, delete again; kinds never see each other's documents.
func TestBucketConfigKinds(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	for _, kind := range ConfigKinds() {
		t.Run(string(kind), func(t *testing.T) {
			if got := getCfg(t, ts.Store, "bkt", kind); got != nil {
				t.Fatalf("unset %s reads %q", kind, got)
			}
			v1 := []byte(string(kind) + "-one")
			must(t, ts.SetBucketConfig(ctx, "acme", "bkt", kind, v1))
			if got := getCfg(t, ts.Store, "bkt", kind); !bytes.Equal(got, v1) {
				t.Fatalf("read %q, want %q", got, v1)
			}
			v2 := []byte(string(kind) + "-two, longer")
			must(t, ts.SetBucketConfig(ctx, "acme", "bkt", kind, v2))
			if got := getCfg(t, ts.Store, "bkt", kind); !bytes.Equal(got, v2) {
				t.Fatalf("overwrite reads %q, want %q", got, v2)
			}
			gen := ts.bucketRec("bkt").CfgGen
			must(t, ts.SetBucketConfig(ctx, "acme", "bkt", kind, bytes.Clone(v2)))
			if g := ts.bucketRec("bkt").CfgGen; g != gen {
				t.Fatalf("an unchanged document was written again (generation %d -> %d)", gen, g)
			}
			limit := configLimits[kind]
			if err := ts.SetBucketConfig(ctx, "acme", "bkt", kind, bytes.Repeat([]byte("x"), limit+1)); !errors.Is(err, ErrConfigTooLarge) {
				t.Fatalf("%d bytes (limit %d): %v", limit+1, limit, err)
			}
			if got := getCfg(t, ts.Store, "bkt", kind); !bytes.Equal(got, v2) {
				t.Fatalf("a refused document changed the stored one to %d bytes", len(got))
			}
			full := bytes.Repeat([]byte("y"), limit)
			must(t, ts.SetBucketConfig(ctx, "acme", "bkt", kind, full))
			if got := getCfg(t, ts.Store, "bkt", kind); !bytes.Equal(got, full) {
				t.Fatalf("a document of exactly the limit reads %d bytes", len(got))
			}
			for _, other := range ConfigKinds() {
				if other != kind && getCfg(t, ts.Store, "bkt", other) != nil {
					t.Fatalf("setting %s set %s", kind, other)
				}
			}
			must(t, ts.SetBucketConfig(ctx, "acme", "bkt", kind, nil))
			if got := getCfg(t, ts.Store, "bkt", kind); got != nil {
				t.Fatalf("deleted %s reads %d bytes", kind, len(got))
			}
			must(t, ts.SetBucketConfig(ctx, "acme", "bkt", kind, []byte{})) // deleting nothing succeeds
		})
	}
	var nse *NoSuchConfigError
	if _, err := ts.GetBucketConfig(ctx, "acme", "bkt", ConfigCORS); !errors.As(err, &nse) || nse.Kind != ConfigCORS || nse.Tenant {
		t.Fatalf("unset cors: %v", err)
	}
	if _, err := ts.GetTenantConfig(ctx, "acme", ConfigLifecycle); !errors.As(err, &nse) || nse.Kind != ConfigLifecycle || !nse.Tenant || !errors.Is(err, ErrNoSuchBucketConfig) {
		t.Fatalf("unset tenant lifecycle: %v", err)
	}
	if err := ts.SetBucketConfig(ctx, "acme", "bkt", "website", []byte("x")); err == nil || errors.Is(err, ErrConfigTooLarge) {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, err := ts.GetBucketConfig(ctx, "acme", "bkt", "website"); err == nil || errors.Is(err, ErrNoSuchBucketConfig) {
		t.Fatalf("unknown kind read: %v", err)
	}
	if err := ts.SetBucketConfig(ctx, "acme", "nope", ConfigPolicy, []byte("x")); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("set on a missing bucket: %v", err)
	}
	if _, err := ts.GetBucketConfig(ctx, "acme", "nope", ConfigPolicy); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("get on a missing bucket: %v", err)
	}
}

// The documents of one bucket together are bounded: the write that would
// pass maxBucketConfigBytes is refused, and shrinking is always allowed.
func TestBucketConfigTotalLimit(t *testing.T) {
	ts := newTestStore(t, 2)
	ctx := context.Background()
	doc := func(kind ConfigKind) []byte { return bytes.Repeat([]byte("z"), configLimits[kind]) }
	total := 0
	var refused ConfigKind
	for _, kind := range ConfigKinds() {
		err := ts.SetBucketConfig(ctx, "acme", "bkt", kind, doc(kind))
		if total+configLimits[kind] > maxBucketConfigBytes {
			if !errors.Is(err, ErrConfigTooLarge) {
				t.Fatalf("%s would make %d bytes: %v", kind, total+configLimits[kind], err)
			}
			refused = kind
			break
		}
		must(t, err)
		total += configLimits[kind]
	}
	if refused == "" {
		t.Fatal("the bucket total was never reached: the test sizes are wrong")
	}
	if getCfg(t, ts.Store, "bkt", refused) != nil {
		t.Fatalf("refused %s was stored", refused)
	}
	// Shrinking one document makes room.
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", ConfigLifecycle, []byte("small")))
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", refused, []byte("now fits")))
}

func (ts *testStore) bucketRec(name string) *bucketRecord {
	ts.t.Helper()
	b, err := ts.lookupBucket("acme", name)
	must(ts.t, err)
	return b
}

// Documents survive a restart, and a RebuildIndex from the drives alone
// restores them with the versioning state, empty bucket included; a
// deleted document stays deleted.
func TestBucketConfigRestartAndRebuild(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.CreateBucket(ctx, "acme", "empty", BucketOptions{}))
	want := map[ConfigKind][]byte{ConfigPolicy: []byte(`{"Statement":[]}`), ConfigCORS: []byte("<CORSConfiguration/>"), ConfigACL: []byte("public-read")}
	for k, v := range want {
		must(t, ts.SetBucketConfig(ctx, "acme", "empty", k, v))
	}
	must(t, ts.SetBucketConfig(ctx, "acme", "empty", ConfigTagging, []byte("gone")))
	must(t, ts.SetBucketVersioning(ctx, "acme", "empty", VersioningEnabled))
	must(t, ts.SetBucketConfig(ctx, "acme", "empty", ConfigTagging, nil))
	putBytes(t, ts.Store, "k", []byte("v")) // an object elsewhere
	check := func(when string) {
		t.Helper()
		for _, k := range ConfigKinds() {
			if got := getCfg(t, ts.Store, "empty", k); !bytes.Equal(got, want[k]) {
				t.Fatalf("%s: %s reads %q, want %q", when, k, got, want[k])
			}
		}
		b, err := ts.GetBucket(ctx, "acme", "empty")
		if err != nil || b.Versioning != VersioningEnabled {
			t.Fatalf("%s: bucket %+v, %v", when, b, err)
		}
	}
	check("before")
	ts.reopen()
	check("after restart")
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err := ts.RebuildIndex(ctx)
	must(t, err)
	check("after rebuild")
	ts.mustRead("k", []byte("v"))
	// The rebuilt index knows the bucket file: a scrub keeps it.
	_, err = ts.Scrub(ctx)
	must(t, err)
	id := ts.bucketID("empty")
	for i := range 4 {
		if _, err := os.Stat(ts.bucketFilePath(i, id)); err != nil {
			t.Fatalf("scrub after rebuild: %v", err)
		}
	}
}

// A drive that missed changes holds an older bucket file, and another
// holds a corrupt one. RebuildIndex takes the newest copy whatever the
// drive order, and a scrub rewrites the stale and corrupt copies.
func TestBucketConfigStaleCopies(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", ConfigPolicy, []byte("policy one")))
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", ConfigCORS, []byte("cors one")))
	id := ts.bucketID("bkt")
	stale, err := os.ReadFile(ts.bucketFilePath(0, id))
	must(t, err)
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", ConfigPolicy, []byte("policy two")))
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", ConfigCORS, nil))
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", ConfigLifecycle, []byte("lifecycle")))
	want := map[ConfigKind][]byte{ConfigPolicy: []byte("policy two"), ConfigLifecycle: []byte("lifecycle")}
	// Drives 0 and 2 stale, drive 1 corrupt: only drive 3 is current, and
	// it is read last.
	must(t, os.WriteFile(ts.bucketFilePath(0, id), stale, 0o600))
	must(t, os.WriteFile(ts.bucketFilePath(1, id), []byte("CFM1 garbage garbage garbage"), 0o600))
	must(t, os.WriteFile(ts.bucketFilePath(2, id), stale, 0o600))
	checkDocs := func(when string) {
		t.Helper()
		for _, k := range ConfigKinds() {
			if got := getCfg(t, ts.Store, "bkt", k); !bytes.Equal(got, want[k]) {
				t.Fatalf("%s: %s reads %q, want %q", when, k, got, want[k])
			}
		}
	}
	ts.Store.Close()
	must(t, os.Rename(filepath.Join(ts.cfg.DataDir, "index.db"), filepath.Join(ts.cfg.DataDir, "index.keep")))
	ts.reopen()
	st, err := ts.RebuildIndex(ctx)
	must(t, err)
	checkDocs("rebuild from one current copy")
	if st.Errors != 0 {
		t.Logf("rebuild skipped %d errors: %v", st.Errors, st.FirstErrors) // the corrupt copy is not an error: another decoded
	}
	// Back to the original index; a scrub repairs the three bad copies.
	ts.Store.Close()
	must(t, os.Rename(filepath.Join(ts.cfg.DataDir, "index.keep"), filepath.Join(ts.cfg.DataDir, "index.db")))
	must(t, os.WriteFile(ts.bucketFilePath(0, id), stale, 0o600))
	must(t, os.WriteFile(ts.bucketFilePath(1, id), []byte("CFM1 garbage garbage garbage"), 0o600))
	must(t, os.WriteFile(ts.bucketFilePath(2, id), stale, 0o600))
	ts.reopen()
	scr, err := ts.Scrub(ctx)
	must(t, err)
	if scr.ShardsRepaired < 3 {
		t.Fatalf("scrub repaired %d copies, want 3", scr.ShardsRepaired)
	}
	gen := ts.bucketRec("bkt").CfgGen
	for i := range 4 {
		raw, err := os.ReadFile(ts.bucketFilePath(i, id))
		must(t, err)
		h, _, err := decodeMeta(raw)
		if err != nil || h.Kind != "bucket" || h.Shard != i || h.BucketCfg.CfgGen != gen || !sameDocs(h.Configs, want) {
			t.Fatalf("drive %d after scrub: %+v, %v", i, h, err)
		}
	}
	checkDocs("after scrub")
}

// A bucket's documents go with it, plain or forced delete: the file on
// the drives, the index keyspace, and a new bucket of the same name
// (before and after a rebuild) has none.
func TestBucketConfigGoesWithBucket(t *testing.T) {
	for _, force := range []bool{false, true} {
		t.Run(fmt.Sprintf("force=%v", force), func(t *testing.T) {
			// Keys: the ConfigEncryption document makes the PUT below SSE-S3.
			ts := newTestStore(t, 4, withKeys(testMasterKey(t, 1)))
			ctx := context.Background()
			for _, k := range ConfigKinds() {
				must(t, ts.SetBucketConfig(ctx, "acme", "bkt", k, []byte("old "+string(k))))
			}
			if force {
				putBytes(t, ts.Store, "obj", []byte("data"))
			}
			old := ts.bucketID("bkt")
			must(t, ts.DeleteBucket(ctx, "acme", "bkt", force))
			for i := range 4 {
				if _, err := os.Stat(ts.bucketFilePath(i, old)); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("bucket file on drive %d after delete: %v", i, err)
				}
			}
			var left map[ConfigKind][]byte
			must(t, ts.idx.View(func(tx indexTx) (err error) { left, err = tx.bucketConfigs(old); return err }))
			if len(left) != 0 {
				t.Fatalf("%d documents left in the index", len(left))
			}
			if _, err := ts.GetBucketConfig(ctx, "acme", "bkt", ConfigPolicy); !errors.Is(err, ErrBucketNotFound) {
				t.Fatalf("deleted bucket's policy: %v", err)
			}
			must(t, ts.CreateBucket(ctx, "acme", "bkt", BucketOptions{}))
			for _, k := range ConfigKinds() {
				if got := getCfg(t, ts.Store, "bkt", k); got != nil {
					t.Fatalf("new bucket inherits %s %q", k, got)
				}
			}
			putBytes(t, ts.Store, "new", []byte("x")) // so that the rebuild restores the bucket
			ts.Store.Close()
			must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
			ts.reopen()
			_, err := ts.RebuildIndex(ctx)
			must(t, err)
			for _, k := range ConfigKinds() {
				if got := getCfg(t, ts.Store, "bkt", k); got != nil {
					t.Fatalf("after rebuild the bucket has the deleted one's %s %q", k, got)
				}
			}
		})
	}
}

// A configuration change racing a delete of its bucket (deleted after the
// change read the bucket, before it committed) fails and leaves no
// bucket file that a rebuild would bring the bucket back from.
func TestBucketConfigRacingDelete(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	id := ts.bucketID("bkt")
	err := ts.changeBucketCfg("acme", "bkt", func(_ *bucketRecord, docs map[ConfigKind][]byte) (bool, error) {
		must(t, ts.DeleteBucket(ctx, "acme", "bkt", false))
		docs[ConfigPolicy] = []byte("late")
		return true, nil
	})
	if !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("change of a deleted bucket: %v", err)
	}
	for i := range 4 {
		if _, err := os.Stat(ts.bucketFilePath(i, id)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("bucket file on drive %d: %v", i, err)
		}
	}
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err = ts.RebuildIndex(ctx)
	must(t, err)
	if _, err := ts.GetBucket(ctx, "acme", "bkt"); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("deleted bucket came back: %v", err)
	}
}

// A bucket that was never configured keeps today's record bytes and gets
// no bucket file.
func TestBucketConfigNeverSetUnchanged(t *testing.T) {
	ts := newTestStore(t, 2)
	id := ts.bucketID("bkt")
	raw, err := json.Marshal(ts.bucketRec("bkt"))
	must(t, err)
	if strings.Contains(string(raw), "cfgGen") {
		t.Fatalf("never-configured bucket record %s", raw)
	}
	for i := range 2 {
		if _, err := os.Stat(ts.bucketFilePath(i, id)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("bucket file of a never-configured bucket: %v", err)
		}
	}
	raw, err = json.Marshal(&tenantRecord{Name: "acme"})
	must(t, err)
	if strings.Contains(string(raw), "configs") {
		t.Fatalf("unconfigured tenant record %s", raw)
	}
}

// Tenant defaults: round trip per kind, delete, limits, missing tenant,
// restart; RebuildIndex does not restore them (like quotas).
func TestTenantConfig(t *testing.T) {
	ts := newTestStore(t, 2)
	ctx := context.Background()
	get := func(kind ConfigKind) []byte {
		t.Helper()
		doc, err := ts.GetTenantConfig(ctx, "acme", kind)
		if errors.Is(err, ErrNoSuchBucketConfig) {
			return nil
		}
		must(t, err)
		return doc
	}
	for _, k := range ConfigKinds() {
		if got := get(k); got != nil {
			t.Fatalf("unset %s: %q", k, got)
		}
		must(t, ts.SetTenantConfig(ctx, "acme", k, []byte("default "+string(k))))
	}
	must(t, ts.SetTenantConfig(ctx, "acme", ConfigLifecycle, []byte("abort after 7 days")))
	must(t, ts.SetTenantConfig(ctx, "acme", ConfigTagging, nil))
	want := func(k ConfigKind) []byte {
		switch k {
		case ConfigLifecycle:
			return []byte("abort after 7 days")
		case ConfigTagging:
			return nil
		}
		return []byte("default " + string(k))
	}
	check := func(when string) {
		t.Helper()
		for _, k := range ConfigKinds() {
			if got := get(k); !bytes.Equal(got, want(k)) {
				t.Fatalf("%s: %s reads %q, want %q", when, k, got, want(k))
			}
		}
	}
	check("set")
	if err := ts.SetTenantConfig(ctx, "acme", ConfigPublicAccessBlock, bytes.Repeat([]byte("p"), maxTenantConfigDoc+1)); !errors.Is(err, ErrConfigTooLarge) {
		t.Fatalf("oversized tenant default: %v", err)
	}
	if err := ts.SetTenantConfig(ctx, "acme", ConfigACL, bytes.Repeat([]byte("a"), maxACLLen+1)); !errors.Is(err, ErrConfigTooLarge) {
		t.Fatalf("oversized tenant ACL: %v", err)
	}
	big := bytes.Repeat([]byte("q"), maxTenantConfigDoc)
	var err error
	for _, k := range ConfigKinds()[:5] {
		if err = ts.SetTenantConfig(ctx, "acme", k, big); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrConfigTooLarge) {
		t.Fatalf("tenant total over %d bytes: %v", maxTenantConfigBytes, err)
	}
	for _, k := range ConfigKinds()[:5] {
		must(t, ts.SetTenantConfig(ctx, "acme", k, want(k)))
	}
	check("after the limits")
	if err := ts.SetTenantConfig(ctx, "nobody", ConfigPolicy, []byte("x")); !errors.Is(err, ErrTenantNotFound) {
		t.Fatalf("set on a missing tenant: %v", err)
	}
	if _, err := ts.GetTenantConfig(ctx, "nobody", ConfigPolicy); !errors.Is(err, ErrTenantNotFound) {
		t.Fatalf("get on a missing tenant: %v", err)
	}
	// Usage and quota stay untouched by a config change.
	putBytes(t, ts.Store, "k", []byte("12345"))
	must(t, ts.SetTenantConfig(ctx, "acme", ConfigCORS, []byte("changed")))
	if u, err := ts.TenantUsage(ctx, "acme"); err != nil || u.Objects != 1 || u.Bytes != 5 {
		t.Fatalf("usage after a tenant config change %+v, %v", u, err)
	}
	must(t, ts.SetTenantConfig(ctx, "acme", ConfigCORS, want(ConfigCORS)))
	ts.reopen()
	check("after restart")
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err = ts.RebuildIndex(ctx)
	must(t, err)
	if got := get(ConfigPolicy); got != nil {
		t.Fatalf("rebuild restored a tenant default %q (documented as not restored)", got)
	}
	// A deleted tenant's defaults and bucket documents go with it.
	must(t, ts.SetTenantConfig(ctx, "acme", ConfigPolicy, []byte("tenant")))
	must(t, ts.SetBucketConfig(ctx, "acme", "bkt", ConfigPolicy, []byte("bucket")))
	must(t, ts.DeleteTenant(ctx, "acme"))
	must(t, ts.CreateTenant(ctx, "acme", Quota{}))
	must(t, ts.CreateBucket(ctx, "acme", "bkt", BucketOptions{}))
	if got := get(ConfigPolicy); got != nil {
		t.Fatalf("recreated tenant has the old default %q", got)
	}
	if got := getCfg(t, ts.Store, "bkt", ConfigPolicy); got != nil {
		t.Fatalf("recreated tenant's bucket has the old policy %q", got)
	}
}

// A version's canned ACL: set at PutObject and CreateMultipartUpload,
// changed per version by SetObjectACL, kept by metadata updates, bounded,
// and restored by RebuildIndex from packed and .meta records alike. A
// version never given one keeps today's bytes.
func TestObjectACL(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.CreateBucket(ctx, "acme", "ver", BucketOptions{}))
	must(t, ts.SetBucketVersioning(ctx, "acme", "ver", VersioningEnabled))
	v1 := putIn(t, ts.Store, "ver", "k", []byte("small"), PutOptions{ACL: "public-read"})
	v2 := putIn(t, ts.Store, "ver", "k", randBytes(2, 200<<10), PutOptions{})
	if v1.ACL != "public-read" || v2.ACL != "" {
		t.Fatalf("put infos: %q, %q", v1.ACL, v2.ACL)
	}
	must(t, ts.SetObjectACL(ctx, "acme", "ver", "k", v2.VersionID, "authenticated-read"))
	must(t, ts.SetObjectACL(ctx, "acme", "ver", "k", v1.VersionID, "private"))
	plain := putBytes(t, ts.Store, "p", []byte("plain")) // never given an ACL
	putBytes(t, ts.Store, "q", []byte("q"))
	must(t, ts.SetObjectACL(ctx, "acme", "bkt", "q", "", "public-read-write"))
	_, err := ts.UpdateObjectMeta(ctx, "acme", "bkt", "q", ObjectMeta{ContentType: "text/plain"})
	must(t, err)
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "mp", PutOptions{ACL: "bucket-owner-full-control"})
	must(t, err)
	part, err := ts.PutPart(ctx, "acme", "bkt", "mp", id, 1, bytes.NewReader([]byte("part")), PutOptions{Size: 4})
	must(t, err)
	mp, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "mp", id, []CompletePart{{PartNumber: 1, ETag: part.ETag}})
	must(t, err)
	if mp.ACL != "bucket-owner-full-control" {
		t.Fatalf("completed upload ACL %q", mp.ACL)
	}
	marker, err := ts.DeleteObject(ctx, "acme", "ver", "gone", DeleteOptions{})
	must(t, err)
	if err := ts.SetObjectACL(ctx, "acme", "ver", "gone", marker.VersionID, "private"); !errors.Is(err, ErrDeleteMarker) {
		t.Fatalf("ACL on a delete marker: %v", err)
	}
	if err := ts.SetObjectACL(ctx, "acme", "bkt", "missing", "", "private"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("ACL on a missing key: %v", err)
	}
	long := strings.Repeat("a", maxACLLen+1)
	if err := ts.SetObjectACL(ctx, "acme", "bkt", "q", "", long); !errors.Is(err, ErrConfigTooLarge) {
		t.Fatalf("long ACL: %v", err)
	}
	if _, err := ts.PutObject(ctx, "acme", "bkt", "r", bytes.NewReader(nil), PutOptions{ACL: long}); !errors.Is(err, ErrConfigTooLarge) {
		t.Fatalf("long ACL on put: %v", err)
	}
	if _, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "r", PutOptions{ACL: long}); !errors.Is(err, ErrConfigTooLarge) {
		t.Fatalf("long ACL on create upload: %v", err)
	}
	check := func(when string) {
		t.Helper()
		for _, c := range []struct{ bucket, key, vid, want string }{
			{"ver", "k", v1.VersionID, "private"},
			{"ver", "k", v2.VersionID, "authenticated-read"},
			{"ver", "k", "", "authenticated-read"},
			{"bkt", "p", "", ""},
			{"bkt", "q", "", "public-read-write"},
			{"bkt", "mp", "", "bucket-owner-full-control"},
		} {
			info, err := ts.GetObjectVersion(ctx, "acme", c.bucket, c.key, c.vid)
			if err != nil || info.ACL != c.want {
				t.Fatalf("%s: %s/%s@%s ACL %q, %v; want %q", when, c.bucket, c.key, c.vid, info.ACL, err, c.want)
			}
		}
	}
	check("set")
	// Never set: neither the index value nor the drive copy mentions it.
	must(t, ts.idx.View(func(tx indexTx) error {
		r, err := tx.object(ts.bucketID("bkt"), "p")
		if err != nil {
			return err
		}
		val, err := encodeObjValue(r)
		if bytes.Contains(val, []byte(`"acl"`)) || plain.ACL != "" {
			return fmt.Errorf("never-set ACL is encoded: %q", val)
		}
		return err
	}))
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err = ts.RebuildIndex(ctx)
	must(t, err)
	check("after rebuild")
}

// The power goes at every drive or index operation of a series of
// configuration changes in turn. After the cut the reopened store holds
// the last acknowledged configuration or the one in flight, whole; a
// scrub then makes every drive copy agree with the index, so a rebuild
// from the drives alone gives exactly what the index held.
func TestBucketConfigPowerLoss(t *testing.T) {
	type change struct {
		kind ConfigKind
		doc  string
	}
	changes := []change{{ConfigPolicy, "p1"}, {ConfigCORS, "c1"}, {ConfigPolicy, "p2"}, {ConfigPolicy, ""}, {ConfigLifecycle, "l1"}}
	apply := func(st map[ConfigKind]string, c change) map[ConfigKind]string {
		out := map[ConfigKind]string{}
		for k, v := range st {
			out[k] = v
		}
		if c.doc == "" {
			delete(out, c.kind)
		} else {
			out[c.kind] = c.doc
		}
		return out
	}
	read := func(s *Store) map[ConfigKind]string {
		out := map[ConfigKind]string{}
		for _, k := range ConfigKinds() {
			doc, err := s.GetBucketConfig(context.Background(), "acme", "bkt", k)
			if errors.Is(err, ErrNoSuchBucketConfig) || errors.Is(err, ErrBucketNotFound) {
				continue // a never-configured empty bucket is not rebuilt
			}
			must(t, err)
			out[k] = string(doc)
		}
		return out
	}
	same := func(a, b map[ConfigKind]string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }
	ctx := context.Background()
	for cutAfter := int64(1); ; cutAfter++ {
		dir := t.TempDir()
		log := &powerLog{files: map[string]*powerFile{}, indexCopy: filepath.Join(dir, "index.durable")}
		cfg := crashConfig(dir)
		cfg.testWrapDrive = func(_ int, d Drive) Drive { return &powerDrive{Drive: d, local: d.(*localDrive), log: log} }
		cfg.testIndexDurable = log.indexDurable
		s, err := Open(cfg)
		must(t, err)
		must(t, s.CreateTenant(ctx, "acme", Quota{}))
		must(t, s.CreateBucket(ctx, "acme", "bkt", BucketOptions{}))
		log.cutAt = log.ops.Load() + cutAfter
		acked, inflight := map[ConfigKind]string{}, map[ConfigKind]string{}
		done := true
		for _, c := range changes {
			inflight = apply(acked, c)
			if err := s.SetBucketConfig(ctx, "acme", "bkt", c.kind, []byte(c.doc)); err != nil {
				if !log.cut.Load() {
					t.Fatalf("cut %d: %v before the cut", cutAfter, err)
				}
				done = false
				break
			}
			acked = inflight
		}
		s.Close()
		if done {
			t.Logf("swept cuts at each of the first %d operations", cutAfter-1)
			return
		}
		log.rollBack(t)
		log.rollBackIndex(t, filepath.Join(cfg.DataDir, "index.db"))
		s, err = Open(crashConfig(dir))
		must(t, err)
		got := read(s)
		if !same(got, acked) && !same(got, inflight) {
			t.Fatalf("cut %d: after reopen %v, want %v or %v", cutAfter, got, acked, inflight)
		}
		_, err = s.Scrub(ctx)
		must(t, err)
		s.Close()
		must(t, os.Remove(filepath.Join(cfg.DataDir, "index.db")))
		s, err = Open(crashConfig(dir))
		must(t, err)
		_, err = s.RebuildIndex(ctx)
		must(t, err)
		if rebuilt := read(s); !same(rebuilt, got) {
			t.Fatalf("cut %d: rebuild after scrub %v, index held %v", cutAfter, rebuilt, got)
		}
		s.Close()
	}
}

// Concurrent changes of different kinds on one bucket all land (each
// reads and writes the whole configuration under bucketCfgMu), and a
// versioning change made last keeps every document in the bucket files,
// so a rebuild from the drives alone has them all.
func TestBucketConfigConcurrent(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for _, k := range ConfigKinds() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 {
				if err := ts.SetBucketConfig(ctx, "acme", "bkt", k, []byte(fmt.Sprintf("%s %d", k, i))); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, k := range ConfigKinds() {
			if got, want := string(getCfg(t, ts.Store, "bkt", k)), fmt.Sprintf("%s 3", k); got != want {
				t.Fatalf("%s: %s reads %q, want %q", when, k, got, want)
			}
		}
	}
	rebuild := func() {
		t.Helper()
		ts.Store.Close()
		must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
		ts.reopen()
		_, err := ts.RebuildIndex(ctx)
		must(t, err)
	}
	check("after the writers")
	rebuild()
	check("after rebuild")
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	rebuild()
	check("after a versioning change and rebuild")
	if b, err := ts.GetBucket(ctx, "acme", "bkt"); err != nil || b.Versioning != VersioningEnabled {
		t.Fatalf("rebuilt bucket %+v, %v", b, err)
	}
}

// CreateBucket with documents commits them with the bucket (file first,
// then one commit), under SetBucketConfig's limits; a refused create
// leaves nothing, and an existing bucket keeps its own documents.
func TestCreateBucketWithConfigs(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	want := map[ConfigKind][]byte{ConfigACL: []byte("public-read"), ConfigOwnershipControls: []byte("BucketOwnerEnforced")}
	must(t, ts.CreateBucket(ctx, "acme", "pub", BucketOptions{Configs: map[ConfigKind][]byte{
		ConfigACL: want[ConfigACL], ConfigOwnershipControls: want[ConfigOwnershipControls], ConfigPolicy: nil}}))
	check := func(when string) {
		t.Helper()
		for _, k := range ConfigKinds() {
			if got := getCfg(t, ts.Store, "pub", k); !bytes.Equal(got, want[k]) {
				t.Fatalf("%s: %s reads %q, want %q", when, k, got, want[k])
			}
		}
	}
	check("created")
	id := ts.bucketID("pub")
	for i := range 4 {
		raw, err := os.ReadFile(ts.bucketFilePath(i, id))
		must(t, err)
		if h, _, err := decodeMeta(raw); err != nil || !sameDocs(h.Configs, want) {
			t.Fatalf("drive %d bucket file %+v, %v", i, h, err)
		}
	}
	if err := ts.CreateBucket(ctx, "acme", "pub", BucketOptions{Configs: map[ConfigKind][]byte{ConfigACL: []byte("private")}}); !errors.Is(err, ErrBucketExists) {
		t.Fatalf("create over an existing bucket: %v", err)
	}
	check("after a refused create of the same name")
	for name, cfgs := range map[string]map[ConfigKind][]byte{
		"big":     {ConfigACL: bytes.Repeat([]byte("a"), maxACLLen+1)},
		"unknown": {"website": []byte("x")},
	} {
		if err := ts.CreateBucket(ctx, "acme", name, BucketOptions{Configs: cfgs}); err == nil {
			t.Fatalf("create %s succeeded", name)
		}
		if _, err := ts.GetBucket(ctx, "acme", name); !errors.Is(err, ErrBucketNotFound) {
			t.Fatalf("refused create of %s left a bucket: %v", name, err)
		}
	}
	must(t, ts.CreateBucket(ctx, "acme", "plain", BucketOptions{Configs: map[ConfigKind][]byte{ConfigCORS: {}}}))
	if b := ts.bucketRec("plain"); b.hasCfgFile() {
		t.Fatalf("only empty documents, yet a bucket file: %+v", b)
	}
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err := ts.RebuildIndex(ctx)
	must(t, err)
	check("after rebuild") // the empty bucket comes back from its file
}
