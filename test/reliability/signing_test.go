package reliability

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/testutil"
)

// v2URL is a SigV2 presigned URL sent to c's S3 listener at path but signed
// for the CanonicalizedResource resource.
func (c *coffer) v2URL(k tenantKeys, method, path, resource string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	m := hmac.New(sha1.New, []byte(k.SecretKey))
	m.Write([]byte(method + "\n\n\n" + exp + "\n" + resource))
	sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
	return c.S3URL + path + "?AWSAccessKeyId=" + url.QueryEscape(k.AccessKey) + "&Expires=" + exp + "&Signature=" + url.QueryEscape(sig)
}

// TestSignatureBinding attacks the built binary (issue 12 findings 3, 4 and
// the region part of 12): x-amz-* headers added to presigned or
// header-signed requests, SigV2 URLs replayed against another bucket
// through the Host header, SigV2 URLs valid for longer than a week, SigV4
// scopes for another region, and SigV2 turned off by its flag. Every attempt
// must be refused with AWS's code and leave the data as it was.
func TestSignatureBinding(t *testing.T) {
	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s", "--domain", "example.test")
	k := srv.newTenant("alpha")
	a := srv.s3(k)
	for _, b := range []string{"pub", "priv"} {
		if _, err := a.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	objects := map[[2]string]string{
		{"priv", "secret.txt"}:          "PRIV SECRET",
		{"priv", "pub/priv/secret.txt"}: "PRIV NESTED SECRET",
		{"pub", "priv/secret.txt"}:      "public bytes",
	}
	for bk, body := range objects {
		if _, err := a.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String(bk[0]), Key: aws.String(bk[1]), Body: strings.NewReader(body),
			Metadata: map[string]string{"m": "orig"}}); err != nil {
			t.Fatal(err)
		}
	}
	intact := func(t *testing.T, when string) {
		t.Helper()
		for bk, want := range objects {
			out, err := a.GetObject(bg, &s3.GetObjectInput{Bucket: aws.String(bk[0]), Key: aws.String(bk[1])})
			if err != nil {
				t.Fatalf("%s: %s/%s: %v", when, bk[0], bk[1], err)
			}
			var got bytes.Buffer
			if _, err := got.ReadFrom(out.Body); err != nil {
				t.Fatalf("%s: %s/%s: read: %v", when, bk[0], bk[1], err)
			}
			out.Body.Close()
			if got.String() != want || out.Metadata["m"] != "orig" || len(out.Metadata) != 1 {
				t.Fatalf("%s: %s/%s is %q %v", when, bk[0], bk[1], got.String(), out.Metadata)
			}
		}
	}
	pc := s3.NewPresignClient(a)
	send := func(method, u, host string, hdr http.Header) rawResp {
		req, err := http.NewRequest(method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		for h, v := range hdr {
			req.Header[h] = v
		}
		return srv.do(t, req)
	}
	port := srv.S3URL[strings.LastIndex(srv.S3URL, ":"):]

	t.Run("unsigned x-amz headers", func(t *testing.T) {
		put, _ := pc.PresignPutObject(bg, &s3.PutObjectInput{Bucket: aws.String("pub"), Key: aws.String("priv/secret.txt")})
		mp, err := a.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String("pub"), Key: aws.String("mp")})
		if err != nil {
			t.Fatal(err)
		}
		part, _ := pc.PresignUploadPart(bg, &s3.UploadPartInput{Bucket: aws.String("pub"), Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(1)})
		for _, c := range []struct {
			name string
			url  string
			hdr  http.Header
		}{
			{"presigned PUT + copy source", put.URL, http.Header{"X-Amz-Copy-Source": {"priv/secret.txt"}}},
			{"presigned PUT + metadata REPLACE", put.URL, http.Header{"X-Amz-Copy-Source": {"pub/priv/secret.txt"},
				"X-Amz-Metadata-Directive": {"REPLACE"}, "X-Amz-Meta-M": {"evil"}}},
			{"presigned UploadPart + copy source", part.URL, http.Header{"X-Amz-Copy-Source": {"priv/secret.txt"}}},
			{"presigned PUT + tagging", put.URL, http.Header{"X-Amz-Tagging": {"a=b"}}},
		} {
			r := send("PUT", c.url, "", c.hdr)
			if r.Status != 403 || r.Code != "AccessDenied" || !bytes.Contains(r.Body, []byte("<HeadersNotSigned>x-amz-")) {
				t.Errorf("%s: %d %s", c.name, r.Status, short(r.Body))
			}
		}
		parts, err := a.ListParts(bg, &s3.ListPartsInput{Bucket: aws.String("pub"), Key: aws.String("mp"), UploadId: mp.UploadId})
		if err != nil {
			t.Fatal(err)
		}
		if len(parts.Parts) != 0 {
			t.Errorf("%d parts after refused UploadPartCopy", len(parts.Parts))
		}
		intact(t, "after unsigned headers")
	})

	t.Run("SigV2 bound to the routed bucket", func(t *testing.T) {
		exp := time.Now().Add(time.Hour)
		for _, m := range []string{"GET", "DELETE"} {
			// Signed path style for pub, sent virtual-hosted to priv.
			r := send(m, srv.v2URL(k, m, "/pub/priv/secret.txt", "/pub/priv/secret.txt", exp), "priv.example.test"+port, nil)
			if r.Status != 403 || r.Code != "SignatureDoesNotMatch" {
				t.Errorf("%s via Host priv.example.test: %d %s", m, r.Status, short(r.Body))
			}
			// A Host outside --domain is path style: /priv/secret.txt is priv's.
			r = send(m, srv.v2URL(k, m, "/priv/secret.txt", "/pub/priv/secret.txt", exp), "pub.elsewhere"+port, nil)
			if r.Status != 403 || r.Code != "SignatureDoesNotMatch" {
				t.Errorf("%s via Host pub.elsewhere: %d %s", m, r.Status, short(r.Body))
			}
		}
		intact(t, "after SigV2 replays")
		// Legitimate V2: path style and virtual-hosted.
		if r := send("GET", srv.v2URL(k, "GET", "/priv/secret.txt", "/priv/secret.txt", exp), "", nil); r.Status != 200 || string(r.Body) != "PRIV SECRET" {
			t.Errorf("path-style V2 GET: %d %s", r.Status, short(r.Body))
		}
		if r := send("GET", srv.v2URL(k, "GET", "/secret.txt", "/priv/secret.txt", exp), "priv.example.test"+port, nil); r.Status != 200 || string(r.Body) != "PRIV SECRET" {
			t.Errorf("virtual-hosted V2 GET: %d %s", r.Status, short(r.Body))
		}
		r := send("GET", srv.v2URL(k, "GET", "/priv/secret.txt", "/priv/secret.txt", time.Now().Add(8*24*time.Hour)), "", nil)
		if r.Status != 400 || bytes.Contains(r.Body, []byte("PRIV")) {
			t.Errorf("V2 URL valid for 8 days: %d %s", r.Status, short(r.Body))
		}
	})

	t.Run("wrong region", func(t *testing.T) {
		_, err := srv.s3(k, func(o *s3.Options) { o.Region = "eu-west-3" }).ListBuckets(bg, &s3.ListBucketsInput{})
		if testutil.S3ErrorCode(err) != "AuthorizationHeaderMalformed" || !strings.Contains(err.Error(), "expecting 'us-east-1'") {
			t.Errorf("header auth for eu-west-3: %v", err)
		}
		p, _ := s3.NewPresignClient(srv.s3(k, func(o *s3.Options) { o.Region = "eu-west-3" })).PresignGetObject(bg,
			&s3.GetObjectInput{Bucket: aws.String("priv"), Key: aws.String("secret.txt")})
		if r := send("GET", p.URL, "", nil); r.Status != 400 || r.Code != "AuthorizationQueryParametersError" || !bytes.Contains(r.Body, []byte("<Region>us-east-1</Region>")) {
			t.Errorf("presigned for eu-west-3: %d %s", r.Status, short(r.Body))
		}
	})

	t.Run("--sigv2=false", func(t *testing.T) {
		off := startCoffer(t, 4, 2, "--scrub-interval", "-1s", "--sigv2=false")
		ko := off.newTenant("alpha")
		if _, err := off.s3(ko).CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("pub")}); err != nil {
			t.Fatalf("SigV4 with SigV2 off: %v", err)
		}
		req, _ := http.NewRequest("GET", off.v2URL(ko, "GET", "/pub", "/pub/", time.Now().Add(time.Hour)), nil)
		if r := off.do(t, req); r.Status != 400 || r.Code != "InvalidRequest" || !bytes.Contains(r.Body, []byte("AWS4-HMAC-SHA256")) {
			t.Errorf("V2 with --sigv2=false: %d %s", r.Status, short(r.Body))
		}
	})
}
