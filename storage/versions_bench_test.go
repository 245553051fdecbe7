package storage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Issue 14's listing goal: "ListObjectsV2 of 1,000 keys from 1M objects
// that each have several versions within 2x of today's latency;
// ListObjectVersions page of 1,000 similar." BenchmarkListing1MVersions
// measures it in one store holding two buckets of the same keys: "plain",
// never versioned (today's listing), and "versioned", versioning Enabled,
// every key with 3 versions (the current one in objects, 2 noncurrent in
// versions). Filling takes a few minutes and about 2 GiB under TMPDIR, so
// it runs only with COFFER_BENCH_1M=1; COFFER_BENCH_KEYS changes the key
// count (default 1,000,000).
//
//	COFFER_BENCH_1M=1 go test -run '^$' -bench BenchmarkListing1MVersions -benchtime 200x ./storage/
//
// The fill writes the index directly (like BenchmarkListObjects1M), in key
// order and in batches, with records copied from objects that took the
// real write path (PutObject into each bucket), so the values listed have
// the size and fields of real ones; a key written through PutObject three
// times is checked to list exactly like the bulk keys.
func BenchmarkListing1MVersions(b *testing.B) {
	if os.Getenv("COFFER_BENCH_1M") != "1" {
		b.Skip("COFFER_BENCH_1M=1 fills 1M keys x 3 versions (minutes, ~2 GiB)")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("COFFER_BENCH_KEYS")); err == nil && v >= 10_000 {
		n = v
	}
	ts := versionsBenchStore(b, n)
	ctx := context.Background()
	mid := benchKey(n / 2)
	for _, tc := range []struct {
		name   string
		bucket string
		opts   ListOptions
	}{
		{"objects/plain/start", "plain", ListOptions{}},
		{"objects/versioned/start", "versioned", ListOptions{}},
		{"objects/plain/middle", "plain", ListOptions{After: mid}},
		{"objects/versioned/middle", "versioned", ListOptions{After: mid}},
		{"objects/plain/prefix", "plain", ListOptions{Prefix: "dir7"}},
		{"objects/versioned/prefix", "versioned", ListOptions{Prefix: "dir7"}},
		{"objects/plain/delimiter", "plain", ListOptions{Delimiter: "/"}},
		{"objects/versioned/delimiter", "versioned", ListOptions{Delimiter: "/"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			o := tc.opts
			o.MaxKeys = 1000
			for i := 0; i < b.N; i++ {
				res, err := ts.ListObjects(ctx, "acme", tc.bucket, o)
				must(b, err)
				if got := len(res.Objects) + len(res.CommonPrefixes); got != 1000 || o.Delimiter == "" && o.Prefix == "" && !res.IsTruncated {
					b.Fatalf("%d entries, truncated %v", got, res.IsTruncated)
				}
				if o.Delimiter == "" && tc.bucket == "versioned" && !ValidVersionID(res.Objects[0].VersionID) {
					b.Fatalf("version id %q", res.Objects[0].VersionID)
				}
			}
		})
	}
	for _, tc := range []struct {
		name   string
		bucket string
		opts   ListVersionsOptions
	}{
		{"versions/plain/start", "plain", ListVersionsOptions{}},
		{"versions/versioned/start", "versioned", ListVersionsOptions{}},
		{"versions/plain/middle", "plain", ListVersionsOptions{KeyMarker: mid}},
		{"versions/versioned/middle", "versioned", ListVersionsOptions{KeyMarker: mid}},
		// Inside a key's versions: after its current one.
		{"versions/versioned/middle-version", "versioned", ListVersionsOptions{KeyMarker: mid, VersionIDMarker: benchVersionID(n/2, 2)}},
		{"versions/plain/prefix", "plain", ListVersionsOptions{Prefix: "dir7"}},
		{"versions/versioned/prefix", "versioned", ListVersionsOptions{Prefix: "dir7"}},
		{"versions/versioned/delimiter", "versioned", ListVersionsOptions{Delimiter: "/"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			o := tc.opts
			o.MaxKeys = 1000
			for i := 0; i < b.N; i++ {
				res, err := ts.ListObjectVersions(ctx, "acme", tc.bucket, o)
				must(b, err)
				if got := len(res.Versions) + len(res.CommonPrefixes); got != 1000 || o.Delimiter == "" && o.Prefix == "" && !res.IsTruncated {
					b.Fatalf("%d entries, truncated %v", got, res.IsTruncated)
				}
				if i == 0 {
					checkVersionPage(b, tc.bucket, o, res)
				}
			}
		})
	}
}

