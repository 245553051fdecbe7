package console_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
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
		io.WriteString(w, "coffer_test_metric 1\n")
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
