package integration

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/internal/testutil"
)

// TestTenantIsolationMatrix aims every S3 operation of tenant A's key at
// tenant B's bucket names and objects. Each must answer exactly as it would
// for a bucket that exists nowhere (A cannot even learn B's bucket exists),
// or act on A's own namespace; B's data must be untouched.
func TestTenantIsolationMatrix(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	ca, cb := s.tenant("tenant-a", 0, 0), s.tenant("tenant-b", 0, 0)
	var ka, kb tnKey
	ca.must(http.StatusCreated, "POST", "/api/credentials", nil, &ka)
	cb.must(http.StatusCreated, "POST", "/api/credentials", nil, &kb)
	a, b := s.s3(ka), s.s3(kb)

	put := func(c *s3.Client, bucket, key, data string) {
		t.Helper()
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(data)}); err != nil {
			t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
		}
	}
	get := func(c *s3.Client, bucket, key string) string {
		t.Helper()
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
		}
		defer out.Body.Close()
		data, _ := io.ReadAll(out.Body)
		return string(data)
	}
	for _, bk := range []string{"shared", "b-private"} {
		if _, err := b.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bk)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}); err != nil {
		t.Fatalf("A creating a name B also owns: %v", err)
	}
	if _, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("a-own")}); err != nil {
		t.Fatal(err)
	}
	put(b, "shared", "k", "data of B")
	put(a, "shared", "k", "data of A")
	put(b, "b-private", "secret.txt", "B's secret")
	put(a, "a-own", "src", "A's object")
	mpu, err := b.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("b-private"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	bUpload := aws.ToString(mpu.UploadId)

	// Same-named buckets hold different data.
	if got := get(a, "shared", "k"); got != "data of A" {
		t.Fatalf("A reads shared/k = %q", got)
	}
	if got := get(b, "shared", "k"); got != "data of B" {
		t.Fatalf("B reads shared/k = %q", got)
	}

	// Each operation runs against B's private bucket and against a name that
	// exists nowhere; the S3 error codes must be identical and not success.
	type op struct {
		name string
		run  func(bucket string) error
	}
	ops := []op{
		{"HeadBucket", func(bk string) error { _, err := a.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bk}); return err }},
		{"GetBucketLocation", func(bk string) error {
			_, err := a.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bk})
			return err
		}},
		{"ListObjectsV2", func(bk string) error { _, err := a.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bk}); return err }},
		{"ListObjects", func(bk string) error { _, err := a.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &bk}); return err }},
		{"GetObject", func(bk string) error {
			_, err := a.GetObject(ctx, &s3.GetObjectInput{Bucket: &bk, Key: aws.String("secret.txt")})
			return err
		}},
		{"HeadObject", func(bk string) error {
			_, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bk, Key: aws.String("secret.txt")})
			return err
		}},
		{"PutObject", func(bk string) error {
			_, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: &bk, Key: aws.String("planted"), Body: strings.NewReader("evil")})
			return err
		}},
		{"DeleteObject", func(bk string) error {
			_, err := a.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bk, Key: aws.String("secret.txt")})
			return err
		}},
		{"DeleteObjects", func(bk string) error {
			_, err := a.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bk, Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("secret.txt")}}}})
			return err
		}},
		{"CopyObject from B", func(bk string) error {
			_, err := a.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("a-own"), Key: aws.String("stolen"), CopySource: aws.String(bk + "/secret.txt")})
			return err
		}},
		{"CopyObject into B", func(bk string) error {
			_, err := a.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bk, Key: aws.String("planted"), CopySource: aws.String("a-own/src")})
			return err
		}},
		{"CreateMultipartUpload", func(bk string) error {
			_, err := a.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bk, Key: aws.String("planted")})
			return err
		}},
		{"UploadPart to B's upload", func(bk string) error {
			_, err := a.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bk, Key: aws.String("big"), UploadId: &bUpload, PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
			return err
		}},
		{"ListParts of B's upload", func(bk string) error {
			_, err := a.ListParts(ctx, &s3.ListPartsInput{Bucket: &bk, Key: aws.String("big"), UploadId: &bUpload})
			return err
		}},
		{"AbortMultipartUpload of B's upload", func(bk string) error {
			_, err := a.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bk, Key: aws.String("big"), UploadId: &bUpload})
			return err
		}},
		{"ListMultipartUploads", func(bk string) error {
			_, err := a.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bk})
			return err
		}},
		{"GetObjectTagging", func(bk string) error {
			_, err := a.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &bk, Key: aws.String("secret.txt")})
			return err
		}},
		{"DeleteBucket", func(bk string) error { _, err := a.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bk}); return err }},
	}
	for _, o := range ops {
		errB := o.run("b-private")
		errNone := o.run("exists-nowhere-zz")
		if errB == nil {
			t.Errorf("%s on B's bucket by A succeeded", o.name)
			continue
		}
		if testutil.S3ErrorCode(errB) != testutil.S3ErrorCode(errNone) {
			t.Errorf("%s: B's bucket answers %q, a missing bucket %q: existence leaks", o.name, testutil.S3ErrorCode(errB), testutil.S3ErrorCode(errNone))
		}
		// HEAD answers carry no body, so the SDK can only report the status.
		if code := testutil.S3ErrorCode(errB); code != "NoSuchBucket" && !(strings.HasPrefix(o.name, "Head") && code == "NotFound") {
			t.Errorf("%s on B's bucket: %q, want NoSuchBucket", o.name, code)
		}
	}
	// A presigned URL signed with A's key for B's object is refused the same way.
	for _, bk := range []string{"b-private", "exists-nowhere-zz"} {
		ps, err := s3.NewPresignClient(a).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bk), Key: aws.String("secret.txt")})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(ps.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "<Code>NoSuchBucket</Code>") || strings.Contains(string(body), "B's secret") {
			t.Errorf("presigned GET of %s/secret.txt with A's key: %d %s", bk, resp.StatusCode, body)
		}
	}

	// Upload ids of B are unknown in A's same-named namespace too.
	_, err = a.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("shared"), Key: aws.String("big"), UploadId: &bUpload, PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	if code := testutil.S3ErrorCode(err); code != "NoSuchUpload" {
		t.Errorf("A using B's upload id in its own bucket: %v, want NoSuchUpload", err)
	}

	// A's listing shows only A's buckets.
	lb, err := a.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, bk := range lb.Buckets {
		names = append(names, aws.ToString(bk.Name))
	}
	if strings.Join(names, ",") != "a-own,shared" {
		t.Errorf("A lists buckets %v, want [a-own shared]", names)
	}
	// Deleting "shared" content as A never touches B's.
	if _, err := a.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("shared"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if got := get(b, "shared", "k"); got != "data of B" {
		t.Fatalf("B's shared/k after A's delete = %q", got)
	}
	// B's data and upload are intact after everything A tried.
	if got := get(b, "b-private", "secret.txt"); got != "B's secret" {
		t.Fatalf("B's secret.txt = %q", got)
	}
	lo, err := b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b-private")})
	if err != nil || len(lo.Contents) != 1 {
		t.Fatalf("B's bucket after attacks: %+v %v", lo, err)
	}
	parts, err := b.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("b-private"), Key: aws.String("big"), UploadId: &bUpload})
	if err != nil || len(parts.Parts) != 0 {
		t.Fatalf("B's upload after attacks: %v", err)
	}
	if _, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("a-own"), Key: aws.String("stolen")}); err == nil {
		t.Fatal("A copied B's object")
	}

	// The console agrees: A's session never sees or touches B's containers.
	var list struct{ Containers []struct{ Name string } }
	ca.must(http.StatusOK, "GET", "/api/containers", nil, &list)
	if len(list.Containers) != 2 {
		t.Fatalf("A's console containers %+v", list)
	}
	ca.must(http.StatusNotFound, "DELETE", "/api/containers/b-private?force=true&confirm=b-private", nil, nil)
	if got := get(b, "b-private", "secret.txt"); got != "B's secret" {
		t.Fatalf("B's secret.txt after A's console delete = %q", got)
	}
}
