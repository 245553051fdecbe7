package auth

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSigV4HeaderWithSDKSigner(t *testing.T) {
	now := time.Now().UTC()
	srv := startVerifyServer(t, NewVerifier(testKeys, VerifierOptions{}))
	body := []byte("hello, coffer")

	type tc struct {
		name      string
		method    string
		path      string // escaped as the S3 client would send it
		query     string
		body      []byte
		hash      string // x-amz-content-sha256 to sign
		ak        string
		secret    string
		region    string
		at        time.Time
		tamper    func(r *http.Request)
		wantStage string
		wantErr   string
	}
	cases := []tc{
		{name: "get list query", method: "GET", path: "/bucket", query: "list-type=2&prefix=a%20b&delimiter=%2F&encoding-type=url", hash: emptySHA256Hex},
		{name: "put signed body", method: "PUT", path: "/bucket/key.txt", body: body, hash: sha256HexBytes(body)},
		{name: "put unsigned payload", method: "PUT", path: "/bucket/key.txt", body: body, hash: payloadUnsigned},
		{name: "special key", method: "PUT", path: "/bucket/dir/a%20b%2Bc%281%29%21%2A%27~%C3%A9.txt", body: body, hash: payloadUnsigned},
		{name: "raw plus and parens", method: "GET", path: "/bucket/a+b(1)", hash: emptySHA256Hex},
		{name: "subresource no value", method: "POST", path: "/bucket/k", query: "uploads", hash: emptySHA256Hex},
		{name: "other region refused", method: "GET", path: "/bucket", hash: emptySHA256Hex, region: "eu-west-3", wantStage: "verify", wantErr: "WrongRegion"},
		{name: "injected x-amz-meta", method: "PUT", path: "/bucket/k", body: body, hash: payloadUnsigned,
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Meta-Foo", "bar") }, wantStage: "verify", wantErr: "UnsignedHeaders"},
		{name: "injected x-amz-tagging", method: "PUT", path: "/bucket/k", body: body, hash: payloadUnsigned,
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Tagging", "a=b") }, wantStage: "verify", wantErr: "UnsignedHeaders"},
		{name: "unsigned non-amz header", method: "PUT", path: "/bucket/k", body: body, hash: payloadUnsigned,
			tamper: func(r *http.Request) { r.Header.Set("X-Amzn-Trace-Id", "Root=1-abc") }},
		{name: "body hash mismatch", method: "PUT", path: "/bucket/k", body: body, hash: sha256HexBytes([]byte("other")), wantStage: "read", wantErr: "ContentSHA256Mismatch"},
		{name: "wrong secret", method: "GET", path: "/bucket", hash: emptySHA256Hex, secret: "x" + testSecret[1:], wantStage: "verify", wantErr: "SignatureMismatch"},
		{name: "unknown key", method: "GET", path: "/bucket", hash: emptySHA256Hex, ak: "AKIAUNKNOWNKEY000000", wantStage: "verify", wantErr: "InvalidAccessKeyID"},
		{name: "skewed past", method: "GET", path: "/bucket", hash: emptySHA256Hex, at: now.Add(-16 * time.Minute), wantStage: "verify", wantErr: "RequestTimeTooSkewed"},
		{name: "skewed future", method: "GET", path: "/bucket", hash: emptySHA256Hex, at: now.Add(16 * time.Minute), wantStage: "verify", wantErr: "RequestTimeTooSkewed"},
		{name: "within skew", method: "GET", path: "/bucket", hash: emptySHA256Hex, at: now.Add(-14 * time.Minute)},
		{name: "tampered query", method: "GET", path: "/bucket", query: "prefix=a", hash: emptySHA256Hex,
			tamper: func(r *http.Request) { r.URL.RawQuery = "prefix=b" }, wantStage: "verify", wantErr: "SignatureMismatch"},
		{name: "tampered path", method: "GET", path: "/bucket/a", hash: emptySHA256Hex,
			tamper: func(r *http.Request) { r.URL.Path, r.URL.RawPath = "/bucket/b", "" }, wantStage: "verify", wantErr: "SignatureMismatch"},
		{name: "tampered signed header", method: "PUT", path: "/bucket/k", body: body, hash: payloadUnsigned,
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Meta-Owner", "mallory") }, wantStage: "verify", wantErr: "SignatureMismatch"},
		{name: "tampered method", method: "GET", path: "/bucket/k", hash: emptySHA256Hex,
			tamper: func(r *http.Request) { r.Method = "DELETE" }, wantStage: "verify", wantErr: "SignatureMismatch"},
		{name: "hash header swapped to unsigned", method: "PUT", path: "/bucket/k", body: body, hash: sha256HexBytes(body),
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", payloadUnsigned) }, wantStage: "verify", wantErr: "SignatureMismatch"},
		{name: "bad content sha", method: "GET", path: "/bucket", hash: "not-a-hash", wantStage: "verify", wantErr: "InvalidContentSHA256"},
		{name: "scope date mismatch", method: "GET", path: "/bucket", hash: emptySHA256Hex,
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Date", now.Add(-24*time.Hour).Format(iso8601Basic)) }, wantStage: "verify", wantErr: "MalformedAuth"},
		{name: "malformed header", method: "GET", path: "/bucket", hash: emptySHA256Hex,
			tamper: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x") }, wantStage: "verify", wantErr: "MalformedAuth"},
		{name: "header and query both", method: "GET", path: "/bucket", query: "X-Amz-Signature=abc", hash: emptySHA256Hex, wantStage: "verify", wantErr: "UnsupportedAuth"},
		{name: "no auth", method: "GET", path: "/bucket", hash: emptySHA256Hex,
			tamper: func(r *http.Request) { r.Header.Del("Authorization") }, wantStage: "verify", wantErr: "MissingAuth"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := srv.URL + c.path
			if c.query != "" {
				u += "?" + c.query
			}
			req, err := http.NewRequest(c.method, u, bytes.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.body == nil {
				req.Body, req.ContentLength = http.NoBody, 0
			}
			req.Header.Set("X-Amz-Meta-Owner", "alice")
			ak, secret, region, at := testAccessKey, testSecret, "us-east-1", now
			if c.ak != "" {
				ak = c.ak
			}
			if c.secret != "" {
				secret = c.secret
			}
			if c.region != "" {
				region = c.region
			}
			if !c.at.IsZero() {
				at = c.at
			}
			signV4(t, req, c.hash, ak, secret, region, at)
			if c.tamper != nil {
				c.tamper(req)
			}
			got := doRequest(t, req)
			wantStage := c.wantStage
			if wantStage == "" {
				wantStage = "ok"
			}
			if got.Stage != wantStage || got.Error != c.wantErr {
				t.Fatalf("got stage %q error %q, want %q %q", got.Stage, got.Error, wantStage, c.wantErr)
			}
			if wantStage == "ok" {
				if got.Tenant != testTenant || got.CtxTenant != testTenant {
					t.Fatalf("tenant %q ctx %q", got.Tenant, got.CtxTenant)
				}
				if got.BodySHA != sha256HexBytes(c.body) {
					t.Fatalf("body changed in transit")
				}
			}
		})
	}
}

// TestSigV4WrongRegion: a scope naming another region is refused with the
// expected region, for header auth and presigned URLs alike.
func TestSigV4WrongRegion(t *testing.T) {
	now := time.Now().UTC()
	v := NewVerifier(testKeys, VerifierOptions{Region: "us-east-1"})
	for _, region := range []string{"us-east-1", "eu-west-3", "US-EAST-1", "auto"} {
		req, _ := http.NewRequest("GET", "http://127.0.0.1:9000/b", nil)
		signV4(t, req, emptySHA256Hex, testAccessKey, testSecret, region, now)
		_, err := v.Verify(req, Target{})
		checkRegionError(t, "header "+region, err, region, false)

		presignRegion = region
		u := presignV4(t, httptestRequest("GET", "http://127.0.0.1:9000/b?X-Amz-Expires=300"), testAccessKey, testSecret, now)
		presignRegion = "us-east-1"
		_, err = v.Verify(httptestRequest("GET", u), Target{})
		checkRegionError(t, "presigned "+region, err, region, true)
	}
}

func checkRegionError(t *testing.T, name string, err error, region string, presigned bool) {
	t.Helper()
	if region == "us-east-1" {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		return
	}
	var re *RegionError
	if !errors.As(err, &re) || !errors.Is(err, ErrWrongRegion) {
		t.Fatalf("%s: want RegionError, got %v", name, err)
	}
	if re.Region != region || re.Expected != "us-east-1" || re.Presigned != presigned {
		t.Errorf("%s: %+v", name, re)
	}
}

func httptestRequest(method, u string) *http.Request {
	r, err := http.NewRequest(method, u, nil)
	if err != nil {
		panic(err)
	}
	return r
}

func TestSigV4PresignedWithSDKSigner(t *testing.T) {
	signedAt := time.Now().UTC().Add(-time.Minute)
	clock := signedAt
	v := NewVerifier(testKeys, VerifierOptions{Now: func() time.Time { return clock }})
	srv := startVerifyServer(t, v)

	presign := func(method, path string, expires string, extraQuery string) string {
		q := "X-Amz-Expires=" + expires
		if extraQuery != "" {
			q = extraQuery + "&" + q
		}
		req, _ := http.NewRequest(method, srv.URL+path+"?"+q, nil)
		return presignV4(t, req, testAccessKey, testSecret, signedAt)
	}
	cases := []struct {
		name     string
		url      func() string
		method   string
		body     string
		at       time.Duration // clock offset from signing time
		wantErr  string
		wantBody int64
	}{
		{name: "get", method: "GET", url: func() string { return presign("GET", "/bucket/a%20b.txt", "900", "") }, at: time.Minute},
		{name: "get with response override", method: "GET", url: func() string {
			return presign("GET", "/bucket/k", "900", "response-content-type=text%2Fplain")
		}, at: time.Minute},
		{name: "put", method: "PUT", body: "payload", url: func() string { return presign("PUT", "/bucket/k", "3600", "") }, at: time.Minute, wantBody: 7},
		{name: "expired", method: "GET", url: func() string { return presign("GET", "/bucket/k", "60", "") }, at: 2 * time.Minute, wantErr: "Expired"},
		{name: "seven days ok", method: "GET", url: func() string { return presign("GET", "/bucket/k", "604800", "") }, at: 6 * 24 * time.Hour},
		{name: "more than seven days", method: "GET", url: func() string { return presign("GET", "/bucket/k", "604801", "") }, wantErr: "MalformedAuth"},
		{name: "not yet valid", method: "GET", url: func() string { return presign("GET", "/bucket/k", "900", "") }, at: -20 * time.Minute, wantErr: "RequestTimeTooSkewed"},
		{name: "tampered expires", method: "GET", url: func() string {
			return strings.Replace(presign("GET", "/bucket/k", "60", ""), "X-Amz-Expires=60", "X-Amz-Expires=6000", 1)
		}, at: time.Minute, wantErr: "SignatureMismatch"},
		{name: "tampered path", method: "GET", url: func() string {
			return strings.Replace(presign("GET", "/bucket/k", "900", ""), "/bucket/k", "/bucket/j", 1)
		}, at: time.Minute, wantErr: "SignatureMismatch"},
		{name: "method changed", method: "DELETE", url: func() string { return presign("GET", "/bucket/k", "900", "") }, at: time.Minute, wantErr: "SignatureMismatch"},
		{name: "missing signature", method: "GET", url: func() string {
			u, _ := url.Parse(presign("GET", "/bucket/k", "60", ""))
			q := u.Query()
			q.Del("X-Amz-Signature")
			u.RawQuery = q.Encode()
			return u.String()
		}, wantErr: "MalformedAuth"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock = signedAt
			u := c.url()
			clock = signedAt.Add(c.at)
			req, _ := http.NewRequest(c.method, u, strings.NewReader(c.body))
			if c.body == "" {
				req.Body, req.ContentLength = http.NoBody, 0
			}
			got := doRequest(t, req)
			if got.Error != c.wantErr {
				t.Fatalf("got %q (stage %s), want %q", got.Error, got.Stage, c.wantErr)
			}
			if c.wantErr == "" && (got.Tenant != testTenant || got.BodyLen != c.wantBody) {
				t.Fatalf("got tenant %q body %d", got.Tenant, got.BodyLen)
			}
		})
	}
}

// TestAuthorizationHeaderExample checks the canonical request machinery
// against the GET Object example of the AWS SigV4 documentation.
func TestAuthorizationHeaderExample(t *testing.T) {
	req, _ := http.NewRequest("GET", "http://examplebucket.s3.amazonaws.com/test.txt", nil)
	req.Header.Set("Range", "bytes=0-9")
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256Hex)
	req.Header.Set("X-Amz-Date", "20130524T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	at, _ := time.Parse(iso8601Basic, "20130524T000000Z")
	v := NewVerifier(testKeys, VerifierOptions{Now: func() time.Time { return at }})
	if _, err := v.Verify(req, Target{}); err != nil {
		t.Fatalf("AWS example rejected: %v", err)
	}
	req.Header.Set("Range", "bytes=0-10")
	if _, err := v.Verify(req, Target{}); sentinelName(err) != "SignatureMismatch" {
		t.Fatalf("changed Range: got %v", err)
	}
}

// TestPresignedURLExample checks the presigned GET example of the AWS SigV4
// query-string documentation (valid for 86400 s from 2013-05-24 00:00Z).
func TestPresignedURLExample(t *testing.T) {
	const u = "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	signed, _ := time.Parse(iso8601Basic, "20130524T000000Z")
	for _, c := range []struct {
		at   time.Duration
		url  string
		want string
	}{
		{time.Hour, u, ""},
		{86400*time.Second - time.Second, u, ""},
		{86400*time.Second + time.Second, u, "Expired"},
		{time.Hour, strings.Replace(u, "test.txt", "test.txz", 1), "SignatureMismatch"},
		{time.Hour, strings.Replace(u, "X-Amz-Expires=86400", "X-Amz-Expires=86401", 1), "SignatureMismatch"},
	} {
		v := NewVerifier(testKeys, VerifierOptions{Now: func() time.Time { return signed.Add(c.at) }})
		r, _ := http.NewRequest("GET", c.url, nil)
		_, err := v.Verify(r, Target{})
		if (err == nil) != (c.want == "") || (err != nil && sentinelName(err) != c.want) {
			t.Errorf("at +%v: got %v, want %q", c.at, err, c.want)
		}
	}
}
