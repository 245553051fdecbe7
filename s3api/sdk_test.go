package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/pkg/checksum"
)

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	_, _ = r.Read(b)
	return b
}

func mustRead(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return b
}

// TestSDK drives every operation with aws-sdk-go-v2, once with the SDK's
// default checksum behaviour (CRC trailers) and once with checksums only
// when required.
func TestSDK(t *testing.T) {
	t.Parallel() // I/O-bound; overlaps with the CPU-bound tests
	e := newEnv(t, "alpha")
	for _, mode := range []checksumMode{sdkDefault, sdkWhenRequired} {
		t.Run(mode.String(), func(t *testing.T) {
			c := e.client("alpha", mode)
			p := fmt.Sprintf("m%d-", mode) // bucket name prefix per mode
			t.Run("Buckets", func(t *testing.T) { testBuckets(t, c, p+"buckets") })
			t.Run("Objects", func(t *testing.T) { testObjects(t, c, p+"objects", mode) })
			t.Run("RangesAndConditionals", func(t *testing.T) { testRangesAndConditionals(t, c, p+"ranges") })
			t.Run("Copy", func(t *testing.T) { testCopy(t, c, p+"copy") })
			t.Run("Tagging", func(t *testing.T) { testTagging(t, c, p+"tags") })
			t.Run("Multipart", func(t *testing.T) { testMultipart(t, c, p+"multipart", mode) })
			t.Run("List", func(t *testing.T) { testList(t, c, p+"list") })
			t.Run("DeleteObjects", func(t *testing.T) { testDeleteObjects(t, c, p+"delete") })
			t.Run("Presigned", func(t *testing.T) { testPresigned(t, e, c, p+"presign") })
			t.Run("AuthErrors", func(t *testing.T) { testAuthErrors(t, e, mode) })
			t.Run("NotImplemented", func(t *testing.T) { testNotImplemented(t, c, p+"notimpl") })
		})
	}
}

func mkBucket(t testing.TB, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
}

func put(t testing.TB, c *s3.Client, bucket, key string, body []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func get(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	return mustRead(t, out.Body)
}

func testBuckets(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(lb.Buckets, func(x types.Bucket) bool { return *x.Name == b }) {
		t.Fatalf("ListBuckets lacks %s", b)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &b})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("GetBucketLocation = %q, %v; want empty (us-east-1)", loc.LocationConstraint, err)
	}
	ver, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || ver.Status != "" {
		t.Fatalf("GetBucketVersioning = %q, %v; want no status", ver.Status, err)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b})
	wantAPIError(t, err, "BucketAlreadyOwnedByYou", "you already own it")

	put(t, c, b, "x", []byte("x"))
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b})
	wantAPIError(t, err, "BucketNotEmpty", "The bucket you tried to delete is not empty")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b})
	wantHTTPStatus(t, err, 404)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("x")})
	wantAPIError(t, err, "NoSuchBucket", "The specified bucket does not exist")
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
	wantAPIError(t, err, "NoSuchBucket", "The specified bucket does not exist")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bad_name")})
	wantAPIError(t, err, "InvalidBucketName", "not valid")
	// A LocationConstraint for another region is refused as AWS refuses it.
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b + "-eu"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
	wantAPIError(t, err, "IllegalLocationConstraintException", "The eu-west-1 location constraint is incompatible for the region specific endpoint this request was sent to.")
}

