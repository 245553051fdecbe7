package reliability

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawResp is a raw HTTP answer with its S3 error code (if any).
type rawResp struct {
	Status int
	Code   string
	Body   []byte
	Header http.Header
}

// rawS3 sends a SigV4-signed request whose path is sent exactly as given
// (already escaped), so hostile paths reach the server unchanged.
func (c *coffer) rawS3(t *testing.T, k tenantKeys, method, escapedPath, rawQuery string, hdr http.Header, body []byte) rawResp {
	t.Helper()
	req := c.rawRequest(t, method, escapedPath, rawQuery, body)
	for name, vs := range hdr {
		req.Header[name] = vs
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", payload)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: k.AccessKey, SecretAccessKey: k.SecretKey}
	if err := signer.SignHTTP(bg, creds, req, payload, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return c.do(t, req)
}

// rawRequest builds a request whose path bytes are not re-escaped.
func (c *coffer) rawRequest(t *testing.T, method, escapedPath, rawQuery string, body []byte) *http.Request {
	t.Helper()
	u, err := url.Parse(c.S3URL)
	if err != nil {
		t.Fatal(err)
	}
	u.Opaque = "//" + u.Host + escapedPath
	u.RawQuery = rawQuery
	req, err := http.NewRequest(method, c.S3URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.URL = u
	req.ContentLength = int64(len(body))
	return req
}

// do sends a request and decodes an S3 XML error.
func (c *coffer) do(t *testing.T, req *http.Request) rawResp {
	t.Helper()
	resp, err := c.httpClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Opaque, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct{ Code string }
	if resp.StatusCode >= 300 {
		_ = xml.Unmarshal(b, &e) // no XML error body leaves Code empty, which callers assert on
	}
	return rawResp{Status: resp.StatusCode, Code: e.Code, Body: b, Header: resp.Header}
}

// short trims a body for messages.
func short(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// md5b64 is the Content-MD5 of b.
func md5b64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// rngFor is a seeded random source logged by the test.
func rngFor(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 1))
}
