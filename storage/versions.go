package storage

import (
	"context"
	"errors"
)

// errNotImplemented is returned by the versioning API until it lands.
var errNotImplemented = errors.New("storage: not implemented yet")

// ValidVersionID reports whether id is syntactically a version id:
// NullVersion or one this store generates.
func ValidVersionID(id string) bool {
	return id == NullVersion
}

// SetBucketVersioning sets a bucket's versioning state.
func (s *Store) SetBucketVersioning(ctx context.Context, tenant, bucket, state string) error {
	return errNotImplemented
}

// PutObjectLockConfig sets a bucket's Object Lock configuration.
func (s *Store) PutObjectLockConfig(ctx context.Context, tenant, bucket string, cfg LockConfig) error {
	return errNotImplemented
}

// GetObjectVersion returns one version's description.
func (s *Store) GetObjectVersion(ctx context.Context, tenant, bucket, key, versionID string) (ObjectInfo, error) {
	return ObjectInfo{}, errNotImplemented
}

// OpenObjectVersion pins one version for reading.
func (s *Store) OpenObjectVersion(ctx context.Context, tenant, bucket, key, versionID string) (ObjectReader, error) {
	return nil, errNotImplemented
}

// ListObjectVersions lists a page of versions and delete markers.
func (s *Store) ListObjectVersions(ctx context.Context, tenant, bucket string, opts ListVersionsOptions) (ListVersionsResult, error) {
	return ListVersionsResult{}, errNotImplemented
}

// PutObjectRetention changes one version's retention.
func (s *Store) PutObjectRetention(ctx context.Context, tenant, bucket, key, versionID string, r Retention, bypassGovernance bool) (ObjectInfo, error) {
	return ObjectInfo{}, errNotImplemented
}

// PutObjectLegalHold sets or clears one version's legal hold.
func (s *Store) PutObjectLegalHold(ctx context.Context, tenant, bucket, key, versionID string, on bool) (ObjectInfo, error) {
	return ObjectInfo{}, errNotImplemented
}
