package cluster

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/testutil"
	"go.etcd.io/etcd/server/v3/embed"
)

// TestExternalEtcdTLS: an etcd member serving clients over TLS with
// client-certificate authentication. A node with the server's CA and its
// client certificate joins and writes; one without the certificate cannot.
// (Both certificates are self-signed: each side trusts the other's file.)
func TestExternalEtcdTLS(t *testing.T) {
	dir := t.TempDir()
	server, client := testutil.SelfSignedCert(t), testutil.SelfSignedCert(t)

	clientURL := url.URL{Scheme: "https", Host: freeAddr(t)}
	peerURL := url.URL{Scheme: "http", Host: freeAddr(t)}
	ec := embed.NewConfig()
	ec.Name, ec.Dir, ec.LogLevel = "tls", filepath.Join(dir, "etcd"), "error"
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	ec.InitialCluster = "tls=" + peerURL.String()
	ec.ClientTLSInfo.CertFile, ec.ClientTLSInfo.KeyFile = server.CertFile, server.KeyFile
	ec.ClientTLSInfo.TrustedCAFile, ec.ClientTLSInfo.ClientCertAuth = client.CertFile, true
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
	c, err := open(TLSFiles{CA: server.CertFile, Cert: client.CertFile, Key: client.KeyFile})
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

	noCert, err := open(TLSFiles{CA: server.CertFile})
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
		{[]string{"http://127.0.0.1:2379"}, TLSFiles{CA: server.CertFile}},
		{[]string{clientURL.String()}, TLSFiles{Cert: client.CertFile}},
		{[]string{clientURL.String(), "http://127.0.0.1:2379"}, TLSFiles{}},
		{[]string{clientURL.String()}, TLSFiles{CA: client.KeyFile}},
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
