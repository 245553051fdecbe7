package usagehist

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/internal/kvretry"
)

// TestOldUsageFileOpens: testdata/usage-v1.db.gz is a usage.db written
// before the store went through kv (bbolt directly, no name buckets):
// tenants acme (containers logs, tmp) and gone, sampled at 10:30, 11:30
// and 12:30 on 2026-03-01. It opens unchanged, its series read back, and
// the names it never had are indexed at open, so the series of a tenant
// and a container deleted since are dropped at the next sample.
func TestOldUsageFileOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.db")
	gunzipTo(t, "testdata/usage-v1.db.gz", path)
	s, err := openStore(path, func(db kv.DB) kv.DB { return kvretry.Twice(db) })
	must(t, err)
	defer s.Close()
	at := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	ps, err := s.History(at, "acme", "", Range48h)
	must(t, err)
	if len(ps) != 3 || ps[0].Bytes != 1000 || ps[2].Bytes != 3000 || ps[2].Objects != 12 || ps[2].QuotaBytes != 1<<30 {
		t.Fatalf("acme's hourly record: %+v", ps)
	}
	if ps, err := s.History(at, "acme", "logs", Range30d); err != nil || len(ps) != 1 || ps[0].Bytes != 300 {
		t.Fatalf("logs' daily record: %+v %v", ps, err)
	}
	next := at.Add(time.Hour)
	must(t, s.record(t.Context(), next, TenantSample{Name: "acme", Usage: Point{Objects: 1, Bytes: 4000},
		Containers: map[string]Point{"logs": {Objects: 4, Bytes: 400}}}))
	must(t, s.dropTenants(t.Context(), map[string]bool{"acme": true}))
	for _, series := range [][2]string{{"gone", ""}, {"gone", "b"}, {"acme", "tmp"}} {
		if ps, err := s.History(next, series[0], series[1], Range48h); err != nil || len(ps) != 0 {
			t.Fatalf("%v kept after its deletion: %+v %v", series, ps, err)
		}
	}
	if ps, err := s.History(next, "acme", "logs", Range48h); err != nil || len(ps) != 4 || ps[3].Bytes != 400 {
		t.Fatalf("logs after the sample: %+v %v", ps, err)
	}
}

func gunzipTo(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	must(t, err)
	defer in.Close()
	zr, err := gzip.NewReader(in)
	must(t, err)
	out, err := os.Create(to)
	must(t, err)
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	must(t, out.Close())
}

// TestRecordManyContainers: a tenant with more containers than one
// transaction of a shared store writes (txBatch) gets every series; when
// most are gone, the drops too span several transactions and leave
// exactly the rest.
func TestRecordManyContainers(t *testing.T) {
	s, err := openStore(filepath.Join(t.TempDir(), "usage.db"), func(db kv.DB) kv.DB { return kvretry.Twice(db) })
	must(t, err)
	defer s.Close()
	s.batch = txBatch // as OpenStoreKV sets it
	now := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	const n = 3*txBatch + 5
	all := map[string]Point{}
	for i := range n {
		all[fmt.Sprintf("c%03d", i)] = Point{Objects: int64(i), Bytes: int64(10 * i)}
	}
	must(t, s.record(t.Context(), now, TenantSample{Name: "acme", Containers: all}))
	for name, p := range all {
		if ps, err := s.History(now, "acme", name, Range48h); err != nil || len(ps) != 1 || ps[0].Bytes != p.Bytes {
			t.Fatalf("%s: %+v %v", name, ps, err)
		}
	}
	few := map[string]Point{"c000": {}, "c050": {}, "c100": {}}
	now = now.Add(time.Hour)
	must(t, s.record(t.Context(), now, TenantSample{Name: "acme", Containers: few}))
	for name := range all {
		ps, err := s.History(now, "acme", name, Range48h)
		must(t, err)
		if _, kept := few[name]; kept != (len(ps) == 2) || !kept && len(ps) != 0 {
			t.Fatalf("%s (kept %v): %d points", name, kept, len(ps))
		}
	}
}