func testObjects(t *testing.T, c *s3.Client, b string, mode checksumMode) {
	ctx := context.Background()
	mkBucket(t, c, b)
	body := randomBytes(1, 300_000)
	sum := md5.Sum(body)
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	out, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &b, Key: aws.String("dir/obj.bin"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/x-test"), ContentEncoding: aws.String("identity"),
		ContentDisposition: aws.String(`attachment; filename="o.bin"`), ContentLanguage: aws.String("en"),
		CacheControl: aws.String("max-age=60"), Expires: &expires,
		Metadata: map[string]string{"color": "blue", "Mixed-Case": "v"},
		Tagging:  aws.String("a=1&b=two"),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	wantETag := fmt.Sprintf(`"%x"`, sum)
	if aws.ToString(out.ETag) != wantETag {
		t.Fatalf("ETag %s, want %s", aws.ToString(out.ETag), wantETag)
	}
	if mode == sdkDefault && aws.ToString(out.ChecksumCRC32) != checksum.CRC32.Sum(body) {
		t.Fatalf("PutObject CRC32 = %q, want %q", aws.ToString(out.ChecksumCRC32), checksum.CRC32.Sum(body))
	}

	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got := mustRead(t, g.Body)
	if !bytes.Equal(got, body) {
		t.Fatalf("GetObject body differs (%d bytes, want %d)", len(got), len(body))
	}
	if aws.ToString(g.ETag) != wantETag || aws.ToString(g.ContentType) != "application/x-test" ||
		aws.ToString(g.ContentEncoding) != "identity" || aws.ToString(g.ContentLanguage) != "en" ||
		aws.ToString(g.CacheControl) != "max-age=60" || aws.ToString(g.ContentDisposition) != `attachment; filename="o.bin"` ||
		g.Metadata["color"] != "blue" || g.Metadata["mixed-case"] != "v" || aws.ToInt32(g.TagCount) != 2 ||
		aws.ToInt64(g.ContentLength) != int64(len(body)) || aws.ToString(g.ExpiresString) != expires.Format(http.TimeFormat) {
		t.Fatalf("GetObject headers wrong: %+v", g)
	}
	if mode == sdkDefault && aws.ToString(g.ChecksumCRC32) != checksum.CRC32.Sum(body) {
		t.Fatalf("GetObject CRC32 = %q", aws.ToString(g.ChecksumCRC32))
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin")})
	if err != nil || aws.ToInt64(h.ContentLength) != int64(len(body)) || aws.ToString(h.ETag) != wantETag || h.Metadata["color"] != "blue" {
		t.Fatalf("HeadObject = %+v, %v", h, err)
	}

	// Explicit SHA256 and Content-MD5.
	md5b64 := base64.StdEncoding.EncodeToString(sum[:])
	s256, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("sha"), Body: bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ContentMD5: &md5b64})
	if err != nil {
		t.Fatalf("PutObject SHA256: %v", err)
	}
	if aws.ToString(s256.ChecksumSHA256) != checksum.SHA256.Sum(body) {
		t.Fatalf("SHA256 = %q", aws.ToString(s256.ChecksumSHA256))
	}
	hs, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("sha"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(hs.ChecksumSHA256) != checksum.SHA256.Sum(body) {
		t.Fatalf("HeadObject SHA256 = %v, %v", hs, err)
	}

	// BadDigest: wrong Content-MD5, wrong CRC32 header; nothing is stored.
	wrongMD5 := base64.StdEncoding.EncodeToString(make([]byte, 16))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad"), Body: bytes.NewReader(body), ContentMD5: &wrongMD5})
	wantAPIError(t, err, "BadDigest", "Content-MD5 you specified did not match")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad"), Body: bytes.NewReader(body),
		ChecksumCRC32: aws.String(checksum.CRC32.Sum([]byte("other")))})
	wantAPIError(t, err, "BadDigest", "checksum you specified did not match")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("bad")})
	wantHTTPStatus(t, err, 404)

	// Conditional write: If-None-Match: * refuses to overwrite.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("sha"), Body: bytes.NewReader([]byte("new")), IfNoneMatch: aws.String("*")})
	wantAPIError(t, err, "PreconditionFailed", "pre-conditions")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("fresh"), Body: bytes.NewReader([]byte("new")), IfNoneMatch: aws.String("*")}); err != nil {
		t.Fatalf("If-None-Match * on a new key: %v", err)
	}
	// Features that would be silently ignored are refused instead.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("acl"), Body: bytes.NewReader([]byte("x")), ACL: types.ObjectCannedACLAwsExecRead})
	wantAPIError(t, err, "NotImplemented", "aws-exec-read")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("sse"), Body: bytes.NewReader([]byte("x")), ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	wantAPIError(t, err, "NotImplemented", "SSE-KMS")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("sc"), Body: bytes.NewReader([]byte("x")), StorageClass: types.StorageClassGlacier})
	wantAPIError(t, err, "InvalidStorageClass", "only STANDARD")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("sc"), Body: bytes.NewReader([]byte("x")), StorageClass: types.StorageClassStandard}); err != nil {
		t.Fatalf("STANDARD storage class: %v", err)
	}

	// Empty object, odd key.
	odd := "odd key/ü+%&=?.txt"
	put(t, c, b, odd, nil)
	if got := get(t, c, b, odd); len(got) != 0 {
		t.Fatalf("empty object returned %d bytes", len(got))
	}

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin")}); err != nil {
		t.Fatalf("DeleteObject of an absent key must succeed: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin")})
	wantAPIError(t, err, "NoSuchKey", "The specified key does not exist")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("dir/obj.bin")})
	wantHTTPStatus(t, err, 404)
}

