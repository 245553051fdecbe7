package s3api

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// errAccessDenied is the one answer to a request its principal may not
// make. Anonymous and cross-tenant requests get it whether or not the
// tenant, bucket or object exists, so that it reveals nothing.
var errAccessDenied = errorf("AccessDenied", http.StatusForbidden, "Access Denied")

// newRequest builds the handler's view of an authenticated request, or of
// an anonymous one (v nil) addressing a named tenant.
func newRequest(r *http.Request, st *reqState, v *auth.Verified, ns, bucket string, named bool) *request {
	if v == nil {
		// Anonymous: the body is the raw one, no chunked framing to decode.
		v = &auth.Verified{Body: r.Body, DecodedLength: r.ContentLength, Trailer: func(string) string { return "" }}
	}
	if !named {
		ns = v.Identity.Tenant
	}
	st.tenant = ns
	rq := &request{
		ctx:       r.Context(),
		id:        st.id,
		tenant:    ns,
		principal: v.Identity.Tenant,
		bucket:    bucket,
		key:       st.key,
		verified:  v,
		size:      v.DecodedLength,
	}
	if v.Body != nil && v.Body != http.NoBody {
		rq.body = countingReader{r: v.Body, n: &st.bytesIn}
	} else {
		rq.body = http.NoBody
		if rq.size < 0 || rq.principal == "" {
			rq.size = 0
		}
	}
	return rq
}

// owner reports whether a signed request addresses its own namespace.
func (rq *request) owner() bool { return rq.principal != "" && rq.principal == rq.tenant }

// checkTenants refuses requests of suspended tenants: the signer's, and
// the addressed namespace's. A namespace that does not exist or is
// suspended is AccessDenied for anyone but its own tenant, exactly like a
// bucket the caller may not see.
func (s *server) checkTenants(r *http.Request, rq *request) error {
	if rq.principal != "" {
		t, err := s.store.GetTenant(r.Context(), rq.principal)
		if err != nil {
			s.authFailed("UnknownTenant")
			return err
		}
		if t.Suspended {
			s.authFailed("TenantSuspended")
			return errorf("AccessDenied", http.StatusForbidden, "Access Denied: the tenant is suspended.")
		}
	}
	if rq.owner() {
		return nil
	}
	t, err := s.store.GetTenant(r.Context(), rq.tenant)
	if err != nil || t.Suspended {
		return errAccessDenied
	}
	return nil
}

// authorize evaluates the request against the addressed bucket's policy,
// ACLs and Block Public Access settings (pkg/policy.Authorize) for every
// action its operation needs. The owner pays one configuration read when
// its bucket has no policy; everyone else is allowed only what a policy or
// ACL grants, and every failure to find out is the same AccessDenied.
func (s *server) authorize(r *http.Request, op string, rq *request) error {
	if rq.bucket == "" {
		if rq.owner() {
			return nil // the service (ListBuckets), or the handler's error
		}
		return errAccessDenied // "/tenant:" names no bucket
	}
	owner := rq.owner()
	needs, known := policy.OperationActions(op, opOptions(r, op))
	if !known {
		if owner {
			return nil // the handler answers (NotImplemented, ...)
		}
		return errAccessDenied
	}
	if op == "DeleteObjects" {
		// Authorized per key by the handler (allowKey): install the check.
		acc, err := s.loadAccess(r, rq, rq.tenant, rq.bucket, owner, "")
		if err != nil {
			return s.accessError(rq, owner, err)
		}
		opts := opOptions(r, op)
		rq.allowKey = func(key string, version bool) bool {
			if acc == nil {
				return true
			}
			o := opts
			o.VersionID = version
			keyNeeds, _ := policy.OperationActions(op, o)
			for _, n := range keyNeeds {
				if policy.Authorize(*acc, s.policyRequest(r, rq, n.Action, rq.bucket, key)) != policy.Allow {
					return false
				}
			}
			return true
		}
		return nil
	}
	acc, err := s.loadAccess(r, rq, rq.tenant, rq.bucket, owner, rq.key)
	if err != nil {
		return s.accessError(rq, owner, err)
	}
	var tags map[string]string
	if acc != nil && rq.key != "" && usesExistingTags(acc.Policy) {
		if info, err := s.objectInfo(r.Context(), rq.tenant, rq.bucket, rq.key, r.URL.Query().Get("versionId")); err == nil {
			tags = info.Meta.Tags
		}
	}
	for _, n := range needs {
		if n.Source {
			if err := s.authorizeSource(r, rq, n.Action); err != nil {
				return err
			}
			continue
		}
		if acc == nil {
			continue
		}
		pr := s.policyRequest(r, rq, n.Action, rq.bucket, rq.key)
		pr.ExistingObjectTags = tags
		if policy.Authorize(*acc, pr) != policy.Allow {
			return errAccessDenied
		}
	}
	return nil
}

