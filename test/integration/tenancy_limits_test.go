package integration

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/internal/server"
	"github.com/cofferstore/coffer/internal/testutil"
)

// tnLimits is the limits part of the tenant's usage panel.
type tnLimits struct {
	Containers     int64 `json:"containers"`
	ContainerLimit int64 `json:"containerLimit"`
	Uploads        int64 `json:"uploads"`
	UploadLimit    int64 `json:"uploadLimit"`
}

// TestBucketAndUploadLimitsLiveS3: a tenant at the server's default limits
// gets TooManyBuckets and QuotaExceeded from the real SDK, its console shows
// used against limit, aborting frees an upload slot, and the operator's
// per-tenant limits override the defaults.
func TestBucketAndUploadLimitsLiveS3(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.MaxBuckets, c.MaxUploads = 3, 2 })
	s := &tnServer{t: t, ts: ts, dir: ts.Config.DataDir}
	ctx := context.Background()
	c, cl := s.s3Tenant("limited", 0, 0, "box-1")
	bucket := func(name string) error {
		_, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		return err
	}
	for _, b := range []string{"box-2", "box-3"} {
		if err := bucket(b); err != nil {
			t.Fatal(err)
		}
	}
	err := bucket("box-4")
	if testutil.S3ErrorCode(err) != "TooManyBuckets" || testutil.S3Status(err) != http.StatusBadRequest || testutil.S3ErrorMessage(err) != "You have attempted to create more buckets than allowed." {
		t.Fatalf("fourth bucket at the limit 3: %v (status %d)", err, testutil.S3Status(err))
	}
	if _, err := cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("box-4")}); err == nil {
		t.Fatal("the refused bucket exists")
	}

	upload := func(key string) (*string, error) {
		out, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("box-1"), Key: aws.String(key)})
		if err != nil {
			return nil, err
		}
		return out.UploadId, nil
	}
	first, err := upload("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := upload("b"); err != nil {
		t.Fatal(err)
	}
	_, err = upload("c")
	if testutil.S3ErrorCode(err) != "QuotaExceeded" || testutil.S3Status(err) != http.StatusForbidden || !strings.Contains(testutil.S3ErrorMessage(err), "uploads used 2 of limit 2") {
		t.Fatalf("third upload at the limit 2: %v (status %d)", err, testutil.S3Status(err))
	}
	var u tnLimits
	c.must(http.StatusOK, "GET", "/api/usage", nil, &u)
	if u != (tnLimits{Containers: 3, ContainerLimit: 3, Uploads: 2, UploadLimit: 2}) {
		t.Fatalf("console usage at the limits: %+v", u)
	}
	if _, err := cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("box-1"), Key: aws.String("a"), UploadId: first}); err != nil {
		t.Fatal(err)
	}
	if _, err := upload("c"); err != nil {
		t.Fatalf("after an abort: %v", err)
	}

	// The operator raises this tenant's limits; the defaults stay for others.
	op := s.operator()
	op.must(http.StatusOK, "PUT", "/api/admin/tenants/limited/quota", map[string]int64{"buckets": 4, "uploads": 3}, nil)
	if err := bucket("box-4"); err != nil {
		t.Fatalf("bucket under the raised limit: %v", err)
	}
	if _, err := upload("d"); err != nil {
		t.Fatalf("upload under the raised limit: %v", err)
	}
	if err := bucket("box-5"); testutil.S3ErrorCode(err) != "TooManyBuckets" {
		t.Fatalf("bucket past the raised limit: %v", err)
	}
	if _, err := upload("e"); testutil.S3ErrorCode(err) != "QuotaExceeded" {
		t.Fatalf("upload past the raised limit: %v", err)
	}
	var td struct {
		Quota struct{ Buckets, Uploads int64 }
		Usage tnLimits
	}
	op.must(http.StatusOK, "GET", "/api/admin/tenants/limited", nil, &td)
	if td.Quota.Buckets != 4 || td.Quota.Uploads != 3 || td.Usage != (tnLimits{Containers: 4, ContainerLimit: 4, Uploads: 3, UploadLimit: 3}) {
		t.Fatalf("operator's view: %+v", td)
	}
	_, other := s.s3Tenant("neighbour", 0, 0, "other-1")
	for _, b := range []string{"other-2", "other-3"} {
		if _, err := other.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := other.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("other-4")}); testutil.S3ErrorCode(err) != "TooManyBuckets" {
		t.Fatalf("another tenant keeps the default limit: %v", err)
	}
	// The console's container creation meets the same limit.
	if status, body := c.call("POST", "/api/containers", map[string]string{"name": "box-6"}); status != http.StatusForbidden || !strings.Contains(string(body), "container limit reached") {
		t.Fatalf("console create past the limit: %d %s", status, body)
	}
}

