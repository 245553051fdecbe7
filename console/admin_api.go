package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/storage"
)

// tenantName is the {t} path variable.
func tenantName(r *http.Request) string { return mux.Vars(r)["t"] }

// tenant loads one tenant with usage and credential state.
func (s *server) tenant(r *http.Request, name string) (TenantJSON, error) {
	ctx := r.Context()
	t, err := s.store.GetTenant(ctx, name)
	if err != nil {
		return TenantJSON{}, err
	}
	return s.tenantOf(r, t)
}

func (s *server) tenantOf(r *http.Request, t storage.Tenant) (TenantJSON, error) {
	u, err := s.store.TenantUsage(r.Context(), t.Name)
	if err != nil {
		return TenantJSON{}, err
	}
	_, kerr := s.auth.GetKey(t.Name)
	return TenantJSON{
		Name: t.Name, Created: t.Created, Suspended: t.Suspended,
		Quota: quotaJSON(t.Quota),
		Usage: UsageJSON{Objects: u.Objects, Bytes: u.Bytes, Containers: u.Buckets, UploadBytes: u.UploadBytes,
			Uploads: u.Uploads, ContainerLimit: u.MaxBuckets, UploadLimit: u.MaxUploads,
			Volumes: u.VolumeCount, VolumeBytes: u.VolumeBytes},
		HasCredentials: kerr == nil,
	}, nil
}

// existingTenant fails with 404 unless the tenant exists; auth records are
// only created for tenants the storage index knows.
func (s *server) existingTenant(r *http.Request) (string, error) {
	name := tenantName(r)
	if _, err := s.store.GetTenant(r.Context(), name); err != nil {
		return "", err
	}
	return name, nil
}

