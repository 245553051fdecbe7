package s3api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/pkg/postpolicy"
	"github.com/cofferstore/coffer/storage"
)

// postForm is a browser upload form under construction: fields in order,
// then the file.
type postForm struct {
	fields   [][2]string
	fileName string
	file     []byte
}

func (f *postForm) set(name, value string) *postForm {
	f.fields = append(f.fields, [2]string{name, value})
	return f
}

// body renders the multipart/form-data body and its Content-Type.
func (f *postForm) body() ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range f.fields {
		_ = mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("file", f.fileName)
	_, _ = fw.Write(f.file)
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// policyDoc renders a POST policy expiring in d with these conditions.
func policyDoc(d time.Duration, conds ...any) string {
	doc, _ := json.Marshal(map[string]any{
		"expiration": time.Now().Add(d).UTC().Format("2006-01-02T15:04:05.000Z"),
		"conditions": conds,
	})
	return base64.StdEncoding.EncodeToString(doc)
}

// signedV4Form returns a form signed by tenant's key: the policy names
// the bucket, the signature fields, and extra conditions; fields are the
// form's other fields (each must be covered by a condition).
func (e *testEnv) signedV4Form(tenant, bucket string, extra []any, fields ...[2]string) *postForm {
	cred := e.keys[tenant]
	now := time.Now().UTC()
	day := now.Format("20060102")
	credential := cred.AccessKey + "/" + day + "/us-east-1/s3/aws4_request"
	amzDate := now.Format("20060102T150405Z")
	conds := append([]any{
		map[string]string{"bucket": bucket},
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": credential},
		map[string]string{"x-amz-date": amzDate},
	}, extra...)
	policy := policyDoc(time.Hour, conds...)
	f := &postForm{}
	for _, kv := range fields {
		f.set(kv[0], kv[1])
	}
	f.set("x-amz-algorithm", "AWS4-HMAC-SHA256").set("x-amz-credential", credential).set("x-amz-date", amzDate).
		set("policy", policy).set("x-amz-signature", postpolicy.SignV4(cred.SecretKey, day, "us-east-1", policy))
	return f
}

// post sends a form to /bucket with extra headers.
func (e *testEnv) post(t *testing.T, path string, f *postForm, hdr http.Header) rawResponse {
	t.Helper()
	body, ct := f.body()
	req, _ := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	c := *e.http() // a copy: the server's client is shared
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func TestPostObjectSigV4(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "post-bucket")

	f := e.signedV4Form("alpha", "post-bucket", []any{
		[]any{"starts-with", "$key", "uploads/"},
		[]any{"content-length-range", 1, 64},
		[]any{"eq", "$Content-Type", "text/plain"},
		map[string]string{"x-amz-meta-color": "blue"},
		map[string]string{"success_action_status": "201"},
	}, [2]string{"key", "uploads/${filename}"}, [2]string{"Content-Type", "text/plain"},
		[2]string{"x-amz-meta-color", "blue"}, [2]string{"success_action_status", "201"})
	f.fileName, f.file = "hello.txt", []byte("hello from a form")
	got := e.post(t, "/post-bucket", f, nil)
	if got.status != http.StatusCreated || !strings.Contains(got.body, "<Key>uploads/hello.txt</Key>") ||
		!strings.Contains(got.body, "<Bucket>post-bucket</Bucket>") || got.header.Get("ETag") == "" {
		t.Fatalf("POST: %d %v %s", got.status, got.header, got.body)
	}
	if got.header.Get("X-Amz-Version-Id") != "" {
		t.Fatalf("never-versioned bucket answered a version id: %v", got.header)
	}
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("post-bucket"), Key: aws.String("uploads/hello.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if b := mustRead(t, out.Body); string(b) != "hello from a form" || aws.ToString(out.ContentType) != "text/plain" || out.Metadata["color"] != "blue" {
		t.Fatalf("stored %q %q %v", b, aws.ToString(out.ContentType), out.Metadata)
	}
	if got.header.Get("ETag") != aws.ToString(out.ETag) {
		t.Fatalf("ETag %q, GET says %q", got.header.Get("ETag"), aws.ToString(out.ETag))
	}

	// The same signed form with a file over the range stores nothing.
	f.file = bytes.Repeat([]byte("x"), 65)
	f.fileName = "big.txt"
	got = e.post(t, "/post-bucket", f, nil)
	wantS3Error(t, "too large", got, 400, "EntityTooLarge", "<MaxSizeAllowed>64</MaxSizeAllowed>")
	f.file = nil
	f.fileName = "empty.txt"
	got = e.post(t, "/post-bucket", f, nil)
	wantS3Error(t, "too small", got, 400, "EntityTooSmall")
	for _, k := range []string{"uploads/big.txt", "uploads/empty.txt"} {
		if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("post-bucket"), Key: aws.String(k)}); err == nil {
			t.Fatalf("%s was stored", k)
		}
	}
}

