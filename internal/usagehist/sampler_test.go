package usagehist

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/internal/kvretry"
	"github.com/cofferstore/coffer/internal/storetest"
	"github.com/cofferstore/coffer/internal/testutil"
	"github.com/cofferstore/coffer/storage"
)

// openStorage opens a 4-drive store in a temporary directory.
func openStorage(t *testing.T) *storage.Store { return storetest.Open(t) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixture is a storage, a history file and a sampler on a test clock.
type fixture struct {
	st    *storage.Store
	path  string
	hist  *Store
	clock *testutil.Clock
	s     *Sampler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: openStorage(t), path: filepath.Join(t.TempDir(), "usage.db"),
		clock: testutil.NewClock(time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC))}
	f.reopen(t)
	return f
}

// reopen opens the history file again, as a restarted server does.
func (f *fixture) reopen(t *testing.T) {
	t.Helper()
	if f.hist != nil {
		must(t, f.hist.Close())
	}
	// Every transaction runs twice (kvretry), as on an optimistic backend.
	h, err := openStore(f.path, func(db kv.DB) kv.DB { return kvretry.Twice(db) })
	must(t, err)
	t.Cleanup(func() { h.Close() })
	f.hist = h
	f.s = NewSampler(Config{Source: f.st, Store: h, Now: f.clock.Now})
}

