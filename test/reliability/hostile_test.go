package reliability

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestHostileRequests sends path traversal keys, oversize headers and XML,
// invalid UTF-8, a 10k-part complete, duplicate query parameters and
// conflicting auth methods. Each gets the right S3 answer, the server stays
// healthy, no file appears outside the drives, and nothing stored is lost.
func TestHostileRequests(t *testing.T) {
	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s")
	keys := srv.newTenant("hostile")
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatal(err)
	}
	led := newLedger()
	for i := 0; i < 5; i++ {
		body, v := makeBody(rngFor(t), 1000*(i+1))
		if err := led.putObject(c, "box", fmt.Sprintf("keep/%d", i), body, v); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Dir(srv.DataDir)

	t.Run("path traversal keys stay keys", func(t *testing.T) {
		for _, p := range []string{"/box/../x", "/box/%2e%2e/y", "/box/..%2fz", "/box/a/../../../../etc/passwd-coffer", "/box/%2E%2E%2F%2E%2E%2Fw"} {
			r := srv.rawS3(t, keys, "PUT", p, "", nil, []byte("traversal"))
			t.Logf("PUT %s: %d %s", p, r.Status, r.Code)
			if r.Status != 200 && r.Status != 400 {
				t.Errorf("PUT %s: %d %s %s", p, r.Status, r.Code, short(r.Body))
			}
			if r.Status == 400 && r.Code == "" {
				t.Errorf("PUT %s: 400 without an S3 error code: %s", p, short(r.Body))
			}
			if r.Status == 200 { // stored as a key: it must read back under the same path
				g := srv.rawS3(t, keys, "GET", p, "", nil, nil)
				if g.Status != 200 || string(g.Body) != "traversal" {
					t.Errorf("GET %s after PUT: %d %q", p, g.Status, short(g.Body))
				}
			}
		}
		// Nothing landed outside the data and drive directories.
		for _, name := range []string{"x", "y", "z", "w"} {
			if _, err := os.Stat(filepath.Join(root, name)); err == nil {
				t.Errorf("a key wrote %s outside the drives", filepath.Join(root, name))
			}
		}
		if _, err := os.Stat("/etc/passwd-coffer"); err == nil {
			t.Errorf("a key wrote /etc/passwd-coffer")
		}
	})

	t.Run("oversize header", func(t *testing.T) {
		h := http.Header{"X-Amz-Meta-Big": {strings.Repeat("a", 1<<20)}}
		r := srv.rawS3(t, keys, "PUT", "/box/bighdr", "", h, []byte("x"))
		if r.Status != http.StatusRequestHeaderFieldsTooLarge && r.Status != 400 {
			t.Errorf("1 MiB header: %d %s", r.Status, short(r.Body))
		}
		// 2 KiB+ of user metadata (S3's limit) is refused with MetadataTooLarge.
		h = http.Header{"X-Amz-Meta-Big": {strings.Repeat("a", 3<<10)}}
		r = srv.rawS3(t, keys, "PUT", "/box/bigmeta", "", h, []byte("x"))
		if r.Status != 400 || r.Code != "MetadataTooLarge" {
			t.Errorf("3 KiB metadata: %d %s %s", r.Status, r.Code, short(r.Body))
		}
	})

	t.Run("oversize XML bodies", func(t *testing.T) {
		// DeleteObjects with a 3 MiB body (S3: at most 1000 keys).
		var b bytes.Buffer
		b.WriteString("<Delete>")
		for b.Len() < 3<<20 {
			b.WriteString("<Object><Key>keep/0</Key></Object>")
		}
		b.WriteString("</Delete>")
		r := srv.rawS3(t, keys, "POST", "/box", "delete=", http.Header{"Content-Md5": {md5b64(b.Bytes())}}, b.Bytes())
		if r.Status != 400 || (r.Code != "MalformedXML" && r.Code != "MaxMessageLengthExceeded" && r.Code != "EntityTooLarge") {
			t.Errorf("3 MiB DeleteObjects: %d %s %s", r.Status, r.Code, short(r.Body))
		}
		// Deeply nested XML.
		deep := []byte("<Delete>" + strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000) + "</Delete>")
		r = srv.rawS3(t, keys, "POST", "/box", "delete=", http.Header{"Content-Md5": {md5b64(deep)}}, deep)
		if r.Status != 400 || r.Code == "" {
			t.Errorf("nested DeleteObjects: %d %s %s", r.Status, r.Code, short(r.Body))
		}
		if _, err := readObject(c, "box", "keep/0"); err != nil {
			t.Errorf("keep/0 after hostile deletes: %v", err)
		}
	})

	t.Run("invalid UTF-8 keys", func(t *testing.T) {
		for _, p := range []string{"/box/%FF%FE", "/box/a%C0%AFb", "/box/%ED%A0%80"} {
			r := srv.rawS3(t, keys, "PUT", p, "", nil, []byte("x"))
			t.Logf("PUT %s: %d %s", p, r.Status, r.Code)
			if r.Status != 400 || r.Code == "" {
				t.Errorf("PUT %s: %d %s %s", p, r.Status, r.Code, short(r.Body))
			}
		}
	})

	t.Run("10k-part complete", func(t *testing.T) {
		part := bytes.Repeat([]byte("only part "), 600<<10) // 6 MiB: size rules are not what fails
		cr, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String("box"), Key: aws.String("mp")})
		if err != nil {
			t.Fatal(err)
		}
		up, err := c.UploadPart(bg, &s3.UploadPartInput{Bucket: aws.String("box"), Key: aws.String("mp"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader(part)})
		if err != nil {
			t.Fatal(err)
		}
		q := "uploadId=" + url.QueryEscape(aws.ToString(cr.UploadId))
		complete := func(n int) rawResp {
			var b bytes.Buffer
			b.WriteString("<CompleteMultipartUpload>")
			for i := 1; i <= n; i++ {
				fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i, aws.ToString(up.ETag))
			}
			b.WriteString("</CompleteMultipartUpload>")
			return srv.rawS3(t, keys, "POST", "/box/mp", q, nil, b.Bytes())
		}
		if r := complete(10000); r.Status != 400 || r.Code != "InvalidPart" {
			t.Errorf("10000-part complete of a 1-part upload: %d %s %s", r.Status, r.Code, short(r.Body))
		}
		if r := complete(10001); r.Status != 400 || r.Code == "" {
			t.Errorf("10001-part complete: %d %s %s", r.Status, r.Code, short(r.Body))
		}
		// The upload is intact: the honest complete works.
		if r := complete(1); r.Status != 200 {
			t.Errorf("1-part complete after hostile ones: %d %s %s", r.Status, r.Code, short(r.Body))
		}
		g := srv.rawS3(t, keys, "GET", "/box/mp", "", nil, nil)
		if g.Status != 200 || !bytes.Equal(g.Body, part) {
			t.Errorf("GET mp: %d %q", g.Status, short(g.Body))
		}
	})

	t.Run("duplicate query parameters", func(t *testing.T) {
		cases := []struct{ method, path, query string }{
			{"GET", "/box", "list-type=2&list-type=2&prefix=keep/&prefix=zzz"},
			{"GET", "/box", "list-type=2&max-keys=1&max-keys=1000"},
			{"PUT", "/box/dup", "partNumber=1&partNumber=2&uploadId=a&uploadId=b"},
			{"GET", "/box/keep/0", "versionId=null&versionId=other"},
		}
		for _, tc := range cases {
			r := srv.rawS3(t, keys, tc.method, tc.path, tc.query, nil, nil)
			t.Logf("%s %s?%s: %d %s", tc.method, tc.path, tc.query, r.Status, r.Code)
			if r.Status >= 500 || r.Status == 200 && tc.method == "PUT" {
				t.Errorf("%s %s?%s: %d %s %s", tc.method, tc.path, tc.query, r.Status, r.Code, short(r.Body))
			}
			if r.Status >= 400 && r.Code == "" {
				t.Errorf("%s %s?%s: %d without an S3 error code", tc.method, tc.path, tc.query, r.Status)
			}
		}
	})

	t.Run("conflicting auth methods", func(t *testing.T) {
		ps, err := s3.NewPresignClient(c).PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String("box"), Key: aws.String("keep/0")})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(ps.URL)
		r := srv.rawS3(t, keys, "GET", "/box/keep/0", u.RawQuery, nil, nil)
		t.Logf("header + presigned: %d %s", r.Status, r.Code)
		if r.Status != 400 || r.Code != "InvalidArgument" && r.Code != "InvalidRequest" {
			t.Errorf("Authorization header + presigned query: %d %s %s", r.Status, r.Code, short(r.Body))
		}
		// V2 header + V4 query, and a V4 query with a V2 Signature param.
		req, _ := http.NewRequest("GET", ps.URL+"&Signature=abc&AWSAccessKeyId="+keys.AccessKey, nil)
		if r := srv.do(t, req); r.Status < 400 || r.Status >= 500 || r.Code == "" {
			t.Errorf("V4 + V2 query auth: %d %s %s", r.Status, r.Code, short(r.Body))
		}
	})

	t.Run("slow headers are cut", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits for the 30 s header timeout")
		}
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.S3URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /box/keep/0 HTTP/1.1\r\nHost: x\r\n")
		start := time.Now()
		conn.SetDeadline(time.Now().Add(50 * time.Second))
		for { // one header byte every 2 s: the header never completes
			if _, err := conn.Write([]byte("X")); err != nil {
				break
			}
			buf := make([]byte, 1)
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, err := conn.Read(buf); err != nil && !isTimeout(err) {
				break
			}
			if time.Since(start) > 45*time.Second {
				t.Fatalf("a trickled header kept its connection %v", time.Since(start))
			}
		}
		t.Logf("slow header connection cut after %v", time.Since(start).Round(time.Second))
	})

	srv.healthy()
	if _, _, err := led.verifyBucket(c, "box"); err != nil && !strings.Contains(err.Error(), "list box shows") {
		t.Fatal(err)
	}
	for k, v := range led.ackedIn("box") {
		if got, err := readObject(c, "box", k); err != nil || !matches(got, v) {
			t.Errorf("%s after hostile requests: %v %v", k, got, err)
		}
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
