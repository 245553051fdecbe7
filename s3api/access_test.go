package s3api

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/internal/testutil"
)

// anonClient is an SDK client without credentials (no Authorization header).
func (e *testEnv) anonClient() *s3.Client {
	return s3.New(s3.Options{
		Region:       testutil.Region,
		BaseEndpoint: aws.String(e.srv.URL),
		UsePathStyle: true,
		Credentials:  aws.AnonymousCredentials{},
		HTTPClient:   e.srv.Client(),
		Retryer:      aws.NopRetryer{},
	})
}

// anon sends an unsigned request with plain net/http.
func anon(t *testing.T, c *http.Client, method, url string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func putPolicy(t *testing.T, c *s3.Client, bucket, doc string) {
	t.Helper()
	if _, err := c.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: &doc}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
}

const publicReadPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}`

var volatileFields = regexp.MustCompile(`<(Resource|RequestId)>[^<]*</(Resource|RequestId)>`)

// wantDenied asserts a 403 AccessDenied and returns the body with its
// per-request fields blanked, for comparing denials.
func wantDenied(t *testing.T, resp *http.Response, body []byte) string {
	t.Helper()
	if resp.StatusCode != http.StatusForbidden || testutil.XMLErrorCode(body) != "AccessDenied" {
		t.Fatalf("want 403 AccessDenied, got %d %s", resp.StatusCode, body)
	}
	return string(volatileFields.ReplaceAll(body, nil))
}

// headerShape is a response's headers without the per-request values.
func headerShape(h http.Header) string {
	var out []string
	for k, vs := range h {
		switch k {
		case "Date", "X-Amz-Request-Id", "X-Amz-Id-2", "Content-Length":
			out = append(out, k)
		default:
			out = append(out, k+"="+strings.Join(vs, ","))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestBucketPolicyCalls covers Put/Get/DeleteBucketPolicy and
// GetBucketPolicyStatus with their errors.
func TestBucketPolicyCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	mkBucket(t, c, "pub")

	_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pub")})
	wantAPIError(t, err, "NoSuchBucketPolicy", "The bucket policy does not exist")
	_, err = c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("pub")})
	wantAPIError(t, err, "NoSuchBucketPolicy", "The bucket policy does not exist")

	for doc, msg := range map[string]string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`: "Policy has invalid resource",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}`:                   "Missing required field Principal",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::pub/*"}]}`:  "Action does not apply to any resource(s) in statement",
		`not json`: "",
	} {
		_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pub"), Policy: aws.String(doc)})
		wantAPIError(t, err, "MalformedPolicy", msg)
	}
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pub"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}`)})
	wantAPIError(t, err, "NotImplemented", "")
	big := `{"Version":"2012-10-17","Id":"` + strings.Repeat("x", 70<<10) + `","Statement":[]}`
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pub"), Policy: aws.String(big)})
	wantAPIError(t, err, "MalformedPolicy", "Policy exceeds the maximum allowed document size.")
	// Over 20 KB without whitespace, under the raw bound: pkg/policy's check.
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pub"), Policy: aws.String(`{"Version":"2012-10-17","Id":"` + strings.Repeat("y", 21<<10) + `","Statement":[]}`)})
	wantAPIError(t, err, "MalformedPolicy", "Policy exceeds the maximum allowed document size.")
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("nope"), Policy: aws.String(publicReadPolicy)})
	wantAPIError(t, err, "NoSuchBucket", "")

	putPolicy(t, c, "pub", " \n"+publicReadPolicy)
	got, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pub")})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Action":["s3:GetObject"],"Effect":"Allow","Principal":"*","Resource":["arn:aws:s3:::pub/*"]}]}`
	if aws.ToString(got.Policy) != want {
		t.Fatalf("GetBucketPolicy = %s, want the canonical %s", aws.ToString(got.Policy), want)
	}
	st, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("pub")})
	if err != nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("GetBucketPolicyStatus = %+v, %v; want public", st, err)
	}
	putPolicy(t, c, "pub", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/24"}}}]}`)
	st, err = c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("pub")})
	if err != nil || aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("GetBucketPolicyStatus = %+v, %v; want not public", st, err)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("pub")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pub")})
	wantAPIError(t, err, "NoSuchBucketPolicy", "The bucket policy does not exist")
}