func (f *fixture) put(t *testing.T, tenant, bucket, key string, size int) {
	t.Helper()
	body := strings.NewReader(strings.Repeat("x", size))
	if _, err := f.st.PutObject(context.Background(), tenant, bucket, key, body, storage.PutOptions{Size: int64(size)}); err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func (f *fixture) history(t *testing.T, tenant, container string, r Range) []Point {
	t.Helper()
	ps, err := f.s.History(tenant, container, r)
	must(t, err)
	return ps
}

func wantPoint(t *testing.T, what string, p Point, at time.Time, objects, bytes int64) {
	t.Helper()
	if !p.Time.Equal(at) || p.Objects != objects || p.Bytes != bytes {
		t.Fatalf("%s: got %+v, want time %v objects %d bytes %d", what, p, at, objects, bytes)
	}
}

// TestSamplerHourlyAndDaily samples over three days of a test clock: one
// hourly point per hour (a later sample in the hour replaces the point), one
// daily point per day, the quota as it was at each sample, and container
// series beside the tenant's.
func TestSamplerHourlyAndDaily(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must(t, f.st.CreateTenant(ctx, "acme", storage.Quota{MaxBytes: 1000}))
	must(t, f.st.CreateBucket(ctx, "acme", "logs", storage.BucketOptions{}))
	must(t, f.st.CreateBucket(ctx, "acme", "pics", storage.BucketOptions{}))

	f.put(t, "acme", "logs", "a", 100)
	must(t, f.s.Sample(ctx)) // 10:30
	f.put(t, "acme", "pics", "b", 50)
	f.clock.Advance(20 * time.Minute)
	must(t, f.s.Sample(ctx)) // 10:50, same hour: replaces 10:00's point
	hour := func(h int) time.Time { return time.Date(2026, 3, 1, h, 0, 0, 0, time.UTC) }
	ps := f.history(t, "acme", "", Range48h)
	if len(ps) != 1 {
		t.Fatalf("48h after two samples in one hour: %d points, want 1: %+v", len(ps), ps)
	}
	wantPoint(t, "tenant 10:00", ps[0], hour(10), 2, 150)
	if ps[0].QuotaBytes != 1000 || ps[0].QuotaObjects != 0 {
		t.Fatalf("quota in the point: %+v", ps[0])
	}

	f.clock.Advance(time.Hour)
	must(t, f.st.SetQuota(ctx, "acme", storage.Quota{MaxBytes: 5000, MaxObjects: 9}))
	f.put(t, "acme", "logs", "c", 25)
	must(t, f.s.Sample(ctx)) // 11:50
	ps = f.history(t, "acme", "", Range48h)
	if len(ps) != 2 {
		t.Fatalf("48h after two hours: %d points: %+v", len(ps), ps)
	}
	wantPoint(t, "tenant 11:00", ps[1], hour(11), 3, 175)
	if ps[0].QuotaBytes != 1000 || ps[1].QuotaBytes != 5000 || ps[1].QuotaObjects != 9 {
		t.Fatalf("the quota line must be the quota as it was: %+v", ps)
	}
	logs := f.history(t, "acme", "logs", Range48h)
	if len(logs) != 2 {
		t.Fatalf("container logs: %+v", logs)
	}
	wantPoint(t, "logs 10:00", logs[0], hour(10), 1, 100)
	wantPoint(t, "logs 11:00", logs[1], hour(11), 2, 125)
	if logs[1].QuotaBytes != 0 {
		t.Fatalf("a container point carries no quota: %+v", logs[1])
	}

	// Two more days, sampled hourly: 48h keeps 49 hourly points, the daily
	// record one point per day.
	for range 48 {
		f.clock.Advance(time.Hour)
		must(t, f.s.Sample(ctx))
	}
	ps = f.history(t, "acme", "", Range48h)
	if len(ps) != 49 {
		t.Fatalf("48h record: %d points, want 49", len(ps))
	}
	if want := hour(11).Add(48 * time.Hour); !ps[48].Time.Equal(want) || !ps[0].Time.Equal(want.Add(-48*time.Hour)) {
		t.Fatalf("48h span %v .. %v", ps[0].Time, ps[48].Time)
	}
	days := f.history(t, "acme", "", Range30d)
	if len(days) != 3 {
		t.Fatalf("30d record after 3 days: %d points: %+v", len(days), days)
	}
	for i, d := range days {
		wantPoint(t, fmt.Sprintf("day %d", i), d, time.Date(2026, 3, 1+i, 0, 0, 0, 0, time.UTC), 3, 175)
	}
	// Retention of the file itself: the hourly bucket holds no point older than 48h.
	if n := f.count(t, "acme", "", hourly); n != 49 {
		t.Fatalf("stored hourly points: %d, want 49", n)
	}
}

// count is the number of points stored in one record of a series.
func (f *fixture) count(t *testing.T, tenant, container string, rec record) int {
	t.Helper()
	n := 0
	path := [][]byte{tenantsBucket, []byte(tenant)}
	if container != "" {
		path = append(path, containersBucket, []byte(container))
	}
	must(t, f.hist.db.View(t.Context(), func(tx kv.Tx) error {
		n = 0
		b, err := tx.Bucket(append(path, rec.name)...)
		if err != nil || b == nil {
			return err
		}
		c := b.Cursor()
		for k, _ := c.Seek(nil); k != nil; k, _ = c.Next() {
			n++
		}
		return c.Err()
	}))
	return n
}

// TestSamplerRetention runs 500 days of daily samples: the daily record
// keeps 401 points, 365d answers the last 366 days, and the hourly record
// stays at its cap of 49 whatever the span.
func TestSamplerRetention(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must(t, f.st.CreateTenant(ctx, "acme", storage.Quota{}))
	must(t, f.st.CreateBucket(ctx, "acme", "logs", storage.BucketOptions{}))
	for range 500 {
		must(t, f.s.Sample(ctx))
		f.clock.Advance(24 * time.Hour)
	}
	f.clock.Advance(-24 * time.Hour) // back to the last sample's day
	if n := f.count(t, "acme", "", daily); n != 401 {
		t.Fatalf("daily points kept: %d, want 401", n)
	}
	if n := f.count(t, "acme", "logs", daily); n != 401 {
		t.Fatalf("container daily points kept: %d, want 401", n)
	}
	if n := f.count(t, "acme", "", hourly); n != 3 {
		t.Fatalf("hourly points a day apart: %d, want 3 (the last 48 hours)", n)
	}
	if ps := f.history(t, "acme", "", Range365d); len(ps) != 366 {
		t.Fatalf("365d: %d points, want 366", len(ps))
	}
	if ps := f.history(t, "acme", "", Range30d); len(ps) != 31 {
		t.Fatalf("30d: %d points, want 31", len(ps))
	}

	// A clock that ran ahead left future points; the cap still holds.
	f.clock.Advance(1000 * time.Hour)
	must(t, f.s.Sample(ctx))
	f.clock.Advance(-1000 * time.Hour)
	for range 60 {
		f.clock.Advance(time.Hour)
		must(t, f.s.Sample(ctx))
	}
	if n := f.count(t, "acme", "", hourly); n > hourly.maxLen {
		t.Fatalf("hourly points after a clock jump: %d, cap %d", n, hourly.maxLen)
	}
}

// TestSamplerRestart: the history survives closing and reopening the file.
func TestSamplerRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must(t, f.st.CreateTenant(ctx, "acme", storage.Quota{MaxObjects: 10}))
	must(t, f.st.CreateBucket(ctx, "acme", "logs", storage.BucketOptions{}))
	f.put(t, "acme", "logs", "a", 7)
	must(t, f.s.Sample(ctx))
	f.reopen(t)
	f.clock.Advance(time.Hour)
	f.put(t, "acme", "logs", "b", 3)
	must(t, f.s.Sample(ctx))
	ps := f.history(t, "acme", "", Range48h)
	if len(ps) != 2 {
		t.Fatalf("after a restart: %d points, want 2: %+v", len(ps), ps)
	}
	wantPoint(t, "before restart", ps[0], time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), 1, 7)
	wantPoint(t, "after restart", ps[1], time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC), 2, 10)
	if ps[0].QuotaObjects != 10 {
		t.Fatalf("quota lost across the restart: %+v", ps[0])
	}
}

