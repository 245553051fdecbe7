package reliability

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cofferstore/coffer/internal/testutil"
)

// httpGet fetches a URL and returns status and body.
func httpDo(t *testing.T, hc *http.Client, method, u string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestTenantIsolation extends the tenancy matrix: presigned URLs, copy
// sources, multipart upload ids and the console API of another tenant never
// reach a tenant's data; presigned URLs replay until expiry only; no secret
// is stored in clear anywhere under the data and drive directories.
func TestTenantIsolation(t *testing.T) {
	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s")
	ka, kb := srv.newTenant("alpha"), srv.newTenant("bravo")
	a, b := srv.s3(ka), srv.s3(kb)
	for _, x := range []struct {
		c    *s3.Client
		name string
	}{{a, "a-box"}, {b, "b-box"}} {
		if _, err := x.c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String(x.name)}); err != nil {
			t.Fatal(err)
		}
	}
	secret := bytes.Repeat([]byte("alpha-private "), 1000)
	if _, err := a.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("a-box"), Key: aws.String("secret"), Body: bytes.NewReader(secret)}); err != nil {
		t.Fatal(err)
	}
	hc := srv.httpClient()
	aliceIntact := func(when string) {
		t.Helper()
		got, err := a.GetObject(bg, &s3.GetObjectInput{Bucket: aws.String("a-box"), Key: aws.String("secret")})
		if err != nil {
			t.Fatalf("%s: alpha's object: %v", when, err)
		}
		body, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if !bytes.Equal(body, secret) {
			t.Fatalf("%s: alpha's object changed", when)
		}
	}

	t.Run("presigned URLs of another tenant", func(t *testing.T) {
		pb := s3.NewPresignClient(b)
		g, _ := pb.PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String("a-box"), Key: aws.String("secret")})
		if st, body := httpDo(t, hc, "GET", g.URL, nil); st < 400 || bytes.Contains(body, []byte("alpha-private")) {
			t.Errorf("bravo's presigned GET of alpha's object: %d", st)
		}
		p, _ := pb.PresignPutObject(bg, &s3.PutObjectInput{Bucket: aws.String("a-box"), Key: aws.String("secret")})
		if st, _ := httpDo(t, hc, "PUT", p.URL, []byte("evil")); st < 400 {
			t.Errorf("bravo's presigned PUT into alpha's bucket: %d", st)
		}
		d, _ := pb.PresignDeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String("a-box"), Key: aws.String("secret")})
		httpDo(t, hc, "DELETE", d.URL, nil)
		// Alpha's own URL with its path changed to another object fails the signature.
		ga, _ := s3.NewPresignClient(a).PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String("a-box"), Key: aws.String("other")})
		if st, body := httpDo(t, hc, "GET", strings.Replace(ga.URL, "/other?", "/secret?", 1), nil); st != 403 || !bytes.Contains(body, []byte("SignatureDoesNotMatch")) {
			t.Errorf("tampered presigned path: %d %s", st, short(body))
		}
		aliceIntact("after bravo's presigned requests")
	})

	t.Run("copy source of another tenant", func(t *testing.T) {
		_, err := b.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("b-box"), Key: aws.String("stolen"), CopySource: aws.String("a-box/secret")})
		if err == nil {
			t.Fatal("bravo copied alpha's object")
		}
		t.Logf("cross-tenant copy: %s", testutil.S3ErrorCode(err))
		if _, err := b.HeadObject(bg, &s3.HeadObjectInput{Bucket: aws.String("b-box"), Key: aws.String("stolen")}); err == nil {
			t.Error("b-box/stolen exists")
		}
		// Into alpha's bucket from bravo's: refused too.
		if _, err := b.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String("a-box"), Key: aws.String("secret"), CopySource: aws.String("b-box/nothing")}); err == nil {
			t.Error("bravo copied into alpha's bucket")
		}
		// UploadPartCopy from alpha's object into bravo's upload.
		cr, err := b.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String("b-box"), Key: aws.String("mp")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.UploadPartCopy(bg, &s3.UploadPartCopyInput{Bucket: aws.String("b-box"), Key: aws.String("mp"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String("a-box/secret")}); err == nil {
			t.Error("bravo's UploadPartCopy read alpha's object")
		}
		aliceIntact("after cross-tenant copies")
	})

	t.Run("multipart upload id of another tenant", func(t *testing.T) {
		cr, err := a.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String("a-box"), Key: aws.String("big")})
		if err != nil {
			t.Fatal(err)
		}
		id := cr.UploadId
		for _, bucket := range []string{"a-box", "b-box"} {
			if _, err := b.UploadPart(bg, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("big"), UploadId: id,
				PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("evil"))}); err == nil {
				t.Errorf("bravo uploaded a part to alpha's upload via %s", bucket)
			}
			if _, err := b.ListParts(bg, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("big"), UploadId: id}); err == nil {
				t.Errorf("bravo listed alpha's parts via %s", bucket)
			}
			if _, err := b.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("big"), UploadId: id,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"x"`)}}}}); err == nil {
				t.Errorf("bravo completed alpha's upload via %s", bucket)
			}
			if _, err := b.AbortMultipartUpload(bg, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("big"), UploadId: id}); err == nil {
				t.Errorf("bravo aborted alpha's upload via %s", bucket)
			}
		}
		if ups, err := b.ListMultipartUploads(bg, &s3.ListMultipartUploadsInput{Bucket: aws.String("a-box")}); err == nil && len(ups.Uploads) > 0 {
			t.Errorf("bravo sees alpha's uploads")
		}
		// Alpha's upload is untouched and completes.
		up, err := a.UploadPart(bg, &s3.UploadPartInput{Bucket: aws.String("a-box"), Key: aws.String("big"), UploadId: id,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("alpha part"))})
		if err != nil {
			t.Fatalf("alpha's upload after bravo's attempts: %v", err)
		}
		if _, err := a.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: aws.String("a-box"), Key: aws.String("big"), UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}); err != nil {
			t.Fatalf("alpha's complete: %v", err)
		}
		got, err := readObject(a, "a-box", "big")
		if err != nil || got == nil || got.size != int64(len("alpha part")) {
			t.Fatalf("alpha's completed object: %v %v", got, err)
		}
	})

	t.Run("console API of another tenant", func(t *testing.T) {
		srv.admin("POST", "/api/admin/tenants/bravo/users", map[string]string{"username": "bob", "password": "bob-password-123"}, nil)
		sess := srv.login("bob", "bob-password-123")
		st, body, _ := sess.call("GET", "/api/containers", nil)
		if st != 200 || bytes.Contains(body, []byte("a-box")) {
			t.Errorf("bravo's containers: %d %s", st, short(body))
		}
		st, _, _ = sess.call("DELETE", "/api/containers/a-box?force=true&confirm=a-box", nil)
		if st == 204 {
			t.Errorf("bravo force-deleted alpha's container")
		}
		for _, p := range []string{"/api/admin/tenants", "/api/admin/tenants/alpha", "/api/admin/tenants/alpha/keys", "/api/admin/drives"} {
			if st, body, _ := sess.call("GET", p, nil); st != 403 && st != 401 {
				t.Errorf("bravo's session GET %s: %d %s", p, st, short(body))
			}
		}
		if st, _, _ := sess.call("POST", "/api/admin/tenants/alpha/keys/rotate", nil); st != 403 && st != 401 {
			t.Errorf("bravo rotated alpha's key: %d", st)
		}
		// A tenant user's password is no operator credential for Basic auth.
		req, _ := http.NewRequest("GET", srv.ConsoleURL+"/api/admin/tenants", nil)
		req.SetBasicAuth("bob", "bob-password-123")
		if r := srv.do(t, req); r.Status != 401 && r.Status != 403 {
			t.Errorf("bob's Basic auth on the admin API: %d", r.Status)
		}
		aliceIntact("after bravo's console calls")
	})

	t.Run("presigned replay and expiry", func(t *testing.T) {
		ps, err := s3.NewPresignClient(a).PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String("a-box"), Key: aws.String("secret")},
			s3.WithPresignExpires(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ { // replay within expiry works
			if st, body := httpDo(t, hc, "GET", ps.URL, nil); st != 200 || !bytes.Equal(body, secret) {
				t.Fatalf("replay %d within expiry: %d", i, st)
			}
		}
		time.Sleep(3 * time.Second)
		st, body := httpDo(t, hc, "GET", ps.URL, nil)
		if st != 403 || !bytes.Contains(body, []byte("AccessDenied")) || bytes.Contains(body, []byte("alpha-private")) {
			t.Errorf("expired presigned URL: %d %s", st, short(body))
		}
	})

	t.Run("no secret at rest in clear", func(t *testing.T) {
		srv.stop()
		needles := map[string][]byte{"alpha secret": []byte(ka.SecretKey), "bravo secret": []byte(kb.SecretKey),
			"operator password": []byte(adminPassword), "user password": []byte("bob-password-123")}
		root := filepath.Dir(srv.DataDir)
		files, scanned := 0, int64(0)
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error { // skips unreadable entries itself
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			files++
			scanned += int64(len(b))
			for what, n := range needles {
				if bytes.Contains(b, n) {
					t.Errorf("%s found in clear in %s", what, p)
				}
			}
			return nil
		})
		logs := []byte(srv.logs.String())
		for what, n := range needles {
			if what != "operator password" && bytes.Contains(logs, n) {
				t.Errorf("%s found in the server's output", what)
			}
		}
		t.Logf("FIGURES secrets-at-rest: %d files, %d bytes scanned, no plaintext secret", files, scanned)
	})
}

// TestTLSWithAWSCLI runs the server with a self-signed certificate and
// copies an object in and out with the AWS CLI using --ca-bundle; without
// the bundle the CLI refuses the certificate.
func TestTLSWithAWSCLI(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed")
	}
	dir := t.TempDir()
	cert := testutil.SelfSignedCert(t)
	certPath, keyPath, pool := cert.CertFile, cert.KeyFile, cert.Pool
	srv := newCoffer(t, 4, 2, "--scrub-interval", "-1s", "--tls-cert", certPath, "--tls-key", keyPath)
	srv.Pool, srv.CACert = pool, certPath
	srv.start(true)
	if !strings.HasPrefix(srv.S3URL, "https://") {
		t.Fatalf("S3 URL %s is not https", srv.S3URL)
	}
	keys := srv.newTenant("tls")
	body := bytes.Repeat([]byte("over tls "), 200000)
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.WriteFile(in, body, 0o600); err != nil {
		t.Fatal(err)
	}
	aws := func(args ...string) ([]byte, error) {
		cmd := exec.Command(awsPath, append([]string{"--endpoint-url", srv.S3URL, "--region", "us-east-1"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+keys.AccessKey, "AWS_SECRET_ACCESS_KEY="+keys.SecretKey,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "HOME="+dir)
		return cmd.CombinedOutput()
	}
	for _, args := range [][]string{
		{"--ca-bundle", certPath, "s3", "mb", "s3://tls-box"},
		{"--ca-bundle", certPath, "s3", "cp", in, "s3://tls-box/obj"},
		{"--ca-bundle", certPath, "s3", "cp", "s3://tls-box/obj", out},
	} {
		if o, err := aws(args...); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, o)
		}
	}
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, body) {
		t.Fatalf("object over TLS: got %d bytes, want %d", len(got), len(body))
	}
	if o, err := aws("s3", "ls", "s3://tls-box"); err == nil {
		t.Fatalf("aws without --ca-bundle accepted the self-signed certificate:\n%s", o)
	}
	t.Logf("FIGURES tls: aws CLI mb/cp/cp over https with --ca-bundle, %d bytes round-tripped; refused without it", len(body))
}
