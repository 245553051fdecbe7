package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	for _, want := range []string{"coffer_session=", "Secure", "HttpOnly", "SameSite=Strict", "Path=/"} {
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
		"new user password": "a-brand-new-password", "session token": c.session,
	} {
		if hits := tnGrepDir(t, s.dir, []byte(secret)); len(hits) > 0 {
			t.Errorf("%s stored in clear text in %v", name, hits)
		}
		if bytes.Contains(logs, []byte(secret)) {
			t.Errorf("%s appears in the server log", name)
		}
	}
}
