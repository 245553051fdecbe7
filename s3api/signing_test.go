package s3api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/testutil"
)

// objectState is what an attack must not change: bytes, metadata, tags.
type objectState struct {
	Exists bool
	Body   string
	Meta   map[string]string
	Tags   map[string]string
}

func stateOf(t *testing.T, c *s3.Client, bucket, key string) objectState {
	t.Helper()
	ctx := context.Background()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return objectState{}
	}
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	body := mustRead(t, out.Body)
	tg, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObjectTagging: %v", err)
	}
	tags := map[string]string{}
	for _, tag := range tg.TagSet {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return objectState{Exists: true, Body: string(body), Meta: out.Metadata, Tags: tags}
}

// send performs req against the test server whatever its Host says.
func (e *testEnv) send(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	resp, err := e.loopbackClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func wantS3Error(t *testing.T, name string, got rawResponse, status int, code string, parts ...string) {
	t.Helper()
	if got.status != status || !strings.Contains(got.body, "<Code>"+code+"</Code>") {
		t.Fatalf("%s: got %d %s, want %d %s", name, got.status, got.body, status, code)
	}
	for _, p := range parts {
		if !strings.Contains(got.body, p) {
			t.Fatalf("%s: body %s lacks %q", name, got.body, p)
		}
	}
}

// TestUnsignedHeaderAttacks reproduces issue 12 finding 3 against the whole
// server: x-amz-* headers added to a presigned URL or to a header-signed
// request were obeyed although the signer never signed them. Each must be
// refused with AWS's answer and leave the target object as it was.
func TestUnsignedHeaderAttacks(t *testing.T) {
	e := newEnv(t)
	c := e.client("alpha", sdkWhenRequired)
	ctx := context.Background()
	const b = "attacks"
	mkBucket(t, c, b)
	seed := func(key, body string, meta map[string]string) {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key),
			Body: strings.NewReader(body), Metadata: meta, Tagging: aws.String("class=orig")})
		if err != nil {
			t.Fatal(err)
		}
	}
	seed("secret", "tenant secret bytes", map[string]string{"owner": "alice"})
	seed("victim", "victim bytes", map[string]string{"m": "orig"})
	pc := s3.NewPresignClient(c)
	notSigned := func(names ...string) string {
		return "<HeadersNotSigned>" + strings.Join(names, ", ") + "</HeadersNotSigned>"
	}
	const msg = "There were headers present in the request which were not signed"

	t.Run("presigned PUT becomes CopyObject", func(t *testing.T) {
		before := stateOf(t, c, b, "upload")
		p, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("upload")}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPut, p.URL, nil)
		req.Header.Set("X-Amz-Copy-Source", b+"/secret")
		wantS3Error(t, "copy source", e.send(t, req), 403, "AccessDenied", msg, notSigned("x-amz-copy-source"))
		if after := stateOf(t, c, b, "upload"); !reflect.DeepEqual(after, before) {
			t.Fatalf("upload changed: %+v", after)
		}
	})
	t.Run("metadata directive REPLACE rewrites another object", func(t *testing.T) {
		before := stateOf(t, c, b, "victim")
		p, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("victim")}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPut, p.URL, nil)
		req.Header.Set("X-Amz-Copy-Source", b+"/victim")
		req.Header.Set("X-Amz-Metadata-Directive", "REPLACE")
		req.Header.Set("X-Amz-Meta-M", "evil")
		wantS3Error(t, "metadata replace", e.send(t, req), 403, "AccessDenied", msg,
			notSigned("x-amz-copy-source", "x-amz-meta-m", "x-amz-metadata-directive"))
		if after := stateOf(t, c, b, "victim"); !reflect.DeepEqual(after, before) {
			t.Fatalf("victim changed: %+v, was %+v", after, before)
		}
	})
	t.Run("presigned UploadPart becomes UploadPartCopy", func(t *testing.T) {
		mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
		if err != nil {
			t.Fatal(err)
		}
		p, err := pc.PresignUploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"),
			UploadId: mp.UploadId, PartNumber: aws.Int32(1)}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPut, p.URL, nil)
		req.Header.Set("X-Amz-Copy-Source", b+"/secret")
		wantS3Error(t, "upload part copy", e.send(t, req), 403, "AccessDenied", msg, notSigned("x-amz-copy-source"))
		parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: mp.UploadId})
		if err != nil || len(parts.Parts) != 0 {
			t.Fatalf("parts after refused copy: %v %v", parts, err)
		}
		// The same URL used as signed still uploads the part.
		req, _ = http.NewRequest(http.MethodPut, p.URL, strings.NewReader("part bytes"))
		if got := e.send(t, req); got.status != 200 {
			t.Fatalf("presigned UploadPart as signed: %d %s", got.status, got.body)
		}
	})
	t.Run("header-signed request with injected meta and tagging", func(t *testing.T) {
		before := stateOf(t, c, b, "victim")
		cred := e.keys["alpha"]
		for _, inject := range []http.Header{
			{"X-Amz-Meta-Foo": {"bar"}},
			{"X-Amz-Tagging": {"class=evil"}},
			{"X-Amz-Meta-M": {"evil"}, "X-Amz-Tagging": {"class=evil"}},
		} {
			body := "victim bytes"
			req, _ := http.NewRequest(http.MethodPut, e.srv.URL+"/"+b+"/victim", strings.NewReader(body))
			req.Header.Set("X-Amz-Meta-M", "orig")
			req.Header.Set("X-Amz-Tagging", "class=orig")
			req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: cred.AccessKey, SecretAccessKey: cred.SecretKey},
				req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
			signed := req.Header.Get("Authorization")
			var names []string
			for k, v := range inject {
				if req.Header.Get(k) != "" && strings.Contains(signed, strings.ToLower(k)) {
					// Replacing a signed header's value breaks the signature instead.
					continue
				}
				req.Header[k] = v
				names = append(names, strings.ToLower(k))
			}
			if len(names) == 0 {
				continue
			}
			// Sent as signed but for the injected headers: refused.
			wantS3Error(t, "injected "+strings.Join(names, ","), e.send(t, req), 403, "AccessDenied", msg)
		}
		// A header-signed request that injects a new header while leaving
		// the signed ones alone, end to end: x-amz-meta-foo on a PUT.
		req, _ := http.NewRequest(http.MethodPut, e.srv.URL+"/"+b+"/victim", strings.NewReader("overwritten"))
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: cred.AccessKey, SecretAccessKey: cred.SecretKey},
			req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Meta-Foo", "bar")
		req.Header.Set("X-Amz-Tagging", "class=evil")
		wantS3Error(t, "injected meta and tagging", e.send(t, req), 403, "AccessDenied", msg, notSigned("x-amz-meta-foo", "x-amz-tagging"))
		if after := stateOf(t, c, b, "victim"); !reflect.DeepEqual(after, before) {
			t.Fatalf("victim changed: %+v, was %+v", after, before)
		}
	})
	t.Run("SDK requests that sign their headers still work", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"), CopySource: aws.String(b + "/victim"),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"m": "new"}, Tagging: aws.String("class=copy"),
			TaggingDirective: types.TaggingDirectiveReplace})
		if err != nil {
			t.Fatal(err)
		}
		got := stateOf(t, c, b, "copy")
		if got.Body != "victim bytes" || got.Meta["m"] != "new" || got.Tags["class"] != "copy" {
			t.Fatalf("copy: %+v", got)
		}
		// A presigned PUT whose signer put the copy source into the signature.
		p, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("meta-signed"),
			Metadata: map[string]string{"k": "v"}}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPut, p.URL, strings.NewReader("with signed meta"))
		for k, vs := range p.SignedHeader {
			if !strings.EqualFold(k, "Host") {
				req.Header[k] = vs
			}
		}
		if got := e.send(t, req); got.status != 200 {
			t.Fatalf("presigned PUT with signed metadata: %d %s", got.status, got.body)
		}
		if got := stateOf(t, c, b, "meta-signed"); got.Meta["k"] != "v" {
			t.Fatalf("signed metadata lost: %+v", got)
		}
	})
}