func testRangesAndConditionals(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	body := randomBytes(2, 1000)
	etag := aws.ToString(put(t, c, b, "r", body).ETag)
	for _, tc := range []struct {
		rng        string
		start, end int // inclusive
	}{
		{"bytes=0-9", 0, 9}, {"bytes=990-", 990, 999}, {"bytes=-10", 990, 999},
		{"bytes=500-2000", 500, 999}, {"bytes=-5000", 0, 999}, {"bytes=999-999", 999, 999},
	} {
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("r"), Range: &tc.rng})
		if err != nil {
			t.Fatalf("%s: %v", tc.rng, err)
		}
		got := mustRead(t, g.Body)
		if !bytes.Equal(got, body[tc.start:tc.end+1]) {
			t.Fatalf("%s: got %d bytes", tc.rng, len(got))
		}
		want := fmt.Sprintf("bytes %d-%d/1000", tc.start, tc.end)
		if aws.ToString(g.ContentRange) != want {
			t.Fatalf("%s: Content-Range %q, want %q", tc.rng, aws.ToString(g.ContentRange), want)
		}
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("r"), Range: aws.String("bytes=1000-")})
	wantAPIError(t, err, "InvalidRange", "The requested range is not satisfiable")
	wantHTTPStatus(t, err, 416)
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response.Header.Get("Content-Range") != "bytes */1000" {
		t.Fatalf("416 without Content-Range bytes */1000: %v", err)
	}

	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	cases := []struct {
		name   string
		in     s3.GetObjectInput
		status int // 0 = success
	}{
		{"if-match ok", s3.GetObjectInput{IfMatch: &etag}, 0},
		{"if-match star", s3.GetObjectInput{IfMatch: aws.String("*")}, 0},
		{"if-match wrong", s3.GetObjectInput{IfMatch: aws.String(`"0000"`)}, 412},
		{"if-none-match hit", s3.GetObjectInput{IfNoneMatch: &etag}, 304},
		{"if-none-match miss", s3.GetObjectInput{IfNoneMatch: aws.String(`"0000"`)}, 0},
		{"if-modified-since future", s3.GetObjectInput{IfModifiedSince: &future}, 304},
		{"if-modified-since past", s3.GetObjectInput{IfModifiedSince: &past}, 0},
		{"if-unmodified-since past", s3.GetObjectInput{IfUnmodifiedSince: &past}, 412},
		{"if-unmodified-since future", s3.GetObjectInput{IfUnmodifiedSince: &future}, 0},
		// RFC 7232: If-Match takes precedence over If-Unmodified-Since.
		{"if-match ok + unmodified-since past", s3.GetObjectInput{IfMatch: &etag, IfUnmodifiedSince: &past}, 0},
		// If-None-Match takes precedence over If-Modified-Since.
		{"if-none-match miss + modified-since future", s3.GetObjectInput{IfNoneMatch: aws.String(`"0000"`), IfModifiedSince: &future}, 0},
	}
	for _, tc := range cases {
		in := tc.in
		in.Bucket, in.Key = &b, aws.String("r")
		g, err := c.GetObject(ctx, &in)
		if tc.status == 0 {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := mustRead(t, g.Body); !bytes.Equal(got, body) {
				t.Fatalf("%s: wrong body", tc.name)
			}
			continue
		}
		wantHTTPStatus(t, err, tc.status)
		if tc.status == 412 {
			wantAPIError(t, err, "PreconditionFailed", "pre-conditions you specified did not hold")
		}
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("r"), IfNoneMatch: &etag})
	wantHTTPStatus(t, err, 304)
	if !errors.As(err, &re) || re.Response.Header.Get("ETag") != etag || re.Response.Header.Get("Last-Modified") == "" {
		t.Fatalf("304 without ETag/Last-Modified: %v", err)
	}
	_ = h

	// response-* overrides.
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("r"),
		ResponseContentType: aws.String("text/plain"), ResponseContentDisposition: aws.String("inline"),
		ResponseCacheControl: aws.String("no-cache")})
	if err != nil {
		t.Fatal(err)
	}
	mustRead(t, g.Body)
	if aws.ToString(g.ContentType) != "text/plain" || aws.ToString(g.ContentDisposition) != "inline" || aws.ToString(g.CacheControl) != "no-cache" {
		t.Fatalf("overrides not applied: %v %v %v", aws.ToString(g.ContentType), aws.ToString(g.ContentDisposition), aws.ToString(g.CacheControl))
	}
	// partNumber=1 of a single-part object is the whole object.
	g, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("r"), PartNumber: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, g.Body); !bytes.Equal(got, body) {
		t.Fatal("partNumber=1 body differs")
	}
}

