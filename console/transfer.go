package console

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/storage"
)

// Uploads and downloads through the console. Bodies stream between the
// connection and storage (PutObject, PutPart, OpenObjectVersion): the
// console holds no more of a file than storage's block buffers. A large file
// goes up as a multipart upload, one request per part, so no single request
// runs long and the browser can show progress and cancel.

const (
	// maxConsolePart bounds one part (and one single-request upload) sent
	// through the console; with S3's 10,000 parts a file can reach 640 GiB.
	maxConsolePart = 64 << 20
	// bodyMinRate is the slowest upload rate a part request is given time
	// for: the listener's 30 s request deadline is extended by size/rate.
	bodyMinRate = 64 << 10
	// bodyGrace is the time a body gets beyond size/bodyMinRate.
	bodyGrace = 30 * time.Second
	// maxContentType bounds the content type stored with an upload.
	maxContentType = 256
)

// extendBodyDeadline gives a body of n bytes time to arrive at bodyMinRate:
// the console listener's whole-request deadline suits small JSON bodies,
// not parts. A handler without a deadline to extend ignores the error.
func extendBodyDeadline(w http.ResponseWriter, n int64) {
	d := bodyGrace + time.Duration(n/bodyMinRate)*time.Second
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}

// uploadBody checks a streamed request body's declared length: browsers
// always send Content-Length for a File or Blob, and storage needs the exact
// size to refuse a short or long body.
func uploadBody(r *http.Request) (int64, error) {
	n := r.ContentLength
	if n < 0 {
		return 0, errorf(http.StatusLengthRequired, "the upload needs a Content-Length")
	}
	if n > maxConsolePart {
		return 0, errorf(http.StatusRequestEntityTooLarge, "one request may carry at most %d MiB; larger files go up in parts", maxConsolePart>>20)
	}
	return n, nil
}

// contentType returns the ?contentType= of an upload, checked to be a media type.
func contentType(r *http.Request) (string, error) {
	ct, err := boundedParam(r, "contentType", maxContentType)
	if err != nil || ct == "" {
		return ct, err
	}
	if _, _, perr := mime.ParseMediaType(ct); perr != nil {
		return "", errorf(http.StatusBadRequest, "contentType is not a media type")
	}
	return ct, nil
}

