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
	tenantUploads     *prometheus.Desc
	tenantNoncurObj   *prometheus.Desc
	tenantNoncurBytes *prometheus.Desc
	quotaObjects      *prometheus.Desc
	quotaBytes        *prometheus.Desc
	tenantSuspended   *prometheus.Desc
	tenantBuckets     *prometheus.Desc
	tenantVolumes     *prometheus.Desc
	tenantVolumeBytes *prometheus.Desc
	bucketObjects     *prometheus.Desc
	bucketBytes       *prometheus.Desc
	bucketNoncurObj   *prometheus.Desc
	bucketNoncurBytes *prometheus.Desc
	tenants           *prometheus.Desc
}

func newUsageCollector(store storage.ObjectStore, logger *slog.Logger) *usageCollector {
	tenant := []string{"tenant"}
	bucket := []string{"tenant", "bucket"}
	return &usageCollector{
		store:             store,
		logger:            logger,
		tenantObjects:     newDesc("tenant_objects", "Objects stored by the tenant across all its buckets.", tenant),
		tenantBytes:       newDesc("tenant_bytes", "Bytes stored by the tenant (object sizes, including parts of unfinished multipart uploads); the figure its byte quota is checked against.", tenant),
		tenantUploadBytes: newDesc("tenant_multipart_upload_bytes", "Of coffer_tenant_bytes, the bytes held by parts of unfinished multipart uploads.", tenant),
		tenantUploads:     newDesc("tenant_multipart_uploads", "Unfinished multipart uploads of the tenant (the figure its upload limit is checked against); their parts' bytes are coffer_tenant_multipart_upload_bytes.", tenant),
		tenantNoncurObj:   newDesc("tenant_noncurrent_objects", "Of coffer_tenant_objects, the noncurrent versions and delete markers kept by versioning.", tenant),
		tenantNoncurBytes: newDesc("tenant_noncurrent_bytes", "Of coffer_tenant_bytes, the bytes of noncurrent versions kept by versioning.", tenant),
		quotaObjects:      newDesc("tenant_quota_objects", "The tenant's object quota; 0 means unlimited.", tenant),
		quotaBytes:        newDesc("tenant_quota_bytes", "The tenant's byte quota; 0 means unlimited.", tenant),
		tenantSuspended:   newDesc("tenant_suspended", "1 when the tenant is suspended, else 0.", tenant),
		tenantBuckets:     newDesc("tenant_buckets", "Buckets (console containers) the tenant owns.", tenant),
		tenantVolumes:     newDesc("tenant_volumes", "Block storage volumes recorded for the tenant.", tenant),
		tenantVolumeBytes: newDesc("tenant_volume_bytes", "Total size of the block storage volumes recorded for the tenant.", tenant),
		bucketObjects:     newDesc("bucket_objects", "Objects stored in the bucket.", bucket),
		bucketBytes:       newDesc("bucket_bytes", "Bytes stored in the bucket (sum of object sizes, every version counted).", bucket),
		bucketNoncurObj:   newDesc("bucket_noncurrent_objects", "Of coffer_bucket_objects, the noncurrent versions and delete markers kept by versioning.", bucket),
		bucketNoncurBytes: newDesc("bucket_noncurrent_bytes", "Of coffer_bucket_bytes, the bytes of noncurrent versions kept by versioning.", bucket),
		tenants:           newDesc("tenants", "Tenants on this server.", nil),
	}
}

// Describe implements prometheus.Collector.
func (c *usageCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch,
		c.tenantObjects, c.tenantBytes, c.tenantUploadBytes, c.tenantUploads, c.tenantNoncurObj, c.tenantNoncurBytes, c.quotaObjects, c.quotaBytes,
		c.tenantSuspended, c.tenantBuckets, c.tenantVolumes, c.tenantVolumeBytes,
		c.bucketObjects, c.bucketBytes, c.bucketNoncurObj, c.bucketNoncurBytes, c.tenants,
	)
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
	name := t.Name
	ch <- gauge(c.tenantObjects, float64(u.Objects), name)
	ch <- gauge(c.tenantBytes, float64(u.Bytes), name)
	ch <- gauge(c.tenantUploadBytes, float64(u.UploadBytes), name)
	ch <- gauge(c.tenantUploads, float64(u.Uploads), name)
	ch <- gauge(c.tenantNoncurObj, float64(u.NoncurrentObjects), name)
	ch <- gauge(c.tenantNoncurBytes, float64(u.NoncurrentBytes), name)
	ch <- gauge(c.quotaObjects, float64(t.Quota.MaxObjects), name)
	ch <- gauge(c.quotaBytes, float64(t.Quota.MaxBytes), name)
	ch <- gauge(c.tenantSuspended, boolFloat(t.Suspended), name)
	ch <- gauge(c.tenantBuckets, float64(u.Buckets), name)
	ch <- gauge(c.tenantVolumes, float64(u.VolumeCount), name)
	ch <- gauge(c.tenantVolumeBytes, float64(u.VolumeBytes), name)
	for _, b := range buckets {
		ch <- gauge(c.bucketObjects, float64(b.Objects), name, b.Name)
		ch <- gauge(c.bucketBytes, float64(b.Bytes), name, b.Name)
		ch <- gauge(c.bucketNoncurObj, float64(b.NoncurrentObjects), name, b.Name)
		ch <- gauge(c.bucketNoncurBytes, float64(b.NoncurrentBytes), name, b.Name)
	}
	return nil
}
