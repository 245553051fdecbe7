package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/storage"
)

// The object browser: a container's objects, a page at a time, through the
// same storage calls as S3 (ListObjects, GetObjectVersion, DeleteObject).
// Keys and cursors arrive in the query string, never in the path, so a key
// holding "/", "%2F" or ".." needs no path escaping rules.

const (
	// objectsPageDefault and objectsPageMax bound one page of a listing;
	// the storage walk takes about that many steps whatever the container holds.
	objectsPageDefault = 200
	objectsPageMin     = 100
	objectsPageMax     = 1000
	// maxKeyParam bounds a key, prefix or cursor parameter: S3's key limit.
	maxKeyParam = 1024
	// maxDeleteKeys bounds one multi-delete request, as S3's DeleteObjects.
	maxDeleteKeys = 1000
)

// objectJSON is one object or version as the browser shows it.
type objectJSON struct {
	Key          string            `json:"key"`
	Size         int64             `json:"size"`
	Modified     time.Time         `json:"modified"`
	ETag         string            `json:"etag"`
	ContentType  string            `json:"contentType"`
	VersionID    string            `json:"versionId,omitempty"`
	IsLatest     bool              `json:"isLatest,omitempty"`
	DeleteMarker bool              `json:"deleteMarker,omitempty"`
	Checksums    map[string]string `json:"checksums,omitempty"`
	ChecksumType string            `json:"checksumType,omitempty"`
	PartsCount   int               `json:"partsCount,omitempty"`
}

func objectOf(o storage.ObjectInfo) objectJSON {
	out := objectJSON{Key: o.Key, Size: o.Size, Modified: o.ModTime, ETag: o.ETag, ContentType: o.Meta.ContentType,
		VersionID: o.VersionID, IsLatest: o.IsLatest, DeleteMarker: o.DeleteMarker,
		ChecksumType: o.ChecksumType, PartsCount: o.PartsCount}
	if len(o.Checksums) > 0 {
		out.Checksums = make(map[string]string, len(o.Checksums))
		for k, v := range o.Checksums {
			out.Checksums[string(k)] = v
		}
	}
	return out
}

// boundedParam returns query parameter name, refusing one longer than max bytes.
func boundedParam(r *http.Request, name string, max int) (string, error) {
	v := r.URL.Query().Get(name)
	if len(v) > max {
		return "", errorf(http.StatusBadRequest, "%s is %d bytes; the limit is %d", name, len(v), max)
	}
	return v, nil
}

// objectKey returns the ?key= parameter, checked by storage's own rule so
// that a person sees why a name is refused before anything is sent.
func objectKey(r *http.Request) (string, error) {
	key := r.URL.Query().Get("key")
	if err := checkKey(key); err != nil {
		return "", err
	}
	return key, nil
}

// checkKey explains an object name storage would refuse.
func checkKey(key string) error {
	if err := storage.ValidObjectKey(key); err != nil {
		var why string
		switch {
		case key == "":
			why = "it is empty"
		case errors.Is(err, storage.ErrKeyTooLong):
			why = fmt.Sprintf("it is %d bytes and the limit is %d", len(key), maxKeyParam)
		default:
			why = "names must be valid UTF-8 without NUL characters"
		}
		return &apiError{Status: http.StatusBadRequest, Message: "invalid object name: " + why, cause: err}
	}
	return nil
}

// pageSize parses ?limit=, clamped to [objectsPageMin, objectsPageMax].
func pageSize(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return objectsPageDefault, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errorf(http.StatusBadRequest, "limit must be a positive number")
	}
	return min(max(n, objectsPageMin), objectsPageMax), nil
}

// listObjects answers one page of a container's objects and folders
// (?prefix=, delimiter "/" unless ?flat=true, ?after= the cursor of the
// previous page, ?limit=).
func (s *server) listObjects(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	prefix, err := boundedParam(r, "prefix", maxKeyParam)
	if err != nil {
		return err
	}
	after, err := boundedParam(r, "after", maxKeyParam)
	if err != nil {
		return err
	}
	limit, err := pageSize(r)
	if err != nil {
		return err
	}
	delim := "/"
	if r.URL.Query().Get("flat") == "true" {
		delim = ""
	}
	res, err := s.store.ListObjects(r.Context(), tenant, name, storage.ListOptions{
		Prefix: prefix, Delimiter: delim, After: after, MaxKeys: limit})
	if err != nil {
		return containerErr(err, name)
	}
	objs := make([]objectJSON, 0, len(res.Objects))
	for _, o := range res.Objects {
		objs = append(objs, objectOf(o))
	}
	prefixes := res.CommonPrefixes
	if prefixes == nil {
		prefixes = []string{}
	}
	page := map[string]any{"objects": objs, "prefixes": prefixes, "truncated": res.IsTruncated}
	if res.IsTruncated {
		page["next"] = res.NextAfter
	}
	return writeJSON(w, http.StatusOK, page)
}

