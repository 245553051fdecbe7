package s3api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/pkg/checksum"
)

// rawResponse is what a hand-made request got back.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// sendRaw signs a request with the given payload mode and writes it to a
// TCP connection byte for byte, so the body may disagree with its headers.
func (e *testEnv) sendRaw(t *testing.T, tenant, method, path string, hdr http.Header, payloadHash string, body []byte) rawResponse {
	t.Helper()
	conn := e.dialRaw(t, tenant, method, path, hdr, payloadHash, body)
	defer conn.Close()
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(rb)}
}

// dialRaw writes a signed request (Connection: close) to a new TLS
// connection and returns the connection for reading the answer.
func (e *testEnv) dialRaw(t *testing.T, tenant, method, path string, hdr http.Header, payloadHash string, body []byte) *tls.Conn {
	t.Helper()
	u, _ := url.Parse(e.srv.URL + path)
	req, _ := http.NewRequest(method, u.String(), nil)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	cl := req.Header.Get("Content-Length")
	req.Header.Del("Content-Length")
	cred := e.keys[tenant]
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: cred.AccessKey, SecretAccessKey: cred.SecretKey},
		req, payloadHash, "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if cl == "" {
		cl = strconv.Itoa(len(body))
	}
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true}) // the test server's own certificate
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, u.RequestURI(), u.Host)
	if cl != "-" { // "-": no Content-Length header at all
		fmt.Fprintf(&b, "Content-Length: %s\r\n", cl)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.Write(body)
	if _, err := conn.Write(b.Bytes()); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	_ = conn.CloseWrite()
	return conn
}

// unsignedTrailerBody frames data as STREAMING-UNSIGNED-PAYLOAD-TRAILER
// with a CRC32 trailer; declared overrides the chunk's stated length.
func unsignedTrailerBody(data []byte, declared int, crc string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%x\r\n", declared)
	b.Write(data)
	b.WriteString("\r\n0\r\n")
	fmt.Fprintf(&b, "x-amz-checksum-crc32:%s\r\n\r\n", crc)
	return b.Bytes()
}

func chunkedHeaders(decoded int) http.Header {
	return http.Header{
		"Content-Encoding":             {"aws-chunked"},
		"X-Amz-Decoded-Content-Length": {strconv.Itoa(decoded)},
		"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
	}
}

