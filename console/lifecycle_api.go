package console

import (
	"context"
	"net/http"

	"github.com/cofferstore/coffer/internal/lifecycle"
)

// LifecycleRunner runs one lifecycle pass now, over every tenant or one
// (internal/lifecycle.Executor).
type LifecycleRunner interface {
	RunPass(ctx context.Context, tenant string) (lifecycle.Result, error)
}

// runLifecycle handles POST /api/admin/lifecycle/run[?tenant=T]: a pass now,
// answered with its counts when it is done (the request's end stops it).
func (s *server) runLifecycle(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Lifecycle == nil {
		return errorf(http.StatusServiceUnavailable, "the lifecycle executor is not running on this server")
	}
	tenant := r.URL.Query().Get("tenant")
	res, err := s.cfg.Lifecycle.RunPass(r.Context(), tenant)
	if err != nil {
		return err
	}
	s.audit(r, tenant, "lifecycle.run", "")
	return writeJSON(w, http.StatusOK, res)
}
