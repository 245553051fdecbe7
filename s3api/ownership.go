package s3api

import (
	"context"
	"encoding/xml"
	"net/http"

	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// Object Ownership. Coffer's objects always belong to their bucket's
// owner (a bucket lives in one tenant's namespace), so the three settings
// differ in one way only: BucketOwnerEnforced disables ACLs (they are
// refused when set and grant nothing), while BucketOwnerPreferred and
// ObjectWriter, accepted and returned for compatibility, leave them on,
// as does a bucket without ownership controls.
const (
	ownershipEnforced  = "BucketOwnerEnforced"
	ownershipPreferred = "BucketOwnerPreferred"
	ownershipWriter    = "ObjectWriter"
)

func validOwnership(v string) bool {
	return v == ownershipEnforced || v == ownershipPreferred || v == ownershipWriter
}

type ownershipControls struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

// ownerEnforced reports whether the bucket's ACLs are disabled.
func (s *server) ownerEnforced(ctx context.Context, ns, bucket string) (bool, error) {
	doc, err := s.bucketConfig(ctx, ns, bucket, storage.ConfigOwnershipControls)
	return string(doc) == ownershipEnforced, err
}

// getOwnershipControls handles GET /bucket?ownershipControls.
func (s *server) getOwnershipControls(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc, err := s.store.GetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigOwnershipControls)
	if err != nil {
		return err
	}
	res := ownershipControls{NS: s3NS}
	res.Rules = append(res.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{string(doc)})
	return writeXML(w, http.StatusOK, res)
}

// putOwnershipControls handles PUT /bucket?ownershipControls: exactly one
// rule. Enforcing ownership on a bucket whose ACL grants to others is
// refused, as AWS does.
func (s *server) putOwnershipControls(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readSmallBody(rq.body, maxSmallXML)
	if err != nil {
		return err
	}
	var in ownershipControls
	if err := decodeXML(data, &in); err != nil {
		return err
	}
	if len(in.Rules) != 1 || !validOwnership(in.Rules[0].ObjectOwnership) {
		return errMalformedXML
	}
	own := in.Rules[0].ObjectOwnership
	if own == ownershipEnforced {
		acl, err := s.bucketACL(rq.ctx, rq.tenant, rq.bucket)
		if err != nil {
			return err
		}
		if acl != policy.ACLPrivate && acl != policy.ACLBucketOwnerFullControl {
			return errACLOwnership
		}
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigOwnershipControls, []byte(own)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteOwnershipControls handles DELETE /bucket?ownershipControls.
func (s *server) deleteOwnershipControls(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigOwnershipControls, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