// TestHostileBodies sends bodies that disagree with their framing or headers:
// each gets a clear S3 error and leaves nothing behind.
func TestHostileBodies(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "hostile")
	data := randomBytes(20, 1000)
	crc := checksum.CRC32.Sum(data)
	const unsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

	// The well-formed request works, so the failures below are meaningful.
	ok := e.sendRaw(t, "alpha", "PUT", "/hostile/good", chunkedHeaders(1000), unsignedTrailer, unsignedTrailerBody(data, 1000, crc))
	if ok.status != 200 {
		t.Fatalf("well-formed chunked PUT: %d %s", ok.status, ok.body)
	}
	if _, err := c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("hostile"), Key: aws.String("good")}); err != nil {
		t.Fatal(err)
	}

	zeros := strings.Repeat("0", 64)
	signedChunks := []byte(fmt.Sprintf("3e8;chunk-signature=%s\r\n%s\r\n0;chunk-signature=%s\r\n\r\n", zeros, data, zeros))
	full := unsignedTrailerBody(data, 1000, crc)
	cases := []struct {
		name    string
		hdr     http.Header
		payload string
		body    []byte
		status  int
		code    string
	}{
		{"truncated chunked body", chunkedHeaders(1000), unsignedTrailer, full[:600], 400, "IncompleteBody"},
		{"wrong chunk signature",
			http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {"1000"}},
			"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", signedChunks, 403, "SignatureDoesNotMatch"},
		{"wrong trailer checksum", chunkedHeaders(1000), unsignedTrailer,
			unsignedTrailerBody(data, 1000, checksum.CRC32.Sum([]byte("x"))), 400, "BadDigest"},
		{"chunks shorter than decoded length", chunkedHeaders(2000), unsignedTrailer, full, 400, "IncompleteBody"},
		{"chunks longer than decoded length", chunkedHeaders(500), unsignedTrailer, full, 400, ""},
		{"body shorter than Content-Length", http.Header{"Content-Length": {"5000"}}, "UNSIGNED-PAYLOAD", data, 400, "IncompleteBody"},
		{"1 MiB header", http.Header{"X-Amz-Meta-Big": {strings.Repeat("a", 1<<20)}}, "UNSIGNED-PAYLOAD", data, 400, "RequestHeaderSectionTooLarge"},
		{"3 KB of user metadata", http.Header{"X-Amz-Meta-Big": {strings.Repeat("a", 3000)}}, "UNSIGNED-PAYLOAD", data, 400, "MetadataTooLarge"},
		{"bad Content-MD5", http.Header{"Content-Md5": {"not-base64"}}, "UNSIGNED-PAYLOAD", data, 400, "InvalidDigest"},
		{"bad checksum header", http.Header{"X-Amz-Checksum-Crc32": {"abc"}}, "UNSIGNED-PAYLOAD", data, 400, "InvalidRequest"},
		{"signed payload hash mismatch", nil, strings.Repeat("ab", 32), data, 400, "XAmzContentSHA256Mismatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.sendRaw(t, "alpha", "PUT", "/hostile/obj", tc.hdr, tc.payload, tc.body)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if !strings.Contains(resp.body, "<Code>") || !strings.Contains(resp.body, "<Message>") {
				t.Fatalf("no S3 error body: %q", resp.body)
			}
			if tc.code != "" && !strings.Contains(resp.body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("want code %s: %s", tc.code, resp.body)
			}
			if strings.Contains(resp.body, "InternalError") {
				t.Fatalf("internal error: %s", resp.body)
			}
			_, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("hostile"), Key: aws.String("obj")})
			wantHTTPStatus(t, err, 404)
		})
	}
	u, err := e.store.TenantUsage(context.Background(), "alpha")
	if err != nil || u.Objects != 0 || u.Bytes != 0 {
		t.Fatalf("usage after hostile bodies = %+v, %v; want nothing stored", u, err)
	}
}

// TestDeleteObjectsDigest: DeleteObjects needs Content-MD5 or a checksum,
// verified before anything is deleted; its body is capped.
func TestDeleteObjectsDigest(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "del")
	put(t, c, "del", "keep", []byte("x"))
	body := []byte(`<Delete><Object><Key>keep</Key></Object></Delete>`)
	sum := md5.Sum(body)
	goodMD5 := base64.StdEncoding.EncodeToString(sum[:])
	for _, tc := range []struct {
		name   string
		hdr    http.Header
		body   []byte
		status int
		code   string
	}{
		{"no digest", nil, body, 400, "InvalidRequest"},
		{"wrong MD5", http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(make([]byte, 16))}}, body, 400, "BadDigest"},
		{"malformed MD5", http.Header{"Content-Md5": {"zz"}}, body, 400, "InvalidDigest"},
		{"wrong CRC32", http.Header{"X-Amz-Checksum-Crc32": {checksum.CRC32.Sum([]byte("no"))}}, body, 400, "BadDigest"},
		{"malformed XML", http.Header{"Content-Md5": {md5b64([]byte("<Delete><Object>"))}}, []byte("<Delete><Object>"), 400, "MalformedXML"},
		{"over the cap", http.Header{"Content-Md5": {goodMD5}}, bytes.Repeat([]byte(" "), maxDeleteXML+10), 400, "EntityTooLarge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.sendRaw(t, "alpha", "POST", "/del?delete", tc.hdr, "UNSIGNED-PAYLOAD", tc.body)
			if resp.status != tc.status || !strings.Contains(resp.body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("got %d %s, want %d %s", resp.status, resp.body, tc.status, tc.code)
			}
			if got := get(t, c, "del", "keep"); string(got) != "x" {
				t.Fatal("object deleted by a refused request")
			}
		})
	}
	resp := e.sendRaw(t, "alpha", "POST", "/del?delete", http.Header{"X-Amz-Checksum-Crc32c": {checksum.CRC32C.Sum(body)}}, "UNSIGNED-PAYLOAD", body)
	if resp.status != 200 || !strings.Contains(resp.body, "<Deleted><Key>keep</Key></Deleted>") {
		t.Fatalf("DeleteObjects with CRC32C: %d %s", resp.status, resp.body)
	}
	// CompleteMultipartUpload bodies are capped too.
	resp = e.sendRaw(t, "alpha", "POST", "/del/k?uploadId=nope", nil, "UNSIGNED-PAYLOAD", bytes.Repeat([]byte(" "), maxCompleteXML+10))
	if resp.status != 400 || !strings.Contains(resp.body, "<Code>EntityTooLarge</Code>") {
		t.Fatalf("oversized Complete body: %d %s", resp.status, resp.body)
	}
}