// objectDetails is GET .../object/info: one version's metadata, tags and lock.
type objectDetails struct {
	objectJSON
	UserMeta  map[string]string `json:"userMeta"`
	Tags      map[string]string `json:"tags"`
	Retention *retentionJSON    `json:"retention"` // null without retention
	LegalHold bool              `json:"legalHold"`
	// Versioning is the container's state: the page lists versions when it is not "".
	Versioning string `json:"versioning"`
	ObjectLock bool   `json:"objectLock"`
	ContentMeta
}

// ContentMeta are the content headers stored with an object.
type ContentMeta struct {
	ContentEncoding    string `json:"contentEncoding,omitempty"`
	ContentDisposition string `json:"contentDisposition,omitempty"`
	ContentLanguage    string `json:"contentLanguage,omitempty"`
	CacheControl       string `json:"cacheControl,omitempty"`
}

type retentionJSON struct {
	Mode  string    `json:"mode"`
	Until time.Time `json:"until"`
}

func (s *server) objectInfo(w http.ResponseWriter, r *http.Request) error {
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
	b, err := s.store.GetBucket(ctx, tenant, name)
	if err != nil {
		return containerErr(err, name)
	}
	o, err := s.store.GetObjectVersion(ctx, tenant, name, key, vid)
	if err != nil {
		return objectErr(err, name, key)
	}
	d := objectDetails{objectJSON: objectOf(o), UserMeta: o.Meta.UserMeta, Tags: o.Meta.Tags,
		LegalHold: o.LegalHold, Versioning: b.Versioning, ObjectLock: b.Lock.Enabled,
		ContentMeta: ContentMeta{ContentEncoding: o.Meta.ContentEncoding, ContentDisposition: o.Meta.ContentDisposition,
			ContentLanguage: o.Meta.ContentLanguage, CacheControl: o.Meta.CacheControl}}
	if d.UserMeta == nil {
		d.UserMeta = map[string]string{}
	}
	if d.Tags == nil {
		d.Tags = map[string]string{}
	}
	if o.Retention.Mode != "" {
		d.Retention = &retentionJSON{Mode: string(o.Retention.Mode), Until: o.Retention.Until}
	}
	return writeJSON(w, http.StatusOK, d)
}

// versionsPage is how many versions of one key a page shows.
const versionsPage = 100

// objectVersions lists the versions and delete markers of one key, newest
// first, a page at a time (?keyMarker= and ?versionIdMarker= continue).
func (s *server) objectVersions(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	key, err := objectKey(r)
	if err != nil {
		return err
	}
	vidMarker, err := boundedParam(r, "versionIdMarker", maxKeyParam)
	if err != nil {
		return err
	}
	opts := storage.ListVersionsOptions{Prefix: key, MaxKeys: versionsPage}
	if vidMarker != "" {
		opts.KeyMarker, opts.VersionIDMarker = key, vidMarker
	}
	res, err := s.store.ListObjectVersions(r.Context(), tenant, name, opts)
	if err != nil {
		return containerErr(err, name)
	}
	// Prefix=key also lists longer keys; they sort after every version of
	// key itself, so the first other key ends this key's versions.
	out := make([]objectJSON, 0, len(res.Versions))
	more := res.IsTruncated
	for _, v := range res.Versions {
		if v.Key != key {
			more = false
			break
		}
		out = append(out, objectOf(v))
	}
	page := map[string]any{"versions": out, "truncated": more && len(out) > 0}
	if more && len(out) > 0 {
		page["nextVersionIdMarker"] = out[len(out)-1].VersionID
	}
	return writeJSON(w, http.StatusOK, page)
}

