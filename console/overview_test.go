package console_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/pkg/metrics"
	"github.com/cofferstore/coffer/storage"
)

// TestOverviewNumbers checks the overview against usage made through
// storage: tenants, suspended, top tenants (bytes, then name), capacity
// arithmetic from the real drives and layout, and the request history as
// the Operations hand it over.
func TestOverviewNumbers(t *testing.T) {
	t.Parallel()
	started := time.Now().Add(-90 * time.Second)
	history := make([]metrics.MinuteCount, 60)
	history[59] = metrics.MinuteCount{Requests: 9, ClientErrors: 2, ServerErrors: 1}
	var e *testEnv
	e = newEnv(t, withOps(console.Operations{Version: "v9.9.9", Started: started,
		Requests: func() []metrics.MinuteCount { return history },
		Layout:   func() (int, int) { return e.store.Layout() }}))
	ctx := context.Background()
	for i, name := range []string{"ten1", "ten2", "ten3", "ten4", "ten5", "ten6", "ten7"} {
		if err := e.store.CreateTenant(ctx, name, storage.Quota{MaxBytes: 1 << 20}); err != nil {
			t.Fatal(err)
		}
		if err := e.store.CreateBucket(ctx, name, "box", storage.BucketOptions{}); err != nil {
			t.Fatal(err)
		}
		// ten1 stores 100 bytes, ten2 200, ... ten7 700; ten6 equals ten7 to test the name order.
		n := (i + 1) * 100
		if name == "ten6" {
			n = 700
		}
		e.putObject(name, "box", "k", strings.Repeat("z", n))
	}
	if err := e.store.SetSuspended(ctx, "ten2", true); err != nil {
		t.Fatal(err)
	}
	var ov console.OverviewJSON
	e.operator().do("GET", "/api/admin/overview", nil).want(http.StatusOK).decode(&ov)
	if ov.Tenants != 7 || ov.SuspendedTenants != 1 || ov.Objects != 7 || ov.Capacity.UsedBytes != 100+200+300+400+500+700+700 {
		t.Fatalf("tenants %d suspended %d objects %d used %d", ov.Tenants, ov.SuspendedTenants, ov.Objects, ov.Capacity.UsedBytes)
	}
	var names []string
	for _, tt := range ov.TopTenants {
		names = append(names, tt.Name)
	}
	if strings.Join(names, ",") != "ten6,ten7,ten5,ten4,ten3" || ov.TopTenants[0].Bytes != 700 || ov.TopTenants[0].QuotaBytes != 1<<20 || ov.TopTenants[0].Containers != 1 {
		t.Fatalf("top tenants %+v, want ten6,ten7,ten5,ten4,ten3", ov.TopTenants)
	}
	if ov.Version != "v9.9.9" || ov.UptimeSeconds < 90 || ov.UptimeSeconds > 3600 || ov.Started == nil {
		t.Fatalf("version %q uptime %d started %v", ov.Version, ov.UptimeSeconds, ov.Started)
	}
	if len(ov.Requests) != 60 || ov.Requests[59].Requests != 9 || ov.Requests[59].ServerErrors != 1 || ov.Requests[59].ClientErrors != 2 {
		t.Fatalf("requests %+v", ov.Requests[59])
	}
	var raw, free uint64
	for _, d := range ov.Drives {
		raw += d.TotalBytes
		free += d.FreeBytes
	}
	// newEnv: 4 drives, parity 2.
	c := ov.Capacity
	if len(ov.Drives) != 4 || c.DataShards != 2 || c.ParityShards != 2 || c.RawBytes != raw || c.RawBytes == 0 ||
		c.UsableBytes != raw/2 || c.UsableFreeBytes > c.UsableBytes || c.RawFreeBytes > c.RawBytes {
		t.Fatalf("capacity %+v from drives raw %d free %d", c, raw, free)
	}
}

func TestOverviewOperatorOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.tenant("acme", storage.Quota{})
	c.do("GET", "/api/admin/overview", nil).want(http.StatusForbidden)
	c.do("POST", "/api/admin/scrub", nil).want(http.StatusForbidden)
	c.do("GET", "/api/admin/tenants/acme/containers", nil).want(http.StatusForbidden)
	// Without Operations the overview still answers, with what storage knows.
	var ov console.OverviewJSON
	e.operatorBasic().do("GET", "/api/admin/overview", nil).want(http.StatusOK).decode(&ov)
	if ov.Tenants != 1 || len(ov.Drives) != 4 || len(ov.Requests) != 0 || ov.Capacity.RawBytes == 0 {
		t.Fatalf("overview %+v", ov)
	}
}

func TestUsableCapacity(t *testing.T) {
	for _, tc := range []struct {
		raw          uint64
		data, parity int
		want         uint64
	}{
		{1000, 2, 2, 500}, {1200, 4, 2, 800}, {7, 1, 1, 3}, {1 << 62, 3, 1, 3 << 60}, {^uint64(0), 1, 0, ^uint64(0)}, {100, 0, 0, 0},
	} {
		if got := console.Usable(tc.raw, tc.data, tc.parity); got != tc.want {
			t.Errorf("usable(%d, %d+%d) = %d, want %d", tc.raw, tc.data, tc.parity, got, tc.want)
		}
	}
}