func md5b64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// TestMissingContentLength: a PUT with a chunked transfer coding and no
// decoded length is refused before anything is written.
func TestMissingContentLength(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "nolen")
	req, _ := http.NewRequest("PUT", e.srv.URL+"/nolen/k", io.NopCloser(strings.NewReader("streamed body")))
	req.ContentLength = -1 // Transfer-Encoding: chunked
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	cred := e.keys["alpha"]
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: cred.AccessKey, SecretAccessKey: cred.SecretKey},
		req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := e.http().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 411 || !strings.Contains(string(body), "<Code>MissingContentLength</Code>") {
		t.Fatalf("chunked PUT without length: %d %s", resp.StatusCode, body)
	}
	_, err = c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("nolen"), Key: aws.String("k")})
	wantHTTPStatus(t, err, 404)
}

// TestExpectContinueEmptyBody: a body-less request that asks for "100
// Continue" gets it before its final answer (botocore waits for it on an
// empty PutObject; without it, the next request on the connection stalled
// until the client's read timeout).
func TestExpectContinueEmptyBody(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "expect")
	conn := e.dialRaw(t, "alpha", "PUT", "/expect/empty", http.Header{"Expect": {"100-continue"}}, "UNSIGNED-PAYLOAD", nil)
	defer conn.Close()
	br := bufio.NewReader(conn)
	for i, want := range []int{http.StatusContinue, http.StatusOK} {
		resp, err := http.ReadResponse(br, &http.Request{Method: "PUT"})
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("answer %d: status %d, want %d", i, resp.StatusCode, want)
		}
	}
	head, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("expect"), Key: aws.String("empty")})
	if err != nil || aws.ToInt64(head.ContentLength) != 0 {
		t.Fatalf("the empty object after the 100: %v", err)
	}
	if r := e.sendRaw(t, "alpha", "PUT", "/expect/plain", nil, "UNSIGNED-PAYLOAD", nil); r.status != http.StatusOK {
		t.Fatalf("empty PUT without Expect: %d, want 200", r.status)
	}
}

// TestPutWithoutLength: a PUT of an object or a part with neither
// Content-Length nor Transfer-Encoding is 411 MissingContentLength, as on
// AWS, not an empty object; Content-Length: 0 is an empty object.
func TestPutWithoutLength(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "nolen2")
	noCL := http.Header{"Content-Length": {"-"}}
	if r := e.sendRaw(t, "alpha", "PUT", "/nolen2/k", noCL, "UNSIGNED-PAYLOAD", nil); r.status != http.StatusLengthRequired ||
		!strings.Contains(r.body, "<Code>MissingContentLength</Code>") {
		t.Fatalf("PUT without any length: %d %s", r.status, r.body)
	}
	_, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("nolen2"), Key: aws.String("k")})
	wantHTTPStatus(t, err, 404)
	up, err := c.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: aws.String("nolen2"), Key: aws.String("m")})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.sendRaw(t, "alpha", "PUT", "/nolen2/m?partNumber=1&uploadId="+url.QueryEscape(aws.ToString(up.UploadId)), noCL, "UNSIGNED-PAYLOAD", nil); r.status != http.StatusLengthRequired {
		t.Fatalf("UploadPart without any length: %d %s", r.status, r.body)
	}
	if r := e.sendRaw(t, "alpha", "PUT", "/nolen2/k", nil, "UNSIGNED-PAYLOAD", nil); r.status != http.StatusOK {
		t.Fatalf("PUT with Content-Length: 0: %d %s", r.status, r.body)
	}
}
