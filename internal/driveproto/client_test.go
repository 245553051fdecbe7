package driveproto

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferstore/coffer/storage"
	"github.com/zeebo/xxh3"
)

// TestStreamMemoryBounded: a 64 MiB temporary file streams to the node
// without either side holding it: the Go heap (client and server share
// the process) grows by far less than the file while it is written.
func TestStreamMemoryBounded(t *testing.T) {
	p := newPair(t, Options{})
	const size, chunk = 64 << 20, 1 << 20
	buf := make([]byte, chunk)
	name := "00dd0000000000000000000000000001.shard"
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	tf, err := p.remote.CreateShard(name)
	if err != nil {
		t.Fatal(err)
	}
	hash := xxh3.New()
	for i := range size / chunk {
		for j := range buf {
			buf[j] = byte(i + j)
		}
		_, _ = hash.Write(buf) // never fails
		if _, err := tf.Write(buf); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	if err := tf.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := tf.Commit(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(p.dir, "data", "00", name))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read only
	got := xxh3.New()
	if n, err := io.Copy(got, f); n != size || err != nil || got.Sum64() != hash.Sum64() {
		t.Fatalf("stored file: %d bytes, %v, checksum match %v", n, err, got.Sum64() == hash.Sum64())
	}
	grew := int64(peak) - int64(base)
	t.Logf("heap grew by at most %d KiB while streaming %d MiB", grew>>10, size>>20)
	if grew > 16<<20 {
		t.Fatalf("heap grew by %d MiB while streaming a %d MiB file", grew>>20, size>>20)
	}
}

// hungListener accepts connections and never answers: a node that is up
// but stuck.
func hungListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); _ = c.Close() }()
		}
	}()
	return ln
}

// TestOfflineFailsFast: a node that does not answer costs one call its
// deadline; then the drive is offline and every call fails at once with
// ErrDriveOffline, sending nothing, until the probe finds the node back.
func TestOfflineFailsFast(t *testing.T) {
	ln := hungListener(t)
	addr := ln.Addr().String()
	ct := &countingTransport{RoundTripper: &http.Transport{}}
	d := Dial("http://"+addr, "0", testSecret, Options{CallTimeout: 200 * time.Millisecond, ProbeInterval: 20 * time.Millisecond, Transport: ct})
	defer d.Close()
	if _, err := d.ReadFile("00ee0000000000000000000000000001.meta"); !errors.Is(err, storage.ErrDriveOffline) {
		t.Fatalf("call to a stuck node: %v, want ErrDriveOffline", err)
	}
	sent := ct.calls.Load()
	if sent != 2 {
		t.Fatalf("an idempotent call was sent %d times, want 2 (one retry)", sent)
	}
	if _, err := d.CreateShard("00ee0000000000000000000000000001.shard"); !errors.Is(err, storage.ErrDriveOffline) {
		t.Fatalf("Create on an offline drive: %v", err)
	}
	if _, err := d.Append([]byte("rec")); !errors.Is(err, storage.ErrDriveOffline) {
		t.Fatalf("Append on an offline drive: %v", err)
	}
	if err := d.Walk(func(string, time.Time) error { return nil }); !errors.Is(err, storage.ErrDriveOffline) {
		t.Fatalf("Walk on an offline drive: %v", err)
	}
	if d.Present() {
		t.Fatal("an offline drive is present")
	}
	if got := ct.calls.Load(); got != sent {
		t.Fatalf("%d requests sent to an offline drive", got-sent)
	}

	// The node comes back on the same address: the probe brings the
	// drive online.
	_ = ln.Close()
	dir := t.TempDir()
	local, err := storage.OpenLocalDrive(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: NewHandler(map[string]storage.Drive{"0": local}, testSecret, nil)}
	go func() { _ = srv.Serve(ln2) }()
	defer func() { _ = srv.Close() }()
	waitFor(t, "the drive back online", func() bool { return !d.(*remote).offline.Load() })
	if !d.Present() {
		t.Fatal("drive back online but not present")
	}
}

// flakyTransport fails the first request that is not a ping with a
// connection error.
type flakyTransport struct {
	http.RoundTripper
	failed atomic.Bool
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.failed.CompareAndSwap(false, true) {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, errors.New("connection reset by peer (simulated)")
	}
	return f.RoundTripper.RoundTrip(r)
}

// TestRetryIdempotentOnly: a connection error is retried once for a read
// (which then succeeds, the drive stays online) but not for a write
// (which fails and takes the drive offline).
func TestRetryIdempotentOnly(t *testing.T) {
	p := newPair(t, Options{})
	name := "00ff0000000000000000000000000001.meta"
	writeFile(t, p.local, name, []byte("content"), false)

	read := Dial(p.srv.URL, "0", testSecret, Options{Transport: &flakyTransport{RoundTripper: &http.Transport{}}})
	defer read.Close()
	if b, err := read.ReadFile(name); err != nil || !bytes.Equal(b, []byte("content")) {
		t.Fatalf("read after one connection error: %q, %v", b, err)
	}
	if read.(*remote).offline.Load() {
		t.Fatal("a retried read took the drive offline")
	}

	write := Dial(p.srv.URL, "0", testSecret, Options{Transport: &flakyTransport{RoundTripper: &http.Transport{}}})
	defer write.Close()
	if _, err := write.Append([]byte("record")); !errors.Is(err, storage.ErrDriveOffline) {
		t.Fatalf("append after a connection error: %v, want ErrDriveOffline (not retried)", err)
	}
	if segs, err := p.local.PackSegments(); err != nil || len(segs) != 0 {
		t.Fatalf("the failed append reached the drive: %v, %v", segs, err)
	}
}

// TestTempFileRefused: a stream the node refuses (a bad name) fails its
// writes or Sync with the node's error, and Commit after it fails.
func TestTempFileRefused(t *testing.T) {
	p := newPair(t, Options{})
	tf, err := p.remote.Create("../escape.meta")
	if err != nil {
		t.Fatal(err) // the stream starts lazily; the refusal comes with it
	}
	_, werr := tf.Write(bytes.Repeat([]byte{1}, 1<<20))
	serr := tf.Sync()
	if werr == nil && serr == nil {
		t.Fatal("a stream to a name leaving the data directory succeeded")
	}
	if err := tf.Commit(); err == nil {
		t.Fatal("commit of a refused stream succeeded")
	}
	if p.remote.(*remote).offline.Load() {
		t.Fatal("a refused request took the drive offline")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(p.dir), "escape.meta")); !os.IsNotExist(err) {
		t.Fatalf("file escaped the drive: %v", err)
	}
}

// TestStuckNodeStream: a temporary file streamed to a node that takes
// the bytes but never answers fails at Sync after CallTimeout and takes
// the drive offline.
func TestStuckNodeStream(t *testing.T) {
	ln := hungListener(t)
	defer func() { _ = ln.Close() }()
	d := Dial("http://"+ln.Addr().String(), "0", testSecret, Options{CallTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond})
	defer d.Close()
	tf, err := d.CreateShard("00ee0000000000000000000000000002.shard")
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := tf.Write(make([]byte, 64<<10)); err != nil {
			break // a stuck write fails after IdleTimeout: as good
		}
	}
	if err := tf.Sync(); !errors.Is(err, storage.ErrDriveOffline) {
		t.Fatalf("Sync on a stuck node: %v, want ErrDriveOffline", err)
	}
	tf.Abort()
	if _, err := d.CreateShard("00ee0000000000000000000000000003.shard"); !errors.Is(err, storage.ErrDriveOffline) {
		t.Fatalf("Create after a stuck stream: %v, want ErrDriveOffline", err)
	}
}