// TestSamplerDropsDeleted: a deleted tenant's series and a deleted
// container's series are gone after the next sample; the others stay.
func TestSamplerDropsDeleted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, name := range []string{"acme", "gone"} {
		must(t, f.st.CreateTenant(ctx, name, storage.Quota{}))
		must(t, f.st.CreateBucket(ctx, name, "logs", storage.BucketOptions{}))
		must(t, f.st.CreateBucket(ctx, name, "tmp", storage.BucketOptions{}))
		f.put(t, name, "logs", "a", 5)
	}
	must(t, f.s.Sample(ctx))
	if len(f.history(t, "gone", "", Range30d)) != 1 || len(f.history(t, "acme", "tmp", Range30d)) != 1 {
		t.Fatal("no series recorded")
	}
	must(t, f.st.DeleteTenant(ctx, "gone"))
	must(t, f.st.DeleteBucket(ctx, "acme", "tmp", false))
	f.clock.Advance(time.Hour)
	must(t, f.s.Sample(ctx))
	if ps := f.history(t, "gone", "", Range30d); len(ps) != 0 {
		t.Fatalf("deleted tenant still has history: %+v", ps)
	}
	if ps := f.history(t, "acme", "tmp", Range30d); len(ps) != 0 {
		t.Fatalf("deleted container still has history: %+v", ps)
	}
	must(t, f.hist.db.View(t.Context(), func(tx kv.Tx) error {
		if b, err := tx.Bucket(tenantsBucket, []byte("gone")); err != nil || b != nil {
			t.Errorf("the deleted tenant's bucket is still in usage.db (%v)", err)
		}
		if b, err := tx.Bucket(tenantsBucket, []byte("acme"), containersBucket, []byte("tmp")); err != nil || b != nil {
			t.Errorf("the deleted container's bucket is still in usage.db (%v)", err)
		}
		names, err := tx.Bucket(namesBucket)
		if err != nil {
			return err
		}
		if v, err := names.Get([]byte("gone")); err != nil || v != nil {
			t.Errorf("the deleted tenant's name is still listed (%v)", err)
		}
		return nil
	}))
	if ps := f.history(t, "acme", "logs", Range48h); len(ps) != 2 || ps[1].Bytes != 5 {
		t.Fatalf("kept container: %+v", ps)
	}
	// A tenant of the same name starts with an empty history.
	must(t, f.st.CreateTenant(ctx, "gone", storage.Quota{}))
	if ps := f.history(t, "gone", "", Range48h); len(ps) != 0 {
		t.Fatalf("recreated tenant inherits history: %+v", ps)
	}
}

// TestSamplerRun: Run samples at once at start and stops with its context.
func TestSamplerRun(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	must(t, f.st.CreateTenant(ctx, "acme", storage.Quota{}))
	s := NewSampler(Config{Source: f.st, Store: f.hist, Now: f.clock.Now, Interval: time.Hour})
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(f.history(t, "acme", "", Range48h)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no sample at start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}

func TestParseRange(t *testing.T) {
	for in, want := range map[string]Range{"": Range30d, "48h": Range48h, "30d": Range30d, "365d": Range365d} {
		if got, err := ParseRange(in); err != nil || got != want {
			t.Errorf("ParseRange(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"1h", "48H", "x", "365"} {
		if _, err := ParseRange(bad); err != ErrBadRange {
			t.Errorf("ParseRange(%q): %v, want ErrBadRange", bad, err)
		}
	}
}