// presignV2URL returns a SigV2 presigned URL: sent to base+path, signed for
// the CanonicalizedResource resource.
func presignV2URL(secret, accessKey, method, base, path, resource string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(method + "\n\n\n" + exp + "\n" + resource))
	sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
	return base + path + "?AWSAccessKeyId=" + url.QueryEscape(accessKey) + "&Expires=" + exp + "&Signature=" + url.QueryEscape(sig)
}

// TestSigV2BindsRoutedBucket reproduces issue 12 finding 4: the SigV2
// verifier tried several candidate buckets, so a URL signed for
// /pub/priv/secret.txt (bucket pub) served and deleted bucket priv's
// secret.txt. The signature must bind the one bucket and key the router
// picks, with and without --domain.
func TestSigV2BindsRoutedBucket(t *testing.T) {
	for _, domains := range [][]string{nil, {"example"}} {
		t.Run("domains="+strings.Join(domains, ","), func(t *testing.T) {
			e := newEnvWith(t, envOptions{domains: domains})
			c := e.client("alpha", sdkWhenRequired)
			cred := e.keys["alpha"]
			mkBucket(t, c, "pub")
			mkBucket(t, c, "priv")
			put(t, c, "priv", "secret.txt", []byte("PRIV SECRET"))
			put(t, c, "priv", "pub/priv/secret.txt", []byte("PRIV NESTED SECRET"))
			put(t, c, "pub", "priv/secret.txt", []byte("public bytes"))
			exp := time.Now().Add(time.Hour)
			v2 := func(method, host, path, resource string) rawResponse {
				req, _ := http.NewRequest(method, presignV2URL(cred.SecretKey, cred.AccessKey, method, e.srv.URL, path, resource, exp), nil)
				req.Host = host
				return e.send(t, req)
			}
			port := e.srv.URL[strings.LastIndex(e.srv.URL, ":"):]

			// Legitimate V2 requests pass: path style always, virtual-hosted
			// under --domain.
			if got := v2("GET", "127.0.0.1"+port, "/pub/priv/secret.txt", "/pub/priv/secret.txt"); got.status != 200 || got.body != "public bytes" {
				t.Fatalf("path-style V2 GET: %d %q", got.status, got.body)
			}
			if domains != nil {
				if got := v2("GET", "priv.example"+port, "/secret.txt", "/priv/secret.txt"); got.status != 200 || got.body != "PRIV SECRET" {
					t.Fatalf("virtual-hosted V2 GET: %d %q", got.status, got.body)
				}
			}

			// The finding: path style without --domain, Host naming pub.
			// (A DELETE that verifies removes pub's priv/secret.txt, the
			// object it was signed for.)
			for _, m := range []string{"GET", "DELETE"} {
				got := v2(m, "pub.example"+port, "/priv/secret.txt", "/pub/priv/secret.txt")
				if domains == nil {
					wantS3Error(t, m+" /priv/secret.txt Host pub.example", got, 403, "SignatureDoesNotMatch")
				} else if m == "GET" && (got.status != 200 || got.body != "public bytes") {
					// With --domain example this is pub's priv/secret.txt: the resource signed.
					t.Fatalf("virtual-hosted GET of the signed resource: %d %q", got.status, got.body)
				}
				// The reverse: a path-style signature sent with Host priv.example.
				got = v2(m, "priv.example"+port, "/pub/priv/secret.txt", "/pub/priv/secret.txt")
				if domains != nil {
					wantS3Error(t, m+" /pub/priv/secret.txt Host priv.example", got, 403, "SignatureDoesNotMatch")
				}
			}
			if got := stateOf(t, c, "priv", "secret.txt"); got.Body != "PRIV SECRET" {
				t.Fatalf("priv/secret.txt: %+v", got)
			}
			if got := stateOf(t, c, "priv", "pub/priv/secret.txt"); got.Body != "PRIV NESTED SECRET" {
				t.Fatalf("priv/pub/priv/secret.txt: %+v", got)
			}

		})
	}
}

