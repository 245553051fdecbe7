package usagehist

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// DefaultInterval is the time between samples: the hourly record's slot.
const DefaultInterval = time.Hour

// MaxContainers is how many container series a tenant keeps (the first by
// name): with DefaultMaxBuckets it is every container, and a tenant without
// a bucket limit cannot make the file grow without bound.
const MaxContainers = 1000

// Source is the part of storage a sample reads: its exact usage counters.
type Source interface {
	ListTenants(ctx context.Context) ([]storage.Tenant, error)
	TenantUsage(ctx context.Context, name string) (storage.Usage, error)
	ListBuckets(ctx context.Context, tenant string) ([]storage.BucketInfo, error)
}

// Config configures a Sampler.
type Config struct {
	Source Source
	Store  *Store
	// Interval is the time between background samples; 0 = DefaultInterval.
	Interval time.Duration
	// Now is the clock; nil = time.Now. Tests inject one to run days in milliseconds.
	Now    func() time.Time
	Logger *slog.Logger
}

// Sampler copies storage's usage counters into the Store.
type Sampler struct {
	cfg Config
	mu  sync.Mutex // one sample at a time: the background loop and Sample from the API
}

// NewSampler returns a Sampler; it samples only when Run or Sample is called.
func NewSampler(cfg Config) *Sampler {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sampler{cfg: cfg}
}

// Run samples at once and then every interval until ctx ends. A failed
// sample is logged; the next one tries again.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if err := s.Sample(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("usage sample failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sample records every tenant's and container's usage now and drops the
// series of tenants and containers that are gone.
func (s *Sampler) Sample(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	tenants, err := s.cfg.Source.ListTenants(ctx)
	if err != nil {
		return fmt.Errorf("usagehist: list tenants: %w", err)
	}
	keep := make(map[string]bool, len(tenants))
	var errs []error
	for _, t := range tenants {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		keep[t.Name] = true
		ts, err := s.tenantSample(ctx, t)
		if errors.Is(err, storage.ErrTenantNotFound) {
			continue // deleted since the list: dropped at the next sample
		}
		if err == nil {
			err = s.cfg.Store.record(ctx, now, ts)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("usagehist: tenant %s: %w", t.Name, err))
		}
	}
	if err := s.cfg.Store.dropTenants(ctx, keep); err != nil {
		errs = append(errs, fmt.Errorf("usagehist: drop deleted tenants: %w", err))
	}
	return errors.Join(errs...)
}

// tenantSample reads one tenant's counters and its containers'.
func (s *Sampler) tenantSample(ctx context.Context, t storage.Tenant) (TenantSample, error) {
	u, err := s.cfg.Source.TenantUsage(ctx, t.Name)
	if err != nil {
		return TenantSample{}, err
	}
	buckets, err := s.cfg.Source.ListBuckets(ctx, t.Name)
	if err != nil {
		return TenantSample{}, err
	}
	ts := TenantSample{
		Name:       t.Name,
		Usage:      Point{Objects: u.Objects, Bytes: u.Bytes, QuotaObjects: t.Quota.MaxObjects, QuotaBytes: t.Quota.MaxBytes},
		Containers: make(map[string]Point, min(len(buckets), MaxContainers)),
	}
	for _, b := range buckets[:min(len(buckets), MaxContainers)] {
		ts.Containers[b.Name] = Point{Objects: b.Objects, Bytes: b.Bytes}
	}
	return ts, nil
}

// History returns a series' points within r, as of the sampler's clock.
func (s *Sampler) History(tenant, container string, r Range) ([]Point, error) {
	return s.cfg.Store.History(s.cfg.Now(), tenant, container, r)
}

// Interval is the time between background samples.
func (s *Sampler) Interval() time.Duration { return s.cfg.Interval }
