package s3api

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/storage"
)

// TestTenantIsolation: two tenants may own buckets of the same name and
// never see each other's buckets or objects.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t, "alpha", "beta")
	ctx := context.Background()
	a, b := e.client("alpha", sdkDefault), e.client("beta", sdkDefault)
	mkBucket(t, a, "shared")
	mkBucket(t, b, "shared")
	mkBucket(t, a, "alpha-only")
	put(t, a, "shared", "k", []byte("from alpha"))
	put(t, b, "shared", "k", []byte("from beta"))
	put(t, a, "alpha-only", "secret", []byte("s"))

	if got := get(t, a, "shared", "k"); string(got) != "from alpha" {
		t.Fatalf("alpha reads %q", got)
	}
	if got := get(t, b, "shared", "k"); string(got) != "from beta" {
		t.Fatalf("beta reads %q", got)
	}
	lb, err := b.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != "shared" {
		t.Fatalf("beta sees buckets %+v", lb.Buckets)
	}
	_, err = b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alpha-only"), Key: aws.String("secret")})
	wantAPIError(t, err, "NoSuchBucket", "does not exist")
	_, err = b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("alpha-only")})
	wantAPIError(t, err, "NoSuchBucket", "does not exist")
	_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("alpha-only"), Key: aws.String("x"), Body: bytes.NewReader([]byte("x"))})
	wantAPIError(t, err, "NoSuchBucket", "does not exist")
	_, err = b.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha-only")})
	wantAPIError(t, err, "NoSuchBucket", "does not exist")
	_, err = b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("shared"), Key: aws.String("stolen"), CopySource: aws.String("alpha-only/secret")})
	wantAPIError(t, err, "NoSuchBucket", "does not exist")
	_, err = b.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha-only")})
	wantHTTPStatus(t, err, 404)
}

// TestVirtualHostedStyle addresses buckets as bucket.s3.test:port.
func TestVirtualHostedStyle(t *testing.T) {
	e := newEnv(t, "alpha")
	ctx := context.Background()
	path := e.client("alpha", sdkDefault)
	mkBucket(t, path, "vhost")
	cred := e.keys["alpha"]
	port := e.srv.URL[strings.LastIndex(e.srv.URL, ":"):]
	vc := e.clientWith(cred.AccessKey, cred.SecretKey, sdkDefault)
	vc = s3.New(vc.Options(), func(o *s3.Options) {
		o.UsePathStyle = false
		o.BaseEndpoint = aws.String("https://s3.test" + port)
		o.HTTPClient = e.loopbackClient()
	})
	if _, err := vc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vhost"), Key: aws.String("dir/k"), Body: bytes.NewReader([]byte("hello"))}); err != nil {
		t.Fatalf("virtual-hosted PutObject: %v", err)
	}
	if got := get(t, path, "vhost", "dir/k"); string(got) != "hello" {
		t.Fatalf("path-style read of virtual-hosted write: %q", got)
	}
	l, err := vc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("vhost")})
	if err != nil || len(l.Contents) != 1 || aws.ToString(l.Contents[0].Key) != "dir/k" {
		t.Fatalf("virtual-hosted list: %v %v", l, err)
	}
}

// TestSuspendedTenant: a suspended tenant is refused with AccessDenied, and
// resumes working when resumed.
func TestSuspendedTenant(t *testing.T) {
	e := newEnv(t, "alpha")
	ctx := context.Background()
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "susp")
	if err := e.store.SetSuspended(ctx, "alpha", true); err != nil {
		t.Fatal(err)
	}
	_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("susp")})
	wantAPIError(t, err, "AccessDenied", "suspended")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("susp"), Key: aws.String("x"), Body: bytes.NewReader([]byte("x"))})
	wantAPIError(t, err, "AccessDenied", "suspended")
	if err := e.store.SetSuspended(ctx, "alpha", false); err != nil {
		t.Fatal(err)
	}
	put(t, c, "susp", "x", []byte("x"))
	if e.obs.failures["TenantSuspended"] != 2 {
		t.Fatalf("auth failures recorded: %v", e.obs.failures)
	}
}

// TestQuotaExceeded: a write past the quota is 403 QuotaExceeded naming used and limit.
func TestQuotaExceeded(t *testing.T) {
	e := newEnv(t, "alpha")
	ctx := context.Background()
	if err := e.store.SetQuota(ctx, "alpha", storage.Quota{MaxBytes: 1500}); err != nil {
		t.Fatal(err)
	}
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "quota")
	put(t, c, "quota", "a", make([]byte, 1000))
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("quota"), Key: aws.String("b"), Body: bytes.NewReader(make([]byte, 1000))})
	wantAPIError(t, err, "QuotaExceeded", "used 1000 of limit 1500")
	wantHTTPStatus(t, err, 403)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("quota"), Key: aws.String("c"), CopySource: aws.String("quota/a")})
	wantAPIError(t, err, "QuotaExceeded", "limit 1500")
}

// TestObserverAndAccessLog: one observer call and one log line per request,
// with the operation name, and no secrets in the log.
func TestObserverAndAccessLog(t *testing.T) {
	e := newEnv(t, "alpha")
	ctx := context.Background()
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "obs")
	put(t, c, "obs", "k", []byte("12345"))
	get(t, c, "obs", "k")
	_, _ = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("obs"), Key: aws.String("missing")})
	_, _ = c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: aws.String("obs")})
	bad := e.clientWith(e.keys["alpha"].AccessKey, strings.Repeat("y", 40), sdkDefault)
	_, _ = bad.ListBuckets(ctx, &s3.ListBucketsInput{})

	for key, want := range map[string]int{
		"CreateBucket 200": 1, "PutObject 200": 1, "GetObject 200": 1, "GetObject 404": 1,
		"Unknown 501": 1, "ListBuckets 403": 1,
	} {
		if got := e.obs.count(key); got != want {
			t.Errorf("observer %q = %d, want %d (all: %v)", key, got, want, e.obs.ops)
		}
	}
	if e.obs.failures["SignatureDoesNotMatch"] != 1 {
		t.Errorf("auth failures %v", e.obs.failures)
	}
	if e.obs.inFlight != 0 {
		t.Errorf("in-flight gauge ends at %d", e.obs.inFlight)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "msg=\"s3 request\""); n != 6 {
		t.Errorf("%d access log lines, want 6:\n%s", n, logs)
	}
	for _, want := range []string{"op=PutObject", "tenant=alpha", "bucket=obs", "status=200", "bytes_in=5", "bytes_out=5", "request_id="} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{e.keys["alpha"].SecretKey, "Signature=", "X-Amz-Signature"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains %q", secret)
		}
	}
}

// TestQuorumLost: with three of four drives gone, a write fails with 503
// SlowDown (which SDKs retry) and leaves nothing behind.
func TestQuorumLost(t *testing.T) {
	e := newEnv(t, "alpha")
	ctx := context.Background()
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "quorum")
	put(t, c, "quorum", "before", []byte("kept"))
	for _, d := range e.drives[:3] {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("quorum"), Key: aws.String("after"), Body: bytes.NewReader([]byte("lost"))})
	wantAPIError(t, err, "SlowDown", "Not enough drives")
	wantHTTPStatus(t, err, 503)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("quorum"), Key: aws.String("before")})
	wantAPIError(t, err, "SlowDown", "Not enough drives")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("quorum"), Key: aws.String("after")})
	wantHTTPStatus(t, err, 404)
}
