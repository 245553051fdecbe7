package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cofferstore/coffer/internal/lifecycle"
)

// LifecycleSource gives the lifecycle executor's counts per tenant
// (internal/lifecycle.Executor).
type LifecycleSource interface {
	Totals() []lifecycle.TenantTotals
}

// lifecycleCollector exports the executor's counts at scrape time. They
// are counted since the server started (counters, as Prometheus expects).
type lifecycleCollector struct {
	src      LifecycleSource
	objects  *prometheus.Desc
	bytes    *prometheus.Desc
	aborted  *prometheus.Desc
	skipped  *prometheus.Desc
	lastPass *prometheus.Desc
}

func newLifecycleCollector(src LifecycleSource) *lifecycleCollector {
	tenant := []string{"tenant"}
	return &lifecycleCollector{
		src:      src,
		objects:  newDesc("lifecycle_objects_expired_total", "Object versions and delete markers lifecycle rules removed, and current versions they expired behind a delete marker.", tenant),
		bytes:    newDesc("lifecycle_bytes_expired_total", "Bytes lifecycle rules removed for good (a version expired behind a delete marker keeps its bytes until it is removed).", tenant),
		aborted:  newDesc("lifecycle_uploads_aborted_total", "Incomplete multipart uploads aborted by a bucket rule or the tenant's default.", tenant),
		skipped:  newDesc("lifecycle_skipped_total", "Due lifecycle actions not taken: reason locked (Object Lock), changed (the version moved since listed) or error (logged).", []string{"tenant", "reason"}),
		lastPass: newDesc("lifecycle_last_pass_timestamp_seconds", "When the last completed lifecycle pass over the tenant ended (Unix time).", tenant),
	}
}

// Describe implements prometheus.Collector.
func (c *lifecycleCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.objects, c.bytes, c.aborted, c.skipped, c.lastPass)
}

// Collect implements prometheus.Collector.
func (c *lifecycleCollector) Collect(ch chan<- prometheus.Metric) {
	for _, t := range c.src.Totals() {
		s := t.Stats
		ch <- counter(c.objects, float64(s.ObjectsExpired), t.Tenant)
		ch <- counter(c.bytes, float64(s.BytesExpired), t.Tenant)
		ch <- counter(c.aborted, float64(s.UploadsAborted), t.Tenant)
		ch <- counter(c.skipped, float64(s.SkippedLocked), t.Tenant, "locked")
		ch <- counter(c.skipped, float64(s.SkippedChanged), t.Tenant, "changed")
		ch <- counter(c.skipped, float64(s.Errors), t.Tenant, "error")
		if !t.LastPass.IsZero() {
			ch <- gauge(c.lastPass, float64(t.LastPass.UnixNano())/1e9, t.Tenant)
		}
	}
}
