package s3api

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestListingsWithHostileBounds sends the listing bounds of issue 12
// (prefix "a%00" over upload "a" wedged the server) through the SDK: every
// listing answers, empty, well within its deadline. The deadline bounds
// termination; it is not a speed assertion.
func TestListingsWithHostileBounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	b := "bounds"
	mkBucket(t, c, b)
	put(t, c, b, "a", []byte("x"))
	bg := context.Background()
	cr, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(bg, &s3.UploadPartInput{Bucket: &b, Key: aws.String("a"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("p"))}); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"a\x00", "a\x00/", "\x00", "a\xff", "\xff"} {
		ctx, cancel := context.WithTimeout(bg, 10*time.Second)
		ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b, Prefix: aws.String(prefix), Delimiter: aws.String("/")})
		if err != nil || len(ups.Uploads) != 0 || len(ups.CommonPrefixes) != 0 || aws.ToBool(ups.IsTruncated) {
			t.Fatalf("ListMultipartUploads prefix %q: %+v, %v", prefix, ups, err)
		}
		ups, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b, Prefix: aws.String(prefix), KeyMarker: aws.String("a"),
			UploadIdMarker: cr.UploadId})
		if err != nil || len(ups.Uploads) != 0 {
			t.Fatalf("ListMultipartUploads prefix %q after a marker: %+v, %v", prefix, ups, err)
		}
		v2, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String(prefix), StartAfter: aws.String("a")})
		if err != nil || len(v2.Contents) != 0 || aws.ToInt32(v2.KeyCount) != 0 {
			t.Fatalf("ListObjectsV2 prefix %q: %+v, %v", prefix, v2, err)
		}
		v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b, Prefix: aws.String(prefix), Marker: aws.String(prefix)})
		if err != nil || len(v1.Contents) != 0 {
			t.Fatalf("ListObjects prefix %q: %+v, %v", prefix, v1, err)
		}
		cancel()
	}
	// A part number marker past 2^32 used to wrap around to the first part.
	for _, marker := range []string{"4294967295", "4294967296", "10000"} {
		parts, err := c.ListParts(bg, &s3.ListPartsInput{Bucket: &b, Key: aws.String("a"), UploadId: cr.UploadId, PartNumberMarker: aws.String(marker)})
		if err != nil || len(parts.Parts) != 0 || aws.ToBool(parts.IsTruncated) {
			t.Fatalf("ListParts marker %s: %d parts, %v", marker, len(parts.Parts), err)
		}
	}
	parts, err := c.ListParts(bg, &s3.ListPartsInput{Bucket: &b, Key: aws.String("a"), UploadId: cr.UploadId})
	if err != nil || len(parts.Parts) != 1 || aws.ToInt32(parts.Parts[0].PartNumber) != 1 {
		t.Fatalf("ListParts: %+v, %v", parts, err)
	}
}