// deleteObject deletes one object (a versioned container gets a delete
// marker) or, with ?versionId=, that version for good.
func (s *server) deleteObject(w http.ResponseWriter, r *http.Request) error {
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
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	res, err := s.store.DeleteObject(r.Context(), tenant, name, key, storage.DeleteOptions{VersionID: vid})
	if err != nil {
		return objectErr(err, name, key)
	}
	if vid != "" {
		s.audit(r, tenant, "object.delete_version", name+"/"+key+" (version "+vid+")")
	} else {
		s.audit(r, tenant, "object.delete", name+"/"+key)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"versionId": res.VersionID, "deleteMarker": res.DeleteMarker})
}

// deleteObjects deletes up to maxDeleteKeys objects ({"keys": [...]}) one
// by one and answers what happened to each: one refused key (locked, bad
// name) does not stop the others, as in S3's DeleteObjects.
func (s *server) deleteObjects(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	var req struct {
		Keys []string `json:"keys"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Keys) == 0 || len(req.Keys) > maxDeleteKeys {
		return errorf(http.StatusBadRequest, "name 1 to %d keys to delete", maxDeleteKeys)
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	type result struct {
		Key   string `json:"key"`
		Error string `json:"error,omitempty"`
	}
	out := make([]result, 0, len(req.Keys))
	deleted := 0
	for _, key := range req.Keys {
		err := checkKey(key)
		if err == nil {
			_, err = s.store.DeleteObject(r.Context(), tenant, name, key, storage.DeleteOptions{})
		}
		if errors.Is(err, storage.ErrBucketNotFound) {
			return containerErr(err, name)
		}
		if err != nil {
			ae := toAPIError(err)
			if ae.Status >= 500 {
				return err // the store is failing: say so once, not per key
			}
			out = append(out, result{Key: key, Error: ae.Message})
			continue
		}
		deleted++
		s.audit(r, tenant, "object.delete", name+"/"+key)
		out = append(out, result{Key: key})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": deleted, "results": out})
}

// createFolder creates the empty object "prefix/" that S3 consoles show as
// a folder ({"key": "photos/2026/"}).
func (s *server) createFolder(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	var req struct {
		Key string `json:"key"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	key := req.Key
	if !strings.HasSuffix(key, "/") {
		key += "/"
	}
	if key == "/" || strings.Contains(key, "//") {
		return errorf(http.StatusBadRequest, "invalid folder name: it must not be empty or hold an empty segment (//)")
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	o, err := s.store.PutObject(r.Context(), tenant, name, key, strings.NewReader(""), storage.PutOptions{Size: 0})
	if err != nil {
		return containerErr(err, name)
	}
	s.audit(r, tenant, "folder.create", name+"/"+key)
	return writeJSON(w, http.StatusCreated, objectOf(o))
}

// objectErr words a missing container, object or version for the console.
func objectErr(err error, bucket, key string) error {
	switch {
	case errors.Is(err, storage.ErrBucketNotFound):
		return containerErr(err, bucket)
	case errors.Is(err, storage.ErrDeleteMarker):
		return &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("%s is deleted (its current version is a delete marker)", key), cause: err}
	case errors.Is(err, storage.ErrObjectNotFound):
		return &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("no object named %s in %s", key, bucket), cause: err}
	}
	return err
}

// restoreVersion makes an old version current again ({"key", "versionId"})
// the way S3 clients do: a copy of that version, streamed from storage into
// a new PutObject with its metadata and tags, so quotas apply and the
// versions in between stay.
func (s *server) restoreVersion(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	var req struct {
		Key       string `json:"key"`
		VersionID string `json:"versionId"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	if err := checkKey(req.Key); err != nil {
		return err
	}
	if req.VersionID == "" || len(req.VersionID) > maxKeyParam {
		return errorf(http.StatusBadRequest, "name the version to restore")
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	ctx := r.Context()
	obj, err := s.store.OpenObjectVersion(ctx, tenant, name, req.Key, req.VersionID)
	if err != nil {
		return objectErr(err, name, req.Key)
	}
	defer obj.Close()
	info := obj.Info()
	body, err := obj.Range(ctx, 0, info.Size)
	if err != nil {
		return err
	}
	defer body.Close()
	o, err := s.store.PutObject(ctx, tenant, name, req.Key, body, storage.PutOptions{Size: info.Size, Meta: info.Meta})
	if err != nil {
		return containerErr(err, name)
	}
	s.audit(r, tenant, "object.restore", name+"/"+req.Key+" (version "+req.VersionID+" -> "+o.VersionID+")")
	return writeJSON(w, http.StatusOK, objectOf(o))
}
