package s3api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var testCORSRules = []types.CORSRule{
	{
		ID:             aws.String("app"),
		AllowedOrigins: []string{"http://*.example.com"},
		AllowedMethods: []string{"GET", "PUT", "POST"},
		AllowedHeaders: []string{"x-amz-*", "content-type"},
		ExposeHeaders:  []string{"ETag", "x-amz-version-id"},
		MaxAgeSeconds:  aws.Int32(600),
	},
	{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"HEAD"}},
}

func TestBucketCorsSDK(t *testing.T) {
	for _, mode := range []checksumMode{sdkDefault, sdkWhenRequired} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, "alpha")
			c := e.client("alpha", mode)
			ctx := context.Background()
			mkBucket(t, c, "cors-bucket")

			_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("cors-bucket")})
			wantAPIError(t, err, "NoSuchCORSConfiguration", "The CORS configuration does not exist")
			_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("no-such-bucket"),
				CORSConfiguration: &types.CORSConfiguration{CORSRules: testCORSRules}})
			wantAPIError(t, err, "NoSuchBucket", "")

			if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("cors-bucket"),
				CORSConfiguration: &types.CORSConfiguration{CORSRules: testCORSRules}}); err != nil {
				t.Fatal(err)
			}
			out, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("cors-bucket")})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.CORSRules) != 2 {
				t.Fatalf("rules %+v", out.CORSRules)
			}
			r := out.CORSRules[0]
			if aws.ToString(r.ID) != "app" || strings.Join(r.AllowedOrigins, ",") != "http://*.example.com" ||
				strings.Join(r.AllowedMethods, ",") != "GET,PUT,POST" || strings.Join(r.AllowedHeaders, ",") != "x-amz-*,content-type" ||
				strings.Join(r.ExposeHeaders, ",") != "ETag,x-amz-version-id" || aws.ToInt32(r.MaxAgeSeconds) != 600 {
				t.Fatalf("rule 0 %+v", r)
			}
			if strings.Join(out.CORSRules[1].AllowedMethods, ",") != "HEAD" || out.CORSRules[1].MaxAgeSeconds != nil {
				t.Fatalf("rule 1 %+v", out.CORSRules[1])
			}

			// Invalid rules are refused and leave the stored ones.
			_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("cors-bucket"),
				CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}}}}})
			wantAPIError(t, err, "InvalidRequest", "PATCH")
			_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("cors-bucket"),
				CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{AllowedOrigins: []string{"http://*.*.com"}, AllowedMethods: []string{"GET"}}}}})
			wantAPIError(t, err, "InvalidRequest", "http://*.*.com")
			if out, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("cors-bucket")}); err != nil || len(out.CORSRules) != 2 {
				t.Fatalf("after refused puts: %v %v", out, err)
			}

			if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("cors-bucket")}); err != nil {
				t.Fatal(err)
			}
			_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("cors-bucket")})
			wantAPIError(t, err, "NoSuchCORSConfiguration", "")
			if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("cors-bucket")}); err != nil {
				t.Fatalf("deleting no configuration: %v", err)
			}
			_, err = c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("no-such-bucket")})
			wantAPIError(t, err, "NoSuchBucket", "")
		})
	}
}

