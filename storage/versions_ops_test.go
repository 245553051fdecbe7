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
	"testing"
	"time"
)

// Compaction and healing find noncurrent versions (in the versions
// keyspace) as live: their packed records survive compaction and their
// damaged shards are repaired.
func TestVersionsSurviveCompactionAndHeal(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.testPackSegmentSize = 16 << 10 })
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	type ver struct {
		key, id string
		body    []byte
	}
	var kept []ver
	for i := range 60 {
		k := fmt.Sprintf("k%02d", i%10)
		body := randBytes(uint64(i), 400+i*7)
		info := putBytes(t, ts.Store, k, body)
		kept = append(kept, ver{k, info.VersionID, body})
	}
	// Delete two thirds by id (dead packed records), and add markers.
	var live []ver
	for i, v := range kept {
		if i%3 != 0 {
			_, err := ts.DeleteObject(ctx, "acme", "bkt", v.key, DeleteOptions{VersionID: v.id})
			must(t, err)
			continue
		}
		live = append(live, v)
	}
	for i := range 5 {
		_, err := ts.DeleteObject(ctx, "acme", "bkt", fmt.Sprintf("k%02d", i), DeleteOptions{})
		must(t, err)
	}
	before := len(packFiles(t, ts.drives[0]))
	// Damage a drive's pack segments: the scrub must repair live copies.
	for _, p := range packFiles(t, ts.drives[2]) {
		must(t, os.Truncate(p, 0))
	}
	st, err := ts.Scrub(ctx)
	if err != nil || st.ShardsRepaired == 0 {
		t.Fatalf("scrub: %+v %v", st, err)
	}
	if after := len(packFiles(t, ts.drives[0])); after >= before {
		t.Fatalf("compaction kept %d of %d segments", after, before)
	}
	_, err = ts.Scrub(ctx)
	must(t, err)
	// Lose two drives: the repaired copies alone must serve every version.
	must(t, os.RemoveAll(ts.drives[0]))
	must(t, os.RemoveAll(ts.drives[1]))
	for _, v := range live {
		if got := readVersion(t, ts.Store, v.key, v.id); !bytes.Equal(got, v.body) {
			t.Fatalf("%s@%s reads %d bytes, want %d", v.key, v.id, len(got), len(v.body))
		}
	}
	checkUsageExact(t, ts.Store)
}

// A plain DeleteBucket refuses a bucket holding only noncurrent versions
// or delete markers; once they are gone it deletes the bucket and its
// bucket file.
func TestDeleteVersionedBucket(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	id := ts.bucketID("bkt")
	v := putBytes(t, ts.Store, "k", []byte("x"))
	m, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{})
	must(t, err)
	if err := ts.DeleteBucket(ctx, "acme", "bkt", false); !errors.Is(err, ErrBucketNotEmpty) {
		t.Fatalf("delete of a bucket with versions: %v", err)
	}
	for _, vid := range []string{v.VersionID, m.VersionID} {
		_, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{VersionID: vid})
		must(t, err)
	}
	metaOf := func() int {
		n := 0
		for _, d := range ts.drives {
			if _, err := os.Stat(filepath.Join(d, "data", id[:2], id+".meta")); err == nil {
				n++
			}
		}
		return n
	}
	if n := metaOf(); n != 4 {
		t.Fatalf("bucket file on %d drives, want 4", n)
	}
	must(t, ts.DeleteBucket(ctx, "acme", "bkt", false))
	if n := metaOf(); n != 0 {
		t.Fatalf("bucket file left on %d drives", n)
	}
	var live bool
	must(t, ts.idx.View(func(tx indexTx) (err error) { live, err = tx.hasID(id); return err }))
	if live {
		t.Fatal("deleted bucket's file id is still in the index")
	}
}

