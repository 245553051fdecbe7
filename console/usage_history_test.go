package console_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/internal/testutil"
	"github.com/cofferstore/coffer/internal/usagehist"
	"github.com/cofferstore/coffer/storage"
)

// withUsageHistory gives the env a real usage history in its directory,
// sampled only through POST /api/admin/usage/sample, on clock.
func withUsageHistory(t *testing.T, clock *testutil.Clock) envOption {
	return withUsage(func(st *storage.Store) console.UsageHistory {
		h, err := usagehist.OpenStore(filepath.Join(t.TempDir(), "usage.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		return usagehist.NewSampler(usagehist.Config{Source: st, Store: h, Now: clock.Now})
	})
}

// TestUsageHistoryAPI: the tenant reads its own history and its
// containers', the operator any tenant's; samples come from the operator's
// POST /api/admin/usage/sample; names and ranges are checked.
func TestUsageHistoryAPI(t *testing.T) {
	t.Parallel()
	clock := testutil.NewClock(time.Date(2026, 5, 4, 9, 15, 0, 0, time.UTC))
	e := newEnv(t, withUsageHistory(t, clock))
	acme := e.tenant("acme", storage.Quota{MaxBytes: 1000, MaxObjects: 50})
	beta := e.tenant("beta", storage.Quota{})
	op := e.operator()
	ctx := context.Background()
	for _, b := range []string{"logs", "pics"} {
		if err := e.store.CreateBucket(ctx, "acme", b, storage.BucketOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.putObject("acme", "logs", "a", "hello")
	e.putObject("acme", "pics", "b", "0123456789")

	var h console.UsageHistoryJSON
	acme.do("GET", "/api/usage/history?range=48h", nil).want(http.StatusOK).decode(&h)
	if len(h.Points) != 0 || h.Tenant != "acme" || h.Range != "48h" || h.StepSeconds != 3600 {
		t.Fatalf("before any sample: %+v", h)
	}
	acme.do("POST", "/api/admin/usage/sample", nil).want(http.StatusForbidden)
	op.do("POST", "/api/admin/usage/sample", nil).want(http.StatusNoContent)
	clock.Advance(time.Hour)
	e.putObject("acme", "logs", "c", "xyz")
	op.do("POST", "/api/admin/usage/sample", nil).want(http.StatusNoContent)

	acme.do("GET", "/api/usage/history?range=48h", nil).want(http.StatusOK).decode(&h)
	if len(h.Points) != 2 {
		t.Fatalf("48h after two samples an hour apart: %+v", h)
	}
	p0, p1 := h.Points[0], h.Points[1]
	if p0.Objects != 2 || p0.Bytes != 15 || p1.Objects != 3 || p1.Bytes != 18 ||
		p1.QuotaBytes != 1000 || p1.QuotaObjects != 50 || !p1.Time.Equal(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("points %+v", h.Points)
	}
	acme.do("GET", "/api/usage/history", nil).want(http.StatusOK).decode(&h)
	if h.Range != "30d" || h.StepSeconds != 86400 || len(h.Points) != 1 || h.Points[0].Bytes != 18 {
		t.Fatalf("default range (30d): %+v", h)
	}
	acme.do("GET", "/api/usage/history?range=48h&container=logs", nil).want(http.StatusOK).decode(&h)
	if h.Container != "logs" || len(h.Points) != 2 || h.Points[1].Objects != 2 || h.Points[1].Bytes != 8 || h.Points[1].QuotaBytes != 0 {
		t.Fatalf("container logs: %+v", h)
	}
	acme.do("GET", "/api/usage/history?container=nope", nil).wantError(http.StatusNotFound, "container not found")
	acme.do("GET", "/api/usage/history?range=7d", nil).wantError(http.StatusBadRequest, "48h, 30d or 365d")
	acme.do("GET", "/api/usage/history?container="+strings.Repeat("a", 64), nil).want(http.StatusBadRequest)

	// Another tenant sees only its own history, whatever it asks.
	beta.do("GET", "/api/usage/history?range=48h&tenant=acme", nil).want(http.StatusOK).decode(&h)
	if h.Tenant != "beta" || len(h.Points) != 2 || h.Points[1].Bytes != 0 {
		t.Fatalf("beta: %+v", h)
	}
	beta.do("GET", "/api/usage/history?container=logs", nil).want(http.StatusNotFound)
	beta.do("GET", "/api/admin/tenants/acme/usage/history", nil).want(http.StatusForbidden)

	// The operator's view of a tenant.
	op.do("GET", "/api/admin/tenants/acme/usage/history?range=365d", nil).want(http.StatusOK).decode(&h)
	if h.Tenant != "acme" || h.Range != "365d" || len(h.Points) != 1 || h.Points[0].Bytes != 18 || h.Points[0].QuotaBytes != 1000 {
		t.Fatalf("operator 365d: %+v", h)
	}
	op.do("GET", "/api/admin/tenants/acme/usage/history?range=48h&container=pics", nil).want(http.StatusOK).decode(&h)
	if len(h.Points) != 2 || h.Points[0].Bytes != 10 {
		t.Fatalf("operator container: %+v", h)
	}
	op.do("GET", "/api/admin/tenants/nobody/usage/history", nil).wantError(http.StatusNotFound, "tenant not found")
}

// TestUsageHistoryNotKept: a console without a usage history answers 503.
func TestUsageHistoryNotKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acme := e.tenant("acme", storage.Quota{})
	acme.do("GET", "/api/usage/history", nil).want(http.StatusServiceUnavailable)
	e.operator().do("POST", "/api/admin/usage/sample", nil).want(http.StatusServiceUnavailable)
}

// TestUsageSuspended: /api/usage says when the tenant is suspended, which
// the page's banner reads; a suspended tenant may still read its usage.
func TestUsageSuspended(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acme := e.tenant("acme", storage.Quota{})
	var u struct{ Suspended bool }
	acme.do("GET", "/api/usage", nil).want(http.StatusOK).decode(&u)
	if u.Suspended {
		t.Fatal("active tenant reported suspended")
	}
	e.operator().do("POST", "/api/admin/tenants/acme/suspend", nil).want(http.StatusOK)
	acme.do("GET", "/api/usage", nil).want(http.StatusOK).decode(&u)
	if !u.Suspended {
		t.Fatal("suspended tenant not reported suspended")
	}
}
