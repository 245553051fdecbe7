package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ssecKey is an SSE-C key as the SDK takes it: the raw key as a string
// (the SDK base64-encodes it and adds its MD5).
type ssecKey struct{ raw, b64, md5 string }

func newSSECKey(b byte) ssecKey {
	raw := bytes.Repeat([]byte{b}, 32)
	sum := md5.Sum(raw)
	return ssecKey{raw: string(raw), b64: base64.StdEncoding.EncodeToString(raw), md5: base64.StdEncoding.EncodeToString(sum[:])}
}

func md5Hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

func getRange(t *testing.T, c *s3.Client, b, k, rng string, ck *ssecKey) []byte {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: &b, Key: &k}
	if rng != "" {
		in.Range = &rng
	}
	if ck != nil {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ck.b64), aws.String(ck.md5)
	}
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObject %s %s: %v", k, rng, err)
	}
	if ck != nil && (aws.ToString(out.SSECustomerAlgorithm) != "AES256" || aws.ToString(out.SSECustomerKeyMD5) != ck.md5) {
		t.Fatalf("GetObject %s: SSE-C headers %q %q", k, aws.ToString(out.SSECustomerAlgorithm), aws.ToString(out.SSECustomerKeyMD5))
	}
	return mustRead(t, out.Body)
}

// checkRanges reads data's chunk boundaries (65536 ± 1), its last chunk
// and, with step, boundaries at multiples of step (parts).
func checkRanges(t *testing.T, c *s3.Client, b, k string, data []byte, ck *ssecKey, step int) {
	t.Helper()
	n := len(data)
	offs := []int{0, 1, 65535, 65536, 65537, 131071, 131072, n - 65536, n - 65537, n - 1}
	if step > 0 {
		for p := step; p < n; p += step {
			offs = append(offs, p-1, p, p-65536, p+65535)
		}
	}
	for _, off := range offs {
		for _, l := range []int{1, 2, 65536, 65538} {
			if off < 0 || off+l > n {
				continue
			}
			got := getRange(t, c, b, k, fmt.Sprintf("bytes=%d-%d", off, off+l-1), ck)
			if !bytes.Equal(got, data[off:off+l]) {
				t.Fatalf("%s: range %d+%d: %d wrong bytes", k, off, l, len(got))
			}
		}
	}
	got := getRange(t, c, b, k, "bytes=-70000", ck)
	if !bytes.Equal(got, data[max(0, n-70000):]) {
		t.Fatalf("%s: suffix range wrong", k)
	}
}

// SSE-S3 PUT/GET/HEAD: the response headers, plaintext ETag, size and
// listing size, whole and ranged reads at chunk boundaries, small
// (packed) and large objects.
func TestSSES3SDK(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	b := "sse-s3"
	mkBucket(t, c, b)
	for _, n := range []int{0, 100, 65536, 65537, 200000, 3<<20 + 7} {
		k := fmt.Sprintf("obj-%d", n)
		data := randomBytes(uint64(n), n)
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &k, Body: bytes.NewReader(data),
			ServerSideEncryption: types.ServerSideEncryptionAes256})
		if err != nil {
			t.Fatalf("PutObject %d: %v", n, err)
		}
		if out.ServerSideEncryption != types.ServerSideEncryptionAes256 || aws.ToString(out.ETag) != `"`+md5Hex(data)+`"` {
			t.Fatalf("PutObject %d: sse %q etag %s", n, out.ServerSideEncryption, aws.ToString(out.ETag))
		}
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &k})
		if err != nil || h.ServerSideEncryption != types.ServerSideEncryptionAes256 || aws.ToInt64(h.ContentLength) != int64(n) {
			t.Fatalf("HeadObject %d: %v %+v", n, err, h)
		}
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: &k})
		if err != nil {
			t.Fatal(err)
		}
		if g.ServerSideEncryption != types.ServerSideEncryptionAes256 || !bytes.Equal(mustRead(t, g.Body), data) {
			t.Fatalf("GetObject %d: sse %q or wrong bytes", n, g.ServerSideEncryption)
		}
		if n > 0 {
			checkRanges(t, c, b, k, data, nil, 0)
		}
	}
	l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String("obj-200000")})
	if err != nil || len(l.Contents) != 1 || aws.ToInt64(l.Contents[0].Size) != 200000 {
		t.Fatalf("listing: %v %+v", err, l)
	}
	// An unencrypted object says nothing of encryption.
	put(t, c, b, "plain", []byte("plain"))
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("plain")})
	if err != nil || h.ServerSideEncryption != "" {
		t.Fatalf("plain HEAD: %v %q", err, h.ServerSideEncryption)
	}
	// SSE-KMS is not implemented, nor are its key options.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
		ServerSideEncryption: types.ServerSideEncryptionAwsKmsDsse})
	wantAPIError(t, err, "NotImplemented", "SSE-KMS")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
		ServerSideEncryption: types.ServerSideEncryptionAes256, SSEKMSKeyId: aws.String("k1")})
	wantAPIError(t, err, "NotImplemented", "SSE-KMS")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
		ServerSideEncryption: "DES"})
	wantAPIError(t, err, "InvalidArgument", "encryption method")
}

