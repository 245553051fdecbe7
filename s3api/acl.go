package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// Coffer keeps canned ACLs only (pkg/policy/acl.go): a bucket's in its
// "acl" document, an object version's in its record. Grant lists that are
// not a canned ACL are NotImplemented.

var (
	errACLNotSupported = errorf("AccessControlListNotSupported", http.StatusBadRequest, "The bucket does not allow ACLs")
	errACLOwnership    = errorf("InvalidBucketAclWithObjectOwnership", http.StatusBadRequest, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	errGrantsNotCanned = errorf("NotImplemented", http.StatusNotImplemented, "Only canned ACLs are implemented: the grants must be those of private, public-read, public-read-write or authenticated-read.")
	errInvalidACL      = errorf("InvalidArgument", http.StatusBadRequest, "The x-amz-acl value is not a canned ACL.")
	errACLAndBody      = errorf("UnexpectedContent", http.StatusBadRequest, "This request does not support content: give either x-amz-acl or an AccessControlPolicy body.")
)

// parseACLHeader checks x-amz-acl; present is false without one.
func parseACLHeader(h http.Header) (acl policy.CannedACL, present bool, err error) {
	v := h.Get("X-Amz-Acl")
	if v == "" {
		return policy.ACLPrivate, false, nil
	}
	acl, err = policy.ParseCannedACL(v)
	switch {
	case errors.Is(err, policy.ErrUnsupported):
		return "", true, errorf("NotImplemented", http.StatusNotImplemented, "The canned ACL "+v+" is not implemented.")
	case err != nil:
		return "", true, errInvalidACL
	}
	return acl, true, nil
}

// checkCannedACLHeader is the header check shared by every write
// (checkUnsupportedWriteHeaders): a canned ACL Coffer knows.
func checkCannedACLHeader(h http.Header) error {
	_, _, err := parseACLHeader(h)
	return err
}

// aclAllowed refuses setting acl on a bucket whose Block Public Access
// blocks public ACLs (AccessDenied) or whose ownership controls disable
// ACLs (AccessControlListNotSupported).
func (s *server) aclAllowed(ctx context.Context, ns, bucket string, acl policy.CannedACL) error {
	enforced, err := s.ownerEnforced(ctx, ns, bucket)
	if err != nil {
		return err
	}
	if enforced && acl != policy.ACLPrivate && acl != policy.ACLBucketOwnerFullControl {
		return errACLNotSupported
	}
	b, err := s.publicAccessBlock(ctx, ns, bucket)
	if err != nil {
		return err
	}
	if b.RefusesACL(acl) {
		return errAccessDenied
	}
	return nil
}

// objectWriteACL is the canned ACL a PutObject, CopyObject or
// CreateMultipartUpload stores ("" without x-amz-acl), after the bucket's
// checks.
func (s *server) objectWriteACL(r *http.Request, rq *request) (string, error) {
	acl, present, err := parseACLHeader(r.Header)
	if err != nil || !present {
		return "", err
	}
	if err := s.aclAllowed(rq.ctx, rq.tenant, rq.bucket, acl); err != nil {
		return "", err
	}
	return string(acl), nil
}

// createBucketConfigs are the documents a CreateBucket starts with: its
// x-amz-acl and x-amz-object-ownership.
func (s *server) createBucketConfigs(r *http.Request, rq *request) (map[storage.ConfigKind][]byte, error) {
	acl, present, err := parseACLHeader(r.Header)
	if err != nil {
		return nil, err
	}
	cfgs := map[storage.ConfigKind][]byte{}
	if own := r.Header.Get("X-Amz-Object-Ownership"); own != "" {
		if !validOwnership(own) {
			return nil, errorf("InvalidArgument", http.StatusBadRequest, "Invalid x-amz-object-ownership header: "+own)
		}
		cfgs[storage.ConfigOwnershipControls] = []byte(own)
		if own == ownershipEnforced && acl != policy.ACLPrivate && acl != policy.ACLBucketOwnerFullControl {
			return nil, errACLOwnership
		}
	}
	if present {
		b, err := s.tenantPublicAccessBlock(rq.ctx, rq.tenant)
		if err != nil {
			return nil, err
		}
		if b.RefusesACL(acl) {
			return nil, errAccessDenied
		}
		if acl != policy.ACLPrivate {
			cfgs[storage.ConfigACL] = []byte(acl)
		}
	}
	if len(cfgs) == 0 {
		return nil, nil
	}
	return cfgs, nil
}

// XML of the ACL calls, as AWS writes it.
const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

type accessControlPolicy struct {
	XMLName xml.Name   `xml:"AccessControlPolicy"`
	NS      string     `xml:"xmlns,attr"`
	Owner   owner      `xml:"Owner"`
	Grants  []aclGrant `xml:"AccessControlList>Grant"`
}

type aclGrant struct {
	Grantee    aclGrantee `xml:"Grantee"`
	Permission string     `xml:"Permission"`
}

type aclGrantee struct {
	XSI         string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
}

// aclPolicyIn is a PutBucketAcl/PutObjectAcl body as clients send it.
type aclPolicyIn struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *owner   `xml:"Owner"`
	Grants  []struct {
		Grantee struct {
			Type         string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
			ID           string `xml:"ID"`
			URI          string `xml:"URI"`
			EmailAddress string `xml:"EmailAddress"`
		} `xml:"Grantee"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

// renderACL writes the AccessControlPolicy of a canned ACL.
func renderACL(w http.ResponseWriter, tenant string, acl policy.CannedACL) error {
	o := policy.Owner{ID: tenant, DisplayName: tenant}
	res := accessControlPolicy{NS: s3NS, Owner: tenantOwner(tenant), Grants: []aclGrant{}}
	for _, g := range acl.Grants(o) {
		res.Grants = append(res.Grants, aclGrant{
			Grantee:    aclGrantee{XSI: xsiNS, Type: g.Grantee.Type, ID: g.Grantee.ID, DisplayName: g.Grantee.DisplayName, URI: g.Grantee.URI},
			Permission: g.Permission,
		})
	}
	return writeXML(w, http.StatusOK, res)
}

// cannedFromBody finds the canned ACL whose grants a body lists, or
// errGrantsNotCanned. Grantees compare by ID or URI; the owner must be the
// tenant.
func cannedFromBody(data []byte, tenant string) (policy.CannedACL, error) {
	var in aclPolicyIn
	if err := decodeXML(data, &in); err != nil {
		return "", err
	}
	if in.Owner != nil && in.Owner.ID != "" && in.Owner.ID != tenant {
		return "", errAccessDenied
	}
	const maxGrants = 100 // AWS's limit per ACL
	if len(in.Grants) > maxGrants {
		return "", errMalformedXML
	}
	got := map[string]bool{}
	for _, g := range in.Grants {
		who := g.Grantee.ID
		if g.Grantee.URI != "" {
			who = g.Grantee.URI
		}
		if g.Grantee.EmailAddress != "" || who == "" {
			return "", errGrantsNotCanned
		}
		got[who+" "+g.Permission] = true
	}
	for _, acl := range []policy.CannedACL{policy.ACLPrivate, policy.ACLPublicRead, policy.ACLPublicReadWrite, policy.ACLAuthenticatedRead} {
		want := map[string]bool{}
		for _, g := range acl.Grants(policy.Owner{ID: tenant}) {
			who := g.Grantee.ID
			if g.Grantee.URI != "" {
				who = g.Grantee.URI
			}
			want[who+" "+g.Permission] = true
		}
		if sameSet(got, want) {
			return acl, nil
		}
	}
	return "", errGrantsNotCanned
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// requestedACL reads the canned ACL of a PutBucketAcl/PutObjectAcl: the
// x-amz-acl header or a body equal to a canned ACL's grants.
func requestedACL(r *http.Request, rq *request) (policy.CannedACL, error) {
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-grant-") {
			return "", errGrantsNotCanned
		}
	}
	acl, present, err := parseACLHeader(r.Header)
	if err != nil {
		return "", err
	}
	data, err := readSmallBody(rq.body, maxSmallXML)
	if err != nil {
		return "", err
	}
	hasBody := len(strings.TrimSpace(string(data))) > 0
	switch {
	case present && hasBody:
		return "", errACLAndBody
	case present:
		return acl, nil
	case hasBody:
		return cannedFromBody(data, rq.tenant)
	}
	return "", errorf("MissingSecurityHeader", http.StatusBadRequest, "Your request was missing a required header: x-amz-acl or an AccessControlPolicy body.")
}

// getBucketACL handles GET /bucket?acl.
func (s *server) getBucketACL(w http.ResponseWriter, r *http.Request, rq *request) error {
	acl, err := s.bucketACL(rq.ctx, rq.tenant, rq.bucket)
	if err != nil {
		return err
	}
	if enforced, err := s.ownerEnforced(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	} else if enforced {
		acl = policy.ACLPrivate
	}
	return renderACL(w, rq.tenant, acl)
}

// putBucketACL handles PUT /bucket?acl.
func (s *server) putBucketACL(w http.ResponseWriter, r *http.Request, rq *request) error {
	acl, err := requestedACL(r, rq)
	if err != nil {
		return err
	}
	if err := s.aclAllowed(rq.ctx, rq.tenant, rq.bucket, acl); err != nil {
		return err
	}
	doc := []byte(acl)
	if acl == policy.ACLPrivate {
		doc = nil // private is the default: no document
	}
	if err := s.store.SetBucketConfig(rq.ctx, rq.tenant, rq.bucket, storage.ConfigACL, doc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// aclVersionID is the version an object ACL call addresses ("" current).
func aclVersionID(r *http.Request) (string, error) {
	q := r.URL.Query()
	if !q.Has("versionId") {
		return "", nil
	}
	return checkVersionID(q.Get("versionId"))
}

// getObjectACL handles GET /bucket/key?acl.
func (s *server) getObjectACL(w http.ResponseWriter, r *http.Request, rq *request) error {
	vid, err := aclVersionID(r)
	if err != nil {
		return err
	}
	info, err := s.objectInfo(rq.ctx, rq.tenant, rq.bucket, rq.key, vid)
	if err != nil {
		return err
	}
	acl := policy.CannedACL(info.ACL)
	if enforced, err := s.ownerEnforced(rq.ctx, rq.tenant, rq.bucket); err != nil {
		return err
	} else if enforced || acl == "" {
		acl = policy.ACLPrivate
	}
	if err := s.setVersionHeader(w.Header(), rq, rq.bucket, info.VersionID, hdrVersionID); err != nil {
		return err
	}
	return renderACL(w, rq.tenant, acl)
}

// putObjectACL handles PUT /bucket/key?acl.
func (s *server) putObjectACL(w http.ResponseWriter, r *http.Request, rq *request) error {
	vid, err := aclVersionID(r)
	if err != nil {
		return err
	}
	acl, err := requestedACL(r, rq)
	if err != nil {
		return err
	}
	if err := s.aclAllowed(rq.ctx, rq.tenant, rq.bucket, acl); err != nil {
		return err
	}
	if err := s.store.SetObjectACL(rq.ctx, rq.tenant, rq.bucket, rq.key, vid, string(acl)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
