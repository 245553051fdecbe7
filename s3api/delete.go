package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"

	"github.com/cofferstore/coffer/storage"
)

// maxDeleteKeys is S3's limit of keys per DeleteObjects request.
const maxDeleteKeys = 1000

// deleteRequest is the DeleteObjects body.
type deleteRequest struct {
	XMLName xml.Name       `xml:"Delete"`
	Quiet   bool           `xml:"Quiet"`
	Objects []deleteObject `xml:"Object"`
}

// deleteObject is one <Object> of a DeleteObjects body.
type deleteObject struct {
	Key       string  `xml:"Key"`
	Version   *string `xml:"VersionId"`
	VersionID string  `xml:"-"` // *Version, or "" when absent
	// hasVersion says a <VersionId> element was present (an empty one is
	// malformed, not "the current version").
	hasVersion bool
}

type deleteResult struct {
	XMLName xml.Name        `xml:"DeleteResult"`
	NS      string          `xml:"xmlns,attr"`
	Deleted []deletedObject `xml:"Deleted"`
	Errors  []deleteError   `xml:"Error"`
}

// deletedObject is a <Deleted> entry. VersionId echoes the version asked
// for; DeleteMarker and DeleteMarkerVersionId say that a delete marker was
// created or removed, and which.
type deletedObject struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

type deleteError struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

// parseDeleteRequest decodes and validates a DeleteObjects body.
func parseDeleteRequest(data []byte) (*deleteRequest, error) {
	var req deleteRequest
	if err := decodeXML(data, &req); err != nil {
		return nil, err
	}
	if len(req.Objects) == 0 {
		return nil, errMalformedXML
	}
	if len(req.Objects) > maxDeleteKeys {
		return nil, errTooManyDeleteKeys
	}
	for i := range req.Objects {
		o := &req.Objects[i]
		if o.Version != nil {
			o.VersionID, o.hasVersion = *o.Version, true
		}
	}
	return &req, nil
}

// deleteObjects handles POST /bucket?delete. The body must carry
// Content-MD5 or an x-amz-checksum-* value (header or trailer), verified
// before anything is deleted. Each key may name a version; the entries say
// which version went and whether it was (or made) a delete marker.
func (s *server) deleteObjects(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readDigestedBody(r, rq, maxDeleteXML)
	if err != nil {
		return err
	}
	req, err := parseDeleteRequest(data)
	if err != nil {
		return err
	}
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	bypass := bypassGovernance(r)
	res := deleteResult{NS: s3NS}
	for _, o := range req.Objects {
		if rq.allowKey != nil && !rq.allowKey(o.Key, o.hasVersion) {
			res.Errors = append(res.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: errAccessDenied.Code, Message: errAccessDenied.Message})
			continue
		}
		d, err := s.deleteOne(rq, o.Key, o.VersionID, o.hasVersion, bypass)
		if err != nil {
			ae := toAPIError(err)
			if ae == errInternal {
				s.log.Error("s3 delete objects", "request_id", rq.id, "err", err)
			}
			res.Errors = append(res.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: ae.Code, Message: ae.Message})
			continue
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, d)
		}
	}
	return writeXML(w, http.StatusOK, res)
}

// deleteOne deletes one key or version of DeleteObjects. A missing key or
// version counts as deleted (deletes are idempotent, as on AWS); a
// malformed version id is NoSuchVersion for that key, as AWS reports it.
func (s *server) deleteOne(rq *request, key, versionID string, hasVersion, bypass bool) (deletedObject, error) {
	d := deletedObject{Key: key, VersionID: versionID}
	if hasVersion {
		if _, err := checkVersionID(versionID); err != nil {
			return d, errNoSuchVersionInDelete
		}
	}
	res, err := s.store.DeleteObject(rq.ctx, rq.tenant, rq.bucket, key,
		storage.DeleteOptions{VersionID: versionID, BypassGovernance: bypass})
	switch {
	case errors.Is(err, storage.ErrObjectNotFound), errors.Is(err, storage.ErrNoSuchVersion):
		return d, nil
	case err != nil:
		return d, err
	}
	if res.DeleteMarker {
		d.DeleteMarker = true
		d.DeleteMarkerVersionID = res.VersionID
	}
	return d, nil
}
