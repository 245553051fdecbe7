package s3api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// mpObject uploads a multipart object of these part sizes with CRC32C
// (COMPOSITE) checksums and returns its bytes and each part's checksum.
func mpObject(t *testing.T, c *s3.Client, b, key string, sizes ...int) ([]byte, []string) {
	t.Helper()
	ctx := context.Background()
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key,
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	var sums []string
	var done []types.CompletedPart
	for i, n := range sizes {
		p := randomBytes(uint64(100+i), n)
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: &key, UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p...)
		sums = append(sums, aws.ToString(up.ChecksumCRC32C))
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag, ChecksumCRC32C: up.ChecksumCRC32C})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	return all, sums
}

var allAttributes = []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum,
	types.ObjectAttributesObjectParts, types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize}

func TestGetObjectAttributes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	b := "attrs"
	mkBucket(t, c, b)

	// A single-part object: no ObjectParts, its FULL_OBJECT checksum.
	body := []byte("hello attributes")
	p, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("one"), Body: bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("one"), ObjectAttributes: allAttributes})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.ETag) != md5hex(body) || aws.ToInt64(a.ObjectSize) != int64(len(body)) || a.StorageClass != types.StorageClassStandard {
		t.Fatalf("attributes ETag %q size %d class %q", aws.ToString(a.ETag), aws.ToInt64(a.ObjectSize), a.StorageClass)
	}
	if a.ObjectParts != nil {
		t.Fatalf("ObjectParts on a single-part object: %+v", a.ObjectParts)
	}
	if a.Checksum == nil || aws.ToString(a.Checksum.ChecksumCRC32) != aws.ToString(p.ChecksumCRC32) || a.Checksum.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("checksum %+v, want CRC32 %s FULL_OBJECT", a.Checksum, aws.ToString(p.ChecksumCRC32))
	}
	if a.LastModified == nil || a.LastModified.IsZero() {
		t.Fatal("no Last-Modified")
	}
	// Only what was asked for.
	a, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("one"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	if err != nil || a.ETag != nil || a.Checksum != nil || a.StorageClass != "" || aws.ToInt64(a.ObjectSize) != int64(len(body)) {
		t.Fatalf("ObjectSize only: %+v, %v", a, err)
	}

	// Errors.
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("one"),
		ObjectAttributes: []types.ObjectAttributes{"Owner"}})
	wantAPIError(t, err, "InvalidArgument", "Invalid attribute name specified.")
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("one"),
		ObjectAttributes: []types.ObjectAttributes{}})
	wantAPIError(t, err, "InvalidArgument", "Invalid attribute name specified.")
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("missing"), ObjectAttributes: allAttributes})
	wantAPIError(t, err, "NoSuchKey", "The specified key does not exist.")
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("one"), ObjectAttributes: allAttributes,
		MaxParts: aws.Int32(-1)})
	wantAPIError(t, err, "InvalidArgument", "max-parts")

	// A multipart object: parts with their sizes and checksums, paged.
	mib := 5 << 20
	_, sums := mpObject(t, c, b, "mp", mib, mib, 1000)
	a, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("mp"), ObjectAttributes: allAttributes,
		MaxParts: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	op := a.ObjectParts
	if op == nil || aws.ToInt32(op.TotalPartsCount) != 3 || !aws.ToBool(op.IsTruncated) || aws.ToInt32(op.MaxParts) != 2 ||
		aws.ToString(op.NextPartNumberMarker) != "2" || len(op.Parts) != 2 {
		t.Fatalf("first parts page: %+v", op)
	}
	for i, part := range op.Parts {
		if aws.ToInt32(part.PartNumber) != int32(i+1) || aws.ToInt64(part.Size) != int64(mib) || aws.ToString(part.ChecksumCRC32C) != sums[i] {
			t.Fatalf("part %d: number %d size %d crc32c %q, want %q", i+1, aws.ToInt32(part.PartNumber), aws.ToInt64(part.Size),
				aws.ToString(part.ChecksumCRC32C), sums[i])
		}
	}
	if a.Checksum == nil || a.Checksum.ChecksumType != types.ChecksumTypeComposite || aws.ToString(a.Checksum.ChecksumCRC32C) == "" {
		t.Fatalf("multipart checksum %+v", a.Checksum)
	}
	if aws.ToInt64(a.ObjectSize) != int64(2*mib+1000) || aws.ToString(a.ETag) == "" || bytes.ContainsRune([]byte(aws.ToString(a.ETag)), '"') {
		t.Fatalf("multipart size %d etag %q", aws.ToInt64(a.ObjectSize), aws.ToString(a.ETag))
	}
	a, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("mp"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts}, PartNumberMarker: aws.String("2")})
	if err != nil {
		t.Fatal(err)
	}
	op = a.ObjectParts
	if op == nil || aws.ToBool(op.IsTruncated) || len(op.Parts) != 1 || aws.ToInt32(op.Parts[0].PartNumber) != 3 ||
		aws.ToInt64(op.Parts[0].Size) != 1000 || aws.ToString(op.Parts[0].ChecksumCRC32C) != sums[2] || aws.ToString(op.PartNumberMarker) != "2" {
		t.Fatalf("second parts page: %+v", op)
	}
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("mp"),
		ObjectAttributes: allAttributes, PartNumberMarker: aws.String("x")})
	wantAPIError(t, err, "InvalidArgument", "part-number-marker")

	// Without an additional checksum, AWS answers only the parts count.
	plain := e.client("alpha", sdkWhenRequired)
	cr, err := plain.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("nosum")})
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	for n, size := range []int{mib, 10} {
		up, err := plain.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("nosum"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(n + 1)), Body: bytes.NewReader(make([]byte, size))})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(n + 1)), ETag: up.ETag})
	}
	if _, err := plain.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("nosum"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	a, err = plain.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("nosum"), ObjectAttributes: allAttributes})
	if err != nil {
		t.Fatal(err)
	}
	if op := a.ObjectParts; op == nil || aws.ToInt32(op.TotalPartsCount) != 2 || len(op.Parts) != 0 || op.MaxParts != nil || op.IsTruncated != nil || a.Checksum != nil {
		t.Fatalf("multipart without checksum: parts %+v checksum %+v", a.ObjectParts, a.Checksum)
	}
}

func TestGetObjectAttributesVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	b := "attrs-versions"
	mkBucket(t, c, b)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	v1 := putVersion(t, c, b, "k", "first version")
	v2 := putVersion(t, c, b, "k", "second")
	for vid, size := range map[string]int64{v1: 13, v2: 6, "": 6} {
		in := &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("k"), ObjectAttributes: allAttributes}
		want := vid
		if vid != "" {
			in.VersionId = aws.String(vid)
		} else {
			want = v2
		}
		a, err := c.GetObjectAttributes(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt64(a.ObjectSize) != size || aws.ToString(a.VersionId) != want {
			t.Fatalf("version %q: size %d version %q, want %d %q", vid, aws.ToInt64(a.ObjectSize), aws.ToString(a.VersionId), size, want)
		}
	}
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil || !aws.ToBool(del.DeleteMarker) {
		t.Fatalf("DeleteObject: %+v, %v", del, err)
	}
	// The current version is a delete marker: 404 NoSuchKey saying so.
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("k"), ObjectAttributes: allAttributes})
	wantAPIError(t, err, "NoSuchKey", "The specified key does not exist.")
	if errHeader(t, err, "X-Amz-Delete-Marker") != "true" || errHeader(t, err, "X-Amz-Version-Id") != aws.ToString(del.VersionId) {
		t.Fatalf("delete marker headers missing: %v", err)
	}
	// The marker named by id: 405.
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("k"), VersionId: del.VersionId,
		ObjectAttributes: allAttributes})
	wantAPIError(t, err, "MethodNotAllowed", "not allowed")
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("k"), VersionId: aws.String("bogus"),
		ObjectAttributes: allAttributes})
	wantAPIError(t, err, "InvalidArgument", "Invalid version id specified")
}

func TestGetObjectPartNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	b := "parts"
	mkBucket(t, c, b)
	mib := 5 << 20
	sizes := []int{mib, mib + 7, 1234}
	all, sums := mpObject(t, c, b, "mp", sizes...)
	total := len(all)
	start := 0
	for i, n := range sizes {
		pn := aws.Int32(int32(i + 1))
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("mp"), PartNumber: pn, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("GetObject part %d: %v", i+1, err)
		}
		got := mustRead(t, g.Body)
		wantRange := fmt.Sprintf("bytes %d-%d/%d", start, start+n-1, total)
		if !bytes.Equal(got, all[start:start+n]) || aws.ToString(g.ContentRange) != wantRange || aws.ToInt32(g.PartsCount) != 3 ||
			aws.ToInt64(g.ContentLength) != int64(n) {
			t.Fatalf("part %d: %d bytes (equal %v), Content-Range %q (want %q), parts %d", i+1, len(got),
				bytes.Equal(got, all[start:start+n]), aws.ToString(g.ContentRange), wantRange, aws.ToInt32(g.PartsCount))
		}
		if aws.ToString(g.ChecksumCRC32C) != sums[i] {
			t.Fatalf("part %d checksum %q, want the part's %q", i+1, aws.ToString(g.ChecksumCRC32C), sums[i])
		}
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("mp"), PartNumber: pn})
		if err != nil || aws.ToInt64(h.ContentLength) != int64(n) || aws.ToInt32(h.PartsCount) != 3 || aws.ToString(h.ContentRange) != wantRange {
			t.Fatalf("HeadObject part %d: %+v, %v", i+1, h, err)
		}
		start += n
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("mp"), PartNumber: aws.Int32(4)})
	wantAPIError(t, err, "InvalidPartNumber", "The requested partnumber is not satisfiable")
	wantHTTPStatus(t, err, http.StatusRequestedRangeNotSatisfiable)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("mp"), PartNumber: aws.Int32(4)})
	wantHTTPStatus(t, err, http.StatusRequestedRangeNotSatisfiable)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("mp"), PartNumber: aws.Int32(1), Range: aws.String("bytes=0-1")})
	wantAPIError(t, err, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter.")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("mp"), PartNumber: aws.Int32(0)})
	wantAPIError(t, err, "InvalidArgument", "Part number must be an integer between 1 and 10000")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("mp"), PartNumber: aws.Int32(10001)})
	wantAPIError(t, err, "InvalidArgument", "Part number must be an integer between 1 and 10000")

	// A single-part object is one part: part 1 is all of it.
	body := []byte("single part body")
	put(t, c, b, "one", body)
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("one"), PartNumber: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, g.Body); !bytes.Equal(got, body) || g.PartsCount != nil ||
		aws.ToString(g.ContentRange) != fmt.Sprintf("bytes 0-%d/%d", len(body)-1, len(body)) {
		t.Fatalf("single-part part 1: %q, parts %v, range %q", got, g.PartsCount, aws.ToString(g.ContentRange))
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("one"), PartNumber: aws.Int32(2)})
	wantAPIError(t, err, "InvalidPartNumber", "The requested partnumber is not satisfiable")
	put(t, c, b, "empty", nil)
	g, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("empty"), PartNumber: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, g.Body); len(got) != 0 || g.ContentRange != nil {
		t.Fatalf("empty object part 1: %q, range %v", got, g.ContentRange)
	}
	// The raw exchange: 206 for a part, as for a range.
	res := e.sendSigned(t, "GET", "/"+b+"/mp?partNumber=3", nil, nil)
	if res.status != http.StatusPartialContent || res.header.Get("X-Amz-Mp-Parts-Count") != "3" || !slices.Equal([]byte(res.body), all[2*mib+7:]) {
		t.Fatalf("raw part 3: status %d, parts %q, %d bytes", res.status, res.header.Get("X-Amz-Mp-Parts-Count"), len(res.body))
	}
	for _, bad := range []string{"+1", "-1", "1.0", "0x1", "99999999999999999999", " 1"} {
		res := e.sendSigned(t, "GET", "/"+b+"/one?partNumber="+url.QueryEscape(bad), nil, nil)
		wantS3Error(t, "partNumber="+bad, res, http.StatusBadRequest, "InvalidArgument", "Part number must be an integer")
	}
}
