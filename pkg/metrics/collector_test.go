package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/cofferstore/coffer/storage"
)

// openStore opens a real store on four t.TempDir drives (2 data + 2 parity)
// with the background scanner off, so that every figure is deterministic.
func openStore(t testing.TB) (*storage.Store, []string) {
	t.Helper()
	root := t.TempDir()
	drives := make([]string, 4)
	for i := range drives {
		drives[i] = filepath.Join(root, fmt.Sprintf("drive%d", i))
		if err := os.MkdirAll(drives[i], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(root, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := storage.Open(storage.Config{DataDir: data, Drives: drives, Parity: 2, ScrubInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, drives
}

func put(t *testing.T, s storage.ObjectStore, tenant, bucket, key string, size int) {
	t.Helper()
	body := bytes.Repeat([]byte{'x'}, size)
	if _, err := s.PutObject(context.Background(), tenant, bucket, key, bytes.NewReader(body), storage.PutOptions{Size: int64(size)}); err != nil {
		t.Fatalf("put %s/%s/%s: %v", tenant, bucket, key, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestUsageCollectorExactFigures(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	must(t, s.CreateTenant(ctx, "acme", storage.Quota{MaxObjects: 100, MaxBytes: 1 << 20}))
	must(t, s.CreateTenant(ctx, "globex", storage.Quota{}))
	must(t, s.CreateBucket(ctx, "acme", "photos", storage.BucketOptions{}))
	must(t, s.CreateBucket(ctx, "acme", "logs", storage.BucketOptions{}))
	must(t, s.CreateBucket(ctx, "globex", "photos", storage.BucketOptions{})) // same bucket name, other tenant

	put(t, s, "acme", "photos", "a.jpg", 1000)
	put(t, s, "acme", "photos", "b.jpg", 2000)
	put(t, s, "acme", "photos", "a.jpg", 300) // overwrite: objects stay, bytes drop by 700
	put(t, s, "acme", "logs", "x.log", 50)
	put(t, s, "acme", "logs", "y.log", 60)
	if _, err := s.DeleteObject(ctx, "acme", "logs", "y.log", storage.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	put(t, s, "globex", "photos", "z", 0)

	// An unfinished multipart upload counts in tenant bytes, not in the bucket.
	id, err := s.CreateMultipartUpload(ctx, "globex", "photos", "big", storage.PutOptions{})
	must(t, err)
	_, err = s.PutPart(ctx, "globex", "photos", "big", id, 1, bytes.NewReader(make([]byte, 700)), storage.PutOptions{Size: 700})
	must(t, err)

	must(t, s.AddVolume(ctx, "globex", storage.Volume{Name: "db", SizeBytes: 10 << 30, Server: "vm-1"}))
	must(t, s.AddVolume(ctx, "globex", storage.Volume{Name: "logs", SizeBytes: 5 << 30, Server: "vm-2"}))
	must(t, s.SetSuspended(ctx, "globex", true))

	m := New(Options{Store: s})
	want := `
# HELP coffer_tenants Tenants on this server.
# TYPE coffer_tenants gauge
coffer_tenants 2
# HELP coffer_tenant_objects Objects stored by the tenant across all its buckets.
# TYPE coffer_tenant_objects gauge
coffer_tenant_objects{tenant="acme"} 3
coffer_tenant_objects{tenant="globex"} 1
# HELP coffer_tenant_bytes Bytes stored by the tenant (object sizes, including parts of unfinished multipart uploads); the figure its byte quota is checked against.
# TYPE coffer_tenant_bytes gauge
coffer_tenant_bytes{tenant="acme"} 2350
coffer_tenant_bytes{tenant="globex"} 700
# HELP coffer_tenant_multipart_upload_bytes Of coffer_tenant_bytes, the bytes held by parts of unfinished multipart uploads.
# TYPE coffer_tenant_multipart_upload_bytes gauge
coffer_tenant_multipart_upload_bytes{tenant="acme"} 0
coffer_tenant_multipart_upload_bytes{tenant="globex"} 700
# HELP coffer_tenant_quota_objects The tenant's object quota; 0 means unlimited.
# TYPE coffer_tenant_quota_objects gauge
coffer_tenant_quota_objects{tenant="acme"} 100
coffer_tenant_quota_objects{tenant="globex"} 0
# HELP coffer_tenant_quota_bytes The tenant's byte quota; 0 means unlimited.
# TYPE coffer_tenant_quota_bytes gauge
coffer_tenant_quota_bytes{tenant="acme"} 1.048576e+06
coffer_tenant_quota_bytes{tenant="globex"} 0
# HELP coffer_tenant_suspended 1 when the tenant is suspended, else 0.
# TYPE coffer_tenant_suspended gauge
coffer_tenant_suspended{tenant="acme"} 0
coffer_tenant_suspended{tenant="globex"} 1
# HELP coffer_tenant_buckets Buckets (console containers) the tenant owns.
# TYPE coffer_tenant_buckets gauge
coffer_tenant_buckets{tenant="acme"} 2
coffer_tenant_buckets{tenant="globex"} 1
# HELP coffer_tenant_volumes Block storage volumes recorded for the tenant.
# TYPE coffer_tenant_volumes gauge
coffer_tenant_volumes{tenant="acme"} 0
coffer_tenant_volumes{tenant="globex"} 2
# HELP coffer_tenant_volume_bytes Total size of the block storage volumes recorded for the tenant.
# TYPE coffer_tenant_volume_bytes gauge
coffer_tenant_volume_bytes{tenant="acme"} 0
coffer_tenant_volume_bytes{tenant="globex"} 1.6106127360e+10
# HELP coffer_bucket_objects Objects stored in the bucket.
# TYPE coffer_bucket_objects gauge
coffer_bucket_objects{bucket="logs",tenant="acme"} 1
coffer_bucket_objects{bucket="photos",tenant="acme"} 2
coffer_bucket_objects{bucket="photos",tenant="globex"} 1
# HELP coffer_bucket_bytes Bytes stored in the bucket (sum of object sizes).
# TYPE coffer_bucket_bytes gauge
coffer_bucket_bytes{bucket="logs",tenant="acme"} 50
coffer_bucket_bytes{bucket="photos",tenant="acme"} 2300
coffer_bucket_bytes{bucket="photos",tenant="globex"} 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"coffer_tenants", "coffer_tenant_objects", "coffer_tenant_bytes", "coffer_tenant_multipart_upload_bytes",
		"coffer_tenant_quota_objects", "coffer_tenant_quota_bytes", "coffer_tenant_suspended",
		"coffer_tenant_buckets", "coffer_tenant_volumes", "coffer_tenant_volume_bytes",
		"coffer_bucket_objects", "coffer_bucket_bytes"); err != nil {
		t.Fatal(err)
	}

	// Force delete and tenant delete disappear from the next scrape.
	must(t, s.DeleteBucket(ctx, "acme", "photos", true))
	must(t, s.DeleteTenant(ctx, "globex"))
	want = `
# HELP coffer_tenant_objects Objects stored by the tenant across all its buckets.
# TYPE coffer_tenant_objects gauge
coffer_tenant_objects{tenant="acme"} 1
# HELP coffer_tenant_bytes Bytes stored by the tenant (object sizes, including parts of unfinished multipart uploads); the figure its byte quota is checked against.
# TYPE coffer_tenant_bytes gauge
coffer_tenant_bytes{tenant="acme"} 50
# HELP coffer_bucket_bytes Bytes stored in the bucket (sum of object sizes).
# TYPE coffer_bucket_bytes gauge
coffer_bucket_bytes{bucket="logs",tenant="acme"} 50
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"coffer_tenant_objects", "coffer_tenant_bytes", "coffer_bucket_bytes"); err != nil {
		t.Fatal(err)
	}
}

func TestStorageCollectorDrivesAndScrub(t *testing.T) {
	ctx := context.Background()
	s, drives := openStore(t)
	m := New(Options{Store: s})

	var want strings.Builder
	want.WriteString("# HELP coffer_drive_online 1 when the drive holds this server's format file at its position, 0 when it is offline.\n# TYPE coffer_drive_online gauge\n")
	for i, d := range drives {
		fmt.Fprintf(&want, "coffer_drive_online{drive=\"%d\",path=%q} 1\n", i, d)
	}
	want.WriteString("# HELP coffer_write_quorum_available 1 when enough drives are online to accept writes (the readiness condition), else 0.\n# TYPE coffer_write_quorum_available gauge\ncoffer_write_quorum_available 1\n")
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want.String()),
		"coffer_drive_online", "coffer_write_quorum_available"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"coffer_drive_total_bytes", "coffer_drive_free_bytes"} {
		mfs, err := m.Registry().Gather()
		must(t, err)
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			if len(mf.GetMetric()) != len(drives) {
				t.Fatalf("%s has %d series, want %d", name, len(mf.GetMetric()), len(drives))
			}
			for _, x := range mf.GetMetric() {
				if x.GetGauge().GetValue() <= 0 {
					t.Fatalf("%s %v = %v, want > 0", name, x.GetLabel(), x.GetGauge().GetValue())
				}
			}
		}
	}

	// Bitrot in one shard and an orphaned file; one scrub pass repairs the
	// shard and removes the orphan.
	must(t, s.CreateTenant(ctx, "acme", storage.Quota{}))
	must(t, s.CreateBucket(ctx, "acme", "photos", storage.BucketOptions{}))
	put(t, s, "acme", "photos", "big", 200<<10) // above the 128 KiB inline limit: has .shard files
	put(t, s, "acme", "photos", "small", 10)
	flipByte(t, drives[0], ".shard")
	orphan := filepath.Join(drives[1], "data", "ab", "ab0123456789abcdef0123456789abcd.shard")
	must(t, os.MkdirAll(filepath.Dir(orphan), 0o755))
	must(t, os.WriteFile(orphan, []byte("left over"), 0o644))
	if _, err := s.Scrub(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("orphan still there: %v", err)
	}
	want.Reset()
	want.WriteString(`
# HELP coffer_heal_objects_total Objects healed (one or more shards rewritten), by reads or the scanner, since the server started.
# TYPE coffer_heal_objects_total counter
coffer_heal_objects_total 1
# HELP coffer_heal_shards_repaired_total Shards rewritten after being found missing or corrupt, since the server started.
# TYPE coffer_heal_shards_repaired_total counter
coffer_heal_shards_repaired_total 1
# HELP coffer_scrub_objects_scanned_total Objects whose shards the scanner verified since the server started.
# TYPE coffer_scrub_objects_scanned_total counter
coffer_scrub_objects_scanned_total 2
# HELP coffer_scrub_orphans_removed_total Orphaned shard files from interrupted writes removed by the scanner since the server started.
# TYPE coffer_scrub_orphans_removed_total counter
coffer_scrub_orphans_removed_total 1
# HELP coffer_scrub_errors_total Errors the scanner met (unreadable or unrepairable objects) since the server started.
# TYPE coffer_scrub_errors_total counter
coffer_scrub_errors_total 0
# HELP coffer_scrub_progress_ratio Progress of the current scrub pass, from 0 to 1.
# TYPE coffer_scrub_progress_ratio gauge
coffer_scrub_progress_ratio 1
# HELP coffer_scrub_running 1 while a scrub pass is running, else 0.
# TYPE coffer_scrub_running gauge
coffer_scrub_running 0
`)
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want.String()),
		"coffer_heal_objects_total", "coffer_heal_shards_repaired_total", "coffer_scrub_objects_scanned_total",
		"coffer_scrub_orphans_removed_total", "coffer_scrub_errors_total", "coffer_scrub_progress_ratio",
		"coffer_scrub_running"); err != nil {
		t.Fatal(err)
	}
	done := s.ScrubStats().LastScrubDone
	if got, want := gatheredValue(t, m, "coffer_scrub_last_completed_timestamp_seconds"), float64(done.UnixNano())/1e9; done.IsZero() || got != want {
		t.Fatalf("last completed = %v, want %v", got, want)
	}

	// A removed drive directory reads as offline with no capacity; with 3 of
	// 4 drives write quorum (data+1 = 3) holds, with 2 it does not.
	must(t, os.RemoveAll(drives[3]))
	if got := gatheredValue(t, m, "coffer_drive_online", "drive", "3"); got != 0 {
		t.Fatalf("drive 3 online = %v after removal", got)
	}
	if got := gatheredValue(t, m, "coffer_drive_total_bytes", "drive", "3"); got != 0 {
		t.Fatalf("drive 3 total bytes = %v after removal", got)
	}
	if got := gatheredValue(t, m, "coffer_drive_online", "drive", "2"); got != 1 {
		t.Fatalf("drive 2 online = %v", got)
	}
	if got := gatheredValue(t, m, "coffer_write_quorum_available"); got != 1 {
		t.Fatalf("write quorum = %v with 3 of 4 drives", got)
	}
	must(t, os.RemoveAll(drives[2]))
	if got := gatheredValue(t, m, "coffer_write_quorum_available"); got != 0 {
		t.Fatalf("write quorum = %v with 2 of 4 drives", got)
	}
}

// flipByte corrupts one byte inside the first file under drive/data whose
// name ends in suffix, past the 8-byte block checksum.
func flipByte(t *testing.T, drive, suffix string) string {
	t.Helper()
	var path string
	_ = filepath.WalkDir(filepath.Join(drive, "data"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && path == "" && !d.IsDir() && strings.HasSuffix(p, suffix) {
			path = p
		}
		return nil
	}) // the walk's errors are skipped: a missing file fails just below
	if path == "" {
		t.Fatalf("no %s file under %s", suffix, drive)
	}
	b, err := os.ReadFile(path)
	must(t, err)
	b[20] ^= 0xff
	must(t, os.WriteFile(path, b, 0o644))
	return path
}

// gatheredValue returns the value of the one series of name whose labels
// include the given name/value pairs; it fails when there is not exactly one.
func gatheredValue(t *testing.T, m *Metrics, name string, labelPairs ...string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	must(t, err)
	var found []float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, x := range mf.GetMetric() {
			for i := 0; i+1 < len(labelPairs); i += 2 {
				ok := false
				for _, l := range x.GetLabel() {
					if l.GetName() == labelPairs[i] && l.GetValue() == labelPairs[i+1] {
						ok = true
					}
				}
				if !ok {
					continue series
				}
			}
			switch {
			case x.Gauge != nil:
				found = append(found, x.GetGauge().GetValue())
			case x.Counter != nil:
				found = append(found, x.GetCounter().GetValue())
			case x.Untyped != nil:
				found = append(found, x.GetUntyped().GetValue())
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, labelPairs, len(found))
	}
	return found[0]
}

func TestExpositionLint(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	must(t, s.CreateTenant(ctx, "acme", storage.Quota{MaxObjects: 10}))
	must(t, s.CreateBucket(ctx, "acme", "bkt", storage.BucketOptions{}))
	put(t, s, "acme", "bkt", "k", 10)
	m := New(Options{Store: s})
	m.S3Request("PutObject", 200, 0, 10, 0)
	m.S3AuthFailure("SignatureDoesNotMatch")
	mfs, err := m.Registry().Gather()
	must(t, err)
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	must(t, err)
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if len(mfs) < 40 {
		t.Fatalf("only %d metric families gathered", len(mfs))
	}
}

// TestScrapeSurvivesStorageErrors: when the index cannot be read (here: the
// store is closed) the scrape still answers with everything else, and the
// failure is counted, not hidden.
func TestScrapeSurvivesStorageErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	must(t, s.CreateTenant(ctx, "acme", storage.Quota{}))
	m := New(Options{Store: s})
	must(t, s.Close())

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for _, want := range []string{"\ngo_goroutines ", "\ncoffer_s3_requests_in_flight 0\n", "\ncoffer_heal_shards_repaired_total 0\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if strings.Contains(string(body), `coffer_tenant_objects{tenant="acme"}`) {
		t.Error("usage of a store that cannot be read was reported")
	}
	// The failed gathering shows in the next scrape.
	resp, err = http.Get(srv.URL)
	must(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "\npromhttp_metric_handler_errors_total{cause=\"gathering\"} 1\n"; !strings.Contains(string(body), want) {
		t.Fatalf("second scrape lacks %q", want)
	}
}
