package console

import (
	"context"
	"errors"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// maxLockedNamed is how many locked versions a refusal names.
const maxLockedNamed = 10

// lockedVersions returns a *storage.LockedError naming versions of the
// tenant's Object Lock containers under retention or legal hold, so that
// deleting the tenant is refused before its keys, users and sessions are
// revoked (they go first; see deleteTenant). storage.DeleteTenant makes the
// same check binding; this one only keeps a refused delete from locking
// the tenant out of data that stays.
func (s *server) lockedVersions(ctx context.Context, tenant string) error {
	buckets, err := s.store.ListBuckets(ctx, tenant)
	if err != nil {
		return err
	}
	now := time.Now()
	le := &storage.LockedError{}
	for _, b := range buckets {
		if !b.Lock.Enabled {
			continue
		}
		opts := storage.ListVersionsOptions{MaxKeys: 1000}
		for {
			res, err := s.store.ListObjectVersions(ctx, tenant, b.Name, opts)
			if err != nil {
				return err
			}
			for _, v := range res.Versions {
				if v.DeleteMarker {
					continue
				}
				// Listings carry no lock state: read each version's.
				v, err := s.store.GetObjectVersion(ctx, tenant, b.Name, v.Key, v.VersionID)
				if errors.Is(err, storage.ErrNoSuchVersion) || errors.Is(err, storage.ErrObjectNotFound) {
					continue // deleted meanwhile
				}
				if err != nil {
					return err
				}
				if !v.LegalHold && !v.Retention.Until.After(now) {
					continue
				}
				if len(le.Versions) == maxLockedNamed {
					le.More = true
					return le
				}
				le.Versions = append(le.Versions, b.Name+"/"+v.Key+"@"+v.VersionID)
			}
			// The markers must advance, or the walk stops.
			if !res.IsTruncated || (res.NextKeyMarker == opts.KeyMarker && res.NextVersionIDMarker == opts.VersionIDMarker) {
				break
			}
			opts.KeyMarker, opts.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
		}
	}
	if len(le.Versions) > 0 {
		return le
	}
	return nil
}
