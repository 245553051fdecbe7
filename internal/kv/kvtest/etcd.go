// Package kvtest runs embedded etcd members for tests: one shared member
// per test binary (Etcd, stopped by Stop in TestMain) and StartEtcd for
// tests that manage members themselves.
package kvtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// MaxTxnOps is the --max-txn-ops of the members started here: the storage
// index's transactions compare every key they read, far more than etcd's
// default 128.
const MaxTxnOps = 16384

// FreeURL returns http://127.0.0.1:PORT with a port free a moment ago.
func FreeURL() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	u := "http://" + l.Addr().String()
	return u, l.Close()
}

// StartEtcd starts a one-member etcd cluster named name with its data in
// dir, serving clients on clientURL and peers on peerURL, and waits until
// it serves. fsync stays on unless noFsync.
func StartEtcd(dir, name, clientURL, peerURL string) (*embed.Etcd, error) {
	return start(dir, name, clientURL, peerURL, false)
}

func start(dir, name, clientURL, peerURL string, noFsync bool) (*embed.Etcd, error) {
	return startMember(dir, name, clientURL, peerURL, name+"="+peerURL, noFsync)
}

func startMember(dir, name, clientURL, peerURL, initial string, noFsync bool) (*embed.Etcd, error) {
	cu, err := url.Parse(clientURL)
	if err != nil {
		return nil, err
	}
	pu, err := url.Parse(peerURL)
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = name
	cfg.Dir = dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = initial
	cfg.MaxTxnOps = MaxTxnOps
	cfg.LogLevel = "error"
	cfg.UnsafeNoFsync = noFsync
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, err
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, errors.New("kvtest: etcd did not become ready in 30s")
	}
}

var shared struct {
	sync.Mutex
	e   *embed.Etcd
	dir string
	url string
}

// Etcd returns a client of the test binary's shared embedded etcd member
// (started on first use on free loopback ports; fsync off, it is a test
// server), closed when t ends. Use Prefix for keys of one test.
func Etcd(t testing.TB) *clientv3.Client {
	t.Helper()
	u, err := sharedURL()
	if err != nil {
		t.Fatal(err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{u}, DialTimeout: 5 * time.Second, Logger: nopLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func sharedURL() (string, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.e != nil {
		return shared.url, nil
	}
	dir, err := os.MkdirTemp("", "kvtest-etcd-")
	if err != nil {
		return "", err
	}
	err = retryPorts(func() error {
		cu, pu, err := freeURLs()
		if err != nil {
			return err
		}
		e, err := start(dir+"/member", "test", cu, pu, true)
		if err != nil {
			_ = os.RemoveAll(dir + "/member")
			return err
		}
		shared.e, shared.dir, shared.url = e, dir, cu
		return nil
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("kvtest: starting etcd: %w", err)
	}
	return shared.url, nil
}

// Stop stops the shared member and removes its data (call it from
// TestMain after m.Run).
func Stop() {
	shared.Lock()
	defer shared.Unlock()
	if shared.e != nil {
		shared.e.Close()
		_ = os.RemoveAll(shared.dir)
		shared.e = nil
	}
}

// Prefix is a key prefix no other test uses.
func Prefix(t testing.TB) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "/test/" + strings.ReplaceAll(t.Name(), "/", "_") + "/" + hex.EncodeToString(b) + "/"
}

// Ping checks that cli reaches its cluster within d.
func Ping(cli *clientv3.Client, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, err := cli.Get(ctx, "/kvtest/ping")
	return err
}

func nopLogger() *zap.Logger { return zap.NewNop() }

// Member starts a dedicated one-member etcd (fsync on, unlike the shared
// one) in t's temp directory on free loopback ports and returns a client
// of it and stop, which stops the member (idempotent; it also runs when t
// ends).
func Member(t testing.TB) (cli *clientv3.Client, stop func()) {
	t.Helper()
	var (
		e  *embed.Etcd
		cu string
	)
	err := retryPorts(func() error {
		var pu string
		var err error
		if cu, pu, err = freeURLs(); err != nil {
			return err
		}
		e, err = StartEtcd(t.TempDir(), "member", cu, pu)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	stop = sync.OnceFunc(e.Close)
	t.Cleanup(stop)
	cli, err = clientv3.New(clientv3.Config{Endpoints: []string{cu}, DialTimeout: 5 * time.Second, Logger: nopLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli, stop
}

// Cluster starts an n-member etcd cluster (fsync off) in t's temp
// directory on free loopback ports and returns each member's client URL
// and a stop function per member (idempotent; all run when t ends).
func Cluster(t testing.TB, n int) (urls []string, stops []func()) {
	t.Helper()
	var members []*embed.Etcd
	err := retryPorts(func() error {
		var err error
		members, urls, err = startCluster(t, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	stops = make([]func(), n)
	for i, m := range members {
		stops[i] = sync.OnceFunc(m.Close)
		t.Cleanup(stops[i])
	}
	return urls, stops
}

// startCluster starts n members on free ports; on any error it closes the
// ones that started.
func startCluster(t testing.TB, n int) ([]*embed.Etcd, []string, error) {
	peers := make([]string, n)
	urls := make([]string, n)
	var initial []string
	for i := range n {
		cu, pu, err := freeURLs()
		if err != nil {
			return nil, nil, err
		}
		urls[i], peers[i] = cu, pu
		initial = append(initial, fmt.Sprintf("m%d=%s", i, pu))
	}
	members := make([]*embed.Etcd, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n { // each waits for the quorum the others make
		wg.Go(func() {
			members[i], errs[i] = startMember(t.TempDir(), fmt.Sprintf("m%d", i), urls[i], peers[i], strings.Join(initial, ","), true)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, m := range members {
			if m != nil {
				m.Close()
			}
		}
		return nil, nil, err
	}
	return members, urls, nil
}

// freeURLs returns a client and a peer URL on ports free a moment ago.
func freeURLs() (client, peer string, err error) {
	cu, err1 := FreeURL()
	pu, err2 := FreeURL()
	return cu, pu, errors.Join(err1, err2)
}

// retryPorts runs start up to 5 times while it fails because a port
// FreeURL found was taken before etcd bound it (other test processes open
// connections from ephemeral ports all the time).
func retryPorts(start func() error) error {
	var err error
	for range 5 {
		if err = start(); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
			return err
		}
	}
	return err
}