// authorizeSource checks a copy's read of its source, which lives in the
// addressed namespace, against the source bucket's own policy.
func (s *server) authorizeSource(r *http.Request, rq *request, action string) error {
	src, err := parseCopySource(r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil // the handler reports the malformed header
	}
	owner := rq.owner()
	acc, err := s.loadAccess(r, rq, rq.tenant, src.bucket, owner, src.key)
	if err != nil {
		return s.accessError(rq, owner, err)
	}
	if acc != nil && policy.Authorize(*acc, s.policyRequest(r, rq, action, src.bucket, src.key)) != policy.Allow {
		return errAccessDenied
	}
	return nil
}

// accessError is what a failure to load a bucket's access settings
// becomes: the owner learns the truth (a missing bucket is the handler's
// NoSuchBucket), anyone else only AccessDenied.
func (s *server) accessError(rq *request, owner bool, err error) error {
	if !owner {
		if !errors.Is(err, storage.ErrBucketNotFound) && !errors.Is(err, storage.ErrTenantNotFound) {
			s.log.Warn("s3 access settings unreadable", "request_id", rq.id, "err", err)
		}
		return errAccessDenied
	}
	if errors.Is(err, storage.ErrBucketNotFound) {
		return nil
	}
	return err
}

// loadAccess reads what decides access to a bucket (and, for others than
// the owner, to the object key). It returns nil when there is nothing to
// evaluate: the owner of a bucket without a policy may do everything.
func (s *server) loadAccess(r *http.Request, rq *request, ns, bucket string, owner bool, key string) (*policy.Access, error) {
	ctx := r.Context()
	pol, err := s.bucketPolicy(ctx, ns, bucket)
	if err != nil {
		return nil, err
	}
	if owner && pol == nil {
		return nil, nil
	}
	acc := &policy.Access{Owner: ns, Policy: pol}
	if owner {
		return acc, nil // an ACL adds nothing to the owner's rights
	}
	if acc.Block, err = s.publicAccessBlock(ctx, ns, bucket); err != nil {
		return nil, err
	}
	enforced, err := s.ownerEnforced(ctx, ns, bucket)
	if err != nil {
		return nil, err
	}
	if enforced {
		return acc, nil // ACLs are disabled: they grant nothing
	}
	if acc.BucketACL, err = s.bucketACL(ctx, ns, bucket); err != nil {
		return nil, err
	}
	if key != "" && objectACLMatters(acc.Block, acc.BucketACL) {
		info, err := s.objectInfo(ctx, ns, bucket, key, r.URL.Query().Get("versionId"))
		if err == nil {
			acc.ObjectACL = policy.CannedACL(info.ACL)
		}
	}
	return acc, nil
}

// objectACLMatters: an object's ACL can only add object reads; reading
// the object record is skipped when public ACLs are ignored anyway.
func objectACLMatters(b policy.PublicAccessBlock, _ policy.CannedACL) bool {
	return !b.IgnorePublicAcls
}

// usesExistingTags reports whether a policy has an s3:ExistingObjectTag
// condition, the one case where authorizing needs the object's tags.
func usesExistingTags(p *policy.Policy) bool {
	if p == nil {
		return false
	}
	for _, st := range p.Statements {
		for _, c := range st.Conditions {
			if len(c.Key) > len("s3:ExistingObjectTag/") && strings.EqualFold(c.Key[:len("s3:ExistingObjectTag/")], "s3:ExistingObjectTag/") {
				return true
			}
		}
	}
	return false
}