// checkVersionPage checks a page's shape: keys ascending; in the plain
// bucket every entry is the null version and latest; in the versioned one
// each key's 3 versions come newest first, the first of them latest
// (except for the key the marker starts inside).
func checkVersionPage(b *testing.B, bucket string, o ListVersionsOptions, res ListVersionsResult) {
	b.Helper()
	for i, v := range res.Versions {
		if i > 0 && v.Key < res.Versions[i-1].Key {
			b.Fatalf("entry %d: key %q after %q", i, v.Key, res.Versions[i-1].Key)
		}
		if bucket == "plain" {
			if v.VersionID != NullVersion || !v.IsLatest {
				b.Fatalf("plain bucket entry %d: version %q latest %v", i, v.VersionID, v.IsLatest)
			}
			continue
		}
		first := i == 0 || v.Key != res.Versions[i-1].Key
		wantLatest := first && !(o.VersionIDMarker != "" && v.Key == o.KeyMarker)
		if v.IsLatest != wantLatest || !ValidVersionID(v.VersionID) || v.VersionID == NullVersion {
			b.Fatalf("entry %d (%s): version %q latest %v, want latest %v", i, v.Key, v.VersionID, v.IsLatest, wantLatest)
		}
		if !first {
			if s, _ := stampOfVersionID(v.VersionID); s >= mustStamp(b, res.Versions[i-1].VersionID) {
				b.Fatalf("entry %d (%s): versions not newest first", i, v.Key)
			}
		}
	}
}

func mustStamp(b *testing.B, id string) uint64 {
	s, ok := stampOfVersionID(id)
	if !ok {
		b.Fatalf("version id %q", id)
	}
	return s
}

// benchKey is the i-th key of the fill (i < 10M): dirNNN/fileNNNNNNN.dat
// with i%1000 as the directory: dirNNN/ holds n/1000 keys, dir7 n/10.
func benchKey(i int) string { return fmt.Sprintf("dir%03d/file%07d.dat", i%1000, i) }

// benchStamp is the stamp of key i's version v (0 oldest, 2 current).
func benchStamp(i, v int) uint64 { return 1_700_000_000_000_000_000 + uint64(i)*3 + uint64(v) }

// benchVersionID is a fixed id for key i's version v: its stamp, then
// bytes derived from it (newVersionID's random half, made repeatable).
func benchVersionID(i, v int) string {
	st := benchStamp(i, v)
	return fmt.Sprintf("%016x%016x", ^st, st*0x9e3779b97f4a7c15)
}

