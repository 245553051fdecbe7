package storage

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
)

// ConfigKind names a per-bucket (or per-tenant default) configuration
// document. Storage keeps documents as opaque bytes: the S3 layer
// validates and canonicalises them before storing and parses them after
// reading.
type ConfigKind string

// The configuration kinds.
const (
	ConfigPolicy            ConfigKind = "policy"
	ConfigCORS              ConfigKind = "cors"
	ConfigLifecycle         ConfigKind = "lifecycle"
	ConfigEncryption        ConfigKind = "encryption"
	ConfigTagging           ConfigKind = "tagging"
	ConfigPublicAccessBlock ConfigKind = "publicAccessBlock"
	ConfigOwnershipControls ConfigKind = "ownershipControls"
	// ConfigACL is the bucket's canned ACL name (e.g. "public-read").
	ConfigACL ConfigKind = "acl"
)

// configLimits bounds each kind's document. They are storage's bounds, not
// S3's (a policy is limited to 20 KB by the S3 layer): what one bucket
// can make the index and every drive keep. Lifecycle allows 1,000 rules.
var configLimits = map[ConfigKind]int{
	ConfigPolicy:            64 << 10,
	ConfigCORS:              64 << 10,
	ConfigLifecycle:         256 << 10,
	ConfigEncryption:        64 << 10,
	ConfigTagging:           64 << 10,
	ConfigPublicAccessBlock: 64 << 10,
	ConfigOwnershipControls: 64 << 10,
	ConfigACL:               maxACLLen,
}

const (
	// maxBucketConfigBytes bounds the sum of a bucket's documents (less
	// than the sum of the kinds' limits), and so its bucket file.
	maxBucketConfigBytes = 512 << 10
	// Tenant defaults sit in the tenant record, which every write's
	// commit reads: they are kept small.
	maxTenantConfigDoc   = 4 << 10
	maxTenantConfigBytes = 16 << 10
	// maxACLLen bounds a canned ACL name (bucket or object).
	maxACLLen = 64
)

// ConfigKinds lists every kind, in a fixed order.
func ConfigKinds() []ConfigKind {
	return []ConfigKind{ConfigPolicy, ConfigCORS, ConfigLifecycle, ConfigEncryption, ConfigTagging,
		ConfigPublicAccessBlock, ConfigOwnershipControls, ConfigACL}
}

// checkConfigDoc checks kind and the document's size against limit (0:
// the kind's own). An unknown kind is a caller's bug, not a client's
// error, so it is no sentinel.
func checkConfigDoc(kind ConfigKind, doc []byte, limit int) error {
	max, ok := configLimits[kind]
	if !ok {
		return fmt.Errorf("storage: unknown configuration kind %q", kind)
	}
	if limit > 0 {
		max = min(max, limit)
	}
	if len(doc) > max {
		return fmt.Errorf("%w: %s document of %d bytes, limit %d", ErrConfigTooLarge, kind, len(doc), max)
	}
	return nil
}

// configBytes is the total size of docs.
func configBytes(docs map[ConfigKind][]byte) int {
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	return n
}

// setDoc sets (or, for an empty doc, deletes) docs[kind] and reports
// whether that changed anything.
func setDoc(docs map[ConfigKind][]byte, kind ConfigKind, doc []byte) bool {
	old, had := docs[kind]
	if len(doc) == 0 {
		delete(docs, kind)
		return had
	}
	if had && bytes.Equal(old, doc) {
		return false
	}
	docs[kind] = bytes.Clone(doc)
	return true
}

