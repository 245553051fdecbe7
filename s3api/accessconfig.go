package s3api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// bucketConfig returns a bucket's document of kind, nil when none is set.
func (s *server) bucketConfig(ctx context.Context, ns, bucket string, kind storage.ConfigKind) ([]byte, error) {
	doc, err := s.store.GetBucketConfig(ctx, ns, bucket, kind)
	if errors.Is(err, storage.ErrNoSuchBucketConfig) {
		return nil, nil
	}
	return doc, err
}

// policyCache keeps parsed policies by bucket with the bytes they were
// parsed from. A lookup still reads the stored document (one index read),
// so a change through any path (S3, console, a bucket deleted and created
// again) is seen at once; the cache only saves the parse, which costs
// tens of microseconds for a large policy (BenchmarkPolicyLookup).
type policyCache struct {
	mu      sync.Mutex
	entries map[string]cachedPolicy
}

type cachedPolicy struct {
	doc []byte
	pol *policy.Policy
}

// maxCachedPolicies bounds the cache; past it, it starts over.
const maxCachedPolicies = 4096

func (c *policyCache) get(id string, doc []byte) *policy.Policy {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok && bytes.Equal(e.doc, doc) {
		return e.pol
	}
	return nil
}

func (c *policyCache) put(id string, doc []byte, p *policy.Policy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedPolicies {
		c.entries = map[string]cachedPolicy{}
	}
	c.entries[id] = cachedPolicy{doc: doc, pol: p}
}

// bucketPolicy returns the bucket's parsed policy, nil when it has none.
// A stored document was validated when it was put; one that no longer
// parses (a policy engine that became stricter) denies everyone but the
// owner rather than failing open.
func (s *server) bucketPolicy(ctx context.Context, ns, bucket string) (*policy.Policy, error) {
	doc, err := s.bucketConfig(ctx, ns, bucket, storage.ConfigPolicy)
	if err != nil || doc == nil {
		return nil, err
	}
	id := ns + "\x00" + bucket
	if p := s.policies.get(id, doc); p != nil {
		return p, nil
	}
	p, err := policy.Parse(doc, bucket, ns)
	if err != nil {
		s.log.Error("s3 stored bucket policy does not parse", "tenant", ns, "bucket", bucket, "err", err)
		p, _ = policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::`+bucket+`","arn:aws:s3:::`+bucket+`/*"]}]}`), bucket, ns)
		return p, nil
	}
	s.policies.put(id, doc, p)
	return p, nil
}

// publicAccessDoc is how a PublicAccessBlock is stored (bucket document
// and the operator's tenant default alike): compact JSON of the flags.
func decodePublicAccessBlock(doc []byte) (policy.PublicAccessBlock, error) {
	var b policy.PublicAccessBlock
	if len(doc) == 0 {
		return b, nil
	}
	err := json.Unmarshal(doc, &b)
	return b, err
}

func encodePublicAccessBlock(b policy.PublicAccessBlock) []byte {
	doc, _ := json.Marshal(b) // four booleans cannot fail
	return doc
}

// tenantPublicAccessBlock is the operator's default for the tenant.
func (s *server) tenantPublicAccessBlock(ctx context.Context, ns string) (policy.PublicAccessBlock, error) {
	doc, err := s.store.GetTenantConfig(ctx, ns, storage.ConfigPublicAccessBlock)
	if errors.Is(err, storage.ErrNoSuchBucketConfig) {
		return policy.PublicAccessBlock{}, nil
	}
	if err != nil {
		return policy.PublicAccessBlock{}, err
	}
	return decodePublicAccessBlock(doc)
}

// publicAccessBlock is the bucket's flags merged with the tenant default,
// the most restrictive winning (as AWS merges bucket and account).
func (s *server) publicAccessBlock(ctx context.Context, ns, bucket string) (policy.PublicAccessBlock, error) {
	doc, err := s.bucketConfig(ctx, ns, bucket, storage.ConfigPublicAccessBlock)
	if err != nil {
		return policy.PublicAccessBlock{}, err
	}
	b, err := decodePublicAccessBlock(doc)
	if err != nil {
		return b, err
	}
	t, err := s.tenantPublicAccessBlock(ctx, ns)
	if err != nil {
		return b, err
	}
	return b.Merge(t), nil
}

// bucketACL is the bucket's canned ACL ("private" when none is set).
func (s *server) bucketACL(ctx context.Context, ns, bucket string) (policy.CannedACL, error) {
	doc, err := s.bucketConfig(ctx, ns, bucket, storage.ConfigACL)
	if err != nil {
		return "", err
	}
	if len(doc) == 0 {
		return policy.ACLPrivate, nil
	}
	return policy.CannedACL(doc), nil
}

// objectInfo reads the current object, or one version.
func (s *server) objectInfo(ctx context.Context, ns, bucket, key, versionID string) (storage.ObjectInfo, error) {
	if versionID != "" {
		return s.store.GetObjectVersion(ctx, ns, bucket, key, versionID)
	}
	return s.store.GetObjectInfo(ctx, ns, bucket, key)
}
