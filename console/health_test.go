package console_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/storage"
)

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(b) != "ok\n" {
			t.Fatalf("%s: %d %q", p, resp.StatusCode, b)
		}
	}
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics without a handler: %d", resp.StatusCode)
	}
}

func TestMetricsServedFromConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withMetrics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "coffer_test_metric 1\n")
	})))
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "coffer_test_metric 1\n" {
		t.Fatalf("/metrics: %d %q", resp.StatusCode, b)
	}
}

func TestUnknownAPIPathIsJSON404(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.operator()
	c.do("GET", "/api/nope", nil).wantError(http.StatusNotFound, "no such endpoint")
	c.do("PATCH", "/api/admin/tenants", nil).want(http.StatusMethodNotAllowed)
}

func TestWebUIServedAtRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, err := http.Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "<html") {
		t.Fatalf("GET /: %d %.80q", resp.StatusCode, b)
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatal("web UI served without CSP")
	}
}

// TestReadyzFollowsDriveQuorum removes drives under a running store: with
// 2 data + 2 parity, write quorum is 3, so one lost drive keeps the server
// ready and two make /readyz answer 503 while /healthz stays 200.
func TestReadyzFollowsDriveQuorum(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status := func(p string) int {
		resp, err := http.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	offline := func() int {
		var d struct{ Drives []struct{ Online bool } }
		e.operator().do("GET", "/api/admin/drives", nil).want(http.StatusOK).decode(&d)
		n := 0
		for _, dr := range d.Drives {
			if !dr.Online {
				n++
			}
		}
		return n
	}
	if err := os.RemoveAll(filepath.Join(e.dir, "drive4")); err != nil {
		t.Fatal(err)
	}
	if got := status("/readyz"); got != http.StatusOK {
		t.Fatalf("/readyz with 3 of 4 drives: %d, want 200", got)
	}
	if n := offline(); n != 1 {
		t.Fatalf("%d drives reported offline, want 1", n)
	}
	if err := os.RemoveAll(filepath.Join(e.dir, "drive3")); err != nil {
		t.Fatal(err)
	}
	if got := status("/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with 2 of 4 drives: %d, want 503", got)
	}
	if got := status("/healthz"); got != http.StatusOK {
		t.Fatalf("/healthz with 2 of 4 drives: %d, want 200", got)
	}
}

// TestInternalErrorLoggedWithRequestID: an error no table row knows becomes
// 500 "internal error" for the client, and the cause is logged under the
// request id the client saw.
func TestInternalErrorLoggedWithRequestID(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	var mu sync.Mutex
	e := newEnv(t, withLogger(slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))))
	c := e.tenant("acme", storage.Quota{})
	e.store.Close() // every storage call now fails with an error the table does not map
	resp := c.do("GET", "/api/containers", nil)
	resp.wantError(http.StatusInternalServerError, "internal error")
	if msg := resp.errorText(); msg != "internal error" {
		t.Fatalf("client sees %q", msg)
	}
	id := resp.Header.Get("X-Request-Id")
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if id == "" || !strings.Contains(out, "request_id="+id) || !strings.Contains(out, "path=/api/containers") {
		t.Fatalf("request id %q not in log %q", id, out)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// stalledStore is the real store of a test env reporting a stalled index
// (storage's TestStalledReportsHeldTransaction shows a held transaction
// makes Stalled report; this shows /readyz follows it).
type stalledStore struct {
	*storage.Store
	mu  sync.Mutex
	err error
}

func (s *stalledStore) Stalled() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *stalledStore) set(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// TestReadyzFollowsStalledIndex: /readyz answers 503 naming the stall while
// the store reports an index transaction open too long, and 200 after;
// /healthz stays 200 throughout.
func TestReadyzFollowsStalledIndex(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st := &stalledStore{Store: e.store}
	srv := httptest.NewServer(console.New(console.Config{Store: st, Auth: e.auth, PublicEndpoint: "http://127.0.0.1:9000", Region: "us-east-1"}))
	defer srv.Close()
	get := func(p string) (int, string) {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/readyz before: %d %q", code, body)
	}
	st.set(errors.New("storage: an index transaction has been open for 42s (bound 30s)"))
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || body != "not ready: storage: an index transaction has been open for 42s (bound 30s)\n" {
		t.Fatalf("/readyz while stalled: %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz while stalled: %d", code)
	}
	st.set(nil)
	if code, _ := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz after: %d", code)
	}
}
