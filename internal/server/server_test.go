package server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/internal/testutil"
)

// TestStartTLSMetricsTokenPprof: both listeners speak TLS with the given
// certificate, /metrics wants the bearer token, pprof serves on loopback,
// the master key lands where configured, and Shutdown closes everything.
func TestStartTLSMetricsTokenPprof(t *testing.T) {
	dir := t.TempDir()
	cert := testutil.SelfSignedCert(t)
	keyPath := filepath.Join(dir, "secret", "master.key")
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	srv, err := Start(context.Background(), Config{
		DataDir: filepath.Join(dir, "data"), DriveCount: 3, Parity: 1,
		S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0", PprofAddress: "127.0.0.1:0",
		TLSCert: cert.CertFile, TLSKey: cert.KeyFile, MasterKeyFile: keyPath,
		MetricsToken: "scrape-me", AdminPassword: "operator-password", ScrubInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	if !strings.HasPrefix(srv.S3URL, "https://127.0.0.1:") || !strings.HasPrefix(srv.ConsoleURL, "https://127.0.0.1:") || srv.PublicEndpoint != srv.S3URL {
		t.Fatalf("URLs %q %q %q", srv.S3URL, srv.ConsoleURL, srv.PublicEndpoint)
	}
	if srv.GeneratedAdminPassword != "" {
		t.Error("a configured password must not be reported as generated")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}}}
	if code, _ := testutil.Get(t, client, srv.ConsoleURL+"/healthz", ""); code != http.StatusOK {
		t.Errorf("healthz over TLS: %d", code)
	}
	if code, _ := testutil.Get(t, client, srv.ConsoleURL+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without token: %d, want 401", code)
	}
	if code, body := testutil.Get(t, client, srv.ConsoleURL+"/metrics", "Bearer scrape-me"); code != http.StatusOK || !strings.Contains(string(body), "coffer_") {
		t.Errorf("metrics with token: %d", code)
	}
	// The S3 listener answers S3 XML over TLS (an unsigned request is refused).
	if code, body := testutil.Get(t, client, srv.S3URL+"/", ""); code != http.StatusForbidden || !strings.Contains(string(body), "<Error>") {
		t.Errorf("unsigned S3 request: %d %s", code, body)
	}
	if code, body := testutil.Get(t, http.DefaultClient, srv.PprofURL, ""); code != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Errorf("pprof: %d", code)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("master key file: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "master.key")); !os.IsNotExist(err) {
		t.Errorf("master key also written to the data dir: %v", err)
	}
	for i := 1; i <= 3; i++ {
		if fi, err := os.Stat(filepath.Join(dir, "data", "drive"+string(rune('0'+i)))); err != nil || !fi.IsDir() {
			t.Errorf("drive%d: %v", i, err)
		}
	}

	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := client.Get(srv.ConsoleURL + "/healthz"); err == nil {
		t.Error("console still serving after Shutdown")
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

// TestStartGeneratesOperatorPasswordOnce: the first start reports a generated
// password, a restart on the same data does not.
func TestStartGeneratesOperatorPasswordOnce(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0", ScrubInterval: -1}
	srv, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	pw := srv.GeneratedAdminPassword
	if len(pw) < 20 {
		t.Fatalf("generated password %q", pw)
	}
	if _, err := srv.Auth.CheckPassword(OperatorUsername, pw, "127.0.0.1"); err != nil {
		t.Fatalf("generated password does not log in: %v", err)
	}
	srv.Shutdown(context.Background())
	srv, err = Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if srv.GeneratedAdminPassword != "" {
		t.Error("second start generated another password")
	}
	if _, err := srv.Auth.CheckPassword(OperatorUsername, pw, "127.0.0.1"); err != nil {
		t.Fatalf("first password lost on restart: %v", err)
	}
}

func TestStartFailsCleanly(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := Config{DataDir: t.TempDir(), S3Address: "127.0.0.1:0", ConsoleAddress: busy.Addr().String(),
		AdminPassword: "operator-password", ScrubInterval: -1}
	if _, err := Start(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "console listener") {
		t.Fatalf("busy console port: %v", err)
	}
	cfg.ConsoleAddress, cfg.PprofAddress = "127.0.0.1:0", busy.Addr().String()
	if _, err := Start(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "pprof listener") {
		t.Fatalf("busy pprof port: %v", err)
	}
	// Everything opened was closed again: a second start on the same data works.
	cfg.PprofAddress = ""
	srv, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start after a failed start: %v", err)
	}
	srv.Shutdown(context.Background())
}

// TestConfiguredPasswordWinsOnRestart: COFFER_ADMIN_PASSWORD is the password
// in force at every start, also when it changed since the last one.
func TestConfiguredPasswordWinsOnRestart(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0",
		AdminPassword: "first-operator-password", ScrubInterval: -1}
	for _, pw := range []string{"first-operator-password", "first-operator-password", "second-operator-password"} {
		cfg.AdminPassword = pw
		srv, err := Start(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = srv.Auth.CheckPassword(OperatorUsername, pw, "127.0.0.1")
		srv.Shutdown(context.Background())
		if err != nil {
			t.Fatalf("password %q not in force: %v", pw, err)
		}
	}
	srv, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if _, err := srv.Auth.CheckPassword(OperatorUsername, "first-operator-password", "127.0.0.1"); err == nil {
		t.Fatal("the replaced password still works")
	}
}
