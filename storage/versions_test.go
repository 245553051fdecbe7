package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// versionsOf lists every version of the bucket through ListObjectVersions
// pages of size page, as "key@id" with "*" for IsLatest and "!" for a
// delete marker, checking page invariants on the way.
func versionsOf(t testing.TB, s *Store, bucket string, opts ListVersionsOptions) []string {
	t.Helper()
	var out []string
	for range 10000 {
		res, err := s.ListObjectVersions(context.Background(), "acme", bucket, opts)
		if err != nil {
			t.Fatalf("ListObjectVersions: %v", err)
		}
		for _, v := range res.Versions {
			e := v.Key + "@" + v.VersionID
			if v.IsLatest {
				e += "*"
			}
			if v.DeleteMarker {
				e += "!"
			}
			out = append(out, e)
		}
		for _, p := range res.CommonPrefixes {
			out = append(out, "CP:"+p)
		}
		if !res.IsTruncated {
			return out
		}
		opts.KeyMarker, opts.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
	}
	t.Fatal("listing did not end")
	return nil
}

func readVersion(t testing.TB, s *Store, key, id string) []byte {
	t.Helper()
	r, err := s.OpenObjectVersion(context.Background(), "acme", "bkt", key, id)
	if err != nil {
		t.Fatalf("OpenObjectVersion %s@%s: %v", key, id, err)
	}
	defer r.Close()
	rc, err := r.Range(context.Background(), 0, r.Info().Size)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func putBytes(t testing.TB, s *Store, key string, body []byte) ObjectInfo {
	t.Helper()
	info, err := s.PutObject(context.Background(), "acme", "bkt", key, bytes.NewReader(body), PutOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
	return info
}

// checkUsageExact compares the counters with a recount from the records.
func checkUsageExact(t testing.TB, s *Store) {
	t.Helper()
	ctx := context.Background()
	u, err := s.TenantUsage(ctx, "acme")
	must(t, err)
	bs, err := s.ListBuckets(ctx, "acme")
	must(t, err)
	must(t, s.recountUsage())
	u2, err := s.TenantUsage(ctx, "acme")
	must(t, err)
	bs2, err := s.ListBuckets(ctx, "acme")
	must(t, err)
	if u != u2 {
		t.Fatalf("tenant usage %+v, recount %+v", u, u2)
	}
	if !slices.Equal(bs, bs2) {
		t.Fatalf("bucket usage %+v, recount %+v", bs, bs2)
	}
}

func TestVersioningEnabled(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	var ids []string
	for i := range 3 {
		info := putBytes(t, ts.Store, "k", []byte(fmt.Sprint("body-", i)))
		if !ValidVersionID(info.VersionID) || info.VersionID == NullVersion || !info.IsLatest {
			t.Fatalf("put %d: version %q latest %v", i, info.VersionID, info.IsLatest)
		}
		ids = append(ids, info.VersionID)
	}
	for i, id := range ids {
		if got := string(readVersion(t, ts.Store, "k", id)); got != fmt.Sprint("body-", i) {
			t.Fatalf("version %d reads %q", i, got)
		}
	}
	want := []string{"k@" + ids[2] + "*", "k@" + ids[1], "k@" + ids[0]}
	if got := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{}); !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	b, err := ts.GetBucket(ctx, "acme", "bkt")
	must(t, err)
	if b.Objects != 3 || b.Bytes != 18 || b.NoncurrentObjects != 2 || b.NoncurrentBytes != 12 || b.Versioning != VersioningEnabled {
		t.Fatalf("bucket %+v", b)
	}

	// DELETE without a version id adds a marker; the key reads as deleted.
	del, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{})
	must(t, err)
	if !del.DeleteMarker || !ValidVersionID(del.VersionID) || del.VersionID == NullVersion {
		t.Fatalf("delete result %+v", del)
	}
	_, err = ts.GetObjectInfo(ctx, "acme", "bkt", "k")
	var dm *DeleteMarkerError
	if !errors.Is(err, ErrObjectNotFound) || !errors.As(err, &dm) || dm.VersionID != del.VersionID || dm.Addressed {
		t.Fatalf("GetObjectInfo of a deleted key: %v", err)
	}
	if _, err := ts.GetObjectVersion(ctx, "acme", "bkt", "k", del.VersionID); !errors.Is(err, ErrDeleteMarker) || errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("GET of the marker by id: %v", err)
	}
	if _, err := ts.OpenObject(ctx, "acme", "bkt", "k"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("OpenObject of a deleted key: %v", err)
	}
	lr, err := ts.ListObjects(ctx, "acme", "bkt", ListOptions{})
	must(t, err)
	if len(lr.Objects) != 0 {
		t.Fatalf("ListObjects shows %v", lr.Objects)
	}
	want = append([]string{"k@" + del.VersionID + "*!"}, "k@"+ids[2], "k@"+ids[1], "k@"+ids[0])
	if got := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{}); !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	checkUsageExact(t, ts.Store)

	// Removing the marker undeletes; removing the current promotes.
	res, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{VersionID: del.VersionID})
	must(t, err)
	if !res.DeleteMarker || res.VersionID != del.VersionID {
		t.Fatalf("delete of the marker: %+v", res)
	}
	if info, err := ts.GetObjectInfo(ctx, "acme", "bkt", "k"); err != nil || info.VersionID != ids[2] || !info.IsLatest {
		t.Fatalf("after undelete: %+v %v", info, err)
	}
	_, err = ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{VersionID: ids[2]})
	must(t, err)
	if info, err := ts.GetObjectInfo(ctx, "acme", "bkt", "k"); err != nil || info.VersionID != ids[1] {
		t.Fatalf("after deleting the current: %+v %v", info, err)
	}
	if got := string(readVersion(t, ts.Store, "k", "")); got != "body-1" {
		t.Fatalf("promoted version reads %q", got)
	}
	// A middle version goes without touching the current.
	_, err = ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{VersionID: ids[0]})
	must(t, err)
	if _, err := ts.GetObjectVersion(ctx, "acme", "bkt", "k", ids[0]); !errors.Is(err, ErrNoSuchVersion) {
		t.Fatalf("deleted version: %v", err)
	}
	// A well-formed id of no version succeeds, a malformed one does not.
	if _, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{VersionID: ids[0]}); err != nil {
		t.Fatalf("delete of a gone version: %v", err)
	}
	for _, bad := range []string{"x", "NULL", strings.Repeat("g", 32), "\x00", strings.ToUpper(ids[1])} {
		if _, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{VersionID: bad}); !errors.Is(err, ErrNoSuchVersion) {
			t.Fatalf("delete of version %q: %v", bad, err)
		}
		if _, err := ts.GetObjectVersion(ctx, "acme", "bkt", "k", bad); !errors.Is(err, ErrNoSuchVersion) {
			t.Fatalf("get of version %q: %v", bad, err)
		}
	}
	want = []string{"k@" + ids[1] + "*"}
	if got := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{}); !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	b, err = ts.GetBucket(ctx, "acme", "bkt")
	must(t, err)
	if b.Objects != 1 || b.Bytes != 6 || b.NoncurrentObjects != 0 || b.NoncurrentBytes != 0 {
		t.Fatalf("bucket %+v", b)
	}
	checkUsageExact(t, ts.Store)
}