// policyRequest describes the request to the policy engine for one action.
func (s *server) policyRequest(r *http.Request, rq *request, action, bucket, key string) policy.Request {
	pr := policy.Request{
		Action:    action,
		Bucket:    bucket,
		Key:       key,
		Principal: rq.principal,
		SourceIP:  remoteIP(r),
		Secure:    r.TLS != nil,
		Time:      time.Now(),
		UserAgent: r.UserAgent(),
		Referer:   r.Referer(),
		Values:    map[string][]string{},
	}
	q := r.URL.Query()
	for param, k := range map[string]string{"prefix": policy.KeyPrefix, "delimiter": policy.KeyDelimiter, "max-keys": policy.KeyMaxKeys} {
		if q.Has(param) {
			pr.Values[k] = []string{q.Get(param)}
		}
	}
	if v := q.Get("versionId"); v != "" {
		pr.Values[policy.KeyVersionID] = []string{v}
	}
	if v := r.Header.Get("X-Amz-Acl"); v != "" {
		pr.Values[policy.KeyACL] = []string{v}
	}
	if rq.principal != "" {
		authz := r.Header.Get("Authorization")
		switch {
		case strings.HasPrefix(authz, "AWS "), q.Has("AWSAccessKeyId"):
			pr.Values[policy.KeySignatureVersion] = []string{"AWS"}
		default:
			pr.Values[policy.KeySignatureVersion] = []string{"AWS4-HMAC-SHA256"}
		}
		if authz != "" {
			pr.Values[policy.KeyAuthType] = []string{"REST-HEADER"}
		} else {
			pr.Values[policy.KeyAuthType] = []string{"REST-QUERY-STRING"}
		}
	}
	return pr
}

// remoteIP is the client's address as the connection shows it.
func remoteIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// opOptions are the parts of a request that change what its operation
// needs (pkg/policy.OperationActions).
func opOptions(r *http.Request, op string) policy.OpOptions {
	q, h := r.URL.Query(), r.Header
	o := policy.OpOptions{
		VersionID:        q.Get("versionId") != "",
		ACL:              h.Get("X-Amz-Acl") != "",
		Tagging:          h.Get("X-Amz-Tagging") != "",
		Retention:        h.Get("X-Amz-Object-Lock-Mode") != "" || h.Get("X-Amz-Object-Lock-Retain-Until-Date") != "",
		LegalHold:        h.Get("X-Amz-Object-Lock-Legal-Hold") != "",
		BypassGovernance: strings.EqualFold(h.Get("X-Amz-Bypass-Governance-Retention"), "true"),
	}
	if src := h.Get("X-Amz-Copy-Source"); src != "" {
		o.SourceVersionID = strings.Contains(src, "versionId=")
	}
	for name := range h {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-grant-") {
			o.ACL = true
		}
	}
	return o
}

// accessRoutes adds the access-control operations to the route table.
func (s *server) accessRoutes(add func(method string, l level, op string, h handlerFunc, extra ...mux.MatcherFunc)) {
	q := hasQuery
	add("GET", levelObject, "GetObjectAcl", s.getObjectACL, q("acl"))
	add("PUT", levelObject, "PutObjectAcl", s.putObjectACL, q("acl"))
	add("GET", levelBucket, "GetBucketAcl", s.getBucketACL, q("acl"))
	add("PUT", levelBucket, "PutBucketAcl", s.putBucketACL, q("acl"))
	add("GET", levelBucket, "GetBucketPolicy", s.getBucketPolicy, q("policy"))
	add("PUT", levelBucket, "PutBucketPolicy", s.putBucketPolicy, q("policy"))
	add("DELETE", levelBucket, "DeleteBucketPolicy", s.deleteBucketPolicy, q("policy"))
	add("GET", levelBucket, "GetBucketPolicyStatus", s.getBucketPolicyStatus, q("policyStatus"))
	add("GET", levelBucket, "GetPublicAccessBlock", s.getPublicAccessBlock, q("publicAccessBlock"))
	add("PUT", levelBucket, "PutPublicAccessBlock", s.putPublicAccessBlock, q("publicAccessBlock"))
	add("DELETE", levelBucket, "DeletePublicAccessBlock", s.deletePublicAccessBlock, q("publicAccessBlock"))
	add("GET", levelBucket, "GetBucketOwnershipControls", s.getOwnershipControls, q("ownershipControls"))
	add("PUT", levelBucket, "PutBucketOwnershipControls", s.putOwnershipControls, q("ownershipControls"))
	add("DELETE", levelBucket, "DeleteBucketOwnershipControls", s.deleteOwnershipControls, q("ownershipControls"))
}