func ssecPut(t *testing.T, c *s3.Client, b, k string, data []byte, ck ssecKey) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &b, Key: &k, Body: bytes.NewReader(data),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(ck.b64), SSECustomerKeyMD5: aws.String(ck.md5)})
	if err != nil {
		t.Fatalf("PutObject SSE-C %s: %v", k, err)
	}
	return out
}

// SSE-C: the key is required for GET, HEAD and copies, a wrong one is 403,
// a key for an object that is not SSE-C is 400, and responses echo the
// algorithm and the key's MD5.
func TestSSECSDK(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	b := "sse-c"
	mkBucket(t, c, b)
	ck, wrong := newSSECKey(1), newSSECKey(2)
	data := randomBytes(5, 300000)
	out := ssecPut(t, c, b, "c", data, ck)
	if aws.ToString(out.SSECustomerAlgorithm) != "AES256" || aws.ToString(out.SSECustomerKeyMD5) != ck.md5 {
		t.Fatalf("PUT echo: %q %q", aws.ToString(out.SSECustomerAlgorithm), aws.ToString(out.SSECustomerKeyMD5))
	}
	if !bytes.Equal(getRange(t, c, b, "c", "", &ck), data) {
		t.Fatal("GET with the key: wrong bytes")
	}
	checkRanges(t, c, b, "c", data, &ck, 0)

	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("c")})
	wantAPIError(t, err, "InvalidRequest", "The object was stored using a form of Server Side Encryption")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(wrong.b64), SSECustomerKeyMD5: aws.String(wrong.md5)})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("c")})
	wantHTTPStatus(t, err, http.StatusBadRequest)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(wrong.b64), SSECustomerKeyMD5: aws.String(wrong.md5)})
	wantHTTPStatus(t, err, http.StatusForbidden)
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(ck.b64), SSECustomerKeyMD5: aws.String(ck.md5)})
	if err != nil || aws.ToInt64(h.ContentLength) != int64(len(data)) || aws.ToString(h.SSECustomerKeyMD5) != ck.md5 || h.ServerSideEncryption != "" {
		t.Fatalf("HEAD with key: %v %+v", err, h)
	}
	// A key for an object that is not SSE-C.
	put(t, c, b, "plain", []byte("plain"))
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("plain"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(ck.b64), SSECustomerKeyMD5: aws.String(ck.md5)})
	wantAPIError(t, err, "InvalidRequest", "not applicable")
	// Malformed headers: a key MD5 that does not match.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(ck.b64), SSECustomerKeyMD5: aws.String(wrong.md5)})
	wantAPIError(t, err, "InvalidArgument", "MD5")
}

