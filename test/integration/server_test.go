package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/server"
	"github.com/cofferstore/coffer/internal/testutil"
)

// testAdminPassword is the operator password of every startServer server.
const testAdminPassword = "integration-operator-password"

// testServer is a whole Coffer started in-process through the real wiring:
// four temporary drives (2 data + 2 parity), S3 and console on 127.0.0.1:0.
type testServer struct {
	*server.Server
	t      *testing.T
	Config server.Config
	Logs   *testutil.LockedBuffer
}

// startServer starts a server and stops it when the test ends. Options adjust
// the config before start (more drives, a metrics token, ...).
func startServer(t *testing.T, opts ...func(*server.Config)) *testServer {
	t.Helper()
	logs := &testutil.LockedBuffer{}
	cfg := server.Config{
		DataDir:        t.TempDir(),
		DriveCount:     4,
		Parity:         2,
		S3Address:      "127.0.0.1:0",
		ConsoleAddress: "127.0.0.1:0",
		AdminPassword:  testAdminPassword,
		ScrubInterval:  -1,
		LogLevel:       "debug",
		LogOutput:      logs,
	}
	for _, o := range opts {
		o(&cfg)
	}
	ts := &testServer{t: t, Config: cfg, Logs: logs}
	ts.start()
	t.Cleanup(func() { ts.stop() })
	return ts
}

func (ts *testServer) start() {
	ts.t.Helper()
	srv, err := server.Start(context.Background(), ts.Config)
	if err != nil {
		ts.t.Fatalf("server.Start: %v", err)
	}
	ts.Server = srv
	ts.waitReady()
}

// stop shuts the server down gracefully; a second call does nothing.
func (ts *testServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		ts.t.Errorf("Shutdown: %v", err)
	}
}

// restart stops the server and starts it again on the same data directory
// (new ports: clients must be rebuilt from S3URL/ConsoleURL).
func (ts *testServer) restart() {
	ts.t.Helper()
	ts.stop()
	ts.start()
}