// TestScrubNow runs a pass through the API over a real store, then shows
// that a second request while one runs is answered 409, not queued.
func TestScrubNow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.tenant("acme", storage.Quota{})
	if err := e.store.CreateBucket(context.Background(), "acme", "box", storage.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	e.putObject("acme", "box", "a", "alpha")
	e.putObject("acme", "box", "b", "beta")
	var st console.ScrubJSON
	e.operatorBasic().do("POST", "/api/admin/scrub", nil).want(http.StatusOK).decode(&st)
	if st.Running || st.ObjectsScanned != 2 || st.LastScrubDone == nil || st.Errors != 0 {
		t.Fatalf("scrub answer %+v, want 2 objects scanned and a finished pass", st)
	}
	var audit struct{ Events []console.AuditJSON }
	e.operatorBasic().do("GET", "/api/admin/audit", nil).want(http.StatusOK).decode(&audit)
	if len(audit.Events) == 0 || audit.Events[0].Action != "scrub.run" {
		t.Fatalf("audit after scrub: %+v", audit.Events)
	}

	// The first pass blocks until released; any later one returns at once,
	// so a server that queued or ran a second pass fails the test, never hangs it.
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	defer free() // a failing check must not leave the first pass blocking the server's Close
	blocked := newEnv(t, withOps(console.Operations{Scrub: func(ctx context.Context) (storage.ScrubStats, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		return storage.ScrubStats{ObjectsScanned: 7}, nil
	}}))
	done := make(chan int)
	go func() {
		r := blocked.operatorBasic().do("POST", "/api/admin/scrub", nil)
		done <- r.Status
	}()
	<-started
	blocked.operatorBasic().do("POST", "/api/admin/scrub", nil).wantError(http.StatusConflict, "already running")
	free()
	if got := <-done; got != http.StatusOK {
		t.Fatalf("first scrub answered %d", got)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d passes ran, want 1", n)
	}

	none := newEnv(t, withOps(console.Operations{}))
	none.operatorBasic().do("POST", "/api/admin/scrub", nil).want(http.StatusServiceUnavailable)
}

// TestForceDeleteAuditTotals: a force delete (of a container, of a
// tenant) records how much it destroyed.
func TestForceDeleteAuditTotals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.tenant("acme", storage.Quota{})
	c.do("POST", "/api/containers", map[string]string{"name": "full"}).want(http.StatusCreated)
	c.do("PUT", "/api/containers/full/versioning", map[string]string{"state": "Enabled"}).want(http.StatusOK)
	e.putObject("acme", "full", "a", "12345")      // replaced below: a noncurrent version of 5 bytes
	e.putObject("acme", "full", "a", "1234567890") // current, 10 bytes
	e.putObject("acme", "full", "b", "xyz")        // current, 3 bytes
	if _, err := e.store.DeleteObject(ctx, "acme", "full", "b", storage.DeleteOptions{}); err != nil {
		t.Fatal(err) // a delete marker: b's data stays as a noncurrent version
	}
	var cs struct{ Containers []console.ContainerSizeJSON }
	e.operatorBasic().do("GET", "/api/admin/tenants/acme/containers", nil).want(http.StatusOK).decode(&cs)
	if len(cs.Containers) != 1 {
		t.Fatalf("containers %+v", cs)
	}
	got := cs.Containers[0]
	if got.Name != "full" || got.Objects != 4 || got.Bytes != 18 || got.NoncurrentObjects != 3 || got.NoncurrentBytes != 8 || got.Versioning != "Enabled" || got.ObjectLock {
		t.Fatalf("container sizes %+v, want 4 versions, 18 bytes, 3 noncurrent (8 bytes), Enabled", got)
	}
	c.do("DELETE", "/api/containers/full?force=true&confirm=full", nil).want(http.StatusNoContent)

	c.do("POST", "/api/containers", map[string]string{"name": "second"}).want(http.StatusCreated)
	e.putObject("acme", "second", "k", "0123456789abcdef")
	e.operatorBasic().do("DELETE", "/api/admin/tenants/acme?confirm=acme", nil).want(http.StatusNoContent)

	var audit struct{ Events []console.AuditJSON }
	e.operatorBasic().do("GET", "/api/admin/audit?tenant=acme", nil).want(http.StatusOK).decode(&audit)
	details := map[string]string{}
	for _, ev := range audit.Events {
		details[ev.Action+" "+ev.Target] = ev.Detail
	}
	if d := details["container.force_delete full"]; d != "destroyed 1 objects, 4 versions, 18 bytes" {
		t.Errorf("force delete detail %q", d)
	}
	if d := details["tenant.delete acme"]; d != "destroyed 1 containers, 1 objects, 1 versions, 16 bytes" {
		t.Errorf("tenant delete detail %q", d)
	}
}