// Multipart uploads in every mode: SSE-C parts each carry the key (a part
// without it or with another fails), reads across part boundaries,
// part-number GETs.
func TestSSEMultipartSDK(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	b := "sse-mp"
	mkBucket(t, c, b)
	ck, wrong := newSSECKey(3), newSSECKey(4)
	const partSize = 5 << 20
	for _, mode := range []string{"s3", "c"} {
		k := "mp-" + mode
		in := &s3.CreateMultipartUploadInput{Bucket: &b, Key: &k}
		var key *ssecKey
		if mode == "s3" {
			in.ServerSideEncryption = types.ServerSideEncryptionAes256
		} else {
			key = &ck
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ck.b64), aws.String(ck.md5)
		}
		cr, err := c.CreateMultipartUpload(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if mode == "s3" && cr.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("Create: sse %q", cr.ServerSideEncryption)
		}
		var all []byte
		var parts []types.CompletedPart
		for i, n := range []int{partSize, partSize + 65537, 100001} {
			p := randomBytes(uint64(10+i), n)
			up := &s3.UploadPartInput{Bucket: &b, Key: &k, UploadId: cr.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)}
			if key != nil {
				// Without the key, and with another, the part is refused
				// (small bodies: the server answers before reading one).
				bad := *up
				bad.Body = bytes.NewReader([]byte("x"))
				_, err := c.UploadPart(ctx, &bad)
				wantAPIError(t, err, "InvalidRequest", "")
				bad.Body = bytes.NewReader([]byte("x"))
				bad.SSECustomerAlgorithm, bad.SSECustomerKey, bad.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(wrong.b64), aws.String(wrong.md5)
				_, err = c.UploadPart(ctx, &bad)
				wantAPIError(t, err, "AccessDenied", "")
				up.SSECustomerAlgorithm, up.SSECustomerKey, up.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ck.b64), aws.String(ck.md5)
			}
			o, err := c.UploadPart(ctx, up)
			if err != nil {
				t.Fatalf("UploadPart %d: %v", i+1, err)
			}
			if aws.ToString(o.ETag) != `"`+md5Hex(p)+`"` {
				t.Fatalf("part ETag %s", aws.ToString(o.ETag))
			}
			if (mode == "s3") != (o.ServerSideEncryption == types.ServerSideEncryptionAes256) ||
				(mode == "c") != (aws.ToString(o.SSECustomerKeyMD5) == ck.md5) {
				t.Fatalf("UploadPart: sse %q, key MD5 %q", o.ServerSideEncryption, aws.ToString(o.SSECustomerKeyMD5))
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: o.ETag})
			all = append(all, p...)
		}
		if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &k, UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(getRange(t, c, b, k, "", key), all) {
			t.Fatalf("%s: wrong bytes", k)
		}
		checkRanges(t, c, b, k, all, key, partSize)
		// Part 2 by number.
		gi := &s3.GetObjectInput{Bucket: &b, Key: &k, PartNumber: aws.Int32(2)}
		if key != nil {
			gi.SSECustomerAlgorithm, gi.SSECustomerKey, gi.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ck.b64), aws.String(ck.md5)
		}
		g, err := c.GetObject(ctx, gi)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustRead(t, g.Body); !bytes.Equal(got, all[partSize:2*partSize+65537]) {
			t.Fatalf("%s: part 2: %d wrong bytes", k, len(got))
		}
	}
}

// Copies between every pair of modes (a new data key each time), SSE-C
// sources needing their key, and a copy onto itself changing encryption.
func TestSSECopySDK(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	b := "sse-copy"
	mkBucket(t, c, b)
	ck1, ck2 := newSSECKey(5), newSSECKey(6)
	data := randomBytes(7, 150000)
	put(t, c, b, "src-none", data)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("src-s3"), Body: bytes.NewReader(data),
		ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Fatal(err)
	}
	ssecPut(t, c, b, "src-c", data, ck1)
	modes := map[string]*ssecKey{"none": nil, "s3": nil, "c": &ck1}
	for src, srcKey := range modes {
		for _, dst := range []string{"none", "s3", "c"} {
			k := "dst-" + src + "-" + dst
			in := &s3.CopyObjectInput{Bucket: &b, Key: &k, CopySource: aws.String(b + "/src-" + src)}
			if srcKey != nil {
				in.CopySourceSSECustomerAlgorithm, in.CopySourceSSECustomerKey, in.CopySourceSSECustomerKeyMD5 =
					aws.String("AES256"), aws.String(srcKey.b64), aws.String(srcKey.md5)
			}
			var dstKey *ssecKey
			switch dst {
			case "s3":
				in.ServerSideEncryption = types.ServerSideEncryptionAes256
			case "c":
				dstKey = &ck2
				in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ck2.b64), aws.String(ck2.md5)
			}
			out, err := c.CopyObject(ctx, in)
			if err != nil {
				t.Fatalf("copy %s -> %s: %v", src, dst, err)
			}
			if dst == "s3" && out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
				t.Fatalf("copy %s -> s3: sse %q", src, out.ServerSideEncryption)
			}
			if !bytes.Equal(getRange(t, c, b, k, "", dstKey), data) {
				t.Fatalf("copy %s -> %s: wrong bytes", src, dst)
			}
		}
	}
	// An SSE-C source without its key, or with another.
	_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("x"), CopySource: aws.String(b + "/src-c")})
	wantAPIError(t, err, "InvalidRequest", "")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("x"), CopySource: aws.String(b + "/src-c"),
		CopySourceSSECustomerAlgorithm: aws.String("AES256"), CopySourceSSECustomerKey: aws.String(ck2.b64), CopySourceSSECustomerKeyMD5: aws.String(ck2.md5)})
	wantAPIError(t, err, "AccessDenied", "")
	// A copy onto itself that only changes the encryption.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("src-none"), CopySource: aws.String(b + "/src-none"),
		ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Fatalf("self copy to SSE-S3: %v", err)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("src-none")})
	if err != nil || h.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("after self copy: %v %q", err, h.ServerSideEncryption)
	}
	if !bytes.Equal(get(t, c, b, "src-none"), data) {
		t.Fatal("after self copy: wrong bytes")
	}
	// UploadPartCopy from an SSE-C source into an SSE-S3 upload.
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mpc"), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mpc"), UploadId: cr.UploadId, PartNumber: aws.Int32(1),
		CopySource: aws.String(b + "/src-c"), CopySourceRange: aws.String("bytes=65530-100000"),
		CopySourceSSECustomerAlgorithm: aws.String("AES256"), CopySourceSSECustomerKey: aws.String(ck1.b64), CopySourceSSECustomerKeyMD5: aws.String(ck1.md5)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mpc"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(get(t, c, b, "mpc"), data[65530:100001]) {
		t.Fatal("UploadPartCopy: wrong bytes")
	}
}