func TestPostObjectRefusals(t *testing.T) {
	e := newEnv(t, "alpha", "beta")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "post-bucket")
	ctx := context.Background()
	keyOnly := []any{[]any{"starts-with", "$key", ""}}

	// A key outside the policy's prefix.
	f := e.signedV4Form("alpha", "post-bucket", []any{[]any{"starts-with", "$key", "uploads/"}}, [2]string{"key", "other/x"})
	f.fileName, f.file = "x", []byte("x")
	wantS3Error(t, "condition", e.post(t, "/post-bucket", f, nil), 403, "AccessDenied", "Policy Condition failed")

	// A field no condition names.
	f = e.signedV4Form("alpha", "post-bucket", keyOnly, [2]string{"key", "k"}, [2]string{"acl", "public-read"})
	f.fileName, f.file = "x", []byte("x")
	wantS3Error(t, "extra field", e.post(t, "/post-bucket", f, nil), 403, "AccessDenied", "Extra input fields: acl")

	// A signature by another secret.
	f = e.signedV4Form("alpha", "post-bucket", keyOnly, [2]string{"key", "k"})
	for i, kv := range f.fields {
		if kv[0] == "x-amz-signature" {
			f.fields[i][1] = postpolicy.SignV4("not-the-secret", time.Now().UTC().Format("20060102"), "us-east-1", f.fields[i-1][1])
		}
	}
	f.fileName, f.file = "x", []byte("x")
	wantS3Error(t, "signature", e.post(t, "/post-bucket", f, nil), 403, "SignatureDoesNotMatch")

	// Unsigned forms are refused until bucket policies can allow them.
	f = (&postForm{fileName: "x", file: []byte("x")}).set("key", "anon")
	wantS3Error(t, "anonymous", e.post(t, "/post-bucket", f, nil), 403, "AccessDenied")

	// Another tenant's valid form names its own namespace, which has no pb.
	f = e.signedV4Form("beta", "post-bucket", keyOnly, [2]string{"key", "k"})
	f.fileName, f.file = "x", []byte("x")
	wantS3Error(t, "other tenant", e.post(t, "/post-bucket", f, nil), 404, "NoSuchBucket")

	// Not a form.
	req, _ := http.NewRequest("POST", e.srv.URL+"/post-bucket", strings.NewReader("x"))
	req.Header.Set("Content-Type", "text/plain")
	wantS3Error(t, "not multipart", e.send(t, req), 412, "PreconditionFailed")

	// A checksum field the file does not match; and one it does.
	f = e.signedV4Form("alpha", "post-bucket", append(keyOnly, []any{"starts-with", "$x-amz-checksum-crc32", ""}),
		[2]string{"key", "sum"}, [2]string{"x-amz-checksum-crc32", "AAAAAA=="})
	f.fileName, f.file = "x", []byte("checked")
	wantS3Error(t, "checksum", e.post(t, "/post-bucket", f, nil), 400, "BadDigest")
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("post-bucket"), Key: aws.String("sum")}); err == nil {
		t.Fatal("object with a bad checksum was stored")
	}

	// The tenant's quota applies as to PUT.
	if err := e.store.SetQuota(ctx, "alpha", storage.Quota{MaxBytes: 10}); err != nil {
		t.Fatal(err)
	}
	f = e.signedV4Form("alpha", "post-bucket", keyOnly, [2]string{"key", "quota"})
	f.fileName, f.file = "x", bytes.Repeat([]byte("q"), 11)
	wantS3Error(t, "quota", e.post(t, "/post-bucket", f, nil), 403, "QuotaExceeded")
}

