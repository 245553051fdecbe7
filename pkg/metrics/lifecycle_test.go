package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/cofferstore/coffer/internal/lifecycle"
)

type fakeLifecycle []lifecycle.TenantTotals

func (f fakeLifecycle) Totals() []lifecycle.TenantTotals { return f }

// TestLifecycleCollector exports the executor's per-tenant counts, and no
// last-pass time for a tenant whose pass never completed.
func TestLifecycleCollector(t *testing.T) {
	m := New(Options{Lifecycle: fakeLifecycle{
		{Tenant: "acme", LastPass: time.Unix(1700000000, 500e6), Stats: lifecycle.Stats{ObjectsExpired: 3, BytesExpired: 300,
			UploadsAborted: 2, SkippedLocked: 4, SkippedChanged: 1, Errors: 5}},
		{Tenant: "beta"},
	}})
	want := `
# HELP coffer_lifecycle_bytes_expired_total Bytes lifecycle rules removed for good (a version expired behind a delete marker keeps its bytes until it is removed).
# TYPE coffer_lifecycle_bytes_expired_total counter
coffer_lifecycle_bytes_expired_total{tenant="acme"} 300
coffer_lifecycle_bytes_expired_total{tenant="beta"} 0
# HELP coffer_lifecycle_last_pass_timestamp_seconds When the last completed lifecycle pass over the tenant ended (Unix time).
# TYPE coffer_lifecycle_last_pass_timestamp_seconds gauge
coffer_lifecycle_last_pass_timestamp_seconds{tenant="acme"} 1.7000000005e+09
# HELP coffer_lifecycle_skipped_total Due lifecycle actions not taken: reason locked (Object Lock), changed (the version moved since listed) or error (logged).
# TYPE coffer_lifecycle_skipped_total counter
coffer_lifecycle_skipped_total{reason="changed",tenant="acme"} 1
coffer_lifecycle_skipped_total{reason="changed",tenant="beta"} 0
coffer_lifecycle_skipped_total{reason="error",tenant="acme"} 5
coffer_lifecycle_skipped_total{reason="error",tenant="beta"} 0
coffer_lifecycle_skipped_total{reason="locked",tenant="acme"} 4
coffer_lifecycle_skipped_total{reason="locked",tenant="beta"} 0
# HELP coffer_lifecycle_uploads_aborted_total Incomplete multipart uploads aborted by a bucket rule or the tenant's default.
# TYPE coffer_lifecycle_uploads_aborted_total counter
coffer_lifecycle_uploads_aborted_total{tenant="acme"} 2
coffer_lifecycle_uploads_aborted_total{tenant="beta"} 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"coffer_lifecycle_bytes_expired_total", "coffer_lifecycle_last_pass_timestamp_seconds",
		"coffer_lifecycle_skipped_total", "coffer_lifecycle_uploads_aborted_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.Registry(), "coffer_lifecycle_objects_expired_total"); n != 2 {
		t.Fatalf("objects expired series: %d", n)
	}
	mfs, err := m.Registry().Gather()
	must(t, err)
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	must(t, err)
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}
