package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/internal/server"
	"github.com/cofferstore/coffer/internal/testutil"
)

// TestAdminCLIOverTLS: --ca-cert trusts a self-signed server; without it the
// CLI refuses the certificate.
func TestAdminCLIOverTLS(t *testing.T) {
	dir := t.TempDir()
	cert := testutil.SelfSignedCert(t)
	srv, err := server.Start(context.Background(), server.Config{
		DataDir: filepath.Join(dir, "data"), S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0",
		TLSCert: cert.CertFile, TLSKey: cert.KeyFile, AdminPassword: testPassword, ScrubInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	var out, errb bytes.Buffer
	args := []string{"admin", "--server", srv.ConsoleURL, "--password", testPassword, "--ca-cert", cert.CertFile, "tenant", "create", "secure"}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("with --ca-cert: %v", err)
	}
	err = run(context.Background(), []string{"admin", "--server", srv.ConsoleURL, "--password", testPassword, "tenant", "list"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without --ca-cert: %v", err)
	}
}
