package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// TestExternalEtcdTLS: an etcd member serving clients over TLS with
// client-certificate authentication. A node with the CA and its client
// certificate joins and writes; one without the certificate cannot.
func TestExternalEtcdTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := writeCert(t, dir, "ca", nil, nil, true)
	writeCert(t, dir, "server", ca, caKey, false)
	writeCert(t, dir, "client", ca, caKey, false)
	file := func(name string) string { return filepath.Join(dir, name) }

	clientURL := url.URL{Scheme: "https", Host: freeAddr(t)}
	peerURL := url.URL{Scheme: "http", Host: freeAddr(t)}
	ec := embed.NewConfig()
	ec.Name, ec.Dir, ec.LogLevel = "tls", filepath.Join(dir, "etcd"), "error"
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	ec.InitialCluster = "tls=" + peerURL.String()
	ec.ClientTLSInfo.CertFile, ec.ClientTLSInfo.KeyFile = file("server.pem"), file("server.key")
	ec.ClientTLSInfo.TrustedCAFile, ec.ClientTLSInfo.ClientCertAuth = file("ca.pem"), true
	e, err := embed.StartEtcd(ec)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		t.Fatal("etcd not ready")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	open := func(files TLSFiles) (*Cluster, error) {
		return Open(ctx, Config{Node: "n1", DataDir: t.TempDir(), Endpoints: []string{clientURL.String()}, TLS: files})
	}
	c, err := open(TLSFiles{CA: file("ca.pem"), Cert: file("client.pem"), Key: file("client.key")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client().Put(ctx, "/tls-test", "ok"); err != nil {
		t.Fatalf("put over TLS with a client certificate: %v", err)
	}
	resp, err := c.Client().Get(ctx, "/tls-test")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "ok" {
		t.Fatalf("get over TLS = %v, %v", resp, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	noCert, err := open(TLSFiles{CA: file("ca.pem")})
	if err != nil {
		t.Fatal(err) // the client dials lazily; the request below fails
	}
	defer func() { _ = noCert.Close() }()
	short, cancelShort := context.WithTimeout(ctx, 3*time.Second)
	defer cancelShort()
	if _, err := noCert.Client().Put(short, "/tls-test", "stolen"); err == nil {
		t.Fatal("a client without a certificate wrote to an etcd requiring one")
	}

	for _, bad := range []struct {
		endpoints []string
		files     TLSFiles
	}{
		{[]string{"http://127.0.0.1:2379"}, TLSFiles{CA: file("ca.pem")}},
		{[]string{clientURL.String()}, TLSFiles{Cert: file("client.pem")}},
		{[]string{clientURL.String(), "http://127.0.0.1:2379"}, TLSFiles{}},
		{[]string{clientURL.String()}, TLSFiles{CA: file("client.key")}},
	} {
		if _, err := clientTLS(bad.endpoints, bad.files); err == nil {
			t.Errorf("clientTLS(%v, %+v) accepted", bad.endpoints, bad.files)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// writeCert writes dir/name.pem and dir/name.key: a CA when isCA, else a
// certificate for 127.0.0.1 signed by parent, usable by servers and
// clients.
func writeCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