// A forced delete interrupted after the trash commit finishes at the next
// Open, versions and delete markers included, and leaves no data behind.
func TestForceDeleteVersionsResumes(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.CreateBucket(ctx, "acme", "gone", BucketOptions{}))
	must(t, ts.SetBucketVersioning(ctx, "acme", "gone", VersioningEnabled))
	for i := range 30 {
		size := 10
		if i%7 == 0 {
			size = 200 << 10 // shard files
		}
		putIn(t, ts.Store, "gone", fmt.Sprintf("k%d", i%4), randBytes(uint64(i), size), PutOptions{})
		if i%5 == 0 {
			_, err := ts.DeleteObject(ctx, "acme", "gone", fmt.Sprintf("k%d", i%4), DeleteOptions{})
			must(t, err)
		}
	}
	putBytes(t, ts.Store, "stay", []byte("stay"))
	b, err := ts.lookupBucket("acme", "gone")
	must(t, err)
	// The crash: trashed (usage dropped), nothing purged yet.
	must(t, ts.idx.Update(func(tx indexTx) error {
		if err := ts.applyUsage(tx, "acme", nil, usageDelta{Objects: -b.Objects, Bytes: -b.Bytes,
			NoncurrentObjects: -b.NoncurrentObjects, NoncurrentBytes: -b.NoncurrentBytes}); err != nil {
			return err
		}
		if err := tx.putTrash(b); err != nil {
			return err
		}
		return tx.deleteBucket("acme", "gone")
	}))
	ts.reopen()
	must(t, ts.idx.View(func(tx indexTx) error {
		tr, err := tx.trash()
		if len(tr) != 0 {
			t.Fatalf("%d buckets still in the trash", len(tr))
		}
		n := 0
		if err := tx.eachVersion(b.ID, nil, func(*objRecord) bool { n++; return true }); err != nil {
			return err
		}
		if n != 0 {
			t.Fatalf("%d versions left", n)
		}
		return err
	}))
	u, err := ts.TenantUsage(ctx, "acme")
	must(t, err)
	if u.Objects != 1 || u.Bytes != 4 || u.NoncurrentObjects != 0 {
		t.Fatalf("usage %+v", u)
	}
	checkUsageExact(t, ts.Store)
	// Only live data remains: every file on the drives belongs to a
	// committed id (the versions' files and the bucket file are gone).
	for _, d := range ts.Store.drives {
		must(t, d.Walk(func(name string, _ time.Time) error {
			if id, _, _ := strings.Cut(name, "."); !ts.live(id) {
				t.Fatalf("%s left on %s after the purge", name, d.Path())
			}
			return nil
		}))
	}
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err = ts.RebuildIndex(ctx)
	must(t, err)
	if _, err := ts.GetBucket(ctx, "acme", "gone"); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("purged bucket came back after rebuild: %v", err)
	}
}

// ListObjectVersions pages of every size, with prefix and delimiter, walk
// to the same listing as one page, and IsLatest and markers stay right at
// page boundaries inside a key.
func TestListObjectVersionsPaging(t *testing.T) {
	ts := newTestStore(t, 2)
	ctx := context.Background()
	putBytes(t, ts.Store, "a", []byte("null")) // a null version from before
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	for _, k := range []string{"a", "a", "b/1", "b/2", "b/2", "c", "d"} {
		putBytes(t, ts.Store, k, []byte(k))
	}
	for _, k := range []string{"a", "c", "c", "e"} {
		_, err := ts.DeleteObject(ctx, "acme", "bkt", k, DeleteOptions{})
		must(t, err)
	}
	full := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{})
	if len(full) != 12 || full[0][len(full[0])-2:] != "*!" || full[3] != "a@null" {
		t.Fatalf("full listing %v", full)
	}
	for _, tc := range []struct {
		opts ListVersionsOptions
		want func([]string) []string
	}{
		{ListVersionsOptions{}, func(f []string) []string { return f }},
		{ListVersionsOptions{Prefix: "b/"}, func(f []string) []string { return f[4:7] }},
		{ListVersionsOptions{Delimiter: "/"}, func(f []string) []string {
			return append(append(slices.Clone(f[:4]), f[7:]...), "CP:b/")
		}},
	} {
		for page := 1; page <= 13; page++ {
			o := tc.opts
			o.MaxKeys = page
			got := versionsOf(t, ts.Store, "bkt", o)
			want := tc.want(full)
			if o.Delimiter != "" {
				// versionsOf appends prefixes per page: order them as one page does.
				slices.SortStableFunc(got, func(a, b string) int {
					return boolInt(len(a) > 3 && a[:3] == "CP:") - boolInt(len(b) > 3 && b[:3] == "CP:")
				})
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%+v page %d:\n got %v\nwant %v", tc.opts, page, got, want)
			}
		}
	}
	// Markers: a key marker alone starts after the key; with a version id,
	// after that version.
	res, err := ts.ListObjectVersions(ctx, "acme", "bkt", ListVersionsOptions{KeyMarker: "a", MaxKeys: 1})
	must(t, err)
	if len(res.Versions) != 1 || res.Versions[0].Key != "b/1" || !res.IsTruncated || res.NextKeyMarker != "b/1" {
		t.Fatalf("after key a: %+v", res)
	}
	res, err = ts.ListObjectVersions(ctx, "acme", "bkt", ListVersionsOptions{KeyMarker: "a", VersionIDMarker: NullVersion})
	must(t, err)
	if len(res.Versions) != 8 || res.Versions[0].Key != "b/1" {
		t.Fatalf("after a@null: %v", res.Versions)
	}
	for _, bad := range []string{"\x00", "\xff", "garbage", "null\x00"} {
		res, err = ts.ListObjectVersions(ctx, "acme", "bkt", ListVersionsOptions{KeyMarker: "a", VersionIDMarker: bad})
		must(t, err)
		if len(res.Versions) != 8 {
			t.Fatalf("after a@%q: %d versions", bad, len(res.Versions))
		}
	}
	if _, err := ts.ListObjectVersions(ctx, "acme", "nope", ListVersionsOptions{}); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("missing bucket: %v", err)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Concurrent versioned writes, markers and version deletes on few keys
