package integration

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/testutil"
)

// tnServer is a whole Coffer (S3 + console listeners on 127.0.0.1:0) over
// temporary drives, started by the shared startServer helper.
type tnServer struct {
	t   *testing.T
	ts  *testServer
	dir string
}

func tnStart(t *testing.T) *tnServer {
	t.Helper()
	ts := startServer(t)
	return &tnServer{t: t, ts: ts, dir: ts.Config.DataDir}
}

// logs returns everything the server logged so far.
func (s *tnServer) logs() []byte { return []byte(s.ts.Logs.String()) }

// tnAPI is a console API client (testutil.API): operator Basic auth, or a
// tenant session.
type tnAPI struct{ *testutil.API }

func (s *tnServer) operator() *tnAPI { return operatorAPI(s.t, s.ts) }

// operatorAPI is the console API of ts as the operator (Basic auth).
func operatorAPI(t *testing.T, ts *testServer) *tnAPI {
	return &tnAPI{testutil.Operator(t, ts.ConsoleURL, testAdminPassword)}
}

// consoleLogin logs a console user in to ts and returns the session.
func consoleLogin(t *testing.T, ts *testServer, username, password string) *tnAPI {
	t.Helper()
	return &tnAPI{testutil.Login(t, ts.ConsoleURL, nil, username, password)}
}

// call sends body as JSON and returns status and response body.
func (a *tnAPI) call(method, path string, body any) (int, []byte) {
	a.T.Helper()
	return a.Call(method, path, body, nil)
}

// must calls and fails the test unless the status is want; it decodes into v when set.
func (a *tnAPI) must(want int, method, path string, body, v any) {
	a.T.Helper()
	a.Must(want, method, path, body, v)
}

// tenant creates a tenant (with quota) and a console user, and returns that user's session.
func (s *tnServer) tenant(name string, objects, bytes int64) *tnAPI {
	s.t.Helper()
	op := s.operator()
	op.must(http.StatusCreated, "POST", "/api/admin/tenants", map[string]any{"name": name, "quota": map[string]int64{"objects": objects, "bytes": bytes}}, nil)
	op.must(http.StatusCreated, "POST", "/api/admin/tenants/"+name+"/users", map[string]string{"username": name + "-user", "password": "password-of-" + name}, nil)
	return consoleLogin(s.t, s.ts, name+"-user", "password-of-"+name)
}

type tnKey struct {
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
}

// s3 returns an S3 client of the real SDK with the given key pair, no retries.
func (s *tnServer) s3(k tnKey) *s3.Client {
	return testutil.S3Client(s.ts.S3URL, k.AccessKey, k.SecretKey, testutil.NoRetries)
}

// s3Tenant is tenant plus a key pair generated through the tenant's console
// session, an S3 client holding it, and bucket created with that client.
func (s *tnServer) s3Tenant(name string, objects, bytes int64, bucket string) (*tnAPI, *s3.Client) {
	s.t.Helper()
	c := s.tenant(name, objects, bytes)
	var k tnKey
	c.must(http.StatusCreated, "POST", "/api/credentials", nil, &k)
	cl := s.s3(k)
	if _, err := cl.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		s.t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
	return c, cl
}

// tnGrepDir lists files under dir that contain needle.
func tnGrepDir(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error { // the callback skips unreadable entries itself
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, needle) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}