func TestPostObjectSigV2RedirectAndVersion(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "post-bucket")
	ctx := context.Background()
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("post-bucket"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	cred := e.keys["alpha"]
	policy := policyDoc(time.Hour, map[string]string{"bucket": "post-bucket"}, []any{"eq", "$key", "v2/a b"},
		map[string]string{"success_action_redirect": "https://app.example/done?x=1"})
	f := (&postForm{fileName: "f", file: []byte("sigv2 body")}).set("key", "v2/a b").set("AWSAccessKeyId", cred.AccessKey).
		set("policy", policy).set("signature", postpolicy.SignV2(cred.SecretKey, policy)).
		set("success_action_redirect", "https://app.example/done?x=1")
	got := e.post(t, "/post-bucket", f, nil)
	if got.status != http.StatusSeeOther {
		t.Fatalf("SigV2 POST: %d %s", got.status, got.body)
	}
	loc, err := url.Parse(got.header.Get("Location"))
	if err != nil || loc.Host != "app.example" || loc.Query().Get("key") != "v2/a b" || loc.Query().Get("bucket") != "post-bucket" ||
		loc.Query().Get("etag") == "" || loc.Query().Get("x") != "1" {
		t.Fatalf("redirect %q", got.header.Get("Location"))
	}
	vid := got.header.Get("X-Amz-Version-Id")
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("post-bucket"), Key: aws.String("v2/a b"), VersionId: aws.String(vid)})
	if err != nil || vid == "" {
		t.Fatalf("version %q: %v", vid, err)
	}
	if b := mustRead(t, out.Body); string(b) != "sigv2 body" {
		t.Fatalf("stored %q", b)
	}
}

// TestPostObjectFormHeaders: the fields S3 reads as the object's headers
// get PUT's treatment (the acl field is PUT's x-amz-acl; storage classes
// PUT refuses are refused here too), and signature fields are never headers.
func TestPostObjectFormHeaders(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "post-bucket")
	acl2 := []any{[]any{"starts-with", "$key", ""}, []any{"starts-with", "$acl", ""}}
	f := e.signedV4Form("alpha", "post-bucket", acl2, [2]string{"key", "acl"}, [2]string{"acl", "public-read"})
	f.fileName, f.file = "x", []byte("x")
	if got := e.post(t, "/post-bucket", f, nil); got.status != 204 {
		t.Fatalf("acl field: %d %s", got.status, got.body)
	}
	acl, err := c.GetObjectAcl(context.Background(), &s3.GetObjectAclInput{Bucket: aws.String("post-bucket"), Key: aws.String("acl")})
	if err != nil {
		t.Fatal(err)
	}
	public := false
	for _, g := range acl.Grants {
		if g.Grantee != nil && aws.ToString(g.Grantee.URI) == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == types.PermissionRead {
			public = true
		}
	}
	if !public {
		t.Fatalf("the form's acl public-read is not the object's: %+v", acl.Grants)
	}
	f = e.signedV4Form("alpha", "post-bucket", acl2, [2]string{"key", "acl2"}, [2]string{"acl", "no-such-acl"})
	f.fileName, f.file = "x", []byte("x")
	if got := e.post(t, "/post-bucket", f, nil); got.status != 400 {
		t.Fatalf("unknown canned acl: %d %s", got.status, got.body)
	}

	sc := []any{[]any{"starts-with", "$key", ""}, []any{"starts-with", "$x-amz-storage-class", ""}}
	f = e.signedV4Form("alpha", "post-bucket", sc, [2]string{"key", "sc"}, [2]string{"x-amz-storage-class", "GLACIER"})
	f.fileName, f.file = "x", []byte("x")
	wantS3Error(t, "storage class", e.post(t, "/post-bucket", f, nil), 400, "InvalidStorageClass")

	body, ct := f.body()
	form, err := postpolicy.ReadForm(bytes.NewReader(body), ct, postpolicy.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	h := formHeader(form)
	if h.Get("X-Amz-Storage-Class") != "GLACIER" || h.Get("X-Amz-Signature") != "" || h.Get("X-Amz-Credential") != "" || h.Get("Policy") != "" {
		t.Fatalf("form header %v", h)
	}
}