// TestPutBucketCorsNeedsDigest: like DeleteObjects, PutBucketCors needs
// Content-MD5 or a checksum.
func TestPutBucketCorsNeedsDigest(t *testing.T) {
	e := newEnv(t, "alpha")
	mkBucket(t, e.client("alpha", sdkDefault), "cors-bucket")
	body := []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`)
	got := e.sendRaw(t, "alpha", "PUT", "/cors-bucket?cors", http.Header{}, "UNSIGNED-PAYLOAD", body)
	wantS3Error(t, "no digest", got, 400, "InvalidRequest", "Content-MD5")
	got = e.sendRaw(t, "alpha", "PUT", "/cors-bucket?cors", http.Header{"Content-Md5": {md5b64([]byte("other"))}}, "UNSIGNED-PAYLOAD", body)
	wantS3Error(t, "wrong digest", got, 400, "BadDigest")
	got = e.sendRaw(t, "alpha", "PUT", "/cors-bucket?cors", http.Header{"Content-Md5": {md5b64(body)}}, "UNSIGNED-PAYLOAD", body)
	if got.status != 200 {
		t.Fatalf("with Content-MD5: %d %s", got.status, got.body)
	}
}

// options sends a preflight.
func (e *testEnv) options(t *testing.T, path string, hdr map[string]string) rawResponse {
	t.Helper()
	req, _ := http.NewRequest("OPTIONS", e.srv.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return e.send(t, req)
}

func TestCORSPreflight(t *testing.T) {
	e := newEnv(t, "alpha", "beta")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	mkBucket(t, c, "cors-bucket")
	mkBucket(t, c, "plain-bucket")
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("cors-bucket"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: testCORSRules}}); err != nil {
		t.Fatal(err)
	}
	allowed := map[string]string{"Origin": "http://app.example.com", "Access-Control-Request-Method": "PUT",
		"Access-Control-Request-Headers": "X-Amz-Meta-A, Content-Type"}

	for _, path := range []string{"/alpha:cors-bucket/some/key", "/alpha:cors-bucket"} {
		got := e.options(t, path, allowed)
		h := got.header
		if got.status != 200 || h.Get("Access-Control-Allow-Origin") != "http://app.example.com" ||
			h.Get("Access-Control-Allow-Methods") != "GET, PUT, POST" ||
			h.Get("Access-Control-Allow-Headers") != "x-amz-meta-a, content-type" ||
			h.Get("Access-Control-Expose-Headers") != "ETag, x-amz-version-id" || h.Get("Access-Control-Max-Age") != "600" ||
			!strings.Contains(h.Get("Vary"), "Origin") {
			t.Fatalf("%s: %d %v %s", path, got.status, h, got.body)
		}
	}

	// Refusals: origin, method and header not allowed; no Origin.
	for name, hdr := range map[string]map[string]string{
		"origin": {"Origin": "http://evil.test", "Access-Control-Request-Method": "GET"},
		"method": {"Origin": "http://app.example.com", "Access-Control-Request-Method": "DELETE"},
		"header": {"Origin": "http://app.example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
	} {
		got := e.options(t, "/alpha:cors-bucket/k", hdr)
		wantS3Error(t, name, got, 403, "AccessForbidden", "This CORS request is not allowed", "<ResourceType>OBJECT</ResourceType>")
		if got.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%s: refused preflight allowed an origin: %v", name, got.header)
		}
	}
	wantS3Error(t, "no origin", e.options(t, "/alpha:cors-bucket/k", map[string]string{"Access-Control-Request-Method": "GET"}), 400, "BadRequest", "Origin request header needed")

	// Without rules, a missing bucket, another tenant's namespace and a
	// path without a tenant all look the same: CORS not enabled.
	notEnabled := "CORS is not enabled for this bucket"
	var bodies []string
	for _, path := range []string{"/alpha:plain-bucket/k", "/alpha:no-such-bucket/k", "/beta:cors-bucket/k", "/cors-bucket/k", "/nobody:cors-bucket/k"} {
		got := e.options(t, path, allowed)
		wantS3Error(t, path, got, 403, "AccessForbidden", notEnabled, "<ResourceType>BUCKET</ResourceType>")
		b := got.body[:strings.Index(got.body, "<Resource>")]
		bodies = append(bodies, b)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("preflight answers differ: %q vs %q", b, bodies[0])
		}
	}

	// A deleted configuration stops answering preflights at once.
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("cors-bucket")}); err != nil {
		t.Fatal(err)
	}
	wantS3Error(t, "after delete", e.options(t, "/alpha:cors-bucket/k", allowed), 403, "AccessForbidden", notEnabled)
}

func TestCORSActualResponses(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	mkBucket(t, c, "cors-bucket")
	put(t, c, "cors-bucket", "obj", []byte("data"))
	presign := func(key string) string {
		req, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("cors-bucket"), Key: aws.String(key)},
			s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return req.URL
	}
	get := func(u, origin string) rawResponse {
		req, _ := http.NewRequest("GET", u, nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return e.send(t, req)
	}
	// No rules: no CORS headers at all.
	if got := get(presign("obj"), "http://app.example.com"); got.status != 200 || got.header.Get("Access-Control-Allow-Origin") != "" || got.header.Get("Vary") != "" {
		t.Fatalf("without rules: %d %v", got.status, got.header)
	}
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("cors-bucket"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: testCORSRules}}); err != nil {
		t.Fatal(err)
	}
	got := get(presign("obj"), "http://app.example.com")
	if got.status != 200 || got.body != "data" || got.header.Get("Access-Control-Allow-Origin") != "http://app.example.com" ||
		got.header.Get("Access-Control-Expose-Headers") != "ETag, x-amz-version-id" {
		t.Fatalf("allowed GET: %d %v", got.status, got.header)
	}
	// Errors carry the headers too, so the page can read them.
	got = get(presign("missing"), "http://app.example.com")
	if got.status != 404 || got.header.Get("Access-Control-Allow-Origin") != "http://app.example.com" {
		t.Fatalf("404: %d %v", got.status, got.header)
	}
	// An origin no rule allows is served without Access-Control-* (the
	// browser withholds it), with Vary for caches.
	got = get(presign("obj"), "http://evil.test")
	if got.status != 200 || got.header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(got.header.Get("Vary"), "Origin") {
		t.Fatalf("unmatched origin: %d %v", got.status, got.header)
	}
	// The any-origin HEAD rule answers "*".
	req, _ := http.NewRequest("HEAD", presignHead(t, c, "cors-bucket", "obj"), nil)
	req.Header.Set("Origin", "http://other.test")
	if got := e.send(t, req); got.status != 200 || got.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("HEAD any origin: %d %v", got.status, got.header)
	}
	// A POST upload's answer carries them once the form names the tenant.
	f := e.signedV4Form("alpha", "cors-bucket", []any{[]any{"starts-with", "$key", ""}}, [2]string{"key", "posted"})
	f.fileName, f.file = "x", []byte("x")
	got = e.post(t, "/cors-bucket", f, http.Header{"Origin": {"http://www.example.com"}})
	if got.status != 204 || got.header.Get("Access-Control-Allow-Origin") != "http://www.example.com" {
		t.Fatalf("POST: %d %v %s", got.status, got.header, got.body)
	}

	// DeleteBucketCors takes effect at once (the cache is invalidated).
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("cors-bucket")}); err != nil {
		t.Fatal(err)
	}
	if got := get(presign("obj"), "http://app.example.com"); got.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("after delete: %v", got.header)
	}
}

func presignHead(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	req, err := s3.NewPresignClient(c).PresignHeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	return req.URL
}

// TestCORSPreflightVirtualHosted: the virtual-hosted form that names the
// tenant (bucket.tenant-s3alias.domain) answers preflights too.
func TestCORSPreflightVirtualHosted(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "cors-bucket")
	if _, err := c.PutBucketCors(context.Background(), &s3.PutBucketCorsInput{Bucket: aws.String("cors-bucket"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: testCORSRules}}); err != nil {
		t.Fatal(err)
	}
	preflight := func(host string) rawResponse {
		req, _ := http.NewRequest("OPTIONS", "https://"+host+"/some/key", nil)
		req.Header.Set("Origin", "http://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "GET")
		return e.send(t, req)
	}
	got := preflight("cors-bucket.alpha-s3alias.s3.test")
	if got.status != 200 || got.header.Get("Access-Control-Allow-Origin") != "http://app.example.com" {
		t.Fatalf("alias host: %d %v %s", got.status, got.header, got.body)
	}
	// The plain virtual-hosted name has no tenant: CORS not enabled.
	wantS3Error(t, "plain host", preflight("cors-bucket.s3.test"), 403, "AccessForbidden", "CORS is not enabled")
}

// TestCORSAnonymous: anonymous requests at tenant:bucket get the bucket's
// CORS headers, on the answers a policy allows and on its refusals.
func TestCORSAnonymous(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	mkBucket(t, c, "cors-bucket")
	put(t, c, "cors-bucket", "pub/a", []byte("public"))
	put(t, c, "cors-bucket", "priv/a", []byte("private"))
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("cors-bucket"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: testCORSRules}}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::cors-bucket/pub/*"}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("cors-bucket"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) rawResponse {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Origin", "http://app.example.com")
		return e.send(t, req)
	}
	got := get("/alpha:cors-bucket/pub/a")
	if got.status != 200 || got.body != "public" || got.header.Get("Access-Control-Allow-Origin") != "http://app.example.com" {
		t.Fatalf("public GET: %d %v %s", got.status, got.header, got.body)
	}
	got = get("/alpha:cors-bucket/priv/a")
	wantS3Error(t, "private GET", got, 403, "AccessDenied")
	if got.header.Get("Access-Control-Allow-Origin") != "http://app.example.com" {
		t.Fatalf("refusal without CORS headers: %v", got.header)
	}
}