func testCopy(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	body := randomBytes(3, 70_000)
	srcKey := "src dir/ü+x.bin"
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &srcKey, Body: bytes.NewReader(body),
		ContentType: aws.String("text/x-src"), Metadata: map[string]string{"origin": "src"}, Tagging: aws.String("t=1")})
	if err != nil {
		t.Fatal(err)
	}
	source := url.PathEscape(b) + "/" + strings.ReplaceAll(url.PathEscape(srcKey), "%2F", "/")

	// COPY directive (default): metadata and tags travel with the data.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy1"), CopySource: &source})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if aws.ToString(cp.CopyObjectResult.ETag) != fmt.Sprintf(`"%x"`, md5.Sum(body)) {
		t.Fatalf("copy ETag %s", aws.ToString(cp.CopyObjectResult.ETag))
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("copy1")})
	if err != nil || h.Metadata["origin"] != "src" || aws.ToString(h.ContentType) != "text/x-src" {
		t.Fatalf("COPY directive lost metadata: %+v %v", h, err)
	}
	if !bytes.Equal(get(t, c, b, "copy1"), body) {
		t.Fatal("copy body differs")
	}

	// REPLACE directive: metadata from the request.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy2"), CopySource: &source,
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/x-new"),
		Metadata: map[string]string{"fresh": "yes"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("copy2")})
	if err != nil || h.Metadata["fresh"] != "yes" || h.Metadata["origin"] != "" || aws.ToString(h.ContentType) != "text/x-new" {
		t.Fatalf("REPLACE directive: %+v %v", h.Metadata, err)
	}

	// Copy onto itself needs REPLACE.
	self := b + "/copy1"
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy1"), CopySource: &self})
	wantAPIError(t, err, "InvalidRequest", "copy an object to itself")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy1"), CopySource: &self,
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"v": "2"}})
	if err != nil {
		t.Fatalf("self copy with REPLACE: %v", err)
	}
	h, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("copy1")})
	if err != nil || h.Metadata["v"] != "2" || h.Metadata["origin"] != "" {
		t.Fatalf("self copy metadata: %+v %v", h.Metadata, err)
	}
	if !bytes.Equal(get(t, c, b, "copy1"), body) {
		t.Fatal("self copy changed data")
	}

	// x-amz-copy-source-if-*.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy3"), CopySource: &source, CopySourceIfMatch: aws.String(`"nope"`)})
	wantAPIError(t, err, "PreconditionFailed", "pre-conditions")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy3"), CopySource: &source, CopySourceIfNoneMatch: cp.CopyObjectResult.ETag})
	wantAPIError(t, err, "PreconditionFailed", "pre-conditions")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy3"), CopySource: &source, CopySourceIfMatch: cp.CopyObjectResult.ETag})
	if err != nil {
		t.Fatalf("copy with matching if-match: %v", err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy4"), CopySource: aws.String(b + "/missing")})
	wantAPIError(t, err, "NoSuchKey", "The specified key does not exist")
}

func testTagging(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	put(t, c, b, "k", []byte("v"))
	tags := []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("a b")}}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("k"), Tagging: &types.Tagging{TagSet: tags}}); err != nil {
		t.Fatalf("PutObjectTagging: %v", err)
	}
	g, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &b, Key: aws.String("k")})
	if err != nil || len(g.TagSet) != 2 || *g.TagSet[0].Key != "env" || *g.TagSet[1].Value != "a b" {
		t.Fatalf("GetObjectTagging = %+v, %v", g, err)
	}
	var many []types.Tag
	for i := range 11 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprint(i)), Value: aws.String("x")})
	}
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("k"), Tagging: &types.Tagging{TagSet: many}})
	wantAPIError(t, err, "InvalidTag", "at most 10 tags")
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: &b, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	g, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &b, Key: aws.String("k")})
	if err != nil || len(g.TagSet) != 0 {
		t.Fatalf("tags after delete = %+v, %v", g, err)
	}
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &b, Key: aws.String("none")})
	wantAPIError(t, err, "NoSuchKey", "does not exist")
}

