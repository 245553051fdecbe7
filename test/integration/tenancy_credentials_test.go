package integration

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/testutil"
)

// TestCredentialLifecycleLiveS3 drives the console credential API and proves
// each change on the very next S3 request of a real SDK client.
func TestCredentialLifecycleLiveS3(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	c := s.tenant("acme", 0, 0)

	c.must(http.StatusNotFound, "GET", "/api/credentials", nil, nil)
	var k1 tnKey
	c.must(http.StatusCreated, "POST", "/api/credentials", nil, &k1)
	if len(k1.AccessKey) != 20 || len(k1.SecretKey) != 40 {
		t.Fatalf("key pair lengths %d/%d, want 20/40", len(k1.AccessKey), len(k1.SecretKey))
	}
	var seen []byte
	c.Seen = &seen
	c.must(http.StatusConflict, "POST", "/api/credentials", nil, nil)

	old := s.s3(k1)
	if _, err := old.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("docs")}); err != nil {
		t.Fatalf("CreateBucket with new key: %v", err)
	}
	if _, err := old.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("a.txt"), Body: strings.NewReader("first")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	var info struct {
		AccessKey string  `json:"accessKey"`
		LastUsed  *string `json:"lastUsed"`
	}
	c.must(http.StatusOK, "GET", "/api/credentials", nil, &info)
	if info.AccessKey != k1.AccessKey {
		t.Fatalf("GET credentials shows %q, want %q", info.AccessKey, k1.AccessKey)
	}

	// Rotate: the old key fails on the very next request, the new one works at once.
	c.Seen = nil
	var k2 tnKey
	c.must(http.StatusOK, "POST", "/api/credentials/rotate", nil, &k2)
	c.Seen = &seen
	if k2.AccessKey == k1.AccessKey || k2.SecretKey == k1.SecretKey {
		t.Fatal("rotate returned the same key pair")
	}
	_, err := old.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("docs")})
	if testutil.S3ErrorCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("old key after rotate: %v, want InvalidAccessKeyId", err)
	}
	cur := s.s3(k2)
	got, err := cur.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("a.txt")})
	if err != nil {
		t.Fatalf("new key right after rotate: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "first" {
		t.Fatalf("GetObject with rotated key = %q", body)
	}

	// Delete: every S3 request is refused on the very next request.
	c.must(http.StatusNoContent, "DELETE", "/api/credentials", nil, nil)
	_, err = cur.ListBuckets(ctx, &s3.ListBucketsInput{})
	if testutil.S3ErrorCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("deleted key: %v, want InvalidAccessKeyId", err)
	}
	_, err = cur.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("b.txt"), Body: strings.NewReader("x")})
	if testutil.S3ErrorCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("deleted key PutObject: %v, want InvalidAccessKeyId", err)
	}
	c.must(http.StatusNotFound, "GET", "/api/credentials", nil, nil)
	c.must(http.StatusNotFound, "POST", "/api/credentials/rotate", nil, nil)

	// Generate again: a fresh pair works at once, the deleted one stays dead.
	c.Seen = nil
	var k3 tnKey
	c.must(http.StatusCreated, "POST", "/api/credentials", nil, &k3)
	c.Seen = &seen
	if _, err := s.s3(k3).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("docs"), Key: aws.String("a.txt")}); err != nil {
		t.Fatalf("regenerated key: %v", err)
	}
	if _, err := cur.ListBuckets(ctx, &s3.ListBucketsInput{}); testutil.S3ErrorCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("deleted key after regenerate: %v", err)
	}

	// No secret in any later response, log line, or file on disk.
	op := s.operator()
	op.Seen = &seen
	for _, p := range []string{"/api/admin/tenants", "/api/admin/tenants/acme", "/api/admin/tenants/acme/keys", "/api/admin/audit?limit=1000"} {
		op.must(http.StatusOK, "GET", p, nil, nil)
	}
	for _, p := range []string{"/api/credentials", "/api/me", "/api/usage", "/api/settings", "/api/containers"} {
		c.must(http.StatusOK, "GET", p, nil, nil)
	}
	status, b := testutil.Get(t, http.DefaultClient, s.ts.ConsoleURL+"/metrics", "Bearer "+s.ts.metricsToken())
	if status != http.StatusOK {
		t.Fatalf("scrape: status %d", status)
	}
	seen = append(seen, b...)
	logs := s.logs()
	for i, k := range []tnKey{k1, k2, k3} {
		if bytes.Contains(seen, []byte(k.SecretKey)) {
			t.Errorf("secret %d appeared in a later API response", i+1)
		}
		if bytes.Contains(logs, []byte(k.SecretKey)) {
			t.Errorf("secret %d appeared in the server log", i+1)
		}
		if hits := tnGrepDir(t, s.dir, []byte(k.SecretKey)); len(hits) > 0 {
			t.Errorf("secret %d stored in clear text in %v", i+1, hits)
		}
	}
	if !bytes.Contains(seen, []byte(k3.AccessKey)) {
		t.Error("the access key itself should be visible (sanity check of the collected responses)")
	}
}

// TestAdminKeysLiveS3 covers the operator's automation path (coffer admin keys).
func TestAdminKeysLiveS3(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	s.tenant("robots", 0, 0)
	op := s.operator()
	var k1 tnKey
	op.must(http.StatusCreated, "POST", "/api/admin/tenants/robots/keys", nil, &k1)
	op.must(http.StatusConflict, "POST", "/api/admin/tenants/robots/keys", nil, nil)
	if _, err := s.s3(k1).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("builds")}); err != nil {
		t.Fatalf("admin-generated key: %v", err)
	}
	var k2 tnKey
	op.must(http.StatusOK, "POST", "/api/admin/tenants/robots/keys/rotate", nil, &k2)
	if _, err := s.s3(k1).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("builds")}); err == nil {
		t.Fatal("old key works after admin rotate")
	}
	if _, err := s.s3(k2).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("builds")}); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	op.must(http.StatusNoContent, "DELETE", "/api/admin/tenants/robots/keys", nil, nil)
	if _, err := s.s3(k2).ListBuckets(ctx, &s3.ListBucketsInput{}); testutil.S3ErrorCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("key after admin delete: %v", err)
	}
}