// keep the layout invariants and exact usage, and every acknowledged
// version that was not deleted reads back.
func TestVersionsConcurrent(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	const workers, ops = 6, 40
	type acked struct {
		key, id string
		body    []byte
	}
	results := make([][]acked, workers)
	deleted := make([]map[string]bool, workers)
	errs := make(chan error, workers)
	for w := range workers {
		deleted[w] = map[string]bool{}
		go func() {
			for i := range ops {
				key := fmt.Sprintf("k%d", (w+i)%3)
				switch i % 5 {
				case 3:
					if _, err := ts.DeleteObject(ctx, "acme", "bkt", key, DeleteOptions{}); err != nil {
						errs <- err
						return
					}
				case 4:
					if n := len(results[w]); n > 0 {
						v := results[w][n-1]
						if _, err := ts.DeleteObject(ctx, "acme", "bkt", v.key, DeleteOptions{VersionID: v.id}); err != nil {
							errs <- err
							return
						}
						deleted[w][v.id] = true
					}
				default:
					body := randBytes(uint64(w*1000+i), 50+i*(1+w%2)*3000)
					info, err := ts.PutObject(ctx, "acme", "bkt", key, bytes.NewReader(body), PutOptions{Size: int64(len(body))})
					if err != nil {
						errs <- err
						return
					}
					results[w] = append(results[w], acked{key, info.VersionID, body})
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		must(t, <-errs)
	}
	must(t, ts.idx.View(func(tx indexTx) error { return checkVersionInvariants(tx, ts.bucketID("bkt")) }))
	checkUsageExact(t, ts.Store)
	n := 0
	for w := range workers {
		for _, v := range results[w] {
			if deleted[w][v.id] {
				if _, err := ts.GetObjectVersion(ctx, "acme", "bkt", v.key, v.id); !errors.Is(err, ErrNoSuchVersion) {
					t.Fatalf("deleted version %s@%s: %v", v.key, v.id, err)
				}
				continue
			}
			if got := readVersion(t, ts.Store, v.key, v.id); !bytes.Equal(got, v.body) {
				t.Fatalf("%s@%s reads %d bytes, want %d", v.key, v.id, len(got), len(v.body))
			}
			n++
		}
	}
	all := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{MaxKeys: 7})
	markers := 0
	for _, e := range all {
		if strings.HasSuffix(e, "!") {
			markers++
		}
	}
	if len(all) != n+markers {
		t.Fatalf("%d versions listed, %d live versions and %d markers", len(all), n, markers)
	}
}

// A common prefix met in one walk must not move the other walk when that
// one is already past the prefix: the objects walk folds "a/" while the
// versions walk waits at "b"'s delete marker, which must still be listed.
func TestListObjectVersionsPrefixSkipKeepsOtherWalk(t *testing.T) {
	ts := newTestStore(t, 2)
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	putBytes(t, ts.Store, "a/1", []byte("1"))
	m, err := ts.DeleteObject(ctx, "acme", "bkt", "b", DeleteOptions{})
	must(t, err)
	putBytes(t, ts.Store, "c/1", []byte("1"))
	putBytes(t, ts.Store, "c/1", []byte("2"))
	putBytes(t, ts.Store, "d", []byte("d"))
	got := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{Delimiter: "/"})
	want := []string{"b@" + m.VersionID + "*!", "d@" + versionsOfKey(t, ts, "d") + "*", "CP:a/", "CP:c/"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func versionsOfKey(t *testing.T, ts *testStore, key string) string {
	info, err := ts.GetObjectInfo(context.Background(), "acme", "bkt", key)
	must(t, err)
	return info.VersionID
}

// OpenObjectVersion pins the version it opened: deleting that version by
// id (or overwriting the key) does not disturb the reader. Tags belong to
// one version.
func TestOpenVersionPinnedAndTagsPerVersion(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	for _, size := range []int{100, 300 << 10} { // packed, and shard files
		key := fmt.Sprint("k", size)
		old := randBytes(1, size)
		v1 := putBytes(t, ts.Store, key, old)
		putBytes(t, ts.Store, key, []byte("newer"))
		r, err := ts.OpenObjectVersion(ctx, "acme", "bkt", key, v1.VersionID)
		must(t, err)
		if info := r.Info(); info.VersionID != v1.VersionID || info.IsLatest {
			t.Fatalf("reader info %+v", info)
		}
		_, err = ts.DeleteObject(ctx, "acme", "bkt", key, DeleteOptions{VersionID: v1.VersionID})
		must(t, err)
		rc, err := r.Range(ctx, 0, int64(size))
		must(t, err)
		var got bytes.Buffer
		_, err = got.ReadFrom(rc)
		rc.Close()
		r.Close()
		if err != nil || !bytes.Equal(got.Bytes(), old) {
			t.Fatalf("pinned version of %d bytes read %d bytes, %v", size, got.Len(), err)
		}
		if _, err := ts.OpenObjectVersion(ctx, "acme", "bkt", key, v1.VersionID); !errors.Is(err, ErrNoSuchVersion) {
			t.Fatalf("open of a deleted version: %v", err)
		}
	}
	a := putBytes(t, ts.Store, "t", []byte("a"))
	b := putBytes(t, ts.Store, "t", []byte("b"))
	must(t, ts.SetObjectTags(ctx, "acme", "bkt", "t", a.VersionID, map[string]string{"v": "a"}))
	must(t, ts.SetObjectTags(ctx, "acme", "bkt", "t", "", map[string]string{"v": "current"}))
	for id, want := range map[string]string{a.VersionID: "a", b.VersionID: "current"} {
		info, err := ts.GetObjectVersion(ctx, "acme", "bkt", "t", id)
		must(t, err)
		if info.Meta.Tags["v"] != want {
			t.Fatalf("%s tags %v, want v=%s", id, info.Meta.Tags, want)
		}
	}
	m, err := ts.DeleteObject(ctx, "acme", "bkt", "t", DeleteOptions{})
	must(t, err)
	if err := ts.SetObjectTags(ctx, "acme", "bkt", "t", m.VersionID, nil); !errors.Is(err, ErrDeleteMarker) {
		t.Fatalf("tags on a delete marker: %v", err)
	}
	if err := ts.SetObjectTags(ctx, "acme", "bkt", "t", "", nil); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("tags on a deleted key: %v", err)
	}
	if err := ts.SetObjectTags(ctx, "acme", "bkt", "t", "bogus", nil); !errors.Is(err, ErrNoSuchVersion) {
		t.Fatalf("tags on a malformed version: %v", err)
	}
}

// A scrub rewrites bucket files a drive lost, holds corrupt or holds
// stale, from the index; a rebuild then finds the state on any drive.
func TestBucketFilesHealed(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	id := ts.bucketID("bkt")
	path := func(i int) string { return filepath.Join(ts.drives[i], "data", id[:2], id+".meta") }
	stale, err := os.ReadFile(path(3))
	must(t, err)
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningSuspended))
	must(t, os.Remove(path(0)))
	must(t, os.WriteFile(path(1), []byte("garbage"), 0o600))
	must(t, os.WriteFile(path(2), stale, 0o600)) // says Enabled
	st, err := ts.Scrub(ctx)
	must(t, err)
	if st.ShardsRepaired < 3 {
		t.Fatalf("scrub repaired %d", st.ShardsRepaired)
	}
	for i := range 4 {
		raw, err := os.ReadFile(path(i))
		must(t, err)
		h, _, err := decodeMeta(raw)
		if err != nil || h.Kind != "bucket" || h.BucketCfg.Versioning != VersioningSuspended || h.Shard != i {
			t.Fatalf("drive %d bucket file %+v, %v", i, h, err)
		}
	}
	for i := range 3 {
		must(t, os.Remove(path(i)))
	}
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err = ts.RebuildIndex(ctx)
	must(t, err)
	b, err := ts.GetBucket(ctx, "acme", "bkt")
	if err != nil || b.Versioning != VersioningSuspended {
		t.Fatalf("rebuilt bucket %+v, %v", b, err)
	}
}
