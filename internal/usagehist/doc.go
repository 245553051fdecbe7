// Package usagehist records each tenant's and each container's usage over
// time, so the console can draw it: a Sampler copies storage's exact usage
// counters (objects, bytes, and the tenant's quota at that moment) into a
// small bbolt file of its own, DIR/usage.db (OpenStore), or into any kv.DB
// (OpenStoreKV), such as a cluster's etcd, so the nodes share one history.
//
// # Basics
//
// Every series keeps two records: an hourly one (one point per hour, the
// last 48 hours) and a daily one (one point per UTC day, about 400 days). A
// point is keyed by the start of its hour or day; a later sample in the same
// hour or day replaces it, so a point is the usage at the last sample of its
// slot. The Sampler samples at start and then every interval (at most an
// hour, so no hour is missed); Sampler.Sample samples now.
//
// # Caveats
//
// The store is bounded by construction: each sample deletes points older than
// their record's span and, should the clock jump, trims a series to its point
// cap; it drops the series of tenants and containers that no longer exist;
// and it keeps at most MaxContainers container series per tenant (the first
// by name). Its transactions are small (a tenant's own series, then its
// containers' a batch at a time on a shared store) and safe to rerun (kv.DB). The history is
// derived data: losing usage.db loses the chart, never an object, and
// storage knows nothing of it.
package usagehist