func testMultipart(t *testing.T, c *s3.Client, b string, mode checksumMode) {
	ctx := context.Background()
	mkBucket(t, c, b)
	const mib = 1 << 20
	p1, p3 := randomBytes(10, 5*mib), randomBytes(11, 1000)
	src := randomBytes(12, 6*mib)
	put(t, c, b, "copysrc", src)

	create := &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), ContentType: aws.String("text/x-mp"),
		Metadata: map[string]string{"kind": "multi"}}
	if mode == sdkDefault {
		create.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	}
	cr, err := c.CreateMultipartUpload(ctx, create)
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	id := cr.UploadId
	up1, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("mp"), UploadId: id, PartNumber: aws.Int32(1),
		Body: bytes.NewReader(p1), ChecksumAlgorithm: create.ChecksumAlgorithm})
	if err != nil {
		t.Fatalf("UploadPart 1: %v", err)
	}
	if mode == sdkDefault && aws.ToString(up1.ChecksumCRC32) != checksum.CRC32.Sum(p1) {
		t.Fatalf("UploadPart CRC32 %q", aws.ToString(up1.ChecksumCRC32))
	}
	up2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: id, PartNumber: aws.Int32(2),
		CopySource: aws.String(b + "/copysrc"), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", mib, 6*mib-1))})
	if err != nil {
		t.Fatalf("UploadPartCopy: %v", err)
	}
	if aws.ToString(up2.CopyPartResult.ETag) != fmt.Sprintf(`"%x"`, md5.Sum(src[mib:])) {
		t.Fatalf("UploadPartCopy ETag %s", aws.ToString(up2.CopyPartResult.ETag))
	}
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: id, PartNumber: aws.Int32(2),
		CopySource: aws.String(b + "/copysrc"), CopySourceRange: aws.String("bytes=0-99999999")})
	wantAPIError(t, err, "InvalidRange", "The requested range is not satisfiable")
	up3, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("mp"), UploadId: id, PartNumber: aws.Int32(3),
		Body: bytes.NewReader(p3), ChecksumAlgorithm: create.ChecksumAlgorithm})
	if err != nil {
		t.Fatalf("UploadPart 3: %v", err)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: aws.String("mp"), UploadId: id})
	if err != nil || len(lp.Parts) != 3 || aws.ToInt64(lp.Parts[0].Size) != 5*mib || aws.ToInt64(lp.Parts[2].Size) != 1000 {
		t.Fatalf("ListParts = %+v, %v", lp, err)
	}
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(id) {
		t.Fatalf("ListMultipartUploads = %+v, %v", lu, err)
	}

	parts := []types.CompletedPart{
		{PartNumber: aws.Int32(1), ETag: up1.ETag, ChecksumCRC32: up1.ChecksumCRC32},
		{PartNumber: aws.Int32(2), ETag: up2.CopyPartResult.ETag, ChecksumCRC32: up2.CopyPartResult.ChecksumCRC32},
		{PartNumber: aws.Int32(3), ETag: up3.ETag, ChecksumCRC32: up3.ChecksumCRC32},
	}
	// InvalidPart: a wrong ETag.
	bad := slices.Clone(parts)
	bad[2].ETag = aws.String(`"00000000000000000000000000000000"`)
	bad[2].ChecksumCRC32 = nil
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: bad}})
	wantAPIError(t, err, "InvalidPart", "One or more of the specified parts could not be found")

	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(done.ETag), `-3"`) {
		t.Fatalf("multipart ETag %s", aws.ToString(done.ETag))
	}
	want := slices.Concat(p1, src[mib:], p3)
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("mp"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, g.Body); !bytes.Equal(got, want) {
		t.Fatalf("multipart body differs: %d bytes, want %d", len(got), len(want))
	}
	if g.Metadata["kind"] != "multi" || aws.ToString(g.ContentType) != "text/x-mp" || aws.ToString(g.ETag) != aws.ToString(done.ETag) {
		t.Fatalf("multipart metadata: %+v", g)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: aws.String("mp"), UploadId: id})
	wantAPIError(t, err, "NoSuchUpload", "The specified upload does not exist")

	if mode == sdkDefault {
		testFullObjectChecksum(t, c, b)
	}

	// EntityTooSmall: a non-last part under 5 MiB.
	cr2, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("small")})
	if err != nil {
		t.Fatal(err)
	}
	var small []types.CompletedPart
	for n := int32(1); n <= 2; n++ {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("small"), UploadId: cr2.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader([]byte("tiny part"))})
		if err != nil {
			t.Fatal(err)
		}
		small = append(small, types.CompletedPart{PartNumber: aws.Int32(n), ETag: up.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("small"), UploadId: cr2.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: small}})
	wantAPIError(t, err, "EntityTooSmall", "smaller than the minimum allowed object size")
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: aws.String("small"), UploadId: cr2.UploadId}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: aws.String("small"), UploadId: cr2.UploadId})
	wantAPIError(t, err, "NoSuchUpload", "does not exist")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("small")})
	wantHTTPStatus(t, err, 404)
}

