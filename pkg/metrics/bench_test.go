package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

// BenchmarkScrape measures one full /metrics scrape of a store holding 100
// tenants with 10 buckets each (1,000 bucket series per metric).
func BenchmarkScrape(b *testing.B) {
	ctx := context.Background()
	s, _ := openStore(b)
	for i := range 100 {
		tenant := fmt.Sprintf("tenant-%03d", i)
		if err := s.CreateTenant(ctx, tenant, storage.Quota{MaxObjects: 1000, MaxBytes: 1 << 30}); err != nil {
			b.Fatal(err)
		}
		for j := range 10 {
			if err := s.CreateBucket(ctx, tenant, fmt.Sprintf("bucket-%02d", j), storage.BucketOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	h := New(Options{Store: s}).Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
		io.Copy(io.Discard, rec.Body)
	}
}
