package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerBearerToken(t *testing.T) {
	const token = "s3cr3t-scrape-token"
	srv := httptest.NewServer(New(Options{Token: token}).Handler())
	defer srv.Close()

	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"right token", "Bearer " + token, http.StatusOK},
		{"scheme is case-insensitive", "bearer " + token, http.StatusOK},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"token prefix", "Bearer " + token[:5], http.StatusUnauthorized},
		{"token with suffix", "Bearer " + token + "x", http.StatusUnauthorized},
		{"empty bearer", "Bearer ", http.StatusUnauthorized},
		{"basic scheme", "Basic " + token, http.StatusUnauthorized},
		{"bare token", token, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if strings.Contains(string(body), token) {
				t.Fatal("response body contains the token")
			}
			if tt.want == http.StatusOK {
				if !strings.Contains(string(body), "# TYPE go_goroutines gauge") {
					t.Fatalf("no exposition in body:\n%.300s", body)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
					t.Fatalf("content type %q", ct)
				}
			} else if resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func TestHandlerWithoutTokenIsOpen(t *testing.T) {
	srv := httptest.NewServer(New(Options{}).Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{"# TYPE process_cpu_seconds_total counter", "# TYPE go_goroutines gauge", "coffer_s3_requests_in_flight 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	a.S3Request("GetObject", 200, 0, 0, 10)
	if n := countSamples(t, b, "coffer_s3_requests_total"); n != 0 {
		t.Fatalf("second registry sees %d samples of the first", n)
	}
	if n := countSamples(t, a, "coffer_s3_requests_total"); n != 1 {
		t.Fatalf("first registry has %d samples, want 1", n)
	}
}

func countSamples(t *testing.T, m *Metrics, name string) int {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// FuzzBearer feeds arbitrary Authorization values to the token check: it
// must never panic, and it must let a request through only when the value
// carries exactly the configured token.
func FuzzBearer(f *testing.F) {
	const token = "fuzz-token"
	for _, seed := range []string{"", "Bearer fuzz-token", "bearer  fuzz-token ", "Bearer", "Bearer fuzz-tokenX", "Basic Zm9vOmJhcg==", "Bearer \x00", "BEARER fuzz-token"} {
		f.Add(seed)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := requireBearer(token, ok)
	f.Fuzz(func(t *testing.T, header string) {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header["Authorization"] = []string{header}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got, _ := bearerToken(header)
		switch rec.Code {
		case http.StatusNoContent:
			if got != token {
				t.Fatalf("%q let through, token parsed as %q", header, got)
			}
		case http.StatusUnauthorized:
			if got == token {
				t.Fatalf("%q carries the token but was refused", header)
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
