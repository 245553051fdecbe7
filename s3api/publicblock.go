package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// publicAccessBlockConfiguration is the XML of the PublicAccessBlock calls.
// Get returns the bucket's own flags; evaluation merges them with the
// operator's default for the tenant (publicAccessBlock).
type publicAccessBlockConfiguration struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	NS                    string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

// getPublicAccessBlock handles GET /bucket?publicAccessBlock.
func (s *server) getPublicAccessBlock(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc, err := s.store.GetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigPublicAccessBlock)
	if err != nil {
		return err
	}
	b, err := decodePublicAccessBlock(doc)
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, publicAccessBlockConfiguration{NS: s3NS,
		BlockPublicAcls: b.BlockPublicAcls, IgnorePublicAcls: b.IgnorePublicAcls,
		BlockPublicPolicy: b.BlockPublicPolicy, RestrictPublicBuckets: b.RestrictPublicBuckets})
}

// putPublicAccessBlock handles PUT /bucket?publicAccessBlock; absent
// elements are false, as on AWS.
func (s *server) putPublicAccessBlock(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readSmallBody(rq.body, maxSmallXML)
	if err != nil {
		return err
	}
	var in publicAccessBlockConfiguration
	if err := decodeXML(data, &in); err != nil {
		return err
	}
	b := policy.PublicAccessBlock{BlockPublicAcls: in.BlockPublicAcls, IgnorePublicAcls: in.IgnorePublicAcls,
		BlockPublicPolicy: in.BlockPublicPolicy, RestrictPublicBuckets: in.RestrictPublicBuckets}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigPublicAccessBlock, encodePublicAccessBlock(b)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// deletePublicAccessBlock handles DELETE /bucket?publicAccessBlock.
func (s *server) deletePublicAccessBlock(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigPublicAccessBlock, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
