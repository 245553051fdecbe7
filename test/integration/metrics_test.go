package integration

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/cofferstore/coffer/internal/server"
	"github.com/cofferstore/coffer/internal/testutil"
	"github.com/cofferstore/coffer/pkg/metrics"
	"github.com/cofferstore/coffer/s3api"
)

// The metrics package is the S3 layer's observer.
var _ s3api.Observer = (*metrics.Metrics)(nil)

const mxToken = "metrics-scrape-token-for-tests"

// TestMetricsAfterWorkload drives a scripted S3 workload with the real SDK
// and checks that /metrics reports exactly what happened, that it agrees
// with the console usage API, and that drive and heal metrics follow the disks.
func TestMetricsAfterWorkload(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.MetricsToken = mxToken })
	ctx := context.Background()

	// Tenants through the operator API: acme with quotas and a console user, globex unlimited.
	op := operatorAPI(t, ts)
	op.must(http.StatusCreated, "POST", "/api/admin/tenants", map[string]any{"name": "acme", "quota": map[string]int64{"objects": 100, "bytes": 64 << 20}}, nil)
	op.must(http.StatusCreated, "POST", "/api/admin/tenants", map[string]any{"name": "globex"}, nil)
	op.must(http.StatusCreated, "POST", "/api/admin/tenants/acme/users", map[string]string{"username": "acme-ops", "password": "acme-ops-password"}, nil)
	op.must(http.StatusCreated, "POST", "/api/admin/tenants/acme/volumes", map[string]any{"name": "db", "sizeBytes": 10 << 30, "server": "vm-1"}, nil)
	ak, sk := ts.generateKey("acme")
	acme := ts.s3Client(ak, sk, testutil.NoRetries)
	gak, gsk := ts.generateKey("globex")
	globex := ts.s3Client(gak, gsk, testutil.NoRetries)

	// The token guards the endpoint.
	for _, h := range []string{"", "Bearer wrong-token", "Basic " + mxToken, mxToken} {
		if status, _ := testutil.Get(t, http.DefaultClient, ts.ConsoleURL+"/metrics", h); status != http.StatusUnauthorized {
			t.Fatalf("scrape with Authorization %q: status %d, want 401", h, status)
		}
	}

	// The workload.
	mustOK := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	put := func(c *s3.Client, bucket, key string, body []byte) {
		t.Helper()
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
		mustOK("PutObject "+bucket+"/"+key, err)
	}
	for _, b := range []string{"photos", "logs"} {
		_, err := acme.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		mustOK("CreateBucket "+b, err)
	}
	put(acme, "photos", "a.jpg", randomBytes(t, 1000))
	bJPG := randomBytes(t, 2000)
	put(acme, "photos", "b.jpg", bJPG)
	put(acme, "photos", "a.jpg", randomBytes(t, 300)) // overwrite: -700 bytes, same object count
	put(acme, "logs", "x.log", randomBytes(t, 50))
	put(acme, "logs", "y.log", randomBytes(t, 60))
	_, err := acme.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("logs"), Key: aws.String("y.log")})
	mustOK("DeleteObject", err)

	// A completed multipart upload (5 MiB + 1000 bytes) and an unfinished one (700 bytes).
	up, err := acme.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("logs"), Key: aws.String("big")})
	mustOK("CreateMultipartUpload", err)
	var parts []types.CompletedPart
	for i, size := range []int{5 << 20, 1000} {
		n := int32(i + 1)
		out, err := acme.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("logs"), Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(randomBytes(t, size))})
		mustOK("UploadPart", err)
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = acme.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("logs"), Key: aws.String("big"), UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	mustOK("CompleteMultipartUpload", err)
	pending, err := acme.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("logs"), Key: aws.String("pending")})
	mustOK("CreateMultipartUpload", err)
	_, err = acme.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("logs"), Key: aws.String("pending"), UploadId: pending.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(randomBytes(t, 700))})
	mustOK("UploadPart", err)

	if got := getBytes(t, acme, "photos", "b.jpg"); !bytes.Equal(got, bJPG) {
		t.Fatal("GetObject returned other bytes")
	}
	if _, err := acme.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("missing")}); err == nil {
		t.Fatal("HeadObject of a missing key succeeded")
	}
	_, err = globex.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}) // same name, other tenant
	mustOK("CreateBucket globex/photos", err)
	put(globex, "photos", "z", randomBytes(t, 123))
	// A wrong secret: one auth failure, answered 403.
	bad := ts.s3Client(ak, strings.Repeat("x", 40), testutil.NoRetries)
	if _, err := bad.ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		t.Fatal("ListBuckets with a wrong secret succeeded")
	}

	// Usage before the force delete.
	const bigBytes = 5<<20 + 1000
	mfs := mxScrape(t, ts)
	mxExpect(t, mfs, "coffer_tenant_objects", map[string]float64{"tenant=acme": 4, "tenant=globex": 1})
	mxExpect(t, mfs, "coffer_tenant_bytes", map[string]float64{"tenant=acme": 2300 + 50 + bigBytes + 700, "tenant=globex": 123})
	mxExpect(t, mfs, "coffer_bucket_objects", map[string]float64{"bucket=logs,tenant=acme": 2, "bucket=photos,tenant=acme": 2, "bucket=photos,tenant=globex": 1})
	mxExpect(t, mfs, "coffer_bucket_bytes", map[string]float64{"bucket=logs,tenant=acme": 50 + bigBytes, "bucket=photos,tenant=acme": 2300, "bucket=photos,tenant=globex": 123})

	// Force delete through the console, as the tenant user does it.
	user := consoleLogin(t, ts, "acme-ops", "acme-ops-password")
	if status, body := user.call("DELETE", "/api/containers/photos", nil); status != http.StatusConflict {
		t.Fatalf("delete of a non-empty container: status %d: %s", status, body)
	}
	if status, body := user.call("DELETE", "/api/containers/photos?force=true&confirm=photos", nil); status != http.StatusNoContent {
		t.Fatalf("force delete: status %d: %s", status, body)
	}

	mfs = mxScrape(t, ts)
	mxExpect(t, mfs, "coffer_tenants", map[string]float64{"": 2})
	mxExpect(t, mfs, "coffer_tenant_objects", map[string]float64{"tenant=acme": 2, "tenant=globex": 1})
	mxExpect(t, mfs, "coffer_tenant_bytes", map[string]float64{"tenant=acme": 50 + bigBytes + 700, "tenant=globex": 123})
	mxExpect(t, mfs, "coffer_tenant_multipart_upload_bytes", map[string]float64{"tenant=acme": 700, "tenant=globex": 0})
	mxExpect(t, mfs, "coffer_tenant_quota_objects", map[string]float64{"tenant=acme": 100, "tenant=globex": 0})
	mxExpect(t, mfs, "coffer_tenant_quota_bytes", map[string]float64{"tenant=acme": 64 << 20, "tenant=globex": 0})
	mxExpect(t, mfs, "coffer_tenant_buckets", map[string]float64{"tenant=acme": 1, "tenant=globex": 1})
	mxExpect(t, mfs, "coffer_tenant_volumes", map[string]float64{"tenant=acme": 1, "tenant=globex": 0})
	mxExpect(t, mfs, "coffer_tenant_volume_bytes", map[string]float64{"tenant=acme": 10 << 30, "tenant=globex": 0})
	mxExpect(t, mfs, "coffer_bucket_objects", map[string]float64{"bucket=logs,tenant=acme": 2, "bucket=photos,tenant=globex": 1})
	mxExpect(t, mfs, "coffer_bucket_bytes", map[string]float64{"bucket=logs,tenant=acme": 50 + bigBytes, "bucket=photos,tenant=globex": 123})

	// Request counters by operation and code: every request above, nothing else.
	mxExpect(t, mfs, "coffer_s3_requests_total", map[string]float64{
		"code=200,operation=CreateBucket":            3,
		"code=200,operation=PutObject":               6,
		"code=204,operation=DeleteObject":            1,
		"code=200,operation=CreateMultipartUpload":   2,
		"code=200,operation=UploadPart":              3,
		"code=200,operation=CompleteMultipartUpload": 1,
		"code=200,operation=GetObject":               1,
		"code=404,operation=HeadObject":              1,
		"code=403,operation=ListBuckets":             1,
	})
	mxExpect(t, mfs, "coffer_s3_received_bytes_total", map[string]float64{
		"operation=PutObject":  1000 + 2000 + 300 + 50 + 60 + 123,
		"operation=UploadPart": bigBytes + 700,
	}, "operation=CompleteMultipartUpload")
	mxExpectSome(t, mfs, "coffer_s3_sent_bytes_total", map[string]float64{"operation=GetObject": 2000})
	mxExpect(t, mfs, "coffer_s3_auth_failures_total", map[string]float64{"reason=SignatureDoesNotMatch": 1})
	mxExpect(t, mfs, "coffer_s3_requests_in_flight", map[string]float64{"": 0})
	if h := mxFamily(t, mfs, "coffer_s3_request_duration_seconds").GetMetric(); len(h) != 9 {
		t.Errorf("duration histogram has %d operations, want 9", len(h))
	} else {
		for _, m := range h {
			if m.GetHistogram() == nil {
				t.Fatal("coffer_s3_request_duration_seconds is not a histogram")
			}
		}
	}

	// The console usage API reports the same figures.
	var usage struct {
		Objects, Bytes int64
		Containers     int
		Quota          struct{ Objects, Bytes int64 }
		Volumes        []struct{ SizeBytes int64 }
	}
	user.must(http.StatusOK, "GET", "/api/usage", nil, &usage)
	volBytes := int64(0)
	for _, v := range usage.Volumes {
		volBytes += v.SizeBytes
	}
	consoleFigures := map[string]float64{
		"coffer_tenant_objects": float64(usage.Objects), "coffer_tenant_bytes": float64(usage.Bytes),
		"coffer_tenant_buckets": float64(usage.Containers), "coffer_tenant_quota_objects": float64(usage.Quota.Objects),
		"coffer_tenant_quota_bytes": float64(usage.Quota.Bytes), "coffer_tenant_volumes": float64(len(usage.Volumes)),
		"coffer_tenant_volume_bytes": float64(volBytes),
	}
	for name, want := range consoleFigures {
		if got := mxValue(t, mfs, name, "tenant=acme"); got != want {
			t.Errorf("%s{tenant=acme} = %v, console /api/usage says %v", name, got, want)
		}
	}
	var containers struct {
		Containers []struct {
			Name           string
			Objects, Bytes int64
		}
	}
	user.must(http.StatusOK, "GET", "/api/containers", nil, &containers)
	if len(containers.Containers) != 1 {
		t.Fatalf("console lists %d containers, want 1", len(containers.Containers))
	}
	for _, c := range containers.Containers {
		labels := "bucket=" + c.Name + ",tenant=acme"
		if got := mxValue(t, mfs, "coffer_bucket_objects", labels); got != float64(c.Objects) {
			t.Errorf("coffer_bucket_objects{%s} = %v, console says %d", labels, got, c.Objects)
		}
		if got := mxValue(t, mfs, "coffer_bucket_bytes", labels); got != float64(c.Bytes) {
			t.Errorf("coffer_bucket_bytes{%s} = %v, console says %d", labels, got, c.Bytes)
		}
	}

	// Bitrot: corrupt the first data shard of a fresh object; a read returns
	// the right bytes and the healer rewrites the shard.
	drives := make([]string, 4)
	for i := range drives {
		drives[i] = filepath.Join(ts.Config.DataDir, fmt.Sprintf("drive%d", i+1))
	}
	before := mxShardFiles(t, drives[0])
	healme := randomBytes(t, 300<<10) // above the inline limit: its shards are .shard files
	put(acme, "logs", "healme", healme)
	var fresh []string
	for p := range mxShardFiles(t, drives[0]) {
		if !before[p] {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) != 1 {
		t.Fatalf("PutObject created %d shard files on drive 0, want 1", len(fresh))
	}
	raw, err := os.ReadFile(fresh[0])
	mustOK("read shard", err)
	raw[100] ^= 0xff
	mustOK("corrupt shard", os.WriteFile(fresh[0], raw, 0o644))
	mxExpect(t, mxScrape(t, ts), "coffer_heal_shards_repaired_total", map[string]float64{"": 0})
	if got := getBytes(t, acme, "logs", "healme"); !bytes.Equal(got, healme) {
		t.Fatal("read of a corrupted object returned wrong bytes")
	}
	mxPoll(t, ts, "coffer_heal_shards_repaired_total", 1)
	mfs = mxScrape(t, ts)
	mxExpect(t, mfs, "coffer_heal_objects_total", map[string]float64{"": 1})
	if fixed, _ := os.ReadFile(fresh[0]); bytes.Equal(fixed, raw) {
		t.Fatal("heal counted but the shard file is still corrupt")
	}

	// A removed drive directory: its gauge drops to 0, the others stay 1, and
	// with 3 of 4 drives the server still has write quorum.
	online := map[string]float64{}
	for i, d := range drives {
		online[fmt.Sprintf("drive=%d,path=%s", i, d)] = 1
	}
	mxExpect(t, mfs, "coffer_drive_online", online)
	mustOK("remove drive", os.RemoveAll(drives[3]))
	online[fmt.Sprintf("drive=3,path=%s", drives[3])] = 0
	mfs = mxScrape(t, ts)
	mxExpect(t, mfs, "coffer_drive_online", online)
	mxExpect(t, mfs, "coffer_drive_total_bytes", map[string]float64{fmt.Sprintf("drive=3,path=%s", drives[3]): 0}, "drive=0", "drive=1", "drive=2")
	mxExpect(t, mfs, "coffer_write_quorum_available", map[string]float64{"": 1})
	var adminDrives struct {
		Drives []struct {
			Index  int
			Online bool
		}
	}
	op.must(http.StatusOK, "GET", "/api/admin/drives", nil, &adminDrives)
	for _, d := range adminDrives.Drives {
		if want := d.Index != 3; d.Online != want {
			t.Errorf("console says drive %d online=%v, metrics say %v", d.Index, d.Online, want)
		}
	}
}

