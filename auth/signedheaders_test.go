package auth

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestUnsignedAmzHeaders: an x-amz-* header outside the signature is
// refused (AccessDenied "There were headers present in the request which
// were not signed"), whatever the auth mode; exempt and signed ones pass.
func TestUnsignedAmzHeaders(t *testing.T) {
	now := time.Now().UTC()
	v := NewVerifier(testKeys, VerifierOptions{Now: func() time.Time { return now }})
	const base = "http://127.0.0.1:9000/bucket/target"
	presigned := func(method, u string, signed http.Header, added http.Header) *http.Request {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		req := httptestRequest(method, u+sep+"X-Amz-Expires=300")
		for k, vs := range signed {
			req.Header[k] = vs
		}
		r := httptestRequest(method, presignV4(t, req, testAccessKey, testSecret, now))
		for k, vs := range signed {
			r.Header[k] = vs
		}
		for k, vs := range added {
			r.Header[k] = vs
		}
		return r
	}
	headerSigned := func(method, u string, signed http.Header, added http.Header) *http.Request {
		r := httptestRequest(method, u)
		for k, vs := range signed {
			r.Header[k] = vs
		}
		signV4(t, r, payloadUnsigned, testAccessKey, testSecret, "us-east-1", now)
		for k, vs := range added {
			r.Header[k] = vs
		}
		return r
	}
	copySrc := http.Header{"X-Amz-Copy-Source": {"/bucket/secret"}}
	for _, c := range []struct {
		name string
		req  *http.Request
		want []string // unsigned names; nil = accepted
	}{
		{"presigned PUT + copy source", presigned("PUT", base, nil, copySrc), []string{"x-amz-copy-source"}},
		{"presigned PUT + metadata REPLACE", presigned("PUT", base, nil, http.Header{
			"X-Amz-Copy-Source": {"/bucket/other"}, "X-Amz-Metadata-Directive": {"REPLACE"}, "X-Amz-Meta-A": {"b"}}),
			[]string{"x-amz-copy-source", "x-amz-meta-a", "x-amz-metadata-directive"}},
		{"presigned UploadPart + copy source", presigned("PUT", base+"?partNumber=1&uploadId=u", nil, copySrc), []string{"x-amz-copy-source"}},
		{"presigned PUT + checksum", presigned("PUT", base, nil, http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}), []string{"x-amz-checksum-crc32"}},
		{"presigned GET + lower-case name", presigned("GET", base, nil, http.Header{"x-amz-tagging": {"a=b"}}), []string{"x-amz-tagging"}},
		{"presigned PUT, copy source signed", presigned("PUT", base, copySrc, nil), nil},
		{"presigned PUT + content sha (exempt)", presigned("PUT", base, nil, http.Header{"X-Amz-Content-Sha256": {payloadUnsigned}}), nil},
		{"presigned GET + non-amz header", presigned("GET", base, nil, http.Header{"X-Amzn-Trace-Id": {"Root=1"}, "Range": {"bytes=0-1"}}), nil},
		{"header PUT + meta", headerSigned("PUT", base, nil, http.Header{"X-Amz-Meta-Foo": {"bar"}}), []string{"x-amz-meta-foo"}},
		{"header PUT + tagging", headerSigned("PUT", base, nil, http.Header{"X-Amz-Tagging": {"a=b"}}), []string{"x-amz-tagging"}},
		{"header PUT + copy source", headerSigned("PUT", base, nil, copySrc), []string{"x-amz-copy-source"}},
		{"header PUT, meta signed", headerSigned("PUT", base, http.Header{"X-Amz-Meta-Foo": {"bar"}, "X-Amz-Tagging": {"a=b"}}, nil), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(c.req, Target{})
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ue *UnsignedHeadersError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUnsignedHeaders) {
				t.Fatalf("want UnsignedHeadersError, got %v", err)
			}
			if !reflect.DeepEqual(ue.Names, c.want) {
				t.Fatalf("names %v, want %v", ue.Names, c.want)
			}
		})
	}
}

// presignV2 returns a SigV2 presigned URL for base (scheme and host) whose
// CanonicalizedResource is resource, and the path the request is sent to.
func presignV2(method, base, path, resource string, expires int64) string {
	exp := strconv.FormatInt(expires, 10)
	sig := signV2(testSecret, method+"\n\n\n"+exp+"\n"+resource)
	return base + path + "?AWSAccessKeyId=" + testAccessKey + "&Expires=" + exp + "&Signature=" + url.QueryEscape(sig)
}

// TestSigV2BindsBucket: a SigV2 signature verifies only for the one
// resource the router derives from Host and path; before, the verifier tried
// several candidate buckets, so a URL signed for /pub/priv/secret.txt served
// bucket priv's secret.txt.
func TestSigV2BindsBucket(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	v := NewVerifier(testKeys, VerifierOptions{Now: func() time.Time { return now }})
	exp := now.Unix() + 600
	for _, c := range []struct {
		name, host, path, resource string
		target                     Target
		ok                         bool
	}{
		{"path style as signed", "127.0.0.1:9000", "/pub/priv/secret.txt", "/pub/priv/secret.txt", Target{}, true},
		{"virtual-hosted as signed", "pub.example:9000", "/priv/secret.txt", "/pub/priv/secret.txt", Target{HostBucket: "pub"}, true},
		{"host names a bucket the router ignores", "pub.example:9000", "/priv/secret.txt", "/pub/priv/secret.txt", Target{}, false},
		{"path-style signature sent virtual-hosted", "priv.example:9000", "/pub/priv/secret.txt", "/pub/priv/secret.txt", Target{HostBucket: "priv"}, false},
		{"bucket listing signature as an object", "priv.example:9000", "/pub", "/pub", Target{HostBucket: "priv"}, false},
	} {
		for _, method := range []string{"GET", "DELETE"} {
			r := httptestRequest(method, presignV2(method, "http://"+c.host, c.path, c.resource, exp))
			_, err := v.Verify(r, c.target)
			if c.ok && err != nil {
				t.Errorf("%s %s: %v", c.name, method, err)
			}
			if !c.ok && !errors.Is(err, ErrSignatureMismatch) {
				t.Errorf("%s %s: want SignatureMismatch, got %v", c.name, method, err)
			}
		}
	}
}

// TestSigV2ExpiresCap: a V2 URL may not be valid for more than the 7 days
// SigV4 allows; x-amz-* headers added to a V2 request break its signature.
func TestSigV2ExpiresCap(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	v := NewVerifier(testKeys, VerifierOptions{Now: func() time.Time { return now }})
	for _, c := range []struct {
		expires int64
		want    error
	}{
		{now.Unix() + maxPresignExpires, nil},
		{now.Unix() + maxPresignExpires + 1, ErrMalformedAuth},
		{now.Unix() + 10*365*86400, ErrMalformedAuth},
		{now.Unix() - 1, ErrExpired},
	} {
		r := httptestRequest("GET", presignV2("GET", "http://127.0.0.1:9000", "/b/k", "/b/k", c.expires))
		if _, err := v.Verify(r, Target{}); !errors.Is(err, c.want) && (err != nil || c.want != nil) {
			t.Errorf("Expires now%+d: got %v, want %v", c.expires-now.Unix(), err, c.want)
		}
	}
	r := httptestRequest("PUT", presignV2("PUT", "http://127.0.0.1:9000", "/b/k", "/b/k", now.Unix()+60))
	r.Header.Set("X-Amz-Copy-Source", "/b/secret")
	if _, err := v.Verify(r, Target{}); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("V2 presigned + unsigned x-amz-copy-source: %v", err)
	}
}
