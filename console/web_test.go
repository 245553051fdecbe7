package console

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func webGet(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestWebHandlerServesFiles(t *testing.T) {
	h := webHandler()
	tests := []struct {
		method, target string
		status         int
		contentType    string
		bodyContains   string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", `<script type="module" src="/js/app.js">`},
		{"HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/index.html", 200, "text/html; charset=utf-8", "Coffer console"},
		{"GET", "/js/app.js", 200, "text/javascript; charset=utf-8", "import"},
		{"GET", "/css/app.css", 200, "text/css; charset=utf-8", ":root"},
		{"GET", "/favicon.svg", 200, "image/svg+xml", "<svg"},
		{"GET", "/js/../js/app.js", 200, "text/javascript; charset=utf-8", "import"},
		{"GET", "/nope.js", 404, "", ""},
		{"GET", "/web/index.html", 404, "", ""},
		{"POST", "/", 405, "", ""},
		{"DELETE", "/js/app.js", 405, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			rec := webGet(t, h, tc.method, tc.target, nil)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("missing X-Content-Type-Options: nosniff")
			}
			if tc.status != 200 {
				return
			}
			if got := rec.Header().Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if rec.Header().Get("Cache-Control") != "no-cache" || rec.Header().Get("ETag") == "" {
				t.Errorf("cache headers: Cache-Control %q ETag %q", rec.Header().Get("Cache-Control"), rec.Header().Get("ETag"))
			}
			if !strings.Contains(rec.Body.String(), tc.bodyContains) {
				t.Errorf("body does not contain %q", tc.bodyContains)
			}
		})
	}
}

func TestWebHandlerRevalidatesWithETag(t *testing.T) {
	h := webHandler()
	first := webGet(t, h, "GET", "/js/app.js", nil)
	etag := first.Header().Get("ETag")
	again := webGet(t, h, "GET", "/js/app.js", map[string]string{"If-None-Match": etag})
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Fatalf("If-None-Match: status %d, %d body bytes; want 304 and none", again.Code, again.Body.Len())
	}
	other := webGet(t, h, "GET", "/css/app.css", nil).Header().Get("ETag")
	if other == etag {
		t.Fatal("different files share an ETag")
	}
}

// TestWebAssetsAreSelfContained checks that every embedded file refers only to
// files that exist beside it, and that none names another host: the console
// must work with no network beyond its own server.
func TestWebAssetsAreSelfContained(t *testing.T) {
	root, err := fs.Sub(webFiles, "web")
	if err != nil {
		t.Fatal(err)
	}
	imports := regexp.MustCompile(`(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]`)
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]*)"`)
	external := regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	var n int
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		text := string(b)
		for _, m := range external.FindAllString(text, -1) {
			if m != "http://www.w3.org" && m != "//www.w3.org" {
				t.Errorf("%s names another host: %s", p, m)
			}
		}
		var targets []string
		if strings.HasSuffix(p, ".js") {
			for _, m := range imports.FindAllStringSubmatch(text, -1) {
				targets = append(targets, path.Join(path.Dir(p), m[1]))
			}
		}
		if strings.HasSuffix(p, ".html") {
			for _, m := range refs.FindAllStringSubmatch(text, -1) {
				targets = append(targets, strings.TrimPrefix(m[1], "/"))
			}
		}
		for _, target := range targets {
			if _, err := fs.Stat(root, target); err != nil {
				t.Errorf("%s refers to %s, which is not embedded", p, target)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d embedded files", n)
	}
}
