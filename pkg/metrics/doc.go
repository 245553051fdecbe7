// Package metrics owns Coffer's Prometheus registry and every coffer_* metric.
//
// # Basics
//
// New builds a Metrics value around its own prometheus.Registry (never the
// global default one) with the Go runtime and process collectors, the S3
// traffic metrics fed through the s3api Observer methods, and two collectors
// that read the storage engine at scrape time:
//
//   - usage: tenants, quotas, buckets and volumes, read from the same index
//     counters that enforce quotas, so a scrape shows exact figures;
//   - storage: drive health and the scrubber's heal counters.
//
// Handler serves the Prometheus text format; the console mounts it at /metrics.
// When Options.Token is set, a scrape must carry "Authorization: Bearer <token>".
//
// # Caveats
//
// Usage is computed on every scrape with a handful of index reads per tenant
// and bucket; it is cheap for the hundreds of buckets a small platform holds,
// not for millions. Label values that come from callers (S3 operation names,
// auth failure reasons) are bounded: past a fixed number of distinct values new
// ones are counted under "other", so a bug upstream cannot explode cardinality.
// See docs/metrics.md for every metric.
package metrics
