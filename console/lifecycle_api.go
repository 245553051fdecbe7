package console

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cofferstore/coffer/internal/lifecycle"
	"github.com/cofferstore/coffer/storage"
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

// LifecycleDefaultJSON is a tenant's default for aborting unfinished
// multipart uploads: after AbortDays days (0 = never), unless a bucket's
// own AbortIncompleteMultipartUpload rule selects the upload.
type LifecycleDefaultJSON struct {
	AbortDays int `json:"abortDays"`
}

// maxAbortDays bounds the default as S3 bounds a rule's days (an int32).
const maxAbortDays = 1<<31 - 1

// lifecycleDefault handles GET /api/admin/tenants/{t}/lifecycle-default.
func (s *server) lifecycleDefault(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	days, err := lifecycle.TenantDefaultDays(r.Context(), s.store, name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, LifecycleDefaultJSON{AbortDays: days})
}

// setLifecycleDefault handles PUT /api/admin/tenants/{t}/lifecycle-default.
func (s *server) setLifecycleDefault(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	var req LifecycleDefaultJSON
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if req.AbortDays < 0 || req.AbortDays > maxAbortDays {
		return errorf(http.StatusBadRequest, "abortDays must be 0 (never) or a positive number of days")
	}
	err = s.store.SetTenantConfig(r.Context(), name, storage.ConfigLifecycle, lifecycle.FormatTenantDefault(req.AbortDays))
	if err != nil {
		return err
	}
	s.audit(r, name, "tenant.lifecycle-default", "abortDays="+strconv.Itoa(req.AbortDays))
	return writeJSON(w, http.StatusOK, req)
}