func testList(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	keys := []string{"a/1", "a/2", "a/b/3", "b/1", "c", "d e+f", "z"}
	for _, k := range keys {
		put(t, c, b, k, []byte(k))
	}
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b, Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if got := objKeys(v1.Contents); !slices.Equal(got, []string{"c", "d e+f", "z"}) {
		t.Fatalf("v1 keys %v", got)
	}
	if got := prefixes(v1.CommonPrefixes); !slices.Equal(got, []string{"a/", "b/"}) {
		t.Fatalf("v1 prefixes %v", got)
	}
	v1, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &b, Marker: aws.String("a/2"), MaxKeys: aws.Int32(2)})
	if err != nil || !slices.Equal(objKeys(v1.Contents), []string{"a/b/3", "b/1"}) || !aws.ToBool(v1.IsTruncated) {
		t.Fatalf("v1 marker page = %v truncated=%v, %v", objKeys(v1.Contents), aws.ToBool(v1.IsTruncated), err)
	}
	v2, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String("a/"), Delimiter: aws.String("/"), FetchOwner: aws.Bool(true)})
	if err != nil || !slices.Equal(objKeys(v2.Contents), []string{"a/1", "a/2"}) || !slices.Equal(prefixes(v2.CommonPrefixes), []string{"a/b/"}) ||
		aws.ToInt32(v2.KeyCount) != 3 || v2.Contents[0].Owner == nil {
		t.Fatalf("v2 prefix listing = %v %v, %v", objKeys(v2.Contents), prefixes(v2.CommonPrefixes), err)
	}
	v2, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, StartAfter: aws.String("c"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatal(err)
	}
	if got := objKeys(v2.Contents); !slices.Equal(got, []string{"d%20e%2Bf", "z"}) {
		t.Fatalf("v2 url-encoded start-after listing %v", got)
	}
	// Page through with max-keys 2.
	var all []string
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &b, MaxKeys: aws.Int32(2)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, objKeys(page.Contents)...)
	}
	if !slices.Equal(all, keys) {
		t.Fatalf("paged keys %v, want %v", all, keys)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, ContinuationToken: aws.String("not-a-token!")})
	wantAPIError(t, err, "InvalidArgument", "continuation token")
}