// TestOverwriteAndPartRetryAtQuotaLiveS3: at its byte quota a tenant can
// still overwrite an object with one of the same or a smaller size and
// retry a part, as the commit-time check allows; growing still fails.
func TestOverwriteAndPartRetryAtQuotaLiveS3(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	_, cl := s.s3Tenant("full", 0, 1000, "full-box")
	put := func(key string, n int) error {
		_, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("full-box"), Key: aws.String(key),
			Body: bytes.NewReader(bytes.Repeat([]byte{byte(n)}, n)), ContentLength: aws.Int64(int64(n))})
		return err
	}
	if err := put("k", 1000); err != nil {
		t.Fatal(err)
	}
	if err := put("k", 1000); err != nil {
		t.Fatalf("same-size overwrite at quota: %v", err)
	}
	if err := put("k", 900); err != nil {
		t.Fatalf("smaller overwrite at quota: %v", err)
	}
	if got := getBytes(t, cl, "full-box", "k"); !bytes.Equal(got, bytes.Repeat([]byte{byte(900 % 256)}, 900)) {
		t.Fatalf("object after the smaller overwrite: %d bytes", len(got))
	}
	if err := put("k", 1001); testutil.S3ErrorCode(err) != "QuotaExceeded" {
		t.Fatalf("larger overwrite past quota: %v", err)
	}
	up, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("full-box"), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	part := func(n int32, size int) (*s3.UploadPartOutput, error) {
		return cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("full-box"), Key: aws.String("mp"), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(bytes.Repeat([]byte{'p'}, size)), ContentLength: aws.Int64(int64(size))})
	}
	if _, err := part(1, 100); err != nil { // 1000 of 1000 bytes
		t.Fatal(err)
	}
	p1, err := part(1, 100)
	if err != nil {
		t.Fatalf("retry of part 1 at quota: %v", err)
	}
	if _, err := part(2, 1); testutil.S3ErrorCode(err) != "QuotaExceeded" {
		t.Fatalf("new part past quota: %v", err)
	}
	if _, err := cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("full-box"), Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p1.ETag}}}}); err != nil {
		t.Fatalf("complete with the retried part: %v", err)
	}
}

// TestServerFilesPrivate: after small, large and multipart writes through
// S3, nothing under the data directory (index, auth store, master key,
// drives) is open to group or others.
func TestServerFilesPrivate(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	_, cl := s.s3Tenant("private", 0, 0, "private-box")
	for key, n := range map[string]int{"small": 10, "large": 3 << 20} {
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("private-box"), Key: aws.String(key),
			Body: bytes.NewReader(randomBytes(t, n)), ContentLength: aws.Int64(int64(n))}); err != nil {
			t.Fatal(err)
		}
	}
	up, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("private-box"), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("private-box"), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(randomBytes(t, 1<<20)), ContentLength: aws.Int64(1 << 20)}); err != nil {
		t.Fatal(err)
	}
	var files int
	err = filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files++
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %v: open to group or others", path, info.Mode())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("walked only %d files", files)
	}
}
