package console

import (
	"context"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/internal/usagehist"
)

// UsageHistory is the usage record behind the charts (internal/usagehist.Sampler).
type UsageHistory interface {
	History(tenant, container string, r usagehist.Range) ([]usagehist.Point, error)
	// Sample records every tenant's usage now.
	Sample(ctx context.Context) error
	Interval() time.Duration
}

// UsageHistoryJSON is the answer of GET /api/usage/history and GET
// /api/admin/tenants/{t}/usage/history (both take ?range=48h|30d|365d,
// default 30d, and ?container=NAME):
//
//	{"tenant": "acme", "container": "logs" (absent for the tenant),
//	 "range": "30d", "stepSeconds": 86400, "sampleIntervalSeconds": 3600,
//	 "points": [{"time": "2026-03-01T00:00:00Z", "objects": 3, "bytes": 175,
//	             "quotaObjects": 0, "quotaBytes": 1000}, ...]}
//
// Points are oldest first, one per hour (48h) or per UTC day (30d, 365d),
// each the usage at the last sample of its hour or day; a slot without a
// sample (the server was down) has no point. quotaObjects and quotaBytes are
// the tenant's quota when the point was sampled (0: none; always 0 in a
// container's points).
type UsageHistoryJSON struct {
	Tenant                string            `json:"tenant"`
	Container             string            `json:"container,omitempty"`
	Range                 string            `json:"range"`
	StepSeconds           int64             `json:"stepSeconds"`
	SampleIntervalSeconds int64             `json:"sampleIntervalSeconds"`
	Points                []usagehist.Point `json:"points"`
}

// tenantUsageHistory handles GET /api/usage/history: the session's tenant.
func (s *server) tenantUsageHistory(w http.ResponseWriter, r *http.Request) error {
	return s.usageHistory(w, r, principalFrom(r).User.Tenant)
}

// adminUsageHistory handles GET /api/admin/tenants/{t}/usage/history.
func (s *server) adminUsageHistory(w http.ResponseWriter, r *http.Request) error {
	return s.usageHistory(w, r, mux.Vars(r)["t"])
}

func (s *server) usageHistory(w http.ResponseWriter, r *http.Request, tenant string) error {
	if s.cfg.Usage == nil {
		return errorf(http.StatusServiceUnavailable, "usage history is not kept on this server")
	}
	rng, err := usagehist.ParseRange(r.URL.Query().Get("range"))
	if err != nil {
		return errorf(http.StatusBadRequest, "range must be 48h, 30d or 365d")
	}
	container, err := boundedParam(r, "container", maxContainerParam)
	if err != nil {
		return err
	}
	// The tenant and container must exist now: a deleted one's history is
	// gone, and a name never seen must not read as "no usage".
	if _, err := s.store.GetTenant(r.Context(), tenant); err != nil {
		return err
	}
	if container != "" {
		if _, err := s.store.GetBucket(r.Context(), tenant, container); err != nil {
			return err
		}
	}
	points, err := s.cfg.Usage.History(tenant, container, rng)
	if err != nil {
		return err
	}
	step := 24 * time.Hour
	if rng == usagehist.Range48h {
		step = time.Hour
	}
	return writeJSON(w, http.StatusOK, UsageHistoryJSON{
		Tenant: tenant, Container: container, Range: string(rng),
		StepSeconds: int64(step / time.Second), SampleIntervalSeconds: int64(s.cfg.Usage.Interval() / time.Second),
		Points: points,
	})
}

// maxContainerParam bounds ?container=: a bucket name is at most 63 bytes.
const maxContainerParam = 63

// sampleUsage handles POST /api/admin/usage/sample: a sample of every
// tenant now, so an operator (or a test) need not wait for the next one.
func (s *server) sampleUsage(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Usage == nil {
		return errorf(http.StatusServiceUnavailable, "usage history is not kept on this server")
	}
	if err := s.cfg.Usage.Sample(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
