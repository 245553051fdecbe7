package console

import (
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/storage"
)

// containerJSON is a bucket as the console shows it.
type containerJSON struct {
	Name    string         `json:"name"`
	Objects int64          `json:"objects"`
	Bytes   int64          `json:"bytes"`
	Created time.Time      `json:"created"`
	Uploads uploadsSummary `json:"uploads"` // unfinished multipart uploads (not in Objects or Bytes)
	// Versioning is "" (never enabled), "Enabled" or "Suspended". Objects
	// and Bytes count every version; Noncurrent* are the part of them held
	// by noncurrent versions and delete markers.
	Versioning        string      `json:"versioning"`
	NoncurrentObjects int64       `json:"noncurrentObjects"`
	NoncurrentBytes   int64       `json:"noncurrentBytes"`
	ObjectLock        *objectLock `json:"objectLock"` // null without Object Lock
}

// objectLock is a container's Object Lock configuration: its default
// retention (mode "" = none) for new versions.
type objectLock struct {
	Mode  string `json:"mode"`
	Days  int    `json:"days"`
	Years int    `json:"years"`
}

func containerOf(b storage.BucketInfo) containerJSON {
	c := containerJSON{Name: b.Name, Objects: b.Objects, Bytes: b.Bytes, Created: b.Created,
		Versioning: b.Versioning, NoncurrentObjects: b.NoncurrentObjects, NoncurrentBytes: b.NoncurrentBytes}
	if b.Lock.Enabled {
		c.ObjectLock = &objectLock{Mode: string(b.Lock.Mode), Days: b.Lock.Days, Years: b.Lock.Years}
	}
	return c
}

func (s *server) listContainers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tenant := principalFrom(r).User.Tenant
	buckets, err := s.store.ListBuckets(ctx, tenant)
	if err != nil {
		return err
	}
	u, err := s.store.TenantUsage(ctx, tenant)
	if err != nil {
		return err
	}
	budget := summaryUploads
	out := make([]containerJSON, 0, len(buckets))
	for _, b := range buckets {
		c := containerOf(b)
		// The tenant's count says whether any container has uploads, so
		// the common case reads no upload records at all.
		if u.Uploads > 0 {
			c.Uploads, err = s.summariseUploads(ctx, tenant, b.Name, &budget)
			if errors.Is(err, storage.ErrBucketNotFound) {
				continue // deleted meanwhile
			}
			if err != nil {
				return err
			}
		}
		out = append(out, c)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"containers": out})
}

func (s *server) createContainer(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	var req struct {
		Name string `json:"name"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.store.CreateBucket(ctx, tenant, req.Name, storage.BucketOptions{}); err != nil {
		if errors.Is(err, storage.ErrBucketExists) {
			return errorf(http.StatusConflict, "a container named %s already exists", req.Name)
		}
		return err
	}
	s.audit(r, tenant, "container.create", req.Name)
	b, err := s.store.GetBucket(ctx, tenant, req.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, containerOf(b))
}

// deleteContainer deletes an empty container at once, aborting its
// unfinished multipart uploads (as S3's DeleteBucket does). One holding
// objects is refused with its counts unless the request says force=true and
// confirms with the exact container name; then its objects go too.
func (s *server) deleteContainer(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	q := r.URL.Query()
	force := q.Get("force") == "true"
	if force && q.Get("confirm") != name {
		return errorf(http.StatusBadRequest, "confirmation does not match: type the container name %s exactly to force delete it", name)
	}
	// Suspension freezes the tenant's data as it is, like S3's AccessDenied.
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	ctx := r.Context()
	// A force delete records what it destroys, read just before it: a
	// write racing the delete may change the figures by that write.
	var before storage.BucketInfo
	if force {
		var err error
		if before, err = s.store.GetBucket(ctx, tenant, name); err != nil {
			return containerErr(err, name)
		}
	}
	if err := s.store.DeleteBucket(ctx, tenant, name, force); err != nil {
		switch {
		case errors.Is(err, storage.ErrBucketNotFound):
			return errorf(http.StatusNotFound, "no container named %s", name)
		case errors.Is(err, storage.ErrBucketNotEmpty):
			b, gerr := s.store.GetBucket(ctx, tenant, name)
			if gerr != nil {
				return gerr
			}
			msg := "the container is not empty; confirm with its name to force delete it and everything in it"
			return &apiError{Status: http.StatusConflict, Message: msg,
				Fields: map[string]any{"objects": b.Objects, "bytes": b.Bytes}}
		}
		return err
	}
	if force {
		s.auditDetail(r, tenant, "container.force_delete", name, destroyedText(before))
	} else {
		s.audit(r, tenant, "container.delete", name)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setVersioning enables or suspends versioning of a container ({"state":
// "Enabled"|"Suspended"}), as S3's PutBucketVersioning: a container never
// returns to unversioned, and one with Object Lock cannot be suspended.
func (s *server) setVersioning(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	var req struct {
		State string `json:"state"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if req.State != storage.VersioningEnabled && req.State != storage.VersioningSuspended {
		return errorf(http.StatusBadRequest, "state must be %s or %s", storage.VersioningEnabled, storage.VersioningSuspended)
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.store.SetBucketVersioning(ctx, tenant, name, req.State); err != nil {
		return containerErr(err, name)
	}
	s.audit(r, tenant, "container.versioning", name+" "+req.State)
	b, err := s.store.GetBucket(ctx, tenant, name)
	if err != nil {
		return containerErr(err, name)
	}
	return writeJSON(w, http.StatusOK, containerOf(b))
}
