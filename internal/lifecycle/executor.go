package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	rules "github.com/cofferstore/coffer/pkg/lifecycle"
	"github.com/cofferstore/coffer/storage"
)

// Stats counts what a pass did (or, in Totals, every pass since start).
type Stats struct {
	// ObjectsExpired counts versions and delete markers removed and current
	// versions expired behind a new delete marker.
	ObjectsExpired int64 `json:"objectsExpired"`
	// BytesExpired counts the bytes of data removed for good (a version
	// hidden behind a marker keeps its bytes, as noncurrent data).
	BytesExpired   int64 `json:"bytesExpired"`
	UploadsAborted int64 `json:"uploadsAborted"`
	// SkippedLocked: storage refused a delete (retention or legal hold).
	SkippedLocked int64 `json:"skippedLocked"`
	// SkippedChanged: the version moved between listing and delete.
	SkippedChanged int64 `json:"skippedChanged"`
	// Errors: a delete or a bucket failed for another reason (logged).
	Errors int64 `json:"errors"`
}

func (s *Stats) add(o Stats) {
	s.ObjectsExpired += o.ObjectsExpired
	s.BytesExpired += o.BytesExpired
	s.UploadsAborted += o.UploadsAborted
	s.SkippedLocked += o.SkippedLocked
	s.SkippedChanged += o.SkippedChanged
	s.Errors += o.Errors
}

// Result is one pass: counts per tenant visited.
type Result struct {
	Started  time.Time        `json:"started"`
	Finished time.Time        `json:"finished"`
	Resumed  bool             `json:"resumed"`
	Tenants  map[string]Stats `json:"tenants"`
}

// Total sums the tenants' counts.
func (r Result) Total() Stats {
	var t Stats
	for _, s := range r.Tenants {
		t.add(s)
	}
	return t
}

// TenantTotals is one tenant's counts since the executor started and the
// end of its last completed pass.
type TenantTotals struct {
	Tenant   string
	Stats    Stats
	LastPass time.Time
}

// Executor runs lifecycle passes, one at a time.
type Executor struct {
	cfg     Config
	limiter *tokenBucket
	log     *slog.Logger

	passMu sync.Mutex // one pass at a time (background loop and admin runs)

	mu       sync.Mutex
	totals   map[string]Stats
	lastPass map[string]time.Time
}

// New returns an Executor.
func New(cfg Config) *Executor {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = defaultPageSize
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Executor{cfg: cfg, limiter: newTokenBucket(cfg.Rate), log: log,
		totals: map[string]Stats{}, lastPass: map[string]time.Time{}}
}

// Totals returns every tenant's counts since start, by tenant name.
func (e *Executor) Totals() []TenantTotals {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]TenantTotals, 0, len(e.totals))
	for _, t := range slices.Sorted(maps.Keys(e.totals)) {
		out = append(out, TenantTotals{Tenant: t, Stats: e.totals[t], LastPass: e.lastPass[t]})
	}
	return out
}

// Run runs a pass every Interval until ctx ends; an unfinished pass left
// by a crash is resumed at once.
func (e *Executor) Run(ctx context.Context) {
	wait := e.cfg.Interval
	if c, err := loadCursor(e.cfg.StateFile); err == nil && c != nil {
		wait = 0
	}
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if res, err := e.RunPass(ctx, ""); err != nil {
			if ctx.Err() != nil {
				return
			}
			e.log.Error("lifecycle pass", "err", err)
		} else {
			tot := res.Total()
			e.log.Info("lifecycle pass", "resumed", res.Resumed, "tenants", len(res.Tenants),
				"objects_expired", tot.ObjectsExpired, "bytes_expired", tot.BytesExpired,
				"uploads_aborted", tot.UploadsAborted, "skipped_locked", tot.SkippedLocked,
				"skipped_changed", tot.SkippedChanged, "errors", tot.Errors)
		}
		wait = e.cfg.Interval
	}
}

// RunPass runs one pass now, over every tenant or only tenant. A full pass
// resumes an unfinished one (StateFile) and records its cursor as it
// goes; a single-tenant pass neither reads nor writes the cursor. When ctx
// ends mid-pass the cursor stays for the next pass and ctx's error is
// returned with the counts so far.
func (e *Executor) RunPass(ctx context.Context, tenant string) (Result, error) {
	e.passMu.Lock()
	defer e.passMu.Unlock()
	res := Result{Started: e.cfg.Now(), Tenants: map[string]Stats{}}
	state := e.cfg.StateFile
	if tenant != "" {
		state = ""
	}
	cur, err := loadCursor(state)
	if err != nil {
		return res, err
	}
	res.Resumed = cur != nil
	var tenants []string
	if tenant != "" {
		if _, err := e.cfg.Store.GetTenant(ctx, tenant); err != nil {
			return res, err
		}
		tenants = []string{tenant}
	} else {
		all, err := e.cfg.Store.ListTenants(ctx)
		if err != nil {
			return res, err
		}
		for _, t := range all {
			tenants = append(tenants, t.Name)
		}
		slices.Sort(tenants)
	}
	p := &pass{e: e, now: res.Started, state: state}
	for _, t := range tenants {
		if cur != nil && t < cur.Tenant {
			continue
		}
		st, err := p.tenant(ctx, t, cur)
		if st != (Stats{}) || err == nil {
			res.Tenants[t] = st
		}
		e.record(t, st, err == nil)
		if err != nil {
			return res, err
		}
	}
	res.Finished = e.cfg.Now()
	return res, clearCursor(state)
}