func TestVersioningNullAndSuspended(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	putBytes(t, ts.Store, "k", []byte("old"))
	if got := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{}); !slices.Equal(got, []string{"k@null*"}) {
		t.Fatalf("never-versioned versions %v", got)
	}
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	v1 := putBytes(t, ts.Store, "k", []byte("v1")).VersionID
	if got := string(readVersion(t, ts.Store, "k", NullVersion)); got != "old" {
		t.Fatalf("null version reads %q", got)
	}
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningSuspended))
	// A suspended write replaces the (noncurrent) null version.
	info := putBytes(t, ts.Store, "k", []byte("new"))
	if info.VersionID != NullVersion || !info.IsLatest {
		t.Fatalf("suspended put: %+v", info)
	}
	want := []string{"k@null*", "k@" + v1}
	if got := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{}); !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	if got := string(readVersion(t, ts.Store, "k", NullVersion)); got != "new" {
		t.Fatalf("null version reads %q", got)
	}
	// A suspended delete puts a null marker in place of the null version.
	res, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{})
	must(t, err)
	if res.VersionID != NullVersion || !res.DeleteMarker {
		t.Fatalf("suspended delete: %+v", res)
	}
	want = []string{"k@null*!", "k@" + v1}
	if got := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{}); !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	checkUsageExact(t, ts.Store)
	b, err := ts.GetBucket(ctx, "acme", "bkt")
	must(t, err)
	if b.Objects != 2 || b.Bytes != 2 || b.NoncurrentObjects != 2 || b.NoncurrentBytes != 2 {
		t.Fatalf("bucket %+v", b)
	}
	// Put again: the null marker is replaced, v1 stays.
	putBytes(t, ts.Store, "k", []byte("again"))
	want = []string{"k@null*", "k@" + v1}
	if got := versionsOf(t, ts.Store, "bkt", ListVersionsOptions{}); !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	// Deleting the null version by id promotes v1.
	_, err = ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{VersionID: NullVersion})
	must(t, err)
	if got := string(readVersion(t, ts.Store, "k", "")); got != "v1" {
		t.Fatalf("current reads %q", got)
	}
	checkUsageExact(t, ts.Store)
	if err := ts.SetBucketVersioning(ctx, "acme", "bkt", ""); !errors.Is(err, ErrInvalidVersioning) {
		t.Fatalf("unversioning: %v", err)
	}
}

