package s3api

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// virtualClient is an SDK client addressing buckets as bucket.host:port,
// every connection going to the test server.
func (e *testEnv) virtualClient(host string) *s3.Client {
	cred := e.keys["alpha"]
	port := e.srv.URL[strings.LastIndex(e.srv.URL, ":"):]
	vc := e.clientWith(cred.AccessKey, cred.SecretKey, sdkDefault)
	return s3.New(vc.Options(), func(o *s3.Options) {
		o.UsePathStyle = false
		o.BaseEndpoint = aws.String("https://" + host + port)
		o.HTTPClient = e.loopbackClient()
	})
}

// TestVirtualHostedFromPublicEndpoint: without --domain, the public
// endpoint's host name is the domain. Before, a virtual-hosted PutObject of
// an empty "empty-key.txt" created a bucket of that name and answered 200,
// and a virtual-hosted listing listed the buckets.
func TestVirtualHostedFromPublicEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, envOptions{publicEndpoint: "https://s3.example.test"}, "alpha")
	ctx := context.Background()
	path := e.client("alpha", sdkDefault)
	mkBucket(t, path, "vbucket")
	vc := e.virtualClient("s3.example.test")
	if _, err := vc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vbucket"), Key: aws.String("empty-key.txt"), Body: bytes.NewReader(nil)}); err != nil {
		t.Fatalf("virtual-hosted PutObject: %v", err)
	}
	if _, err := path.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("empty-key.txt")}); err == nil {
		t.Fatal("the key was taken for a bucket name")
	}
	h, err := path.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("vbucket"), Key: aws.String("empty-key.txt")})
	if err != nil || aws.ToInt64(h.ContentLength) != 0 {
		t.Fatalf("path-style HEAD of the virtual-hosted write: %+v, %v", h, err)
	}
	l, err := vc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("vbucket")})
	if err != nil || len(l.Contents) != 1 || aws.ToString(l.Contents[0].Key) != "empty-key.txt" {
		t.Fatalf("virtual-hosted listing: %+v, %v", l, err)
	}
	// Path style still works on the endpoint's own host name.
	ps := s3.New(path.Options(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String("https://s3.example.test" + e.srv.URL[strings.LastIndex(e.srv.URL, ":"):])
		o.HTTPClient = e.loopbackClient()
	})
	if got := get(t, ps, "vbucket", "empty-key.txt"); len(got) != 0 {
		t.Fatalf("path style on the endpoint host: %q", got)
	}
	// bucket.localhost is virtual-hosted whatever the configuration.
	lc := e.virtualClient("localhost")
	if _, err := lc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vbucket"), Key: aws.String("via-localhost"), Body: bytes.NewReader([]byte("l"))}); err != nil {
		t.Fatalf("bucket.localhost PutObject: %v", err)
	}
	if got := get(t, path, "vbucket", "via-localhost"); string(got) != "l" {
		t.Fatalf("bucket.localhost write: %q", got)
	}
}

// TestVirtualHostUnderIP: a Host naming a bucket under an IP address
// cannot be routed and is refused before anything happens.
func TestVirtualHostUnderIP(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, envOptions{}, "alpha")
	ctx := context.Background()
	vc := e.virtualClient("vbucket.127.0.0.1")
	vc = s3.New(vc.Options(), func(o *s3.Options) { o.UsePathStyle = true }) // the SDK would not build this Host itself
	_, err := vc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("empty-key.txt"), Key: aws.String("k"), Body: bytes.NewReader(nil)})
	wantAPIError(t, err, "InvalidRequest", "Virtual-hosted-style requests need a DNS name")
	wantHTTPStatus(t, err, http.StatusBadRequest)
	if bs, err := e.store.ListBuckets(ctx, "alpha"); err != nil || len(bs) != 0 {
		t.Fatalf("buckets after the refused request: %v, %v", bs, err)
	}
}

func TestAddressingDomains(t *testing.T) {
	for _, tc := range []struct {
		configured []string
		endpoint   string
		want       string
	}{
		{nil, "", "localhost"},
		{nil, "http://127.0.0.1:9000", "localhost"},
		{nil, "http://[::1]:9000", "localhost"},
		{nil, "https://S3.Example.com:8443/", "s3.example.com,localhost"},
		{[]string{"a.test", " b.test. "}, "https://s3.example.com", "a.test,b.test,localhost"},
		{[]string{"localhost"}, "", "localhost"},
	} {
		if got := strings.Join(addressingDomains(tc.configured, tc.endpoint), ","); got != tc.want {
			t.Errorf("%v %q: %q, want %q", tc.configured, tc.endpoint, got, tc.want)
		}
	}
	s := &server{domains: addressingDomains([]string{"s3.test"}, "")}
	for host, want := range map[string]string{
		"s3.test": "", "b.s3.test:9000": "b", "B.S3.TEST.": "b", "a.b.s3.test": "a.b", "127.0.0.1:9000": "",
		"other.host": "", "x.localhost:1": "x", "localhost": "", "b.127.0.0.1": "error", "a.b.10.0.0.1:80": "error",
		"[::1]:9000": "", "1.2.3.4.5": "error", "s3.test.evil": "",
	} {
		got, err := s.hostBucket(host)
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("host %q: %q, want %q", host, got, want)
		}
	}
}

// TestVirtualHostDomain: the domain the console shows tenants is the
// router's first domain other than localhost.
func TestVirtualHostDomain(t *testing.T) {
	for _, tc := range []struct {
		configured []string
		endpoint   string
		want       string
	}{
		{nil, "http://127.0.0.1:9000", ""},
		{nil, "http://localhost:9000", ""},
		{nil, "https://s3.example.com", "s3.example.com"},
		{[]string{"Store.Example.NET."}, "https://s3.example.com", "store.example.net"},
		{[]string{"10.0.0.5"}, "http://10.0.0.5:9000", ""},
	} {
		if got := VirtualHostDomain(tc.configured, tc.endpoint); got != tc.want {
			t.Errorf("VirtualHostDomain(%q, %q) = %q, want %q", tc.configured, tc.endpoint, got, tc.want)
		}
	}
}