// TestMetricsExpositionLint scrapes a server that has seen traffic and runs
// the promtool linter over the text: no problems allowed.
func TestMetricsExpositionLint(t *testing.T) {
	ts := startServer(t) // no token configured: the generated one in DIR/metrics.token
	ctx := context.Background()
	c := ts.newTenant("lint")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatal(err)
	}
	status, body := testutil.Get(t, http.DefaultClient, ts.ConsoleURL+"/metrics", "Bearer "+ts.metricsToken())
	if status != http.StatusOK {
		t.Fatalf("scrape with the generated token: status %d", status)
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	for _, name := range []string{"coffer_tenant_objects", "coffer_bucket_bytes", "coffer_s3_requests_total", "coffer_drive_online", "go_goroutines", "process_resident_memory_bytes"} {
		if !bytes.Contains(body, []byte("\n# TYPE "+name+" ")) {
			t.Errorf("exposition has no %s", name)
		}
	}
}

// mxScrape scrapes /metrics with the test token and parses the text format.
func mxScrape(t *testing.T, ts *testServer) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := testutil.Get(t, http.DefaultClient, ts.ConsoleURL+"/metrics", "Bearer "+mxToken)
	if status != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", status, body)
	}
	return testutil.ParseMetrics(t, body)
}

func mxFamily(t *testing.T, mfs map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("no metric %s in the exposition", name)
	}
	return mf
}