// TestAnonymousAccess: anonymous requests address "tenant:bucket" and get
// what the policy allows, and an indistinguishable AccessDenied otherwise.
func TestAnonymousAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	mkBucket(t, c, "pub")
	mkBucket(t, c, "priv")
	put(t, c, "pub", "a.txt", []byte("hello"))
	put(t, c, "pub", "secret/x", []byte("hidden"))
	put(t, c, "priv", "a.txt", []byte("private"))
	hc := e.http()
	base := e.srv.URL

	// Before any policy: denied, and a missing bucket, tenant or key looks the same.
	resp, body := anon(t, hc, "GET", base+"/alpha:pub/a.txt", nil)
	deniedBody, deniedHeaders := wantDenied(t, resp, body), headerShape(resp.Header)
	for _, u := range []string{"/alpha:nope/a.txt", "/nobody:pub/a.txt", "/alpha:pub/missing", "/alpha:priv/a.txt", "/:pub/a.txt", "/alpha:/a.txt"} {
		resp, body := anon(t, hc, "GET", base+u, nil)
		if got := wantDenied(t, resp, body); got != deniedBody {
			t.Errorf("GET %s: body %q differs from %q", u, got, deniedBody)
		}
		if got := headerShape(resp.Header); got != deniedHeaders {
			t.Errorf("GET %s: headers\n%s\ndiffer from\n%s", u, got, deniedHeaders)
		}
	}
	// Without a tenant in the address, an unsigned request stays refused.
	resp, body = anon(t, hc, "GET", base+"/pub/a.txt", nil)
	wantDenied(t, resp, body)
	resp, body = anon(t, hc, "GET", base+"/", nil)
	wantDenied(t, resp, body)

	putPolicy(t, c, "pub", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"},
		{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/secret/*"}]}`)
	resp, body = anon(t, hc, "GET", base+"/alpha:pub/a.txt", nil)
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("anonymous GET = %d %q", resp.StatusCode, body)
	}
	resp, _ = anon(t, hc, "HEAD", base+"/alpha:pub/a.txt", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != "5" {
		t.Fatalf("anonymous HEAD = %d %v", resp.StatusCode, resp.Header)
	}
	// Allowed to read, the missing key is NoSuchKey.
	resp, body = anon(t, hc, "GET", base+"/alpha:pub/missing", nil)
	if resp.StatusCode != 404 || testutil.XMLErrorCode(body) != "NoSuchKey" {
		t.Fatalf("anonymous GET of a missing key = %d %s", resp.StatusCode, body)
	}
	// Deny wins over Allow, for everyone, the owner included.
	resp, body = anon(t, hc, "GET", base+"/alpha:pub/secret/x", nil)
	wantDenied(t, resp, body)
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("pub"), Key: aws.String("secret/x")})
	wantAPIError(t, err, "AccessDenied", "")
	// ... but the owner keeps its policy calls.
	if _, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pub")}); err != nil {
		t.Fatalf("owner GetBucketPolicy under a Deny: %v", err)
	}
	// bucket/* never grants ListBucket; nor writes, nor other buckets.
	for _, rq := range []struct{ method, url string }{
		{"GET", "/alpha:pub"}, {"GET", "/alpha:pub?list-type=2"}, {"PUT", "/alpha:pub/new"},
		{"DELETE", "/alpha:pub/a.txt"}, {"GET", "/alpha:priv/a.txt"}, {"GET", "/alpha:pub?policy"},
		{"GET", "/alpha:pub/a.txt?acl"}, {"PUT", "/alpha:pub2"}, {"DELETE", "/alpha:pub"},
	} {
		resp, body := anon(t, hc, rq.method, base+rq.url, nil)
		if got := wantDenied(t, resp, body); got != deniedBody {
			t.Errorf("%s %s: body %q differs from %q", rq.method, rq.url, got, deniedBody)
		}
	}
	// The SDK's anonymous credentials reach the same object.
	out, err := e.anonClient().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alpha:pub"), Key: aws.String("a.txt")})
	if err != nil {
		t.Fatalf("SDK anonymous GetObject: %v", err)
	}
	if b := mustRead(t, out.Body); string(b) != "hello" {
		t.Fatalf("SDK anonymous GetObject = %q", b)
	}
	_, err = e.anonClient().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("alpha:pub")})
	wantAPIError(t, err, "AccessDenied", "")

	// Virtual-hosted form: bucket.tenant-s3alias.<domain>.
	lc := e.loopbackClient()
	resp, body = anon(t, lc, "GET", "https://pub.alpha-s3alias.s3.test/a.txt", nil)
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("virtual-hosted anonymous GET = %d %q", resp.StatusCode, body)
	}
	resp, body = anon(t, lc, "GET", "https://priv.alpha-s3alias.s3.test/a.txt", nil)
	wantDenied(t, resp, body)

	// ListBucket granted on the bucket resource lists.
	putPolicy(t, c, "pub", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::pub","Condition":{"StringEquals":{"s3:prefix":"secret/"}}}]}`)
	resp, body = anon(t, hc, "GET", base+"/alpha:pub?list-type=2&prefix=secret/", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<Key>secret/x</Key>") {
		t.Fatalf("anonymous list with the allowed prefix = %d %s", resp.StatusCode, body)
	}
	resp, body = anon(t, hc, "GET", base+"/alpha:pub?list-type=2", nil)
	wantDenied(t, resp, body)
}

// TestPolicyConditions: aws:SourceIp and aws:SecureTransport, over real
// connections from 127.0.0.1 and 127.0.0.2, with TLS and without.
func TestPolicyConditions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	mkBucket(t, c, "pub")
	put(t, c, "pub", "a.txt", []byte("hello"))
	plain := httptest.NewServer(e.srv.Config.Handler)
	t.Cleanup(plain.Close)
	from := func(ip string, tlsClient bool) *http.Client {
		var tr *http.Transport
		if tlsClient {
			tr = e.srv.Client().Transport.(*http.Transport).Clone()
		} else {
			tr = &http.Transport{}
		}
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		tr.DialContext = d.DialContext
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr}
	}
	putPolicy(t, c, "pub", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.1/32"}}}]}`)
	resp, body := anon(t, from("127.0.0.1", true), "GET", e.srv.URL+"/alpha:pub/a.txt", nil)
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("GET from 127.0.0.1 = %d %s", resp.StatusCode, body)
	}
	resp, body = anon(t, from("127.0.0.2", true), "GET", e.srv.URL+"/alpha:pub/a.txt", nil)
	wantDenied(t, resp, body)

	putPolicy(t, c, "pub", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"},
		{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::pub","arn:aws:s3:::pub/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	resp, body = anon(t, from("127.0.0.1", false), "GET", plain.URL+"/alpha:pub/a.txt", nil)
	wantDenied(t, resp, body)
	resp, body = anon(t, from("127.0.0.1", true), "GET", e.srv.URL+"/alpha:pub/a.txt", nil)
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("GET over TLS = %d %s", resp.StatusCode, body)
	}
	// The Deny binds the owner too, over plain HTTP.
	plainOwner := testutil.S3Client(plain.URL, e.keys["alpha"].AccessKey, e.keys["alpha"].SecretKey, testutil.NoRetries)
	_, err := plainOwner.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("pub"), Key: aws.String("a.txt")})
	wantAPIError(t, err, "AccessDenied", "")
}

// TestCannedACLs: x-amz-acl on CreateBucket, PutObject, CopyObject and the
// ACL calls grant what the canned ACL implies, and the ACL calls show it.
func TestCannedACLs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	hc := e.http()
	base := e.srv.URL
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("listed"), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "listed", "private.txt", []byte("p"))
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("listed"), Key: aws.String("open.txt"), Body: strings.NewReader("o"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	resp, body := anon(t, hc, "GET", base+"/alpha:listed?list-type=2", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<Key>open.txt</Key>") {
		t.Fatalf("anonymous list of a public-read bucket = %d %s", resp.StatusCode, body)
	}
	resp, body = anon(t, hc, "GET", base+"/alpha:listed/open.txt", nil)
	if resp.StatusCode != 200 || string(body) != "o" {
		t.Fatalf("anonymous GET of a public-read object = %d %s", resp.StatusCode, body)
	}
	resp, body = anon(t, hc, "GET", base+"/alpha:listed/private.txt", nil)
	wantDenied(t, resp, body) // a bucket's READ lists, it does not read objects

	// GetBucketAcl / GetObjectAcl: the owner grant plus the group grants.
	ba, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("listed")})
	if err != nil {
		t.Fatal(err)
	}
	wantGrants(t, ba.Owner, ba.Grants, "CanonicalUser:alpha:FULL_CONTROL", "Group:http://acs.amazonaws.com/groups/global/AllUsers:READ")
	oa, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("listed"), Key: aws.String("private.txt")})
	if err != nil {
		t.Fatal(err)
	}
	wantGrants(t, oa.Owner, oa.Grants, "CanonicalUser:alpha:FULL_CONTROL")

	// PutObjectAcl with the header, PutBucketAcl with a canned body.
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("listed"), Key: aws.String("private.txt"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	resp, body = anon(t, hc, "GET", base+"/alpha:listed/private.txt", nil)
	if resp.StatusCode != 200 || string(body) != "p" {
		t.Fatalf("GET after PutObjectAcl public-read = %d %s", resp.StatusCode, body)
	}
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("listed"), AccessControlPolicy: &types.AccessControlPolicy{
		Owner: &types.Owner{ID: aws.String("alpha")},
		Grants: []types.Grant{
			{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String("alpha")}, Permission: types.PermissionFullControl},
			{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: types.PermissionRead},
			{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: types.PermissionWrite},
		}}})
	if err != nil {
		t.Fatalf("PutBucketAcl with the public-read-write grants: %v", err)
	}
	resp, body = anon(t, hc, "PUT", base+"/alpha:listed/dropped", []byte("anon"))
	if resp.StatusCode != 200 {
		t.Fatalf("anonymous PUT into a public-read-write bucket = %d %s", resp.StatusCode, body)
	}
	if got := mustRead(t, getBody(t, c, "listed", "dropped")); string(got) != "anon" {
		t.Fatalf("anonymous upload = %q", got)
	}
	ba, err = c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("listed")})
	if err != nil {
		t.Fatal(err)
	}
	wantGrants(t, ba.Owner, ba.Grants, "CanonicalUser:alpha:FULL_CONTROL",
		"Group:http://acs.amazonaws.com/groups/global/AllUsers:READ", "Group:http://acs.amazonaws.com/groups/global/AllUsers:WRITE")

	// Grants that are not a canned ACL are not implemented.
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("listed"), GrantRead: aws.String(`id="beta"`)})
	wantAPIError(t, err, "NotImplemented", "")
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("listed"), AccessControlPolicy: &types.AccessControlPolicy{
		Owner:  &types.Owner{ID: aws.String("alpha")},
		Grants: []types.Grant{{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String("beta")}, Permission: types.PermissionRead}}}})
	wantAPIError(t, err, "NotImplemented", "")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("listed"), Key: aws.String("g"), Body: strings.NewReader("g"), GrantRead: aws.String(`id="beta"`)})
	wantAPIError(t, err, "NotImplemented", "")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("listed"), Key: aws.String("g"), Body: strings.NewReader("g"), ACL: "bogus"})
	wantAPIError(t, err, "InvalidArgument", "")

	// CopyObject carries its ACL to the copy.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("listed"), Key: aws.String("copy"), CopySource: aws.String("listed/private.txt"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	resp, body = anon(t, hc, "GET", base+"/alpha:listed/copy", nil)
	if resp.StatusCode != 200 || string(body) != "p" {
		t.Fatalf("anonymous GET of a public-read copy = %d %s", resp.StatusCode, body)
	}

	// Anonymous DeleteObjects in a public-read-write bucket is authorized per key.
	del := `<Delete><Object><Key>dropped</Key></Object></Delete>`
	req, _ := http.NewRequest("POST", base+"/alpha:listed?delete", strings.NewReader(del))
	req.Header.Set("Content-MD5", md5b64([]byte(del)))
	r2, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != 200 || !strings.Contains(string(b2), "<Deleted><Key>dropped</Key>") {
		t.Fatalf("anonymous DeleteObjects = %d %s", r2.StatusCode, b2)
	}
}

func getBody(t *testing.T, c *s3.Client, bucket, key string) io.ReadCloser {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	return out.Body
}

func wantGrants(t *testing.T, o *types.Owner, grants []types.Grant, want ...string) {
	t.Helper()
	if o == nil || aws.ToString(o.ID) != "alpha" || aws.ToString(o.DisplayName) != "alpha" {
		t.Fatalf("Owner = %+v", o)
	}
	var got []string
	for _, g := range grants {
		who := aws.ToString(g.Grantee.ID)
		if g.Grantee.URI != nil {
			who = *g.Grantee.URI
		}
		got = append(got, string(g.Grantee.Type)+":"+who+":"+string(g.Permission))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("grants = %q, want %q", got, want)
	}
}

// TestPublicAccessBlock: the four flags at bucket level, merged with the
// operator's tenant default.
func TestPublicAccessBlock(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	hc := e.http()
	base := e.srv.URL
	mkBucket(t, c, "pub")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pub"), Key: aws.String("open"), Body: strings.NewReader("o"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "pub", "plain", []byte("x"))

	_, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("pub")})
	wantAPIError(t, err, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
	setPAB := func(cfg types.PublicAccessBlockConfiguration) {
		t.Helper()
		if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("pub"), PublicAccessBlockConfiguration: &cfg}); err != nil {
			t.Fatalf("PutPublicAccessBlock: %v", err)
		}
	}
	get := func(u string) (int, string) {
		resp, body := anon(t, hc, "GET", base+u, nil)
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/alpha:pub/open"); code != 200 {
		t.Fatalf("public-read object without a block: %d", code)
	}

	// IgnorePublicAcls: the public-read object is private again (and shown unchanged).
	setPAB(types.PublicAccessBlockConfiguration{IgnorePublicAcls: aws.Bool(true)})
	got, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("pub")})
	if err != nil || !aws.ToBool(got.PublicAccessBlockConfiguration.IgnorePublicAcls) || aws.ToBool(got.PublicAccessBlockConfiguration.BlockPublicAcls) {
		t.Fatalf("GetPublicAccessBlock = %+v, %v", got, err)
	}
	if code, body := get("/alpha:pub/open"); code != 403 {
		t.Fatalf("IgnorePublicAcls: anonymous GET = %d %s", code, body)
	}
	oa, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("pub"), Key: aws.String("open")})
	if err != nil || len(oa.Grants) != 2 {
		t.Fatalf("GetObjectAcl under IgnorePublicAcls = %+v, %v", oa, err)
	}

	// BlockPublicAcls: setting a public ACL is refused, private is fine.
	setPAB(types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true)})
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pub"), Key: aws.String("n"), Body: strings.NewReader("n"), ACL: types.ObjectCannedACLPublicRead})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("pub"), ACL: types.BucketCannedACLPublicRead})
	wantAPIError(t, err, "AccessDenied", "")
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("pub"), Key: aws.String("n2"), ACL: types.ObjectCannedACLPrivate}); err == nil {
		t.Fatal("PutObjectAcl on a missing key succeeded")
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pub"), Key: aws.String("n"), Body: strings.NewReader("n"), ACL: types.ObjectCannedACLPrivate}); err != nil {
		t.Fatalf("private ACL under BlockPublicAcls: %v", err)
	}

	// BlockPublicPolicy refuses a public policy, not a restricted one.
	setPAB(types.PublicAccessBlockConfiguration{BlockPublicPolicy: aws.Bool(true)})
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pub"), Policy: aws.String(publicReadPolicy)})
	wantAPIError(t, err, "AccessDenied", "")
	putPolicy(t, c, "pub", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}`)

	// RestrictPublicBuckets: a public policy grants nothing to others.
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("pub")}); err != nil {
		t.Fatal(err)
	}
	putPolicy(t, c, "pub", publicReadPolicy)
	if code, body := get("/alpha:pub/plain"); code != 200 || body != "x" {
		t.Fatalf("public policy: %d %s", code, body)
	}
	setPAB(types.PublicAccessBlockConfiguration{RestrictPublicBuckets: aws.Bool(true)})
	if code, _ := get("/alpha:pub/plain"); code != 403 {
		t.Fatalf("RestrictPublicBuckets: anonymous GET = %d", code)
	}
	if b := mustRead(t, getBody(t, c, "pub", "plain")); string(b) != "x" {
		t.Fatalf("owner GET under RestrictPublicBuckets = %q", b)
	}

	// The operator's tenant default merges with the bucket's (none now).
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("pub")}); err != nil {
		t.Fatal(err)
	}
	if code, _ := get("/alpha:pub/plain"); code != 200 {
		t.Fatalf("after DeletePublicAccessBlock: %d", code)
	}
	if err := e.store.SetTenantConfig(ctx, "alpha", "publicAccessBlock", []byte(`{"RestrictPublicBuckets":true,"BlockPublicAcls":true}`)); err != nil {
		t.Fatal(err)
	}
	if code, _ := get("/alpha:pub/plain"); code != 403 {
		t.Fatalf("tenant default RestrictPublicBuckets: anonymous GET = %d", code)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pub2"), ACL: types.BucketCannedACLPublicRead})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("pub")})
	wantAPIError(t, err, "NoSuchPublicAccessBlockConfiguration", "")
}

// TestOwnershipControls: BucketOwnerEnforced disables ACLs.
func TestOwnershipControls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	mkBucket(t, c, "own")
	_, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("own")})
	wantAPIError(t, err, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found")
	setOwn := func(bucket string, o types.ObjectOwnership) error {
		_, err := c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(bucket),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: o}}}})
		return err
	}
	if err := setOwn("own", types.ObjectOwnershipBucketOwnerEnforced); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("own")})
	if err != nil || len(got.OwnershipControls.Rules) != 1 || got.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("GetBucketOwnershipControls = %+v, %v", got, err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("own"), Key: aws.String("k"), Body: strings.NewReader("k"), ACL: types.ObjectCannedACLPublicRead})
	wantAPIError(t, err, "AccessControlListNotSupported", "The bucket does not allow ACLs")
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("own"), ACL: types.BucketCannedACLPublicRead})
	wantAPIError(t, err, "AccessControlListNotSupported", "The bucket does not allow ACLs")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("own"), Key: aws.String("k"), Body: strings.NewReader("k"), ACL: types.ObjectCannedACLBucketOwnerFullControl}); err != nil {
		t.Fatalf("bucket-owner-full-control under BucketOwnerEnforced: %v", err)
	}
	if _, err := c.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String("own")}); err != nil {
		t.Fatal(err)
	}
	// ObjectWriter is accepted; a public bucket ACL then blocks enforcing.
	if err := setOwn("own", types.ObjectOwnershipObjectWriter); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("own"), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, setOwn("own", types.ObjectOwnershipBucketOwnerEnforced), "InvalidBucketAclWithObjectOwnership", "")
	wantAPIError(t, setOwn("own", "Bogus"), "MalformedXML", "")
	// On CreateBucket: x-amz-object-ownership, and a public ACL with it is refused.
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("own2"), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced, ACL: types.BucketCannedACLPublicRead})
	wantAPIError(t, err, "InvalidBucketAclWithObjectOwnership", "")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("own2"), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("own2")})
	if err != nil || got.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("ownership from CreateBucket = %+v, %v", got, err)
	}
}

// TestCrossTenantAccess: another tenant's signed requests reach a bucket
// as "tenant:bucket" with what the policy grants to everyone, no more.
func TestCrossTenantAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha", "beta")
	a := e.client("alpha", sdkWhenRequired)
	b := e.client("beta", sdkWhenRequired)
	ctx := context.Background()
	mkBucket(t, a, "shared")
	put(t, a, "shared", "k", []byte("v"))
	_, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alpha:shared"), Key: aws.String("k")})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("k")})
	wantAPIError(t, err, "NoSuchBucket", "") // its own namespace has no such bucket
	putPolicy(t, a, "shared", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}`)
	if got := mustRead(t, getBody(t, b, "alpha:shared", "k")); string(got) != "v" {
		t.Fatalf("cross-tenant GET = %q", got)
	}
	_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("alpha:shared"), Key: aws.String("w"), Body: strings.NewReader("w")})
	wantAPIError(t, err, "AccessDenied", "")
	_, err = b.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("alpha:shared")})
	wantAPIError(t, err, "AccessDenied", "")
	// The owner addressing itself by tenant:bucket is the owner.
	if got := mustRead(t, getBody(t, a, "alpha:shared", "k")); string(got) != "v" {
		t.Fatalf("owner GET by tenant:bucket = %q", got)
	}
}

// TestDenyBindsOwner: an explicit Deny applies to the owner's signed
// requests, per key in DeleteObjects, and HEAD denials look alike.
func TestDenyBindsOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	mkBucket(t, c, "bb1")
	put(t, c, "bb1", "keep/x", []byte("k"))
	put(t, c, "bb1", "free", []byte("f"))
	putPolicy(t, c, "bb1", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::alpha:root"},"Action":["s3:DeleteObject","s3:PutObject"],"Resource":"arn:aws:s3:::bb1/keep/*"}]}`)
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("bb1"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("keep/x")}, {Key: aws.String("free")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Key) != "keep/x" || aws.ToString(out.Errors[0].Code) != "AccessDenied" ||
		len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "free" {
		t.Fatalf("DeleteObjects under a per-key Deny: deleted %+v errors %+v", out.Deleted, out.Errors)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bb1"), Key: aws.String("keep/y"), Body: strings.NewReader("y")})
	wantAPIError(t, err, "AccessDenied", "")
	if b := mustRead(t, getBody(t, c, "bb1", "keep/x")); string(b) != "k" {
		t.Fatalf("denied key changed: %q", b)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("bb1")}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "bb1", "keep/y", []byte("y"))

	// HEAD: same status and headers for an existing and a missing bucket.
	hc := e.http()
	r1, _ := anon(t, hc, "HEAD", e.srv.URL+"/alpha:bb1/free", nil)
	r2, _ := anon(t, hc, "HEAD", e.srv.URL+"/alpha:zz/free", nil)
	r3, _ := anon(t, hc, "HEAD", e.srv.URL+"/alpha:bb1", nil)
	r4, _ := anon(t, hc, "HEAD", e.srv.URL+"/alpha:zz", nil)
	for _, r := range []*http.Response{r2, r3, r4} {
		if r.StatusCode != 403 || headerShape(r.Header) != headerShape(r1.Header) || r1.StatusCode != 403 {
			t.Fatalf("HEAD denials differ: %d %v vs %d %v", r.StatusCode, r.Header, r1.StatusCode, r1.Header)
		}
	}
}

// TestExistingObjectTagCondition: s3:ExistingObjectTag reads the object's tags.
func TestExistingObjectTagCondition(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	mkBucket(t, c, "tagged")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tagged"), Key: aws.String("pub"), Body: strings.NewReader("p"), Tagging: aws.String("share=yes")}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "tagged", "priv", []byte("q"))
	putPolicy(t, c, "tagged", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::tagged/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/share":"yes"}}}]}`)
	resp, body := anon(t, e.http(), "GET", e.srv.URL+"/alpha:tagged/pub", nil)
	if resp.StatusCode != 200 || string(body) != "p" {
		t.Fatalf("GET of the tagged object = %d %s", resp.StatusCode, body)
	}
	resp, body = anon(t, e.http(), "GET", e.srv.URL+"/alpha:tagged/priv", nil)
	wantDenied(t, resp, body)
}

// TestVersionedActions: version reads and listings need their own actions.
func TestVersionedActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	mkBucket(t, c, "ver")
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("ver"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	v1 := put(t, c, "ver", "k", []byte("one"))
	put(t, c, "ver", "k", []byte("two"))
	hc := e.http()
	base := e.srv.URL + "/alpha:ver"
	putPolicy(t, c, "ver", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::ver","arn:aws:s3:::ver/*"]}]}`)
	resp, body := anon(t, hc, "GET", base+"/k", nil)
	if resp.StatusCode != 200 || string(body) != "two" {
		t.Fatalf("GET current = %d %s", resp.StatusCode, body)
	}
	resp, body = anon(t, hc, "GET", base+"/k?versionId="+aws.ToString(v1.VersionId), nil)
	wantDenied(t, resp, body)
	resp, body = anon(t, hc, "GET", base+"?versions", nil)
	wantDenied(t, resp, body)
	putPolicy(t, c, "ver", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObjectVersion","s3:ListBucketVersions"],"Resource":["arn:aws:s3:::ver","arn:aws:s3:::ver/*"]}]}`)
	resp, body = anon(t, hc, "GET", base+"/k?versionId="+aws.ToString(v1.VersionId), nil)
	if resp.StatusCode != 200 || string(body) != "one" {
		t.Fatalf("GET of version 1 = %d %s", resp.StatusCode, body)
	}
	resp, body = anon(t, hc, "GET", base+"?versions", nil)
	if resp.StatusCode != 200 || strings.Count(string(body), "<Version>") != 2 {
		t.Fatalf("anonymous ListObjectVersions = %d %s", resp.StatusCode, body)
	}
	resp, body = anon(t, hc, "GET", base+"/k", nil)
	wantDenied(t, resp, body) // s3:GetObjectVersion does not read the current version without a versionId
}