func (s *server) listTenants(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.store.ListTenants(r.Context())
	if err != nil {
		return err
	}
	out := make([]TenantJSON, 0, len(ts))
	for _, t := range ts {
		tj, err := s.tenantOf(r, t)
		if err != nil {
			return err
		}
		out = append(out, tj)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tenants": out})
}

func validQuota(q QuotaJSON) error {
	if q.Objects < 0 || q.Bytes < 0 {
		return errorf(http.StatusBadRequest, "quota values must be 0 (no limit) or positive")
	}
	if q.Buckets < 0 || q.Uploads < 0 {
		return errorf(http.StatusBadRequest, "container and upload limits must be 0 (server default) or positive")
	}
	return nil
}

func quotaJSON(q storage.Quota) QuotaJSON {
	return QuotaJSON{Objects: q.MaxObjects, Bytes: q.MaxBytes, Buckets: q.MaxBuckets, Uploads: q.MaxUploads}
}

func (q QuotaJSON) storage() storage.Quota {
	return storage.Quota{MaxObjects: q.Objects, MaxBytes: q.Bytes, MaxBuckets: q.Buckets, MaxUploads: q.Uploads}
}

func quotaText(q QuotaJSON) string {
	return fmt.Sprintf("objects=%d bytes=%d buckets=%d uploads=%d", q.Objects, q.Bytes, q.Buckets, q.Uploads)
}

func (s *server) createTenant(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name  string    `json:"name"`
		Quota QuotaJSON `json:"quota"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := validQuota(req.Quota); err != nil {
		return err
	}
	if err := s.store.CreateTenant(r.Context(), req.Name, req.Quota.storage()); err != nil {
		return err
	}
	s.audit(r, req.Name, "tenant.create", quotaText(req.Quota))
	tj, err := s.tenant(r, req.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, tj)
}

func (s *server) showTenant(w http.ResponseWriter, r *http.Request) error {
	name := tenantName(r)
	tj, err := s.tenant(r, name)
	if err != nil {
		return err
	}
	if tj.Users, err = s.usersJSON(name); err != nil {
		return err
	}
	if tj.Volumes, err = s.volumesJSON(r, name); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, tj)
}

func (s *server) setQuota(w http.ResponseWriter, r *http.Request) error {
	name := tenantName(r)
	var req QuotaJSON
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := validQuota(req); err != nil {
		return err
	}
	if err := s.store.SetQuota(r.Context(), name, req.storage()); err != nil {
		return err
	}
	s.audit(r, name, "tenant.quota", quotaText(req))
	tj, err := s.tenant(r, name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, tj)
}

func (s *server) suspendTenant(suspended bool) handlerFunc {
	action := "tenant.resume"
	if suspended {
		action = "tenant.suspend"
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		name := tenantName(r)
		if err := s.store.SetSuspended(r.Context(), name, suspended); err != nil {
			return err
		}
		s.audit(r, name, action, name)
		tj, err := s.tenant(r, name)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, tj)
	}
}

// deleteTenant removes a tenant and all its data after typed confirmation.
// Access goes first (keys, users, sessions), then the data, so a failure
// half way never leaves a working key to deleted or half-deleted data.
func (s *server) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	name := tenantName(r)
	if r.URL.Query().Get("confirm") != name {
		return errorf(http.StatusBadRequest, "confirmation does not match: pass confirm=%s to delete the tenant and all its data", name)
	}
	ctx := r.Context()
	if _, err := s.store.GetTenant(ctx, name); err != nil {
		return err
	}
	// Versions under Object Lock can never be deleted early, so the tenant
	// is refused here, while it keeps its access.
	if err := s.lockedVersions(ctx, name); err != nil {
		return err
	}
	// What the delete destroys, read just before it, for the audit log.
	u, err := s.store.TenantUsage(ctx, name)
	if err != nil {
		return err
	}
	if err := s.auth.DeleteTenant(name); err != nil {
		return err
	}
	if err := s.store.DeleteTenant(ctx, name); err != nil {
		return err
	}
	s.auditDetail(r, name, "tenant.delete", name, fmt.Sprintf("destroyed %d containers, %d objects, %d versions, %d bytes",
		u.Buckets, u.Objects-u.NoncurrentObjects, u.Objects, u.Bytes))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Users.

func (s *server) usersJSON(tenant string) ([]UserJSON, error) {
	users, err := s.auth.ListUsers(tenant)
	if err != nil {
		return nil, err
	}
	out := make([]UserJSON, 0, len(users))
	for _, u := range users {
		out = append(out, UserJSON{Username: u.Username, Tenant: u.Tenant, Role: string(u.Role), Created: u.Created})
	}
	return out, nil
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	users, err := s.usersJSON(name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if req.Username == "" {
		return errorf(http.StatusBadRequest, "username is required")
	}
	if err := checkPasswordLength(req.Password); err != nil {
		return err
	}
	if err := s.auth.CreateUser(name, req.Username, req.Password, auth.RoleTenant); err != nil {
		return err
	}
	s.audit(r, name, "user.create", req.Username)
	return writeJSON(w, http.StatusCreated, UserJSON{Username: req.Username, Tenant: name, Role: string(auth.RoleTenant), Created: time.Now().UTC()})
}

// tenantUser checks that {u} is a user of tenant {t}, so an operator URL
// naming one tenant cannot change another tenant's user (or the operator).
func (s *server) tenantUser(r *http.Request) (tenant, username string, err error) {
	tenant, username = tenantName(r), mux.Vars(r)["u"]
	users, err := s.auth.ListUsers(tenant)
	if err != nil {
		return "", "", err
	}
	for _, u := range users {
		if u.Username == username && u.Tenant == tenant {
			return tenant, username, nil
		}
	}
	return "", "", errorf(http.StatusNotFound, "tenant %s has no user %s", tenant, username)
}

func (s *server) setUserPassword(w http.ResponseWriter, r *http.Request) error {
	tenant, username, err := s.tenantUser(r)
	if err != nil {
		return err
	}
	var req struct {
		Password string `json:"password"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := checkPasswordLength(req.Password); err != nil {
		return err
	}
	if err := s.auth.SetPassword(tenant, username, req.Password); err != nil {
		return err
	}
	s.audit(r, tenant, "user.password", username)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	tenant, username, err := s.tenantUser(r)
	if err != nil {
		return err
	}
	if err := s.auth.DeleteUser(tenant, username); err != nil {
		return err
	}
	s.audit(r, tenant, "user.delete", username)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Volumes.

func (s *server) listVolumes(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	vols, err := s.volumesJSON(r, name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"volumes": vols})
}

func (s *server) addVolume(w http.ResponseWriter, r *http.Request) error {
	name := tenantName(r)
	var req VolumeJSON
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if !validVolumeName(req.Name) {
		return errorf(http.StatusBadRequest, "%s", volumeNameRules)
	}
	if !validServerName(req.Server) {
		return errorf(http.StatusBadRequest, "%s", serverNameRules)
	}
	if req.SizeBytes <= 0 {
		return errorf(http.StatusBadRequest, "volume sizeBytes must be positive")
	}
	v := storage.Volume{Name: req.Name, SizeBytes: req.SizeBytes, Server: req.Server, Created: time.Now().UTC()}
	if err := s.store.AddVolume(r.Context(), name, v); err != nil {
		return err
	}
	s.audit(r, name, "volume.add", fmt.Sprintf("%s size=%d server=%s", req.Name, req.SizeBytes, req.Server))
	return writeJSON(w, http.StatusCreated, VolumeJSON{Name: v.Name, SizeBytes: v.SizeBytes, Server: v.Server, Created: v.Created})
}

// removeVolume removes a volume named in the path or, for any stored name
// (records made before names were checked may hold "/"), by ?name=.
func (s *server) removeVolume(w http.ResponseWriter, r *http.Request) error {
	name, vol := tenantName(r), mux.Vars(r)["name"]
	if vol == "" {
		vol = r.URL.Query().Get("name")
	}
	if vol == "" {
		return errorf(http.StatusBadRequest, "name the volume to remove: DELETE .../volumes/NAME or .../volumes?name=NAME")
	}
	if err := s.store.RemoveVolume(r.Context(), name, vol); err != nil {
		return err
	}
	s.audit(r, name, "volume.remove", vol)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Keys, for automation.

func (s *server) adminGetKey(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	return s.showKey(w, r, name)
}

func (s *server) adminGenerateKey(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	return s.generateKey(w, r, name)
}

func (s *server) adminRotateKey(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	return s.rotateKey(w, r, name)
}

func (s *server) adminDeleteKey(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	return s.deleteKey(w, r, name)
}

// Drives and audit.

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *server) drivesJSON(ctx context.Context) []DriveJSON {
	ds := s.store.Drives(ctx)
	out := make([]DriveJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, DriveJSON{Index: d.Index, Path: d.Path, ID: d.ID, Online: d.Online,
			TotalBytes: d.TotalBytes, FreeBytes: d.FreeBytes, Errors: d.Errors})
	}
	return out
}

