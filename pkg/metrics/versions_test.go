package metrics

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cofferstore/coffer/internal/testutil"
	"github.com/cofferstore/coffer/storage"
)

// TestUsageNoncurrentAndUploads: a scrape, parsed by Prometheus's own parser,
// reports noncurrent versions and delete markers (objects and bytes) per
// tenant and bucket as parts of the usage totals, and each tenant's
// unfinished uploads with their bytes.
func TestUsageNoncurrentAndUploads(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	must(t, s.CreateTenant(ctx, "acme", storage.Quota{}))
	must(t, s.CreateBucket(ctx, "acme", "vers", storage.BucketOptions{}))
	must(t, s.CreateBucket(ctx, "acme", "plain", storage.BucketOptions{}))
	must(t, s.SetBucketVersioning(ctx, "acme", "vers", storage.VersioningEnabled))
	put(t, s, "acme", "vers", "k", 100)
	put(t, s, "acme", "vers", "k", 250) // the 100-byte version becomes noncurrent
	put(t, s, "acme", "vers", "other", 7)
	if _, err := s.DeleteObject(ctx, "acme", "vers", "other", storage.DeleteOptions{}); err != nil {
		t.Fatal(err) // a delete marker: "other" (7 bytes) is noncurrent, the marker too
	}
	put(t, s, "acme", "plain", "p", 10)
	id, err := s.CreateMultipartUpload(ctx, "acme", "plain", "big", storage.PutOptions{})
	must(t, err)
	_, err = s.PutPart(ctx, "acme", "plain", "big", id, 1, bytes.NewReader(make([]byte, 600)), storage.PutOptions{Size: 600})
	must(t, err)

	rec := httptest.NewRecorder()
	New(Options{Store: s}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d", rec.Code)
	}
	mfs := testutil.ParseMetrics(t, rec.Body.Bytes())
	want := map[string]map[string]float64{
		// vers: 100 + 250 + 7 bytes in 4 objects (3 versions, 1 marker).
		"coffer_tenant_objects":                {"tenant=acme": 5},
		"coffer_tenant_bytes":                  {"tenant=acme": 357 + 10 + 600},
		"coffer_tenant_noncurrent_objects":     {"tenant=acme": 3},
		"coffer_tenant_noncurrent_bytes":       {"tenant=acme": 107},
		"coffer_tenant_multipart_uploads":      {"tenant=acme": 1},
		"coffer_tenant_multipart_upload_bytes": {"tenant=acme": 600},
		"coffer_bucket_objects":                {"bucket=plain,tenant=acme": 1, "bucket=vers,tenant=acme": 4},
		"coffer_bucket_bytes":                  {"bucket=plain,tenant=acme": 10, "bucket=vers,tenant=acme": 357},
		"coffer_bucket_noncurrent_objects":     {"bucket=plain,tenant=acme": 0, "bucket=vers,tenant=acme": 3},
		"coffer_bucket_noncurrent_bytes":       {"bucket=plain,tenant=acme": 0, "bucket=vers,tenant=acme": 107},
	}
	for name, series := range want {
		got, ok := testutil.Series(mfs, name)
		if !ok {
			t.Errorf("%s missing from the scrape", name)
			continue
		}
		for labels, v := range series {
			if got[labels] != v {
				t.Errorf("%s{%s} = %v, want %v", name, labels, got[labels], v)
			}
		}
		if len(got) != len(series) {
			t.Errorf("%s has series %v, want %v", name, got, series)
		}
	}
}
