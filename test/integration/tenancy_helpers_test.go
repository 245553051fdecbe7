package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/cofferstore/coffer/internal/server"
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

// tnAPI is a console API client: operator Basic auth, or a tenant session.
type tnAPI struct {
	t             *testing.T
	base          string
	basic         bool
	session, csrf string
	// seen accumulates every response (headers and body) when non-nil.
	seen *[]byte
}

func (s *tnServer) operator() *tnAPI { return operatorAPI(s.t, s.ts) }

// operatorAPI is the console API of ts as the operator (Basic auth).
func operatorAPI(t *testing.T, ts *testServer) *tnAPI {
	return &tnAPI{t: t, base: ts.ConsoleURL, basic: true}
}

// consoleLogin logs a console user in to ts and returns the session.
func consoleLogin(t *testing.T, ts *testServer, username, password string) *tnAPI {
	t.Helper()
	a := &tnAPI{t: t, base: ts.ConsoleURL}
	a.must(http.StatusOK, "POST", "/api/login", map[string]string{"username": username, "password": password}, nil)
	if a.session == "" || a.csrf == "" {
		t.Fatal("login gave no session or CSRF token")
	}
	return a
}

// call sends body as JSON and returns status and response body.
func (a *tnAPI) call(method, path string, body any) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if a.basic {
		req.SetBasicAuth(server.OperatorUsername, testAdminPassword)
	}
	if a.session != "" {
		req.AddCookie(&http.Cookie{Name: "coffer_session", Value: a.session})
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if a.seen != nil {
		*a.seen = append(*a.seen, out...)
		for k, v := range resp.Header {
			*a.seen = append(*a.seen, []byte(k+": "+strings.Join(v, ",")+"\n")...)
		}
	}
	if method == "POST" && path == "/api/login" && resp.StatusCode == http.StatusOK {
		for _, c := range resp.Cookies() {
			if c.Name == "coffer_session" {
				a.session = c.Value
			}
		}
		var me struct {
			CSRFToken string `json:"csrfToken"`
		}
		_ = json.Unmarshal(out, &me) // no JSON answer leaves no token; the caller's assertions see it
		a.csrf = me.CSRFToken
	}
	return resp.StatusCode, out
}

// must calls and fails the test unless the status is want; it decodes into v when set.
func (a *tnAPI) must(want int, method, path string, body, v any) {
	a.t.Helper()
	status, out := a.call(method, path, body)
	if status != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
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

// tnCode is the S3 error code of err, "" for nil, or the error text if it is not an API error.
func tnCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

// tnMessage is the S3 error message of err.
func tnMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
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
