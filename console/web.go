package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// webFiles holds the console's static web UI: plain HTML, CSS and ES modules,
// no build step and nothing fetched from any other host.
//
//go:embed web
var webFiles embed.FS

// webCSP allows the page to load only its own files and talk only to its own
// origin; no inline script or style, no frames, no plugins.
const webCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// webAsset is one embedded file with its precomputed validator.
type webAsset struct {
	body        []byte
	contentType string
	etag        string
}

var (
	webAssetsOnce sync.Once
	webAssets     map[string]webAsset
)

// loadWebAssets reads every embedded file once and computes its ETag, so that
// browsers revalidate cheaply (304) instead of downloading again.
func loadWebAssets() map[string]webAsset {
	webAssetsOnce.Do(func() {
		webAssets = make(map[string]webAsset)
		root, err := fs.Sub(webFiles, "web")
		if err != nil {
			return
		}
		_ = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			body, err := fs.ReadFile(root, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(body)
			ct := mime.TypeByExtension(path.Ext(p))
			switch path.Ext(p) {
			case ".js", ".mjs":
				ct = "text/javascript; charset=utf-8"
			case ".svg":
				ct = "image/svg+xml"
			case "":
				ct = "application/octet-stream"
			}
			if ct == "" {
				ct = http.DetectContentType(body)
			}
			webAssets["/"+p] = webAsset{
				body:        body,
				contentType: ct,
				etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
			}
			return nil
		})
	})
	return webAssets
}

// webHandler serves the embedded web UI: index.html at "/" and the static
// assets beside it. Every response carries a strict Content-Security-Policy.
// Nothing is cached without revalidation (asset names carry no version), but
// ETags make revalidation a 304.
func webHandler() http.Handler {
	assets := loadWebAssets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", webCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Clean("/" + r.URL.Path)
		if name == "/" {
			name = "/index.html"
		}
		a, ok := assets[name]
		if !ok || strings.HasPrefix(path.Base(name), ".") {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", a.contentType)
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}