func objKeys(objs []types.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

func prefixes(cps []types.CommonPrefix) []string {
	var out []string
	for _, p := range cps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

func testDeleteObjects(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	for _, k := range []string{"k1", "k2", "k3"} {
		put(t, c, b, k, []byte(k))
	}
	ids := []types.ObjectIdentifier{{Key: aws.String("k1")}, {Key: aws.String("k2")}, {Key: aws.String("missing")}}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: ids}})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	if len(out.Deleted) != 3 || len(out.Errors) != 0 {
		t.Fatalf("DeleteObjects deleted %d, errors %+v", len(out.Deleted), out.Errors)
	}
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Quiet: aws.Bool(true),
		Objects: []types.ObjectIdentifier{{Key: aws.String("k3")}, {Key: aws.String("")}}}})
	if err != nil {
		t.Fatalf("DeleteObjects quiet: %v", err)
	}
	if len(out.Deleted) != 0 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) == "InternalError" {
		t.Fatalf("quiet DeleteObjects: deleted %d errors %+v", len(out.Deleted), out.Errors)
	}
	l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil || len(l.Contents) != 0 {
		t.Fatalf("objects left after DeleteObjects: %v %v", objKeys(l.Contents), err)
	}
}

func testPresigned(t *testing.T, e *testEnv, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	pc := s3.NewPresignClient(c)
	body := randomBytes(4, 5000)
	pput, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("p")}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, pput.URL, bytes.NewReader(body))
	resp, err := e.http().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("presigned PUT status %d", resp.StatusCode)
	}
	pget, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("p")}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = e.http().Get(pget.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("presigned GET status %d, %d bytes", resp.StatusCode, len(got))
	}
	// Expired: signed two hours ago for one minute.
	expired, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("p")}, s3.WithPresignExpires(time.Minute),
		func(o *s3.PresignOptions) { o.Presigner = pastPresigner{v4.NewSigner()} })
	if err != nil {
		t.Fatal(err)
	}
	resp, err = e.http().Get(expired.URL)
	if err != nil {
		t.Fatal(err)
	}
	errBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(errBody), "<Code>AccessDenied</Code>") || !strings.Contains(string(errBody), "Request has expired") {
		t.Fatalf("expired presigned GET: %d %s", resp.StatusCode, errBody)
	}
	// A tampered presigned URL is refused.
	resp, err = e.http().Get(strings.Replace(pget.URL, "/p?", "/q?", 1))
	if err != nil {
		t.Fatal(err)
	}
	errBody, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(errBody), "SignatureDoesNotMatch") {
		t.Fatalf("tampered presigned GET: %d %s", resp.StatusCode, errBody)
	}
}