// mxSeries maps each series of a family, by its sorted "k=v,k=v" labels, to its value.
func mxSeries(t *testing.T, mfs map[string]*dto.MetricFamily, name string) map[string]float64 {
	t.Helper()
	out, ok := testutil.Series(mfs, name)
	if !ok {
		t.Fatalf("no metric %s in the exposition", name)
	}
	return out
}

// mxExpect checks that name has exactly the series in want (labels as
// "k=v,k=v" sorted by name), ignoring series whose labels start with one of ignore.
func mxExpect(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]float64, ignore ...string) {
	t.Helper()
	got := mxSeries(t, mfs, name)
	for labels := range got {
		for _, p := range ignore {
			if strings.HasPrefix(labels, p) {
				delete(got, labels)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: got series %v, want %v", name, got, want)
		return
	}
	for labels, w := range want {
		if g, ok := got[labels]; !ok || g != w {
			t.Errorf("%s{%s} = %v (present %v), want %v", name, labels, g, ok, w)
		}
	}
}

// mxExpectSome checks the listed series only.
func mxExpectSome(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]float64) {
	t.Helper()
	got := mxSeries(t, mfs, name)
	for labels, w := range want {
		if g, ok := got[labels]; !ok || g != w {
			t.Errorf("%s{%s} = %v (present %v), want %v", name, labels, g, ok, w)
		}
	}
}

func mxValue(t *testing.T, mfs map[string]*dto.MetricFamily, name, labels string) float64 {
	t.Helper()
	v, ok := mxSeries(t, mfs, name)[labels]
	if !ok {
		t.Fatalf("no series %s{%s}", name, labels)
	}
	return v
}

// mxPoll scrapes until the unlabelled metric name reaches want: the healer
// repairs asynchronously after the read that found the damage.
func mxPoll(t *testing.T, ts *testServer, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := mxSeries(t, mxScrape(t, ts), name)[""]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v after 15s, want %v", name, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mxShardFiles lists the .shard files of a drive.
func mxShardFiles(t *testing.T, drive string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(drive, "data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".shard") {
			out[p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// metricsToken is the generated /metrics token of a server started without one.
func (ts *testServer) metricsToken() string {
	ts.t.Helper()
	if ts.MetricsTokenFile == "" {
		ts.t.Fatal("the server has no metrics token file")
	}
	b, err := os.ReadFile(ts.MetricsTokenFile)
	if err != nil {
		ts.t.Fatalf("metrics token: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// TestMetricsNeedTokenByDefault is the regression for issue 12 finding 6:
// /metrics (every tenant's name, buckets and usage) used to answer anyone
// on the console listener. Now a server started without --metrics-token
// generates one in DIR/metrics.token (0600, kept across restarts) and
// refuses scrapes without it; only --metrics-public opens it.
func TestMetricsNeedTokenByDefault(t *testing.T) {
	ts := startServer(t)
	ts.createTenant("secret-customer")
	if status, body := testutil.Get(t, http.DefaultClient, ts.ConsoleURL+"/metrics", ""); status != http.StatusUnauthorized || bytes.Contains(body, []byte("secret-customer")) {
		t.Fatalf("anonymous scrape: status %d, want 401 (body %.200q)", status, body)
	}
	fi, err := os.Stat(ts.MetricsTokenFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("metrics token file %s: %v %v, want mode 0600", ts.MetricsTokenFile, fi, err)
	}
	token := ts.metricsToken()
	status, body := testutil.Get(t, http.DefaultClient, ts.ConsoleURL+"/metrics", "Bearer "+token)
	if status != http.StatusOK || !bytes.Contains(body, []byte(`tenant="secret-customer"`)) {
		t.Fatalf("scrape with the token: status %d", status)
	}
	ts.restart()
	if got := ts.metricsToken(); got != token {
		t.Fatal("the metrics token changed across a restart")
	}
	if status, _ := testutil.Get(t, http.DefaultClient, ts.ConsoleURL+"/metrics", "Bearer "+token); status != http.StatusOK {
		t.Fatalf("scrape after restart: status %d", status)
	}

	open := startServer(t, func(c *server.Config) { c.MetricsPublic = true })
	if status, _ := testutil.Get(t, http.DefaultClient, open.ConsoleURL+"/metrics", ""); status != http.StatusOK {
		t.Fatalf("--metrics-public scrape: status %d", status)
	}
	if open.MetricsTokenFile != "" {
		t.Fatalf("--metrics-public still made a token file %s", open.MetricsTokenFile)
	}
}
