package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/server"
)

// selfSigned writes a CA-capable certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "coffer cli test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// TestAdminCLIOverTLS: --ca-cert trusts a self-signed server; without it the
// CLI refuses the certificate.
func TestAdminCLIOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	srv, err := server.Start(context.Background(), server.Config{
		DataDir: filepath.Join(dir, "data"), S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0",
		TLSCert: certFile, TLSKey: keyFile, AdminPassword: testPassword, ScrubInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	var out, errb bytes.Buffer
	args := []string{"admin", "--server", srv.ConsoleURL, "--password", testPassword, "--ca-cert", certFile, "tenant", "create", "secure"}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("with --ca-cert: %v", err)
	}
	err = run(context.Background(), []string{"admin", "--server", srv.ConsoleURL, "--password", testPassword, "tenant", "list"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without --ca-cert: %v", err)
	}
}