// TestSigV2Disabled: with SigV2 off, V2 requests get AWS's answer for
// regions without V2 while SigV4 keeps working.
func TestSigV2Disabled(t *testing.T) {
	e := newEnvWith(t, envOptions{verifier: auth.VerifierOptions{DisableSigV2: true}})
	c := e.client("alpha", sdkWhenRequired)
	cred := e.keys["alpha"]
	mkBucket(t, c, "sigv2-off")
	put(t, c, "sigv2-off", "k", []byte("bytes"))
	req, _ := http.NewRequest("GET", presignV2URL(cred.SecretKey, cred.AccessKey, "GET", e.srv.URL, "/sigv2-off/k", "/sigv2-off/k", time.Now().Add(time.Hour)), nil)
	wantS3Error(t, "V2 presigned", e.send(t, req), 400, "InvalidRequest", "Please use AWS4-HMAC-SHA256")
	req, _ = http.NewRequest("GET", e.srv.URL+"/sigv2-off/k", nil)
	date := time.Now().UTC().Format(http.TimeFormat)
	m := hmac.New(sha1.New, []byte(cred.SecretKey))
	m.Write([]byte("GET\n\n\n" + date + "\n/sigv2-off/k"))
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", "AWS "+cred.AccessKey+":"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	wantS3Error(t, "V2 header", e.send(t, req), 400, "InvalidRequest", "Please use AWS4-HMAC-SHA256")
	if got := get(t, c, "sigv2-off", "k"); !bytes.Equal(got, []byte("bytes")) {
		t.Fatalf("SigV4 GET: %q", got)
	}
}

// TestWrongRegion: a SigV4 scope naming another region is refused with the
// region to use, for header auth (AuthorizationHeaderMalformed) and
// presigned URLs (AuthorizationQueryParametersError).
func TestWrongRegion(t *testing.T) {
	e := newEnv(t)
	cred := e.keys["alpha"]
	ctx := context.Background()
	wrong := testutil.S3Client(e.srv.URL, cred.AccessKey, cred.SecretKey, testutil.NoRetries, func(o *s3.Options) {
		o.HTTPClient = e.srv.Client()
		o.Region = "eu-west-3"
	})
	_, err := wrong.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantAPIError(t, err, "AuthorizationHeaderMalformed", "The authorization header is malformed; the region 'eu-west-3' is wrong; expecting 'us-east-1'")
	p, err := s3.NewPresignClient(wrong).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", p.URL, nil)
	wantS3Error(t, "presigned", e.send(t, req), 400, "AuthorizationQueryParametersError",
		"Error parsing the X-Amz-Credential parameter; the region &#39;eu-west-3&#39; is wrong; expecting &#39;us-east-1&#39;", "<Region>us-east-1</Region>")
	if _, err := e.client("alpha", sdkWhenRequired).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("right region: %v", err)
	}
}
