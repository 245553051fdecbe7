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
	Name    string    `json:"name"`
	Objects int64     `json:"objects"`
	Bytes   int64     `json:"bytes"`
	Created time.Time `json:"created"`
}

func containerOf(b storage.BucketInfo) containerJSON {
	return containerJSON{Name: b.Name, Objects: b.Objects, Bytes: b.Bytes, Created: b.Created}
}

func (s *server) listContainers(w http.ResponseWriter, r *http.Request) error {
	buckets, err := s.store.ListBuckets(r.Context(), principalFrom(r).User.Tenant)
	if err != nil {
		return err
	}
	out := make([]containerJSON, 0, len(buckets))
	for _, b := range buckets {
		out = append(out, containerOf(b))
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

// deleteContainer deletes an empty container at once. A non-empty one is
// refused with its counts unless the request says force=true and confirms
// with the exact container name; then its objects and unfinished uploads go too.
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
			if b.Objects == 0 {
				msg = "the container holds unfinished multipart uploads; confirm with its name to force delete it and everything in it"
			}
			return &apiError{Status: http.StatusConflict, Message: msg,
				Fields: map[string]any{"objects": b.Objects, "bytes": b.Bytes}}
		}
		return err
	}
	action := "container.delete"
	if force {
		action = "container.force_delete"
	}
	s.audit(r, tenant, action, name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