func TestPostObjectExpiredAndSigV2Disabled(t *testing.T) {
	e := newEnvWith(t, envOptions{domains: []string{"s3.test"}, verifier: auth.VerifierOptions{DisableSigV2: true}}, "alpha")
	c := e.client("alpha", sdkDefault)
	mkBucket(t, c, "post-bucket")
	cred := e.keys["alpha"]

	policy := policyDoc(time.Hour, map[string]string{"bucket": "post-bucket"}, []any{"starts-with", "$key", ""})
	f := (&postForm{fileName: "f", file: []byte("x")}).set("key", "k").set("AWSAccessKeyId", cred.AccessKey).
		set("policy", policy).set("signature", postpolicy.SignV2(cred.SecretKey, policy))
	wantS3Error(t, "sigv2 disabled", e.post(t, "/post-bucket", f, nil), 400, "InvalidRequest")

	now := time.Now().UTC()
	day := now.Format("20060102")
	credential := cred.AccessKey + "/" + day + "/us-east-1/s3/aws4_request"
	amzDate := now.Format("20060102T150405Z")
	policy = policyDoc(-time.Minute, map[string]string{"bucket": "post-bucket"}, []any{"starts-with", "$key", ""},
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"}, map[string]string{"x-amz-credential": credential},
		map[string]string{"x-amz-date": amzDate})
	f = (&postForm{fileName: "f", file: []byte("x")}).set("key", "k").set("x-amz-algorithm", "AWS4-HMAC-SHA256").
		set("x-amz-credential", credential).set("x-amz-date", amzDate).set("policy", policy).
		set("x-amz-signature", postpolicy.SignV4(cred.SecretKey, day, "us-east-1", policy))
	wantS3Error(t, "expired", e.post(t, "/post-bucket", f, nil), 403, "AccessDenied", "Policy expired")
	if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("post-bucket"), Key: aws.String("k")}); err == nil {
		t.Fatal("a refused form stored its file")
	}
}

// TestPostObjectAnonymous: an unsigned form is judged by the bucket's
// policy as a PutObject by anyone, at the tenant:bucket address.
func TestPostObjectAnonymous(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	mkBucket(t, c, "drop-box")
	anon := func(path, key string) rawResponse {
		f := (&postForm{fileName: "f", file: []byte("anonymous " + key)}).set("key", key)
		return e.post(t, path, f, nil)
	}
	// No policy: refused, exactly as for a missing bucket or tenant.
	var bodies []string
	for _, path := range []string{"/alpha:drop-box", "/alpha:no-such-bucket", "/nobody:drop-box", "/drop-box"} {
		got := anon(path, "in/a")
		wantS3Error(t, path, got, 403, "AccessDenied")
		bodies = append(bodies, got.body[:strings.Index(got.body, "<Resource>")])
	}
	for _, b := range bodies[1:3] {
		if b != bodies[0] {
			t.Fatalf("anonymous refusals differ: %q vs %q", b, bodies[0])
		}
	}

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::drop-box/in/*"}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("drop-box"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if got := anon("/alpha:drop-box", "in/a"); got.status != 204 {
		t.Fatalf("allowed anonymous POST: %d %s", got.status, got.body)
	}
	if b := get(t, c, "drop-box", "in/a"); string(b) != "anonymous in/a" {
		t.Fatalf("stored %q", b)
	}
	// Outside the policy's resource, and without the tenant in the address.
	wantS3Error(t, "outside", anon("/alpha:drop-box", "out/a"), 403, "AccessDenied")
	wantS3Error(t, "no tenant", anon("/drop-box", "in/b"), 403, "AccessDenied")
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("drop-box"), Key: aws.String("out/a")}); err == nil {
		t.Fatal("a refused anonymous form stored its file")
	}
}