// versionsBenchStore fills the two buckets of BenchmarkListing1MVersions
// in a store on b's temporary directory (the sub-benchmarks run inside
// the parent's one run, so the fill is done once).
func versionsBenchStore(b *testing.B, n int) *testStore {
	start := time.Now()
	ts := newTestStore(b, 4, func(c *Config) { c.Parity, c.BlockSize = 2, 1<<20 })
	ctx := context.Background()
	must(b, ts.CreateBucket(ctx, "acme", "plain", BucketOptions{}))
	must(b, ts.CreateBucket(ctx, "acme", "versioned", BucketOptions{}))
	must(b, ts.SetBucketVersioning(ctx, "acme", "versioned", VersioningEnabled))

	// Templates: a 1234-byte object PUT into each bucket for real.
	body := bytes.Repeat([]byte{'x'}, 1234)
	template := map[string]*objRecord{}
	for _, bucket := range []string{"plain", "versioned"} {
		if _, err := ts.PutObject(ctx, "acme", bucket, "template", bytes.NewReader(body), PutOptions{Size: int64(len(body))}); err != nil {
			b.Fatal(err)
		}
		bk, err := ts.lookupBucket("acme", bucket)
		must(b, err)
		must(b, ts.idx.View(func(tx indexTx) error {
			r, err := tx.object(bk.ID, "template")
			template[bucket] = r
			return err
		}))
		// The template key is not part of the listing.
		if _, err := ts.DeleteObject(ctx, "acme", bucket, "template", DeleteOptions{}); err != nil {
			b.Fatal(err)
		}
		if bucket == "versioned" {
			res, err := ts.ListObjectVersions(ctx, "acme", bucket, ListVersionsOptions{Prefix: "template"})
			must(b, err)
			for _, v := range res.Versions {
				_, err := ts.DeleteObject(ctx, "acme", bucket, "template", DeleteOptions{VersionID: v.VersionID})
				must(b, err)
			}
		}
	}
	if template["plain"] == nil || template["versioned"] == nil || template["versioned"].VersionID == "" {
		b.Fatalf("templates: %+v", template)
	}
	raw, err := encodeObjValue(template["versioned"])
	must(b, err)
	b.Logf("index value of a version: %d bytes", len(raw))

	keys := make([]int, n)
	for i := range keys {
		keys[i] = i
	}
	slices.SortFunc(keys, func(x, y int) int { return cmpString(benchKey(x), benchKey(y)) })
	const batch = 25_000
	for lo := 0; lo < n; lo += batch {
		must(b, ts.idx.Update(func(tx indexTx) error {
			for _, i := range keys[lo:min(lo+batch, n)] {
				k := benchKey(i)
				p := *template["plain"]
				p.Key = k
				if err := tx.putObject(&p); err != nil {
					return err
				}
				for v := range 3 {
					r := *template["versioned"]
					r.Key, r.Stamp, r.VersionID = k, benchStamp(i, v), benchVersionID(i, v)
					var err error
					if v == 2 {
						err = tx.putObject(&r)
					} else {
						err = tx.putVersion(&r)
					}
					if err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
	b.Logf("filled %d keys (plain) and %d versions (versioned) in %v", n, 3*n, time.Since(start).Round(time.Second))

	// A key given 3 versions through PutObject lists like a bulk one.
	for range 3 {
		if _, err := ts.PutObject(ctx, "acme", "versioned", "dir000/real", bytes.NewReader(body), PutOptions{Size: int64(len(body))}); err != nil {
			b.Fatal(err)
		}
	}
	real, err := ts.ListObjectVersions(ctx, "acme", "versioned", ListVersionsOptions{Prefix: "dir000/real"})
	must(b, err)
	bulk, err := ts.ListObjectVersions(ctx, "acme", "versioned", ListVersionsOptions{Prefix: benchKey(0)})
	must(b, err)
	if len(real.Versions) != 3 || len(bulk.Versions) != 3 {
		b.Fatalf("real key %d versions, bulk key %d", len(real.Versions), len(bulk.Versions))
	}
	for j := range 3 {
		r, k := real.Versions[j], bulk.Versions[j]
		if r.IsLatest != k.IsLatest || r.Size != k.Size || r.ETag != k.ETag || !ValidVersionID(k.VersionID) {
			b.Fatalf("version %d: real %+v, bulk %+v", j, r, k)
		}
	}
	_, err = ts.DeleteObject(ctx, "acme", "versioned", "dir000/real", DeleteOptions{VersionID: real.Versions[0].VersionID})
	must(b, err)
	_, err = ts.DeleteObject(ctx, "acme", "versioned", "dir000/real", DeleteOptions{VersionID: real.Versions[1].VersionID})
	must(b, err)
	_, err = ts.DeleteObject(ctx, "acme", "versioned", "dir000/real", DeleteOptions{VersionID: real.Versions[2].VersionID})
	must(b, err)
	if fi, err := os.Stat(ts.cfg.DataDir + "/index.db"); err == nil {
		b.Logf("index %d MiB", fi.Size()>>20)
	}
	return ts
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