func testAuthErrors(t *testing.T, e *testEnv, mode checksumMode) {
	ctx := context.Background()
	cred := e.keys["alpha"]
	_, err := e.clientWith("AKIDOESNOTEXIST00000", cred.SecretKey, mode).ListBuckets(ctx, &s3.ListBucketsInput{})
	wantAPIError(t, err, "InvalidAccessKeyId", "does not exist in our records")
	_, err = e.clientWith(cred.AccessKey, strings.Repeat("x", 40), mode).ListBuckets(ctx, &s3.ListBucketsInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", "signature we calculated does not match")
	resp, err := e.http().Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "<Code>AccessDenied</Code>") || resp.Header.Get("X-Amz-Request-Id") == "" ||
		!strings.Contains(string(body), "<RequestId>"+resp.Header.Get("X-Amz-Request-Id")+"</RequestId>") {
		t.Fatalf("anonymous request: %d %s", resp.StatusCode, body)
	}
}

func testNotImplemented(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	mkBucket(t, c, b)
	put(t, c, b, "k", []byte("v"))
	_, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: &b})
	wantAPIError(t, err, "NotImplemented", "not implemented")
	wantHTTPStatus(t, err, 501)
	_, err = c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: &b})
	wantAPIError(t, err, "NotImplemented", "not implemented")
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &b, Key: aws.String("k"), GrantRead: aws.String(`id="x"`)})
	wantAPIError(t, err, "NotImplemented", "")
	_, err = c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: &b})
	wantAPIError(t, err, "NotImplemented", "not implemented")
	// A malformed version id on an ACL write is refused, not ignored.
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &b, Key: aws.String("k"), VersionId: aws.String("v1"), ACL: types.ObjectCannedACLPrivate})
	wantAPIError(t, err, "InvalidArgument", "Invalid version id specified")
	// The object is untouched.
	if got := get(t, c, b, "k"); string(got) != "v" {
		t.Fatalf("object changed: %q", got)
	}
}

// pastPresigner signs URLs as of two hours ago, so they are already expired.
type pastPresigner struct{ inner s3.HTTPPresignerV4 }

func (p pastPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string,
	t time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.inner.PresignHTTP(ctx, creds, r, payloadHash, service, region, t.Add(-2*time.Hour), optFns...)
}

// testFullObjectChecksum: a multipart upload created with CRC32C and
// x-amz-checksum-type FULL_OBJECT ends with the CRC32C of the whole body.
func testFullObjectChecksum(t *testing.T, c *s3.Client, b string) {
	ctx := context.Background()
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("full"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c, ChecksumType: types.ChecksumTypeFullObject})
	if err != nil {
		t.Fatalf("CreateMultipartUpload FULL_OBJECT: %v", err)
	}
	if cr.ChecksumType != types.ChecksumTypeFullObject || cr.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32c {
		t.Fatalf("create answered %q %q", cr.ChecksumAlgorithm, cr.ChecksumType)
	}
	p1, p2 := randomBytes(30, 5<<20), randomBytes(31, 12345)
	var parts []types.CompletedPart
	for i, p := range [][]byte{p1, p2} {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("full"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
		if err != nil {
			t.Fatalf("UploadPart: %v", err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag, ChecksumCRC32C: up.ChecksumCRC32C})
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("full"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatalf("Complete FULL_OBJECT: %v", err)
	}
	want := checksum.CRC32C.Sum(slices.Concat(p1, p2))
	if aws.ToString(done.ChecksumCRC32C) != want || done.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("full-object CRC32C %q type %q, want %q FULL_OBJECT", aws.ToString(done.ChecksumCRC32C), done.ChecksumType, want)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("full"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(h.ChecksumCRC32C) != want {
		t.Fatalf("HeadObject full-object checksum %v, %v", h, err)
	}
}
