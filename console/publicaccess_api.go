package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// The operator's PublicAccessBlock default of a tenant: the same four flags
// as S3's PutPublicAccessBlock, stored as the tenant's ConfigPublicAccessBlock
// document (JSON of policy.PublicAccessBlock, the form s3api reads and
// merges with each bucket's own flags, the most restrictive winning).

// tenantPublicAccess handles GET /api/admin/tenants/{t}/public-access-block.
func (s *server) tenantPublicAccess(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	var b policy.PublicAccessBlock
	doc, err := s.store.GetTenantConfig(r.Context(), name, storage.ConfigPublicAccessBlock)
	switch {
	case errors.Is(err, storage.ErrNoSuchBucketConfig):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(doc, &b); err != nil {
			return fmt.Errorf("tenant %s: stored public access block: %w", name, err)
		}
	}
	return writeJSON(w, http.StatusOK, b)
}

// setTenantPublicAccess handles PUT /api/admin/tenants/{t}/public-access-block
// with the four flags; all false removes the default.
func (s *server) setTenantPublicAccess(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingTenant(r)
	if err != nil {
		return err
	}
	var b policy.PublicAccessBlock
	if err := readJSON(w, r, &b); err != nil {
		return err
	}
	var doc []byte
	if b != (policy.PublicAccessBlock{}) {
		doc, _ = json.Marshal(b) // four booleans cannot fail
	}
	if err := s.store.SetTenantConfig(r.Context(), name, storage.ConfigPublicAccessBlock, doc); err != nil {
		return err
	}
	s.audit(r, name, "tenant.public-access-block", fmt.Sprintf("blockPublicAcls=%t ignorePublicAcls=%t blockPublicPolicy=%t restrictPublicBuckets=%t",
		b.BlockPublicAcls, b.IgnorePublicAcls, b.BlockPublicPolicy, b.RestrictPublicBuckets))
	return writeJSON(w, http.StatusOK, b)
}
