package s3api

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/storage"
)

// TestDeleteBucketWithOnlyUploads: DeleteBucket of a bucket holding no
// objects but unfinished multipart uploads succeeds and aborts them, as
// AWS does; the tenant's usage loses the uploads' bytes and count. A bucket
// that also holds an object still answers BucketNotEmpty, uploads kept.
func TestDeleteBucketWithOnlyUploads(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	b := "uploads-only"
	mkBucket(t, c, b)
	var ids []string
	for _, key := range []string{"a/one", "b/two"} {
		cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *cu.UploadId)
		if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String(key), UploadId: cu.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader(randomBytes(1, 3000))}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := e.store.TenantUsage(ctx, "alpha")
	if err != nil || u.Uploads != 2 || u.UploadBytes != 6000 || u.Bytes != 6000 {
		t.Fatalf("usage before: %+v, %v", u, err)
	}

	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucket of a bucket holding only uploads: %v", err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b})
	wantHTTPStatus(t, err, 404)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("a/one"), UploadId: &ids[0],
		PartNumber: aws.Int32(2), Body: bytes.NewReader([]byte("late"))})
	wantAPIError(t, err, "NoSuchBucket", "The specified bucket does not exist")
	u, err = e.store.TenantUsage(ctx, "alpha")
	if err != nil || u.Uploads != 0 || u.UploadBytes != 0 || u.Bytes != 0 || u.Buckets != 0 {
		t.Fatalf("usage after: %+v, %v", u, err)
	}

	// Recreated, the bucket has no uploads; with an object it is not empty.
	mkBucket(t, c, b)
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil || len(lu.Uploads) != 0 {
		t.Fatalf("recreated bucket: %d uploads, %v", len(lu.Uploads), err)
	}
	put(t, c, b, "obj", []byte("12345"))
	if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b})
	wantAPIError(t, err, "BucketNotEmpty", "The bucket you tried to delete is not empty")
	lu, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil || len(lu.Uploads) != 1 {
		t.Fatalf("after refused delete: %d uploads, %v", len(lu.Uploads), err)
	}
}

// TestDeleteBucketVersionedWithUploads: in a versioned bucket, uploads alone
// do not keep DeleteBucket from succeeding, but a delete marker left of a
// deleted object does (BucketNotEmpty, uploads kept), as on AWS.
func TestDeleteBucketVersionedWithUploads(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	for _, b := range []string{"vers-uploads", "vers-marker"} {
		mkBucket(t, c, b)
		if err := e.store.SetBucketVersioning(ctx, "alpha", b, storage.VersioningEnabled); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("vers-uploads")}); err != nil {
		t.Fatalf("versioned bucket with only uploads: %v", err)
	}
	put(t, c, "vers-marker", "gone", []byte("x"))
	if _, err := e.store.DeleteObject(ctx, "alpha", "vers-marker", "gone", storage.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Only a noncurrent version and its delete marker are left, and the upload.
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("vers-marker")})
	if err != nil || len(lo.Contents) != 0 {
		t.Fatalf("listing after the marker: %d objects, %v", len(lo.Contents), err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("vers-marker")})
	wantAPIError(t, err, "BucketNotEmpty", "The bucket you tried to delete is not empty")
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("vers-marker")})
	if err != nil || len(lu.Uploads) != 1 {
		t.Fatalf("after refused delete: %d uploads, %v", len(lu.Uploads), err)
	}
}
