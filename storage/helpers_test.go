package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/cofferstore/coffer/pkg/sse"
)

// testStore is a Store on t.TempDir() drives with a tenant "acme" and a
// bucket "bkt".
type testStore struct {
	*Store
	t      testing.TB
	cfg    Config
	drives []string
}

func newTestStore(t testing.TB, nDrives int, mod ...func(*Config)) *testStore {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{DataDir: filepath.Join(dir, "state"), BlockSize: 64 << 10, ScrubInterval: -1}
	for i := 0; i < nDrives; i++ {
		cfg.Drives = append(cfg.Drives, filepath.Join(dir, fmt.Sprintf("drive%d", i+1)))
	}
	if testIndex != nil {
		cfg.Index = testIndex(t)
	}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ts := &testStore{Store: s, t: t, cfg: cfg, drives: cfg.Drives}
	t.Cleanup(func() { ts.Store.Close() })
	ctx := context.Background()
	if err := s.CreateTenant(ctx, "acme", Quota{}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "acme", "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	return ts
}

// reopen closes and reopens the store on the same directories.
func (ts *testStore) reopen() {
	ts.t.Helper()
	ts.Store.Close()
	s, err := Open(ts.cfg)
	if err != nil {
		ts.t.Fatalf("reopen: %v", err)
	}
	ts.Store = s
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func (ts *testStore) put(key string, data []byte) ObjectInfo {
	ts.t.Helper()
	info, err := ts.PutObject(context.Background(), "acme", "bkt", key, bytes.NewReader(data), PutOptions{Size: int64(len(data))})
	if err != nil {
		ts.t.Fatalf("PutObject(%q, %d bytes): %v", key, len(data), err)
	}
	return info
}

// read returns bytes [off, off+n) of key (n < 0: to the end).
func (ts *testStore) read(key string, off, n int64) ([]byte, error) {
	return readObject(ts.Store, key, off, n)
}

// readObject returns bytes [off, off+n) of acme/bkt/key from s.
func readObject(s *Store, key string, off, n int64) ([]byte, error) {
	return readObjectWith(s, key, nil, off, n)
}

// readObjectWith is readObject of an SSE-C object with its key ck (nil:
// none given).
func readObjectWith(s *Store, key string, ck *sse.CustomerKey, off, n int64) ([]byte, error) {
	ctx := context.Background()
	r, err := s.OpenObject(ctx, "acme", "bkt", key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if ck != nil {
		if err := r.UseCustomerKey(ck); err != nil {
			return nil, err
		}
	}
	if n < 0 {
		n = r.Info().Size - off
	}
	rc, err := r.Range(ctx, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func (ts *testStore) mustRead(key string, want []byte) {
	ts.t.Helper()
	got, err := ts.read(key, 0, -1)
	if err != nil {
		ts.t.Fatalf("read %q: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		ts.t.Fatalf("read %q: %d bytes differ from the %d written", key, len(got), len(want))
	}
}

// tempFiles lists a drive's temporary (being written) files.
func tempFiles(root string) []string {
	m, _ := filepath.Glob(filepath.Join(root, dataDir, "*", tempPrefix+"*"))
	return m
}

// testSize picks a test's size by run length: short with -short, long with
// COFFER_LONG set (make reliability), normal otherwise.
func testSize(short, normal, long int) int {
	switch {
	case testing.Short():
		return short
	case os.Getenv("COFFER_LONG") != "":
		return long
	}
	return normal
}

// must fails the test (or benchmark) on a setup error.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// errOf drops a result, keeping the error (DeleteObject returns both).
func errOf[T any](_ T, err error) error { return err }
