package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/xml"
	"errors"
	"net/http"

	"github.com/cofferstore/coffer/storage"
)

// maxDeleteKeys is S3's limit of keys per DeleteObjects request.
const maxDeleteKeys = 1000

// deleteRequest is the DeleteObjects body.
type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name        `xml:"DeleteResult"`
	NS      string          `xml:"xmlns,attr"`
	Deleted []deletedObject `xml:"Deleted"`
	Errors  []deleteError   `xml:"Error"`
}

type deletedObject struct {
	Key string `xml:"Key"`
}

type deleteError struct {
	Key     string `xml:"Key"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
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
	return &req, nil
}

// deleteObjects handles POST /bucket?delete. The body must carry
// Content-MD5 or an x-amz-checksum-* value (header or trailer), verified
// here over the (capped) body before anything is deleted.
func (s *server) deleteObjects(w http.ResponseWriter, r *http.Request, rq *request) error {
	opts, err := bodyOptions(r, rq)
	if err != nil {
		return err
	}
	if opts.ContentMD5 == nil && opts.ExpectedChecksum == nil {
		return errMissingDeleteDigest
	}
	data, err := readSmallBody(rq.body, maxDeleteXML)
	if err != nil {
		return err
	}
	if opts.ContentMD5 != nil {
		sum := md5.Sum(data)
		if !bytes.Equal(sum[:], opts.ContentMD5) {
			return storage.ErrBadDigest
		}
	}
	if opts.ExpectedChecksum != nil {
		want, err := opts.ExpectedChecksum()
		if err != nil {
			return err
		}
		if opts.Checksum.Sum(data) != want {
			return storage.ErrChecksumMismatch
		}
	}
	req, err := parseDeleteRequest(data)
	if err != nil {
		return err
	}
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	res := deleteResult{NS: s3NS}
	for _, o := range req.Objects {
		if rq.allowKey != nil && !rq.allowKey(o.Key, o.VersionID != "") {
			res.Errors = append(res.Errors, deleteError{Key: o.Key, Code: errAccessDenied.Code, Message: errAccessDenied.Message})
			continue
		}
		if o.VersionID != "" && o.VersionID != "null" {
			res.Errors = append(res.Errors, deleteError{Key: o.Key, Code: "NoSuchVersion", Message: "The specified version does not exist."})
			continue
		}
		_, err := s.store.DeleteObject(rq.ctx, rq.tenant, rq.bucket, o.Key, storage.DeleteOptions{})
		if err != nil && !errors.Is(err, storage.ErrObjectNotFound) {
			ae := toAPIError(err)
			if ae == errInternal {
				s.log.Error("s3 delete objects", "request_id", rq.id, "err", err)
			}
			res.Errors = append(res.Errors, deleteError{Key: o.Key, Code: ae.Code, Message: ae.Message})
			continue
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deletedObject{Key: o.Key})
		}
	}
	return writeXML(w, http.StatusOK, res)
}