func scrubJSON(st storage.ScrubStats) ScrubJSON {
	return ScrubJSON{Running: st.Running, ObjectsScanned: st.ObjectsScanned, ObjectsHealed: st.ObjectsHealed,
		ShardsRepaired: st.ShardsRepaired, OrphansRemoved: st.OrphansRemoved, Errors: st.Errors,
		QuorumFailures: st.QuorumFailures, LastScrubStarted: optionalTime(st.LastScrubStarted),
		LastScrubDone: optionalTime(st.LastScrubDone), Progress: st.Progress}
}

func (s *server) drives(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, DrivesJSON{
		Drives: s.drivesJSON(r.Context()),
		Ready:  s.store.Ready(),
		Scrub:  scrubJSON(s.store.ScrubStats()),
	})
}

// maxAuditLimit caps one audit page.
const maxAuditLimit = 1000

func (s *server) auditLog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return errorf(http.StatusBadRequest, "limit must be a positive integer")
		}
		limit = min(n, maxAuditLimit)
	}
	evs, err := s.auth.ListAudit(q.Get("tenant"), limit)
	if err != nil {
		return err
	}
	out := make([]AuditJSON, 0, len(evs))
	for _, e := range evs {
		out = append(out, AuditJSON{Time: e.Time, Actor: e.Actor, Tenant: e.Tenant, Action: e.Action, Target: e.Target, Detail: e.Detail, RemoteIP: e.RemoteIP})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": out})
}

// maxPasswordBytes is bcrypt's input limit.
const maxPasswordBytes = 72

// checkPasswordLength refuses passwords bcrypt would truncate; auth.Store
// checks the minimum itself.
func checkPasswordLength(p string) error {
	if len(p) > maxPasswordBytes {
		return errorf(http.StatusBadRequest, "password is too long: use at most %d bytes", maxPasswordBytes)
	}
	return nil
}
