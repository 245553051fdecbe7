package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// publicReadSid names the statement the "Public access: Public read"
// setting adds to a container's policy; Private removes it and nothing else.
const publicReadSid = "console-public-read"

// policyJSON is GET/PUT .../policy's answer. Policy is the stored document
// ("" when none), as S3's GetBucketPolicy returns it. PublicRead is the
// console's setting (its statement is present); Public is AWS's definition
// of a public policy, which other statements can also meet. PublicURL is
// the address pattern of the container's objects for anonymous clients.
type policyJSON struct {
	Policy                string `json:"policy"`
	PublicRead            bool   `json:"publicRead"`
	Public                bool   `json:"public"`
	PublicURL             string `json:"publicURL"`
	BlockPublicPolicy     bool   `json:"blockPublicPolicy"`
	RestrictPublicBuckets bool   `json:"restrictPublicBuckets"`
}

// maxPolicyRequest bounds PUT .../policy's JSON body: a document of
// policy.MaxDocumentBytes with every byte escaped still fits.
const maxPolicyRequest = 6*policy.MaxDocumentBytes + 1024

// publicReadStatement is what the setting grants: everyone may read every
// object (s3:GetObject on bucket/*, never a bucket-level action: listing
// stays private), as pkg/policy recommends instead of the public-read ACL.
func publicReadStatement(bucket string) policy.Statement {
	return policy.Statement{Sid: publicReadSid, Effect: policy.EffectAllow, Principal: policy.Principal{Any: true},
		Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::" + bucket + "/*"}}
}

// storedPolicy reads and parses a container's policy (nil, nil when none).
func (s *server) storedPolicy(ctx context.Context, tenant, name string) ([]byte, *policy.Policy, error) {
	doc, err := s.store.GetBucketConfig(ctx, tenant, name, storage.ConfigPolicy)
	if errors.Is(err, storage.ErrNoSuchBucketConfig) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, containerErr(err, name)
	}
	p, err := policy.Parse(doc, name, tenant)
	if err != nil {
		return doc, nil, nil // shown raw; the setting reads as private
	}
	return doc, p, nil
}

// publicAccessBlock is the container's Block Public Access flags merged
// with the operator's default for the tenant, decoded from the documents
// s3api stores (JSON of policy.PublicAccessBlock).
func (s *server) publicAccessBlock(ctx context.Context, tenant, name string) (policy.PublicAccessBlock, error) {
	var merged policy.PublicAccessBlock
	read := func(doc []byte, err error) error {
		if errors.Is(err, storage.ErrNoSuchBucketConfig) {
			return nil
		}
		if err != nil {
			return err
		}
		var b policy.PublicAccessBlock
		if err := json.Unmarshal(doc, &b); err != nil {
			return err
		}
		merged = merged.Merge(b)
		return nil
	}
	if err := read(s.store.GetBucketConfig(ctx, tenant, name, storage.ConfigPublicAccessBlock)); err != nil {
		return merged, containerErr(err, name)
	}
	err := read(s.store.GetTenantConfig(ctx, tenant, storage.ConfigPublicAccessBlock))
	return merged, err
}

func (s *server) policyView(ctx context.Context, tenant, name string) (policyJSON, error) {
	doc, p, err := s.storedPolicy(ctx, tenant, name)
	if err != nil {
		return policyJSON{}, err
	}
	if _, err := s.store.GetBucket(ctx, tenant, name); err != nil {
		return policyJSON{}, containerErr(err, name)
	}
	b, err := s.publicAccessBlock(ctx, tenant, name)
	if err != nil {
		return policyJSON{}, err
	}
	v := policyJSON{Policy: string(doc), Public: p.IsPublic(), BlockPublicPolicy: b.BlockPublicPolicy,
		RestrictPublicBuckets: b.RestrictPublicBuckets,
		PublicURL:             strings.TrimSuffix(s.cfg.PublicEndpoint, "/") + "/" + tenant + ":" + name + "/"}
	if p != nil {
		for _, st := range p.Statements {
			if st.Sid == publicReadSid {
				v.PublicRead = true
			}
		}
	}
	return v, nil
}

// getPolicy handles GET /api/containers/{name}/policy.
func (s *server) getPolicy(w http.ResponseWriter, r *http.Request) error {
	v, err := s.policyView(r.Context(), principalFrom(r).User.Tenant, mux.Vars(r)["name"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// putPolicy handles PUT /api/containers/{name}/policy with either
// {"policy": document} (the editor: the whole policy replaced) or
// {"publicRead": bool} (the setting: its statement added or removed, the
// rest of the policy kept). The document is validated with policy.Parse
// for this container and tenant and stored as its canonical JSON, as S3's
// PutBucketPolicy stores it.
func (s *server) putPolicy(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	var req struct {
		Policy     *string `json:"policy"`
		PublicRead *bool   `json:"publicRead"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPolicyRequest)
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "request body too large")
		}
		if errors.Is(err, io.EOF) {
			return errorf(http.StatusBadRequest, "request body must be a JSON object")
		}
		return errorf(http.StatusBadRequest, "invalid JSON body: %v", jsonErrorText(err))
	}
	if (req.Policy == nil) == (req.PublicRead == nil) {
		return errorf(http.StatusBadRequest, "send either policy (a policy document) or publicRead (true or false)")
	}
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	ctx := r.Context()
	var doc []byte
	action := "container.policy"
	if req.Policy != nil {
		doc = []byte(*req.Policy)
		if len(doc) > policy.MaxDocumentBytes {
			return malformedPolicy("Policy exceeds the maximum allowed document size.")
		}
	} else {
		_, cur, err := s.storedPolicy(ctx, tenant, name)
		if err != nil {
			return err
		}
		next := &policy.Policy{Version: policy.Version2012}
		if cur != nil {
			next.Version, next.ID = cur.Version, cur.ID
			for _, st := range cur.Statements {
				if st.Sid != publicReadSid {
					next.Statements = append(next.Statements, st)
				}
			}
		}
		action = "container.private"
		if *req.PublicRead {
			next.Statements = append(next.Statements, publicReadStatement(name))
			action = "container.public_read"
		}
		if len(next.Statements) == 0 {
			return s.removePolicy(w, r, tenant, name, action)
		}
		if doc, err = json.Marshal(next); err != nil {
			return err
		}
	}
	if _, err := s.store.GetBucket(ctx, tenant, name); err != nil {
		return containerErr(err, name)
	}
	p, err := policy.Parse(doc, name, tenant)
	if err != nil {
		var me *policy.MalformedError
		if errors.As(err, &me) {
			if errors.Is(err, policy.ErrUnsupported) {
				return &apiError{Status: http.StatusBadRequest, Message: me.Reason, cause: err, Fields: map[string]any{"code": "NotImplemented"}}
			}
			return malformedPolicy(me.Reason)
		}
		return malformedPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	b, err := s.publicAccessBlock(ctx, tenant, name)
	if err != nil {
		return err
	}
	if b.RefusesPolicy(p) {
		return errorf(http.StatusForbidden, "Block Public Access (BlockPublicPolicy) is on for this container: a public policy cannot be saved")
	}
	canonical, err := json.Marshal(p)
	if err != nil {
		return malformedPolicy("The policy cannot be stored in canonical form")
	}
	if err := s.store.SetBucketConfig(ctx, tenant, name, storage.ConfigPolicy, canonical); err != nil {
		if errors.Is(err, storage.ErrConfigTooLarge) {
			return malformedPolicy("Policy exceeds the maximum allowed document size.")
		}
		return containerErr(err, name)
	}
	s.audit(r, tenant, action, name)
	v, err := s.policyView(ctx, tenant, name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// malformedPolicy is S3's MalformedPolicy with its reason.
func malformedPolicy(reason string) error {
	return &apiError{Status: http.StatusBadRequest, Message: reason, Fields: map[string]any{"code": "MalformedPolicy"}}
}

// deletePolicy handles DELETE /api/containers/{name}/policy.
func (s *server) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	name := mux.Vars(r)["name"]
	if err := s.requireActiveTenant(r, tenant); err != nil {
		return err
	}
	return s.removePolicy(w, r, tenant, name, "container.policy_delete")
}

func (s *server) removePolicy(w http.ResponseWriter, r *http.Request, tenant, name, action string) error {
	ctx := r.Context()
	if err := s.store.SetBucketConfig(ctx, tenant, name, storage.ConfigPolicy, nil); err != nil {
		return containerErr(err, name)
	}
	s.audit(r, tenant, action, name)
	v, err := s.policyView(ctx, tenant, name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}
