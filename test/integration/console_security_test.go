package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/server"
)

// writeSelfSignedCert writes a certificate for 127.0.0.1 and its key, and
// returns the paths and a pool that trusts it.
func writeSelfSignedCert(t *testing.T, dir string) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "coffer test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certPath, keyPath, pool
}

// TestConsoleTLSSessionCookie: under TLS the wired server marks the session
// cookie Secure, besides HttpOnly and SameSite=Strict.
func TestConsoleTLSSessionCookie(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, pool := writeSelfSignedCert(t, dir)
	srv, err := server.Start(context.Background(), server.Config{
		DataDir: filepath.Join(dir, "data"), DriveCount: 4, Parity: 2,
		S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0",
		AdminPassword: testAdminPassword, ScrubInterval: -1,
		TLSCert: certPath, TLSKey: keyPath,
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
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
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
