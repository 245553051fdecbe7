package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/storage"
)

// A container's unfinished multipart uploads, through the same storage calls
// as S3 (ListMultipartUploads, ListParts, AbortMultipartUpload): the
// containers list summarises them, a paged list shows each, and Abort removes
// one or all of them.

// summaryUploads bounds the uploads one containers list summarises (their
// parts are read to sum bytes); past it a summary says it is partial. A
// variable only so that a test can lower it.
var summaryUploads = 1000

const (
	// uploadsPage is the page size of a container's uploads list.
	uploadsPage = 50
	// abortBatch is how many uploads "abort all" lists at a time.
	abortBatch = 100
)

// uploadsSummary is what a container's unfinished uploads hold.
type uploadsSummary struct {
	Count   int64      `json:"count"`
	Bytes   int64      `json:"bytes"`
	Oldest  *time.Time `json:"oldest"`  // null when there are none
	Partial bool       `json:"partial"` // counted up to a bound; there are more
}

// uploadJSON is one unfinished upload.
type uploadJSON struct {
	Key       string    `json:"key"`
	UploadID  string    `json:"uploadId"`
	Initiated time.Time `json:"initiated"`
	Parts     int       `json:"parts"`
	Bytes     int64     `json:"bytes"`
}

// uploadSize sums the sizes of an upload's parts, page by page. Part
// numbers are at most 10,000 and the marker must advance, so it ends.
func (s *server) uploadSize(ctx context.Context, tenant, bucket string, u storage.UploadInfo) (parts int, bytes int64, err error) {
	marker := 0
	for {
		res, err := s.store.ListParts(ctx, tenant, bucket, u.Key, u.UploadID, storage.ListPartsOptions{PartNumberMarker: marker, MaxParts: 1000})
		if err != nil {
			return 0, 0, err
		}
		for _, p := range res.Parts {
			parts++
			bytes += p.Size
		}
		if !res.IsTruncated || res.NextPartNumberMarker <= marker {
			return parts, bytes, nil
		}
		marker = res.NextPartNumberMarker
	}
}

// walkUploads calls fn for the container's uploads in key order, from the
// markers on, a page of max at a time, until fn returns false or the uploads
// end. Each page starts after the last one, so the walk ends.
func (s *server) walkUploads(ctx context.Context, tenant, bucket, keyMarker, idMarker string, max int, fn func(storage.UploadInfo) (bool, error)) error {
	for {
		res, err := s.store.ListMultipartUploads(ctx, tenant, bucket, storage.ListUploadsOptions{
			KeyMarker: keyMarker, UploadIDMarker: idMarker, MaxUploads: max})
		if err != nil {
			return err
		}
		for _, u := range res.Uploads {
			more, err := fn(u)
			if err != nil || !more {
				return err
			}
		}
		if !res.IsTruncated || len(res.Uploads) == 0 {
			return nil
		}
		last := res.Uploads[len(res.Uploads)-1]
		keyMarker, idMarker = last.Key, last.UploadID
	}
}

// summariseUploads counts a container's uploads, their bytes and the oldest,
// spending at most *budget uploads (shared by the containers of one list).
func (s *server) summariseUploads(ctx context.Context, tenant, bucket string, budget *int) (uploadsSummary, error) {
	var sum uploadsSummary
	err := s.walkUploads(ctx, tenant, bucket, "", "", 1000, func(u storage.UploadInfo) (bool, error) {
		if *budget <= 0 {
			sum.Partial = true
			return false, nil
		}
		*budget--
		_, n, err := s.uploadSize(ctx, tenant, bucket, u)
		if errors.Is(err, storage.ErrUploadNotFound) {
			return true, nil // completed or aborted meanwhile
		}
		if err != nil {
			return false, err
		}
		sum.Count++
		sum.Bytes += n
		if sum.Oldest == nil || u.Initiated.Before(*sum.Oldest) {
			t := u.Initiated
			sum.Oldest = &t
		}
		return true, nil
	})
	return sum, err
}

// listUploads answers one page of a container's unfinished uploads, each
// with its parts and bytes; ?key= and ?uploadId= continue after a page.
func (s *server) listUploads(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	q := r.URL.Query()
	res, err := s.store.ListMultipartUploads(r.Context(), tenant, name, storage.ListUploadsOptions{
		KeyMarker: q.Get("key"), UploadIDMarker: q.Get("uploadId"), MaxUploads: uploadsPage})
	if err != nil {
		return containerErr(err, name)
	}
	out := make([]uploadJSON, 0, len(res.Uploads))
	for _, u := range res.Uploads {
		parts, n, err := s.uploadSize(r.Context(), tenant, name, u)
		if errors.Is(err, storage.ErrUploadNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		out = append(out, uploadJSON{Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated, Parts: parts, Bytes: n})
	}
	page := map[string]any{"uploads": out, "truncated": res.IsTruncated}
	if res.IsTruncated && len(res.Uploads) > 0 {
		last := res.Uploads[len(res.Uploads)-1]
		page["nextKey"], page["nextUploadId"] = last.Key, last.UploadID
	}
	return writeJSON(w, http.StatusOK, page)
}

// abortUploads aborts one upload (?key=K&uploadId=ID) or, with ?all=true,
// every unfinished upload of the container; each abort is audited.
func (s *server) abortUploads(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	q := r.URL.Query()
	all := q.Get("all") == "true"
	id := q.Get("uploadId")
	if all == (id != "") {
		return errorf(http.StatusBadRequest, "name one upload (key and uploadId) or all=true")
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	ctx := r.Context()
	if !all {
		key := q.Get("key")
		if err := s.store.AbortMultipartUpload(ctx, tenant, name, key, id); err != nil {
			if errors.Is(err, storage.ErrUploadNotFound) {
				return errorf(http.StatusNotFound, "no unfinished upload %s of %s in %s (completed or aborted already?)", id, key, name)
			}
			return containerErr(err, name)
		}
		s.audit(r, tenant, "upload.abort", uploadTarget(name, key, id))
		return writeJSON(w, http.StatusOK, map[string]any{"aborted": 1})
	}
	// One forward walk: aborting behind the markers does not disturb it.
	aborted := 0
	err := s.walkUploads(ctx, tenant, name, "", "", abortBatch, func(u storage.UploadInfo) (bool, error) {
		err := s.store.AbortMultipartUpload(ctx, tenant, name, u.Key, u.UploadID)
		if errors.Is(err, storage.ErrUploadNotFound) {
			return true, nil // completed or aborted meanwhile
		}
		if err != nil {
			return false, err
		}
		aborted++
		s.audit(r, tenant, "upload.abort", uploadTarget(name, u.Key, u.UploadID))
		return true, nil
	})
	if err != nil {
		return containerErr(err, name)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"aborted": aborted})
}

// uploadTarget names an upload in the audit log.
func uploadTarget(bucket, key, id string) string {
	return fmt.Sprintf("%s/%s (upload %s)", bucket, key, id)
}

// containerErr words a missing container for the console.
func containerErr(err error, name string) error {
	if errors.Is(err, storage.ErrBucketNotFound) {
		return errorf(http.StatusNotFound, "no container named %s", name)
	}
	return err
}