// Never-versioned buckets write nothing to the versions keyspaces, and a
// DELETE with versionId null removes the object as a plain DELETE does.
func TestNeverVersionedUnchanged(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	putBytes(t, ts.Store, "a", []byte("1"))
	putBytes(t, ts.Store, "a", []byte("22"))
	putBytes(t, ts.Store, "b", []byte("333"))
	res, err := ts.DeleteObject(ctx, "acme", "bkt", "b", DeleteOptions{})
	must(t, err)
	if res != (DeleteResult{}) {
		t.Fatalf("unversioned delete result %+v", res)
	}
	must(t, ts.idx.View(func(tx indexTx) error {
		n := 0
		err := tx.eachVersion(ts.bucketID("bkt"), nil, func(*objRecord) bool { n++; return true })
		if n != 0 {
			t.Fatalf("%d versions records in a never-versioned bucket", n)
		}
		return err
	}))
	if _, err := ts.DeleteObject(ctx, "acme", "bkt", "a", DeleteOptions{VersionID: NullVersion}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.GetObjectInfo(ctx, "acme", "bkt", "a"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("after deleting the null version: %v", err)
	}
	b, err := ts.GetBucket(ctx, "acme", "bkt")
	must(t, err)
	if b.Objects != 0 || b.Bytes != 0 || b.Versioning != "" {
		t.Fatalf("bucket %+v", b)
	}
}

func (ts *testStore) bucketID(name string) string {
	ts.t.Helper()
	b, err := ts.lookupBucket("acme", name)
	if err != nil {
		ts.t.Fatal(err)
	}
	return b.ID
}

// FuzzVersionID: any string is either refused by ValidVersionID or parses
// to the stamp it encodes, and a lookup, a delete and a listing marker with
// it on a versioned key answer (ErrNoSuchVersion for malformed ids, no
// other error) without touching the versions that exist.
func FuzzVersionID(f *testing.F) {
	for _, s := range []string{"", "null", "NULL", "\x00", "\xff", strings.Repeat("f", 32), strings.Repeat("0", 32),
		strings.Repeat("F", 32), strings.Repeat("0", 31) + "g", newVersionID(1), newVersionID(1<<63) + "0"} {
		f.Add(s)
	}
	ts := newTestStore(f, 2)
	ctx := context.Background()
	if err := ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled); err != nil {
		f.Fatal(err)
	}
	keep := putBytes(f, ts.Store, "k", []byte("v"))
	f.Fuzz(func(t *testing.T, id string) {
		valid := ValidVersionID(id)
		st, ok := stampOfVersionID(id)
		if ok != (valid && id != NullVersion) {
			t.Fatalf("%q: valid %v, stamp parsed %v", id, valid, ok)
		}
		if ok && newVersionID(st)[:16] != id[:16] {
			t.Fatalf("%q: stamp %d does not encode back", id, st)
		}
		_, err := ts.GetObjectVersion(ctx, "acme", "bkt", "k", id)
		switch {
		case id == "" || id == keep.VersionID:
			if err != nil {
				t.Fatalf("%q: %v", id, err)
			}
		case !errors.Is(err, ErrNoSuchVersion):
			t.Fatalf("GetObjectVersion(%q): %v", id, err)
		}
		if id != "" && id != keep.VersionID {
			_, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{VersionID: id})
			if valid && err != nil || !valid && !errors.Is(err, ErrNoSuchVersion) {
				t.Fatalf("DeleteObject(%q): %v", id, err)
			}
		}
		res, err := ts.ListObjectVersions(ctx, "acme", "bkt", ListVersionsOptions{KeyMarker: "k", VersionIDMarker: id})
		if err != nil || res.IsTruncated {
			t.Fatalf("ListObjectVersions after %q: %+v %v", id, res, err)
		}
		if info, err := ts.GetObjectInfo(ctx, "acme", "bkt", "k"); err != nil || info.VersionID != keep.VersionID {
			t.Fatalf("after %q the current version is %+v (%v)", id, info, err)
		}
	})
}

// Quotas count every version; a DELETE (a delete marker) is never refused
// for quota, even at the object limit.
func TestVersionsQuota(t *testing.T) {
	ts := newTestStore(t, 2)
	ctx := context.Background()
	must(t, ts.SetQuota(ctx, "acme", Quota{MaxObjects: 2}))
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	putBytes(t, ts.Store, "k", []byte("1"))
	putBytes(t, ts.Store, "k", []byte("2"))
	if _, err := ts.PutObject(ctx, "acme", "bkt", "k", bytes.NewReader([]byte("3")), PutOptions{Size: 1}); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("third version at a quota of 2 objects: %v", err)
	}
	if _, err := ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{}); err != nil {
		t.Fatalf("delete at the quota: %v", err)
	}
	u, err := ts.TenantUsage(ctx, "acme")
	must(t, err)
	if u.Objects != 3 || u.NoncurrentObjects != 3 || u.Bytes != 2 || u.NoncurrentBytes != 2 {
		t.Fatalf("usage %+v", u)
	}
	checkUsageExact(t, ts.Store)
}