// Bucket default encryption: the configuration calls and their errors,
// and new objects encrypted by default unless they ask for SSE-C.
func TestBucketEncryptionSDK(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	b := "sse-default"
	mkBucket(t, c, b)
	_, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &b})
	wantAPIError(t, err, "ServerSideEncryptionConfigurationNotFoundError", "")
	rule := func(alg types.ServerSideEncryption, kms *string) *types.ServerSideEncryptionConfiguration {
		return &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: alg, KMSMasterKeyID: kms}}}}
	}
	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &b, ServerSideEncryptionConfiguration: rule(types.ServerSideEncryptionAwsKms, nil)})
	wantAPIError(t, err, "NotImplemented", "SSE-KMS")
	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &b, ServerSideEncryptionConfiguration: rule(types.ServerSideEncryptionAes256, aws.String("k"))})
	wantAPIError(t, err, "InvalidArgument", "KMSMasterKeyID")
	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &b, ServerSideEncryptionConfiguration: rule("DES", nil)})
	wantAPIError(t, err, "MalformedXML", "")
	put(t, c, b, "before", []byte("before"))
	if _, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &b, ServerSideEncryptionConfiguration: rule(types.ServerSideEncryptionAes256, nil)}); err != nil {
		t.Fatal(err)
	}
	g, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &b})
	if err != nil || len(g.ServerSideEncryptionConfiguration.Rules) != 1 ||
		g.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatalf("GetBucketEncryption: %v %+v", err, g)
	}
	out := put(t, c, b, "after", []byte("after"))
	if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("PUT in a default-encrypted bucket: sse %q", out.ServerSideEncryption)
	}
	ck := newSSECKey(9)
	ssecPut(t, c, b, "customer", []byte("customer"), ck)
	for k, want := range map[string]types.ServerSideEncryption{"before": "", "after": types.ServerSideEncryptionAes256} {
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &k})
		if err != nil || h.ServerSideEncryption != want {
			t.Fatalf("HEAD %s: %v %q, want %q", k, err, h.ServerSideEncryption, want)
		}
	}
	if !bytes.Equal(getRange(t, c, b, "customer", "", &ck), []byte("customer")) {
		t.Fatal("SSE-C object in a default-encrypted bucket")
	}
	if _, err := c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &b})
	wantAPIError(t, err, "ServerSideEncryptionConfigurationNotFoundError", "")
	if out := put(t, c, b, "later", []byte("later")); out.ServerSideEncryption != "" {
		t.Fatalf("PUT after DeleteBucketEncryption: sse %q", out.ServerSideEncryption)
	}
}

// The operator's default encrypts every new object of every tenant.
func TestSSEDefaultSDK(t *testing.T) {
	e := newEnvWith(t, envOptions{domains: []string{"s3.test"}, sseDefault: true}, "alpha", "beta")
	ctx := context.Background()
	for _, tenant := range []string{"alpha", "beta"} {
		c := e.client(tenant, sdkDefault)
		b := tenant + "-b"
		mkBucket(t, c, b)
		out := put(t, c, b, "k", []byte("secret"))
		if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("%s: sse %q", tenant, out.ServerSideEncryption)
		}
		cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp")})
		if err != nil || cr.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Fatalf("%s: multipart sse %v %q", tenant, err, cr.ServerSideEncryption)
		}
		info, err := e.store.GetObjectInfo(ctx, tenant, b, "k")
		if err != nil || info.Encryption != "SSE-S3" {
			t.Fatalf("%s: stored %v %q", tenant, err, info.Encryption)
		}
	}
}