// waitReady polls /readyz until it answers 200.
func (ts *testServer) waitReady() {
	ts.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(ts.ConsoleURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			ts.t.Fatalf("server never became ready: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// createTenant creates a tenant without quotas.
func (ts *testServer) createTenant(name string) {
	ts.t.Helper()
	operatorAPI(ts.t, ts).must(http.StatusCreated, "POST", "/api/admin/tenants", map[string]any{"name": name}, nil)
}

// generateKey creates the tenant's S3 key pair through the admin API.
func (ts *testServer) generateKey(tenant string) (accessKey, secretKey string) {
	ts.t.Helper()
	var k tnKey
	operatorAPI(ts.t, ts).must(http.StatusCreated, "POST", "/api/admin/tenants/"+tenant+"/keys", nil, &k)
	if len(k.AccessKey) != 20 || len(k.SecretKey) != 40 {
		ts.t.Fatalf("generate key for %s: key pair of %d and %d characters", tenant, len(k.AccessKey), len(k.SecretKey))
	}
	return k.AccessKey, k.SecretKey
}

// s3Client builds an aws-sdk-go-v2 client for the S3 listener with the SDK's
// default behaviour (checksums when supported, standard retryer), path style.
func (ts *testServer) s3Client(accessKey, secretKey string, optFns ...func(*s3.Options)) *s3.Client {
	return testutil.S3Client(ts.S3URL, accessKey, secretKey, optFns...)
}

// newTenant creates a tenant with a key pair and returns its S3 client.
func (ts *testServer) newTenant(name string, optFns ...func(*s3.Options)) *s3.Client {
	ts.t.Helper()
	ts.createTenant(name)
	ak, sk := ts.generateKey(name)
	return ts.s3Client(ak, sk, optFns...)
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func getBytes(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s/%s: read: %v", bucket, key, err)
	}
	return b
}

// TestServerSmoke: tenant and key through the admin API, an object through
// the S3 listener, and a restart that keeps everything.
func TestServerSmoke(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	ts.createTenant("smoke")
	ak, sk := ts.generateKey("smoke")
	c := ts.s3Client(ak, sk)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	body := randomBytes(t, 3<<20+17)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("box"), Key: aws.String("dir/blob"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if got := getBytes(t, c, "box", "dir/blob"); !bytes.Equal(got, body) {
		t.Fatalf("GetObject returned %d bytes, not the %d put", len(got), len(body))
	}

	// The public endpoint defaults to the S3 listener; /api/settings shows it to tenants.
	if ts.PublicEndpoint != ts.S3URL || !strings.HasPrefix(ts.S3URL, "http://127.0.0.1:") {
		t.Errorf("PublicEndpoint %q, S3URL %q", ts.PublicEndpoint, ts.S3URL)
	}

	// The key pair survives a restart (its secret is stored encrypted).
	ts.restart()
	c = ts.s3Client(ak, sk)
	if got := getBytes(t, c, "box", "dir/blob"); !bytes.Equal(got, body) {
		t.Fatalf("after restart GetObject returned %d bytes, not the %d put", len(got), len(body))
	}
}

// TestShutdownFinishesInFlightUpload starts an upload, shuts the server down
// while the body is still arriving, and checks that the upload completes,
// Shutdown waits for it, new connections are refused meanwhile, and the object
// is there after a restart.
func TestShutdownFinishesInFlightUpload(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	ts.createTenant("graceful")
	ak, sk := ts.generateKey("graceful")
	c := ts.s3Client(ak, sk)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	// A presigned PUT lets the body stream from a pipe at our pace.
	body := randomBytes(t, 32<<20)
	req, err := s3.NewPresignClient(c).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("box"), Key: aws.String("inflight")})
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	pr, pw := io.Pipe()
	hreq, _ := http.NewRequest(http.MethodPut, req.URL, pr)
	hreq.ContentLength = int64(len(body))
	for k, vs := range req.SignedHeader {
		if !strings.EqualFold(k, "host") && !strings.EqualFold(k, "content-length") {
			hreq.Header[k] = vs
		}
	}
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{status: resp.StatusCode, body: string(b)}
	}()
	// 20 MiB is more than the loopback socket buffers hold, so the handler
	// is reading the body when Shutdown starts.
	half := 20 << 20
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatalf("writing the first 20 MiB: %v", err)
	}

	var mu sync.Mutex
	bodyFinished := false
	shutdownDone := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := ts.Shutdown(sctx)
		mu.Lock()
		if !bodyFinished {
			err = fmt.Errorf("Shutdown returned before the in-flight body was sent (err %v)", err)
		}
		mu.Unlock()
		shutdownDone <- err
	}()

	// Shutdown closes the listeners first: poll until new connections fail.
	s3Host := strings.TrimPrefix(ts.S3URL, "http://")
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", s3Host, time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting 10s after Shutdown began")
		}
		time.Sleep(5 * time.Millisecond)
	}

	mu.Lock()
	bodyFinished = true
	mu.Unlock()
	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatalf("writing the rest: %v", err)
	}
	pw.Close()
	res := <-done
	if res.err != nil || res.status != http.StatusOK {
		t.Fatalf("in-flight PUT during shutdown: status %d err %v: %s", res.status, res.err, res.body)
	}
	if err := <-shutdownDone; err != nil {
		t.Fatal(err)
	}

	ts.start()
	c = ts.s3Client(ak, sk)
	if got := getBytes(t, c, "box", "inflight"); !bytes.Equal(got, body) {
		t.Fatalf("after restart the in-flight object has %d bytes, want %d identical", len(got), len(body))
	}
}

// TestOversizedHeaderRefused: a 1 MiB header gets a clear S3 XML error, not
// a hang, a crash or a bare status line, and the server keeps serving.
func TestOversizedHeaderRefused(t *testing.T) {
	ts := startServer(t)
	req, _ := http.NewRequest(http.MethodPut, ts.S3URL+"/box/key", strings.NewReader("x"))
	req.Header.Set("X-Amz-Meta-Huge", strings.Repeat("a", 1<<20))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request with a 1 MiB header: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>RequestHeaderSectionTooLarge</Code>") {
		t.Fatalf("1 MiB header: status %d body %.200q, want 400 RequestHeaderSectionTooLarge", resp.StatusCode, body)
	}
	resp, err = http.Get(ts.ConsoleURL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz after the oversized header: %v %v", resp, err)
	}
	resp.Body.Close()
}