// record adds a tenant's counts to the totals; done marks its pass complete.
func (e *Executor) record(tenant string, st Stats, done bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.totals[tenant]
	t.add(st)
	e.totals[tenant] = t
	if done {
		e.lastPass[tenant] = e.cfg.Now()
	}
}

// pass is the state of one pass.
type pass struct {
	e     *Executor
	now   time.Time
	state string
}

// tenant runs the pass over one tenant's buckets.
func (p *pass) tenant(ctx context.Context, tenant string, cur *cursor) (Stats, error) {
	var st Stats
	store := p.e.cfg.Store
	defDays, err := TenantDefaultDays(ctx, store, tenant)
	if err != nil {
		return st, err
	}
	buckets, err := store.ListBuckets(ctx, tenant)
	if errors.Is(err, storage.ErrTenantNotFound) {
		return st, nil // deleted since listed
	}
	if err != nil {
		return st, err
	}
	slices.SortFunc(buckets, func(a, b storage.BucketInfo) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	for _, b := range buckets {
		var at *cursor
		if cur != nil {
			if cur.before(tenant, b.Name) {
				continue
			}
			if cur.Tenant == tenant && cur.Bucket == b.Name {
				at = cur
			}
		}
		err := p.bucket(ctx, tenant, b, defDays, at, &st)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return st, ctx.Err()
		case errors.Is(err, storage.ErrBucketNotFound):
			// deleted while the pass ran: nothing left to expire
		default:
			st.Errors++
			p.e.log.Error("lifecycle bucket", "tenant", tenant, "bucket", b.Name, "err", err)
		}
	}
	return st, nil
}

// bucket runs the pass over one bucket: its versions, then its uploads.
func (p *pass) bucket(ctx context.Context, tenant string, b storage.BucketInfo, defDays int, at *cursor, st *Stats) error {
	store := p.e.cfg.Store
	var cfg *rules.Configuration
	doc, err := store.GetBucketConfig(ctx, tenant, b.Name, storage.ConfigLifecycle)
	switch {
	case errors.Is(err, storage.ErrNoSuchBucketConfig):
	case err != nil:
		return err
	default:
		if cfg, err = rules.ParseBytes(doc); err != nil {
			return fmt.Errorf("stored lifecycle configuration: %w", err)
		}
	}
	if cfg == nil && defDays <= 0 {
		return nil
	}
	// The cursor is written only around a versions walk: a bucket whose
	// uploads alone are due costs no fsync, and redoing its uploads after
	// a crash is harmless (an aborted upload is no longer listed).
	walk := hasObjectRules(cfg) && (at == nil || !at.Uploads)
	if err := p.save(cursor{Tenant: tenant, Bucket: b.Name}, walk && at == nil); err != nil {
		return err
	}
	if walk {
		w := &versionWalk{p: p, tenant: tenant, bucket: b.Name, cfg: cfg, versioned: b.Versioning != "",
			suspended: b.Versioning == storage.VersioningSuspended, st: st}
		after := ""
		if at != nil {
			after, w.done = at.Key, at.Key
			w.ignoreKey, w.ignoreSince = at.InKey, at.MarkerSince
		}
		if err := w.run(ctx, after); err != nil {
			return err
		}
	}
	if err := p.save(cursor{Tenant: tenant, Bucket: b.Name, Uploads: true}, walk); err != nil {
		return err
	}
	return p.uploads(ctx, tenant, b.Name, cfg, defDays, st)
}

// save records the cursor when write is true.
func (p *pass) save(c cursor, write bool) error {
	if !write {
		return nil
	}
	return saveCursor(p.state, c)
}

// hasObjectRules reports whether any enabled rule acts on versions.
func hasObjectRules(cfg *rules.Configuration) bool {
	if cfg == nil {
		return false
	}
	for _, r := range cfg.Rules {
		if r.Status == rules.Enabled && (r.Expiration != nil || r.NoncurrentVersionExpiration != nil) {
			return true
		}
	}
	return false
}

// uploads aborts the bucket's incomplete uploads that are past their date.
func (p *pass) uploads(ctx context.Context, tenant, bucket string, cfg *rules.Configuration, defDays int, st *Stats) error {
	store := p.e.cfg.Store
	opts := storage.ListUploadsOptions{MaxUploads: p.e.cfg.PageSize}
	for {
		page, err := store.ListMultipartUploads(ctx, tenant, bucket, opts)
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			d := rules.EffectiveAbort(cfg, defDays, &rules.Upload{Key: u.Key, Initiated: u.Initiated})
			if !d.DueAt(p.now) {
				continue
			}
			if err := p.e.limiter.wait(ctx); err != nil {
				return err
			}
			err := store.AbortMultipartUpload(ctx, tenant, bucket, u.Key, u.UploadID)
			switch {
			case err == nil:
				st.UploadsAborted++
			case errors.Is(err, storage.ErrUploadNotFound):
				st.SkippedChanged++ // completed or aborted by its client meanwhile
			case ctx.Err() != nil:
				return ctx.Err()
			default:
				st.Errors++
				p.e.log.Error("lifecycle abort", "tenant", tenant, "bucket", bucket, "key", u.Key, "err", err)
			}
		}
		if !page.IsTruncated || len(page.Uploads) == 0 && len(page.CommonPrefixes) == 0 {
			return nil
		}
		opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}
