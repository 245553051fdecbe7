package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/server"
	"github.com/cofferstore/coffer/internal/testutil"
)

// TestConsoleTLSSessionCookie: under TLS the wired server marks the session
// cookie Secure, besides HttpOnly and SameSite=Strict.
func TestConsoleTLSSessionCookie(t *testing.T) {
	dir := t.TempDir()
	cert := testutil.SelfSignedCert(t)
	srv, err := server.Start(context.Background(), server.Config{
		DataDir: filepath.Join(dir, "data"), DriveCount: 4, Parity: 2,
		S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0",
		AdminPassword: testAdminPassword, ScrubInterval: -1,
		TLSCert: cert.CertFile, TLSKey: cert.KeyFile,
	})
	if err != nil {
		t.Fatalf("server.Start with TLS: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	if !strings.HasPrefix(srv.ConsoleURL, "https://") {
		t.Fatalf("console URL %q is not https", srv.ConsoleURL)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post(srv.ConsoleURL+"/api/login", "application/json",
		strings.NewReader(`{"username":"admin","password":"`+testAdminPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login over TLS: %d", resp.StatusCode)
	}
	raw := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"__Host-coffer_session=", "Secure", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(raw, want) {
			t.Errorf("Set-Cookie %q lacks %s", raw, want)
		}
	}
}

// TestConsoleNoPasswordsOrTokensStored: console passwords and session tokens
// are never written in clear text to the data directory or the log.
func TestConsoleNoPasswordsOrTokensStored(t *testing.T) {
	ts := startServer(t)
	s := &tnServer{t: t, ts: ts, dir: ts.Config.DataDir}
	c := s.tenant("secretive", 0, 0)
	c.must(http.StatusOK, "GET", "/api/me", nil, nil)
	s.operator().must(http.StatusNoContent, "PUT", "/api/admin/tenants/secretive/users/secretive-user/password",
		map[string]string{"password": "a-brand-new-password"}, nil)
	// The reset ended the session; the token is dead.
	if status, _ := c.call("GET", "/api/me", nil); status != http.StatusUnauthorized {
		t.Fatalf("session after password reset: %d, want 401", status)
	}
	logs := []byte(ts.Logs.String())
	for name, secret := range map[string]string{
		"operator password": testAdminPassword, "user password": "password-of-secretive",
		"new user password": "a-brand-new-password", "session token": c.Session,
	} {
		if hits := tnGrepDir(t, s.dir, []byte(secret)); len(hits) > 0 {
			t.Errorf("%s stored in clear text in %v", name, hits)
		}
		if bytes.Contains(logs, []byte(secret)) {
			t.Errorf("%s appears in the server log", name)
		}
	}
}

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (127.0.0.2 etc. are other client addresses on Linux).
func clientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// consoleReq sends one console API request; auth is "basic:PASSWORD",
// "bearer:TOKEN" or "".
func consoleReq(t *testing.T, hc *http.Client, method, url, body, authz string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch kind, v, _ := strings.Cut(authz, ":"); kind {
	case "basic":
		req.SetBasicAuth(server.OperatorUsername, v)
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestLoginFloodCannotLockOutOperator is the regression for issue 12
// finding 5: 50 failed logins for "admin" from 127.0.0.2 used to lock the
// operator out everywhere (console and Basic) for five minutes. Now only
// 127.0.0.2 waits (429 with Retry-After, password not checked), the
// operator logs in at once from 127.0.0.1, and the operator API token works
// even from the attacker's address.
func TestLoginFloodCannotLockOutOperator(t *testing.T) {
	ts := startServer(t)
	attacker, operator := clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.1")
	login := func(hc *http.Client, password string) *http.Response {
		return consoleReq(t, hc, "POST", ts.ConsoleURL+"/api/login",
			`{"username":"admin","password":"`+password+`"}`, "")
	}
	var unauthorized, throttled int
	for i := range 50 {
		resp := login(attacker, fmt.Sprintf("wrong-guess-%d", i))
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			unauthorized++
		case http.StatusTooManyRequests:
			throttled++
			if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
				t.Fatalf("429 without a Retry-After in seconds: %q", resp.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("attacker login %d: %d", i, resp.StatusCode)
		}
	}
	if unauthorized > 5 || throttled < 45 {
		t.Fatalf("attacker got %d password checks and %d throttled answers; want at most 5 checks", unauthorized, throttled)
	}
	// The operator, from another address, right away: console login and Basic.
	if resp := login(operator, testAdminPassword); resp.StatusCode != http.StatusOK {
		t.Fatalf("operator console login after the flood: %d", resp.StatusCode)
	}
	if resp := consoleReq(t, operator, "GET", ts.ConsoleURL+"/api/admin/tenants", "", "basic:"+testAdminPassword); resp.StatusCode != http.StatusOK {
		t.Fatalf("operator Basic after the flood: %d", resp.StatusCode)
	}
	// The attacker's address waits, even with the right password.
	if resp := consoleReq(t, attacker, "GET", ts.ConsoleURL+"/api/admin/tenants", "", "basic:"+testAdminPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("Basic from the flooding address: %d, want 429", resp.StatusCode)
	}
	// The operator API token is never throttled, even from that address.
	tok, err := os.ReadFile(ts.OperatorTokenFile)
	if err != nil {
		t.Fatalf("operator token file: %v", err)
	}
	token := strings.TrimSpace(string(tok))
	for _, hc := range []*http.Client{operator, attacker} {
		if resp := consoleReq(t, hc, "GET", ts.ConsoleURL+"/api/admin/tenants", "", "bearer:"+token); resp.StatusCode != http.StatusOK {
			t.Fatalf("operator token: %d", resp.StatusCode)
		}
	}
	if resp := consoleReq(t, operator, "GET", ts.ConsoleURL+"/api/admin/tenants", "", "bearer:"+token+"x"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong operator token: %d, want 401", resp.StatusCode)
	}
	// The token file is the operator's alone.
	if fi, err := os.Stat(ts.OperatorTokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("operator token file mode: %v %v", fi.Mode(), err)
	}
}

// TestObjectResponsesSandboxed: object GET and HEAD answers carry
// Content-Security-Policy: sandbox and nosniff, also when the client asks
// for text/html with response-content-type, so a tenant's HTML opened from
// the S3 listener runs no script in the host's cookie jar (issue 12
// finding 7).
func TestObjectResponsesSandboxed(t *testing.T) {
	ts := startServer(t)
	c := ts.newTenant("htmlhost")
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("site")}); err != nil {
		t.Fatal(err)
	}
	page := []byte(`<script>document.cookie="coffer_session=x; path=/api"</script>`)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("site"), Key: aws.String("p.html"),
		Body: bytes.NewReader(page), ContentType: aws.String("text/html")}); err != nil {
		t.Fatal(err)
	}
	presign := s3.NewPresignClient(c)
	for _, method := range []string{"GET", "HEAD"} {
		var url string
		if method == "GET" {
			req, err := presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("site"), Key: aws.String("p.html"),
				ResponseContentType: aws.String("text/html")})
			if err != nil {
				t.Fatal(err)
			}
			url = req.URL
		} else {
			req, err := presign.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("site"), Key: aws.String("p.html")})
			if err != nil {
				t.Fatal(err)
			}
			url = req.URL
		}
		req, _ := http.NewRequest(method, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", method, resp.StatusCode, body)
		}
		if method == "GET" && !bytes.Equal(body, page) {
			t.Fatalf("GET body %q", body)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != "sandbox" {
			t.Errorf("%s: Content-Security-Policy %q, want sandbox", method, got)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", method, got)
		}
	}
}