// SetBucketConfig stores a bucket's document of kind; a nil or empty doc
// deletes it (deleting an unset one succeeds). A document above its
// kind's limit, or one that would take the bucket's documents above
// maxBucketConfigBytes, is ErrConfigTooLarge. Like a versioning change it
// writes the bucket file on every drive and then commits the index in one
// transaction (see bucketcfg.go), so it survives restarts and
// RebuildIndex.
func (s *Store) SetBucketConfig(ctx context.Context, tenant, bucket string, kind ConfigKind, doc []byte) error {
	if err := checkConfigDoc(kind, doc, 0); err != nil {
		return err
	}
	return s.changeBucketCfg(tenant, bucket, func(_ *bucketRecord, docs map[ConfigKind][]byte) (bool, error) {
		before := configBytes(docs)
		if !setDoc(docs, kind, doc) {
			return false, nil
		}
		if n := configBytes(docs); n > maxBucketConfigBytes && n > before {
			return false, fmt.Errorf("%w: the bucket's configuration would be %d bytes, limit %d", ErrConfigTooLarge, n, maxBucketConfigBytes)
		}
		return true, nil
	})
}

// GetBucketConfig returns a bucket's document of kind, or a
// *NoSuchConfigError (ErrNoSuchBucketConfig) when none is set.
func (s *Store) GetBucketConfig(ctx context.Context, tenant, bucket string, kind ConfigKind) ([]byte, error) {
	if err := checkConfigDoc(kind, nil, 0); err != nil {
		return nil, err
	}
	var doc []byte
	// Read by requests (policy, CORS, public access): no fast-log
	// barrier, fast PUTs change no configuration.
	err := s.raw.View(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		doc, err = tx.bucketConfig(b.ID, kind)
		return err
	})
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, &NoSuchConfigError{Kind: kind}
	}
	return doc, nil
}

// SetTenantConfig stores an operator default of kind for the tenant's
// buckets (the S3 layer decides how a default combines with a bucket's own
// document); a nil or empty doc deletes it. Tenant documents are limited
// to maxTenantConfigDoc each and maxTenantConfigBytes together
// (ErrConfigTooLarge). They live in the tenant record, in the index only:
// like quotas, RebuildIndex does not restore them.
func (s *Store) SetTenantConfig(ctx context.Context, tenant string, kind ConfigKind, doc []byte) error {
	if err := checkConfigDoc(kind, doc, maxTenantConfigDoc); err != nil {
		return err
	}
	return s.idx.Update(func(tx indexTx) error {
		t, err := tenantOf(tx, tenant)
		if err != nil {
			return err
		}
		docs := maps.Clone(t.Configs)
		if docs == nil {
			docs = map[ConfigKind][]byte{}
		}
		before := configBytes(docs)
		if !setDoc(docs, kind, doc) {
			return nil
		}
		if n := configBytes(docs); n > maxTenantConfigBytes && n > before {
			return fmt.Errorf("%w: the tenant's configuration would be %d bytes, limit %d", ErrConfigTooLarge, n, maxTenantConfigBytes)
		}
		t.Configs = docs
		if len(docs) == 0 {
			t.Configs = nil
		}
		return tx.putTenant(t)
	})
}

// GetTenantConfig returns the tenant's default of kind, or a
// *NoSuchConfigError (ErrNoSuchBucketConfig) when none is set.
func (s *Store) GetTenantConfig(ctx context.Context, tenant string, kind ConfigKind) ([]byte, error) {
	if err := checkConfigDoc(kind, nil, 0); err != nil {
		return nil, err
	}
	var doc []byte
	err := s.raw.View(func(tx indexTx) error { // no barrier, as GetBucketConfig
		t, err := tenantOf(tx, tenant)
		if err != nil {
			return err
		}
		doc = t.Configs[kind]
		return nil
	})
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, &NoSuchConfigError{Kind: kind, Tenant: true}
	}
	return doc, nil
}

// sortedKinds is docs' kinds in order (for deterministic commits).
func sortedKinds(docs map[ConfigKind][]byte) []ConfigKind {
	return slices.Sorted(maps.Keys(docs))
}

// checkACL bounds a canned ACL name (the S3 layer checks it is one).
func checkACL(acl string) error {
	if len(acl) > maxACLLen {
		return fmt.Errorf("%w: ACL name of %d bytes, limit %d", ErrConfigTooLarge, len(acl), maxACLLen)
	}
	return nil
}