// SSE-C over plain HTTP is refused (AWS's 400 InvalidRequest) unless the
// operator allows it.
func TestSSECOverHTTP(t *testing.T) {
	for _, allow := range []bool{false, true} {
		e := newEnvWith(t, envOptions{domains: []string{"s3.test"}, plainHTTP: true, sseCAllowHTTP: allow}, "alpha")
		c := e.client("alpha", sdkWhenRequired)
		mkBucket(t, c, "bkt")
		ck := newSSECKey(1)
		_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
			SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(ck.b64), SSECustomerKeyMD5: aws.String(ck.md5)})
		if !allow {
			wantAPIError(t, err, "InvalidRequest", "secure connection")
			continue
		}
		if err != nil {
			t.Fatalf("with --sse-c-allow-http: %v", err)
		}
		if !bytes.Equal(getRange(t, c, "bkt", "k", "", &ck), []byte("x")) {
			t.Fatal("wrong bytes")
		}
	}
}

// The customer key never reaches logs or error responses, and the SSE-C
// headers are covered by the signature: a presigned URL cannot have them
// added.
func TestSSECKeyNotLeaked(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	mkBucket(t, c, "bkt")
	ck, wrong := newSSECKey(0x41), newSSECKey(0x42)
	ssecPut(t, c, "bkt", "k", []byte("data"), ck)
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(wrong.b64), SSECustomerKeyMD5: aws.String(wrong.md5)})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(wrong.b64), SSECustomerKeyMD5: aws.String(ck.md5)})
	wantAPIError(t, err, "InvalidArgument", "MD5")
	for _, k := range []ssecKey{ck, wrong} {
		for _, s := range []string{k.b64, k.raw} {
			if strings.Contains(e.logs.String(), s) || strings.Contains(err.Error(), s) {
				t.Fatalf("a customer key appears in the logs or an error")
			}
		}
	}
	if !strings.Contains(e.logs.String(), "GetObject") {
		t.Fatal("the requests were not logged: the check above proves nothing")
	}

	// A presigned GET without SSE-C headers, the headers added afterwards.
	ps := s3.NewPresignClient(c)
	req, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")},
		func(o *s3.PresignOptions) { o.Presigner = v4.NewSigner() })
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest("GET", req.URL, nil)
	hr.Header.Set("X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256")
	hr.Header.Set("X-Amz-Server-Side-Encryption-Customer-Key", ck.b64)
	hr.Header.Set("X-Amz-Server-Side-Encryption-Customer-Key-Md5", ck.md5)
	cl := e.srv.Client()
	cl.Timeout = 10 * time.Second
	resp, err := cl.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "AccessDenied") ||
		!strings.Contains(string(body), "x-amz-server-side-encryption-cus") || strings.Contains(string(body), ck.b64) {
		t.Fatalf("unsigned SSE-C headers: %d %s", resp.StatusCode, body)
	}
}

// A browser form's x-amz-server-side-encryption field encrypts the object
// as the PUT header does, and a KMS value is refused, not ignored.
func TestPostObjectSSE(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "post-sse")
	conds := []any{[]any{"starts-with", "$key", ""}, []any{"starts-with", "$x-amz-server-side-encryption", ""}}
	f := e.signedV4Form("alpha", "post-sse", conds, [2]string{"key", "enc"}, [2]string{"x-amz-server-side-encryption", "AES256"})
	f.fileName, f.file = "x", []byte("form data")
	got := e.post(t, "/post-sse", f, nil)
	if got.status != 204 || got.header.Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Fatalf("form with AES256: %d %v %s", got.status, got.header, got.body)
	}
	info, err := e.store.GetObjectInfo(context.Background(), "alpha", "post-sse", "enc")
	if err != nil || info.Encryption != "SSE-S3" {
		t.Fatalf("stored: %v %q", err, info.Encryption)
	}
	f = e.signedV4Form("alpha", "post-sse", conds, [2]string{"key", "kms"}, [2]string{"x-amz-server-side-encryption", "aws:kms"})
	f.fileName, f.file = "x", []byte("x")
	wantS3Error(t, "kms form", e.post(t, "/post-sse", f, nil), 501, "NotImplemented")
}
