package s3api

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cofferstore/coffer/pkg/cors"
	"github.com/cofferstore/coffer/storage"
)

// BenchmarkCORSHeaders measures what addCORS adds to every request of a
// bucket: a cache hit (with and without rules) against the stored
// document's read and parse it spares.
func BenchmarkCORSHeaders(b *testing.B) {
	e := newEnv(b, "alpha")
	ctx := context.Background()
	for _, name := range []string{"with-rules", "no-rules"} {
		if err := e.store.CreateBucket(ctx, "alpha", name, storage.BucketOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	doc := []byte(`<CORSConfiguration><CORSRule><AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`)
	if err := e.store.SetBucketConfig(ctx, "alpha", "with-rules", storage.ConfigCORS, doc); err != nil {
		b.Fatal(err)
	}
	s := New(Config{Store: e.store}).(*server)
	r := httptest.NewRequest("GET", "/with-rules/k", nil)
	r.Header.Set("Origin", "http://app.example.com")
	for _, bucket := range []string{"with-rules", "no-rules"} {
		b.Run("cached/"+bucket, func(b *testing.B) {
			rq := &request{tenant: "alpha", bucket: bucket, key: "k"}
			for b.Loop() {
				w := httptest.NewRecorder()
				s.addCORS(w, r, rq)
			}
		})
	}
	b.Run("uncached/read+parse", func(b *testing.B) {
		for b.Loop() {
			d, err := e.store.GetBucketConfig(ctx, "alpha", "with-rules", storage.ConfigCORS)
			if err != nil {
				b.Fatal(err)
			}
			cfg, err := cors.Parse(bytes.NewReader(d))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = cfg.Actual(cors.NewRequest(http.MethodGet, r.Header, true))
		}
	})
}