// putObject stores a small file sent as the request body (?key=,
// ?contentType=), as S3's PutObject.
func (s *server) putObject(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	key, err := objectKey(r)
	if err != nil {
		return err
	}
	ct, err := contentType(r)
	if err != nil {
		return err
	}
	n, err := uploadBody(r)
	if err != nil {
		return err
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	extendBodyDeadline(w, n)
	o, err := s.store.PutObject(r.Context(), tenant, name, key, r.Body, storage.PutOptions{Size: n, Meta: storage.ObjectMeta{ContentType: ct}})
	if err != nil {
		return containerErr(err, name)
	}
	s.audit(r, tenant, "object.upload", name+"/"+key)
	return writeJSON(w, http.StatusCreated, objectOf(o))
}

// createUpload starts a multipart upload ({"key", "contentType"}).
func (s *server) createUpload(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	var req struct {
		Key         string `json:"key"`
		ContentType string `json:"contentType"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := checkKey(req.Key); err != nil {
		return err
	}
	if len(req.ContentType) > maxContentType {
		return errorf(http.StatusBadRequest, "contentType is longer than %d bytes", maxContentType)
	}
	if req.ContentType != "" {
		if _, _, err := mime.ParseMediaType(req.ContentType); err != nil {
			return errorf(http.StatusBadRequest, "contentType is not a media type")
		}
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	id, err := s.store.CreateMultipartUpload(r.Context(), tenant, name, req.Key, storage.PutOptions{Size: -1, Meta: storage.ObjectMeta{ContentType: req.ContentType}})
	if err != nil {
		return containerErr(err, name)
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"key": req.Key, "uploadId": id, "maxPartBytes": maxConsolePart})
}

// putPart streams the request body into one part (PUT
// .../uploads/{id}/parts/{n}?key=).
func (s *server) putPart(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	vars := mux.Vars(r)
	name, id := vars["name"], vars["id"]
	key, err := objectKey(r)
	if err != nil {
		return err
	}
	num, err := strconv.Atoi(vars["n"])
	if err != nil || !storage.ValidPartNumber(num) {
		return errorf(http.StatusBadRequest, "part number must be 1 to %d", storage.MaxPartNumber)
	}
	n, err := uploadBody(r)
	if err != nil {
		return err
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	extendBodyDeadline(w, n)
	p, err := s.store.PutPart(r.Context(), tenant, name, key, id, num, r.Body, storage.PutOptions{Size: n})
	if err != nil {
		return uploadErr(err, name, key, id)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"partNumber": p.PartNumber, "etag": p.ETag, "size": p.Size})
}

// completeUpload completes an upload from the parts storage holds
// ({"key", "parts": N}): they must be exactly 1..N, so a part the page
// never finished cannot slip in. The part list is read from storage
// rather than sent, which keeps the request body small for 10,000 parts.
func (s *server) completeUpload(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	vars := mux.Vars(r)
	name, id := vars["name"], vars["id"]
	var req struct {
		Key   string `json:"key"`
		Parts int    `json:"parts"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := checkKey(req.Key); err != nil {
		return err
	}
	if !storage.ValidPartNumber(req.Parts) {
		return errorf(http.StatusBadRequest, "parts must be 1 to %d", storage.MaxPartNumber)
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	ctx := r.Context()
	parts := make([]storage.CompletePart, 0, req.Parts)
	marker := 0
	for {
		res, err := s.store.ListParts(ctx, tenant, name, req.Key, id, storage.ListPartsOptions{PartNumberMarker: marker, MaxParts: 1000})
		if err != nil {
			return uploadErr(err, name, req.Key, id)
		}
		for _, p := range res.Parts {
			if p.PartNumber != len(parts)+1 || p.PartNumber > req.Parts {
				return errorf(http.StatusBadRequest, "the upload holds part %d; expected parts 1 to %d", p.PartNumber, req.Parts)
			}
			parts = append(parts, storage.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
		}
		// Part numbers only grow and end at MaxPartNumber, so this ends.
		if !res.IsTruncated || res.NextPartNumberMarker <= marker {
			break
		}
		marker = res.NextPartNumberMarker
	}
	if len(parts) != req.Parts {
		return errorf(http.StatusBadRequest, "the upload holds %d parts; expected %d", len(parts), req.Parts)
	}
	o, err := s.store.CompleteMultipartUpload(ctx, tenant, name, req.Key, id, parts)
	if err != nil {
		return uploadErr(err, name, req.Key, id)
	}
	s.audit(r, tenant, "object.upload", name+"/"+req.Key)
	return writeJSON(w, http.StatusOK, objectOf(o))
}

// uploadErr words a missing upload for the console.
func uploadErr(err error, bucket, key, id string) error {
	if errors.Is(err, storage.ErrUploadNotFound) {
		return &apiError{Status: http.StatusNotFound, cause: err,
			Message: fmt.Sprintf("no unfinished upload %s of %s in %s (completed or aborted already?)", id, key, bucket)}
	}
	return containerErr(err, bucket)
}

// downloadObject streams an object, or with ?versionId= one version, as an
// attachment. The body is never rendered on the console's origin: it is
// served as application/octet-stream, attachment, nosniff and a sandbox
// CSP, so a tenant's HTML cannot run with the console's cookies.
func (s *server) downloadObject(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	key, err := objectKey(r)
	if err != nil {
		return err
	}
	vid, err := boundedParam(r, "versionId", maxKeyParam)
	if err != nil {
		return err
	}
	ctx := r.Context()
	obj, err := s.store.OpenObjectVersion(ctx, tenant, name, key, vid)
	if err != nil {
		return objectErr(err, name, key)
	}
	defer obj.Close()
	info := obj.Info()
	body, err := obj.Range(ctx, 0, info.Size)
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", attachment(key))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	h.Set("ETag", `"`+info.ETag+`"`)
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, body); err != nil {
		// The status is sent; the client sees a short body. Log the cause.
		id, _ := r.Context().Value(requestIDKey{}).(string)
		s.log.Warn("console download cut short", "request_id", id, "err", err.Error())
	}
	return nil
}

// attachment is the Content-Disposition of a download named after the last
// segment of key: an ASCII fallback without quotes, backslashes or control
// characters, and the exact name as RFC 5987 UTF-8.
func attachment(key string) string {
	base := path.Base(strings.TrimSuffix(key, "/"))
	if base == "." || base == "/" || base == "" {
		base = "download"
	}
	var ascii strings.Builder
	for _, c := range base {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '%' || c == ';' {
			ascii.WriteByte('_')
			continue
		}
		ascii.WriteRune(c)
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii.String(), sigv4Escape(base, false))
}
