package s3api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestNonASCIIMetadata: user metadata with non-ASCII characters comes back
// as AWS sends it, one RFC 2047 encoded-word; an encoded-word sent in is
// stored decoded; ASCII values are untouched.
func TestNonASCIIMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	b := "meta-utf8"
	mkBucket(t, c, b)
	greek := "Ωmega ünïcode"
	encoded := "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(greek)) + "?="
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
		Metadata: map[string]string{"raw": greek, "pre": "=?UTF-8?B?w6k=?=", "plain": "just ascii"}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.store.GetObjectInfo(ctx, "alpha", b, "k")
	if err != nil || info.Meta.UserMeta["raw"] != greek || info.Meta.UserMeta["pre"] != "é" {
		t.Fatalf("stored metadata %q, %v", info.Meta.UserMeta, err)
	}
	want := map[string]string{"raw": encoded, "pre": "=?UTF-8?B?w6k=?=", "plain": "just ascii"}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	mustRead(t, g.Body)
	for k, v := range want {
		if h.Metadata[k] != v || g.Metadata[k] != v {
			t.Fatalf("metadata %s: HEAD %q GET %q, want %q", k, h.Metadata[k], g.Metadata[k], v)
		}
	}
	// A copy keeps the decoded value and answers the same.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/k")}); err != nil {
		t.Fatal(err)
	}
	h, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("copy")})
	if err != nil || h.Metadata["raw"] != encoded {
		t.Fatalf("copy metadata %q, %v", h.Metadata, err)
	}
	// A control character that arrives encoded never leaves raw.
	if got := encodeMetaValue("a\r\nb"); strings.ContainsAny(got, "\r\n") || got != "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte("a\r\nb"))+"?=" {
		t.Fatalf("control characters: %q", got)
	}
}

// TestListEncodingTypeURL: encoding-type=url encodes Prefix, Delimiter,
// StartAfter and Marker in the response as it encodes keys.
func TestListEncodingTypeURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	b := "enc-url"
	mkBucket(t, c, b)
	put(t, c, b, "a b|c/d", []byte("x"))
	put(t, c, b, "a b|e", []byte("x"))
	q := "list-type=2&encoding-type=url&prefix=" + url.QueryEscape("a b") + "&delimiter=" + url.QueryEscape("|") + "&start-after=" + url.QueryEscape("a b+")
	res := e.sendSigned(t, "GET", "/"+b+"?"+q, nil, nil)
	for _, want := range []string{"<Prefix>a%20b</Prefix>", "<Delimiter>%7C</Delimiter>", "<StartAfter>a%20b%2B</StartAfter>",
		"<EncodingType>url</EncodingType>", "<CommonPrefixes><Prefix>a%20b%7C</Prefix></CommonPrefixes>"} {
		if res.status != 200 || !strings.Contains(res.body, want) {
			t.Fatalf("V2 listing lacks %s: %d %s", want, res.status, res.body)
		}
	}
	q = "encoding-type=url&prefix=" + url.QueryEscape("a b") + "&delimiter=" + url.QueryEscape("|") + "&marker=" + url.QueryEscape("a b+")
	res = e.sendSigned(t, "GET", "/"+b+"?"+q, nil, nil)
	for _, want := range []string{"<Prefix>a%20b</Prefix>", "<Delimiter>%7C</Delimiter>", "<Marker>a%20b%2B</Marker>"} {
		if res.status != 200 || !strings.Contains(res.body, want) {
			t.Fatalf("V1 listing lacks %s: %d %s", want, res.status, res.body)
		}
	}
	// aws-sdk-go-v2 hands the encoded values to the caller.
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String("a b"),
		Delimiter: aws.String("|"), EncodingType: types.EncodingTypeUrl})
	if err != nil || len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "a%20b%7C" ||
		aws.ToString(out.Prefix) != "a%20b" || aws.ToString(out.Delimiter) != "%7C" {
		t.Fatalf("SDK listing: %+v, %v", out, err)
	}
	// An empty continuation token is not a token.
	res = e.sendSigned(t, "GET", "/"+b+"?list-type=2&continuation-token=", nil, nil)
	wantS3Error(t, "empty continuation-token", res, http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
}

// TestUploadPartCopyRange: a malformed x-amz-copy-source-range is
// InvalidArgument naming the header; one outside the source InvalidRange.
func TestUploadPartCopyRange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	b := "copyrange"
	mkBucket(t, c, b)
	put(t, c, b, "src", []byte("0123456789"))
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	for _, rng := range []string{"bytes=2-1", "bytes=-", "bytes=0-", "bytes=-5", "0-5", "bytes=0--1", "bytes=a-b", "bytes= 0-1", "bytes=0-1,3-4"} {
		_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String(rng)})
		wantAPIError(t, err, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last")
		wantHTTPStatus(t, err, http.StatusBadRequest)
	}
	for _, rng := range []string{"bytes=0-10", "bytes=10-12", "bytes=0-99999999999"} {
		_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String(rng)})
		wantAPIError(t, err, "InvalidRange", "The requested range is not satisfiable")
		wantHTTPStatus(t, err, http.StatusRequestedRangeNotSatisfiable)
	}
	up, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String("bytes=3-9")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.CopyPartResult.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, b, "mp"); string(got) != "3456789" {
		t.Fatalf("copied range %q", got)
	}
}

