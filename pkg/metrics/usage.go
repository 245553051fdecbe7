package metrics

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cofferstore/coffer/storage"
)

// usageCollector reads tenant, bucket and volume usage from the storage index
// at scrape time. These are the counters that enforce quotas, so the figures
// are exact, never sampled or cached.
type usageCollector struct {
	store  storage.ObjectStore
	logger *slog.Logger

	tenantObjects     *prometheus.Desc
	tenantBytes       *prometheus.Desc
	tenantUploadBytes *prometheus.Desc
	quotaObjects      *prometheus.Desc
	quotaBytes        *prometheus.Desc
	tenantSuspended   *prometheus.Desc
	tenantBuckets     *prometheus.Desc
	tenantVolumes     *prometheus.Desc
	tenantVolumeBytes *prometheus.Desc
	bucketObjects     *prometheus.Desc
	bucketBytes       *prometheus.Desc
	tenants           *prometheus.Desc
}

func newUsageCollector(store storage.ObjectStore, logger *slog.Logger) *usageCollector {
	tenant := []string{"tenant"}
	bucket := []string{"tenant", "bucket"}
	desc := func(name, help string, labels []string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
	}
	return &usageCollector{
		store:             store,
		logger:            logger,
		tenantObjects:     desc("tenant_objects", "Objects stored by the tenant across all its buckets.", tenant),
		tenantBytes:       desc("tenant_bytes", "Bytes stored by the tenant (object sizes, including parts of unfinished multipart uploads); the figure its byte quota is checked against.", tenant),
		tenantUploadBytes: desc("tenant_multipart_upload_bytes", "Of coffer_tenant_bytes, the bytes held by parts of unfinished multipart uploads.", tenant),
		quotaObjects:      desc("tenant_quota_objects", "The tenant's object quota; 0 means unlimited.", tenant),
		quotaBytes:        desc("tenant_quota_bytes", "The tenant's byte quota; 0 means unlimited.", tenant),
		tenantSuspended:   desc("tenant_suspended", "1 when the tenant is suspended, else 0.", tenant),
		tenantBuckets:     desc("tenant_buckets", "Buckets (console containers) the tenant owns.", tenant),
		tenantVolumes:     desc("tenant_volumes", "Block storage volumes recorded for the tenant.", tenant),
		tenantVolumeBytes: desc("tenant_volume_bytes", "Total size of the block storage volumes recorded for the tenant.", tenant),
		bucketObjects:     desc("bucket_objects", "Objects stored in the bucket.", bucket),
		bucketBytes:       desc("bucket_bytes", "Bytes stored in the bucket (sum of object sizes).", bucket),
		tenants:           desc("tenants", "Tenants on this server.", nil),
	}
}

// Describe implements prometheus.Collector.
func (c *usageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.tenantObjects, c.tenantBytes, c.tenantUploadBytes, c.quotaObjects, c.quotaBytes,
		c.tenantSuspended, c.tenantBuckets, c.tenantVolumes, c.tenantVolumeBytes,
		c.bucketObjects, c.bucketBytes, c.tenants,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A tenant deleted during the scrape
// is skipped; any other storage error is reported as an invalid metric, which
// the handler logs while serving the rest.
func (c *usageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	tenants, err := c.store.ListTenants(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.tenants, err)
		return
	}
	ch <- gauge(c.tenants, float64(len(tenants)))
	for _, t := range tenants {
		if err := c.collectTenant(ctx, ch, t); err != nil {
			if errors.Is(err, storage.ErrTenantNotFound) {
				continue
			}
			ch <- prometheus.NewInvalidMetric(c.tenantObjects, err)
		}
	}
}

func (c *usageCollector) collectTenant(ctx context.Context, ch chan<- prometheus.Metric, t storage.Tenant) error {
	u, err := c.store.TenantUsage(ctx, t.Name)
	if err != nil {
		return err
	}
	buckets, err := c.store.ListBuckets(ctx, t.Name)
	if err != nil {
		return err
	}
	suspended := 0.0
	if t.Suspended {
		suspended = 1
	}
	name := t.Name
	ch <- gauge(c.tenantObjects, float64(u.Objects), name)
	ch <- gauge(c.tenantBytes, float64(u.Bytes), name)
	ch <- gauge(c.tenantUploadBytes, float64(u.UploadBytes), name)
	ch <- gauge(c.quotaObjects, float64(t.Quota.MaxObjects), name)
	ch <- gauge(c.quotaBytes, float64(t.Quota.MaxBytes), name)
	ch <- gauge(c.tenantSuspended, suspended, name)
	ch <- gauge(c.tenantBuckets, float64(u.Buckets), name)
	ch <- gauge(c.tenantVolumes, float64(u.VolumeCount), name)
	ch <- gauge(c.tenantVolumeBytes, float64(u.VolumeBytes), name)
	for _, b := range buckets {
		ch <- gauge(c.bucketObjects, float64(b.Objects), name, b.Name)
		ch <- gauge(c.bucketBytes, float64(b.Bytes), name, b.Name)
	}
	return nil
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}
