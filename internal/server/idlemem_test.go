package server

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestIdleReleaseOncePerIdlePeriod: nothing is released before the first
// request, nor while a request is in flight; once idle, exactly one
// release per idle period, and a new request starts a new period.
func TestIdleReleaseOncePerIdlePeriod(t *testing.T) {
	var released atomic.Int64
	const after = 100 * time.Millisecond
	ir := newIdleRelease(after, func() { released.Add(1) })
	defer ir.Close()
	block, entered := make(chan struct{}), make(chan struct{}, 1)
	srv := httptest.NewServer(ir.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-block
		}
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()
	var unblock sync.Once
	defer unblock.Do(func() { close(block) }) // before srv.Close, which waits for /slow
	get := func(path string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Error(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Errorf("%s: %d %q", path, resp.StatusCode, b)
		}
	}

	time.Sleep(3 * after)
	if n := released.Load(); n != 0 {
		t.Fatalf("%d releases before any request", n)
	}
	get("/")
	if !waitFor(5*time.Second, func() bool { return released.Load() == 1 }) {
		t.Fatalf("%d releases after one request and idling, want 1", released.Load())
	}
	time.Sleep(5 * after)
	if n := released.Load(); n != 1 {
		t.Fatalf("%d releases in one idle period, want 1", n)
	}

	// A request in flight holds the release back, however long it takes.
	go get("/slow")
	<-entered
	get("/") // ends while /slow is still in flight
	time.Sleep(5 * after)
	if n := released.Load(); n != 1 {
		t.Fatalf("released (%d) while a request was in flight", n)
	}
	unblock.Do(func() { close(block) })
	if !waitFor(5*time.Second, func() bool { return released.Load() == 2 }) {
		t.Fatalf("%d releases after the slow request ended, want 2", released.Load())
	}
}

// TestGCHeadroomNotResident: the headroom buffer is live heap for the
// collector's pacing but costs no RSS. It runs in a child process, whose
// heap is fresh as a server's is at start (recycled heap memory is zeroed
// by the runtime, which would touch it).
func TestGCHeadroomNotResident(t *testing.T) {
	if os.Getenv("COFFER_HEADROOM_CHILD") == "1" {
		before := vmRSS(t)
		b := GCHeadroom(0)
		runtime.GC()
		after := vmRSS(t)
		runtime.KeepAlive(b)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if len(b) != gcHeadroom || ms.HeapAlloc < gcHeadroom {
			t.Fatalf("headroom %d bytes, heap %d: not live heap", len(b), ms.HeapAlloc)
		}
		if after-before > gcHeadroom/4 {
			t.Fatalf("RSS grew %d KiB for the %d KiB headroom: its pages were touched", (after-before)>>10, gcHeadroom>>10)
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestGCHeadroomNotResident$", "-test.count=1")
	cmd.Env = append(os.Environ(), "COFFER_HEADROOM_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if got := len(GCHeadroom(512 << 20)); got != gcHeadroom {
		t.Fatalf("headroom under a 512 MiB limit: %d bytes", got)
	}
	if got := len(GCHeadroom(64 << 20)); got != 8<<20 {
		t.Fatalf("headroom under a 64 MiB limit: %d bytes, want an eighth", got)
	}
}

// vmRSS is this process's resident set in bytes.
func vmRSS(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
