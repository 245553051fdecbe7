package s3api

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"

	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// policyError turns a pkg/policy.Parse error into S3's answer.
func policyError(err error) error {
	var me *policy.MalformedError
	switch {
	case errors.Is(err, policy.ErrUnsupported):
		msg := "The policy uses an element that is not implemented."
		if errors.As(err, &me) {
			msg = me.Reason
		}
		return errorf("NotImplemented", http.StatusNotImplemented, msg)
	case errors.As(err, &me):
		return errorf("MalformedPolicy", http.StatusBadRequest, me.Reason)
	case errors.Is(err, policy.ErrMalformedPolicy):
		return errorf("MalformedPolicy", http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'")
	}
	return err
}

// putBucketPolicy handles PUT /bucket?policy: the document is validated
// for this bucket and tenant and stored in canonical form.
func (s *server) putBucketPolicy(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readSmallBody(rq.body, policy.MaxDocumentBytes)
	if err == errXMLTooLarge { //nolint:errorlint // readSmallBody's own value
		// Past the raw bound, read no further: AWS's reason (as pkg/policy's).
		return errorf("MalformedPolicy", http.StatusBadRequest, "Policy exceeds the maximum allowed document size.")
	} else if err != nil {
		return err
	}
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	p, err := policy.Parse(data, rq.bucket, rq.tenant)
	if err != nil {
		return policyError(err)
	}
	b, err := s.publicAccessBlock(rq.ctx, rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	if b.RefusesPolicy(p) {
		return errAccessDenied
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigPolicy, doc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getBucketPolicy handles GET /bucket?policy.
func (s *server) getBucketPolicy(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc, err := s.store.GetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigPolicy)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
	return nil
}

// deleteBucketPolicy handles DELETE /bucket?policy.
func (s *server) deleteBucketPolicy(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigPolicy, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type policyStatus struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	NS       string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus handles GET /bucket?policyStatus.
func (s *server) getBucketPolicyStatus(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.GetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigPolicy); err != nil {
		return err
	}
	p, err := s.bucketPolicy(rq.ctx, rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, policyStatus{NS: s3NS, IsPublic: p.IsPublic()})
}