// TestCompleteWithReuploadedPart: a part uploaded again after a later part
// is the one Complete takes, and the later part is still there.
func TestCompleteWithReuploadedPart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	b := "reupload"
	mkBucket(t, c, b)
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	mib := 5 << 20
	upload := func(n int32, data []byte) *string {
		t.Helper()
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &b, Key: aws.String("k"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", n, err)
		}
		return up.ETag
	}
	first := randomBytes(1, mib)
	upload(1, first)
	second := []byte("the last part")
	e2 := upload(2, second)
	again := randomBytes(2, mib)
	e1 := upload(1, again)
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("k"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: e1}, {PartNumber: aws.Int32(2), ETag: e2}}}})
	if err != nil {
		t.Fatalf("Complete with a re-uploaded part 1: %v", err)
	}
	if got := get(t, c, b, "k"); !bytes.Equal(got, append(append([]byte{}, again...), second...)) {
		t.Fatalf("body is not the re-uploaded part 1 then part 2 (%d bytes); etag %s", len(got), aws.ToString(done.ETag))
	}
}

// expectRequest writes a signed PUT's header section with Expect:
// 100-continue and returns the connection and the body to send.
func (e *testEnv) expectRequest(t *testing.T, path string, body []byte, secret string) (*tls.Conn, *bufio.Reader) {
	t.Helper()
	u, _ := url.Parse(e.srv.URL + path)
	req, _ := http.NewRequest("PUT", u.String(), nil)
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	cred := e.keys["alpha"]
	if secret == "" {
		secret = cred.SecretKey
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: cred.AccessKey, SecretAccessKey: secret},
		req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true}) // the test server's own certificate
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var hb bytes.Buffer
	fmt.Fprintf(&hb, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n", u.RequestURI(), u.Host, len(body))
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&hb, "%s: %s\r\n", k, v)
		}
	}
	hb.WriteString("\r\n")
	if _, err := conn.Write(hb.Bytes()); err != nil {
		t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

// TestExpectContinue: the server asks for the body with 100 Continue only
// once the request is authenticated; a refused request gets its error
// without ever inviting the body.
func TestExpectContinue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	mkBucket(t, c, "expect")
	body := []byte("sent after 100 Continue")

	conn, br := e.expectRequest(t, "/expect/k", body, "")
	resp, err := http.ReadResponse(br, &http.Request{Method: "PUT"})
	if err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("first response: %v, %v; want 100 Continue", resp, err)
	}
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	resp, err = http.ReadResponse(br, &http.Request{Method: "PUT"})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("final response: %v, %v", resp, err)
	}
	resp.Body.Close()
	if got := get(t, c, "expect", "k"); !bytes.Equal(got, body) {
		t.Fatalf("stored %q", got)
	}

	// A wrong secret: 403 first, no 100 Continue, nothing stored.
	_, br = e.expectRequest(t, "/expect/bad", body, "wrong-secret-key-wrong-secret-key-0000")
	resp, err = http.ReadResponse(br, &http.Request{Method: "PUT"})
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(rb), "<Code>SignatureDoesNotMatch</Code>") {
		t.Fatalf("bad signature with Expect: %d %s; want 403 SignatureDoesNotMatch before any 100", resp.StatusCode, rb)
	}
	_, err = c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("expect"), Key: aws.String("bad")})
	wantHTTPStatus(t, err, 404)
}

// TestContentLengthOnlyWhereNeeded: a chunked transfer without
// Content-Length is fine when aws-chunked framing states the decoded
// length; without it, it is 411 MissingContentLength (TestMissingContentLength).
func TestContentLengthOnlyWhereNeeded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	mkBucket(t, c, "lens")
	data := []byte("aws-chunked without a Content-Length")
	sum := crc32.ChecksumIEEE(data)
	crc := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	framed := unsignedTrailerBody(data, len(data), crc)
	req, _ := http.NewRequest("PUT", e.srv.URL+"/lens/k", io.NopCloser(bytes.NewReader(framed)))
	req.ContentLength = -1 // Transfer-Encoding: chunked, no Content-Length
	for k, vs := range chunkedHeaders(len(data)) {
		req.Header[k] = vs
	}
	req.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	cred := e.keys["alpha"]
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: cred.AccessKey, SecretAccessKey: cred.SecretKey},
		req, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := e.http().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("aws-chunked PUT without Content-Length: %d %s", resp.StatusCode, rb)
	}
	if got := get(t, c, "lens", "k"); !bytes.Equal(got, data) {
		t.Fatalf("stored %q", got)
	}
}
