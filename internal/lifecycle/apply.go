package lifecycle

import (
	"context"
	"errors"

	rules "github.com/cofferstore/coffer/pkg/lifecycle"
	"github.com/cofferstore/coffer/storage"
)

// errChanged marks a version that moved between listing and delete.
var errChanged = errors.New("lifecycle: version changed since listed")

// apply carries out one due action on the listed version v, after checking
// v is still where the decision found it (see doc.go, "Races with
// clients"). Only ctx's end is returned as an error; the rest is counted.
func (p *pass) apply(ctx context.Context, tenant, bucket string, v storage.ObjectInfo, act rules.Action, suspended bool, st *Stats) error {
	if err := p.e.limiter.wait(ctx); err != nil {
		return err
	}
	store := p.e.cfg.Store
	opts := storage.DeleteOptions{}
	var bytes int64
	err := p.recheck(ctx, tenant, bucket, v, act)
	if err == nil {
		switch act {
		case rules.ActionDelete:
			bytes = v.Size
		case rules.ActionAddDeleteMarker:
			if suspended && v.VersionID == storage.NullVersion {
				bytes = v.Size // a suspended bucket's marker replaces the null version
			}
		case rules.ActionDeleteVersion:
			opts.VersionID, bytes = v.VersionID, v.Size
		case rules.ActionRemoveDeleteMarker:
			opts.VersionID = v.VersionID
		}
		_, err = store.DeleteObject(ctx, tenant, bucket, v.Key, opts)
	}
	switch {
	case err == nil:
		st.ObjectsExpired++
		st.BytesExpired += bytes
	case errors.Is(err, storage.ErrObjectLocked):
		st.SkippedLocked++
	case errors.Is(err, errChanged), errors.Is(err, storage.ErrNoSuchVersion), errors.Is(err, storage.ErrObjectNotFound):
		st.SkippedChanged++
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, storage.ErrBucketNotFound):
		return err
	default:
		st.Errors++
		p.e.log.Error("lifecycle delete", "tenant", tenant, "bucket", bucket, "key", v.Key, "version", v.VersionID, "err", err)
	}
	return nil
}

// recheck reads v again just before its delete: nil when v is still where
// the decision found it, errChanged (or storage's not-found) when not.
func (p *pass) recheck(ctx context.Context, tenant, bucket string, v storage.ObjectInfo, act rules.Action) error {
	store := p.e.cfg.Store
	switch act {
	case rules.ActionDelete:
		cur, err := store.GetObjectVersion(ctx, tenant, bucket, v.Key, "")
		if err != nil {
			return err
		}
		if cur.ETag != v.ETag || !cur.ModTime.Equal(v.ModTime) || cur.DeleteMarker {
			return errChanged
		}
		return nil
	case rules.ActionAddDeleteMarker:
		cur, err := store.GetObjectVersion(ctx, tenant, bucket, v.Key, "")
		if err != nil {
			return err
		}
		if cur.VersionID != v.VersionID || cur.DeleteMarker {
			return errChanged
		}
		return nil
	case rules.ActionDeleteVersion:
		latest, err := currentMarker(ctx, store, tenant, bucket, v.Key)
		if err != nil {
			return err
		}
		if v.DeleteMarker {
			if latest == v.VersionID {
				return errChanged
			}
			return nil
		}
		cur, err := store.GetObjectVersion(ctx, tenant, bucket, v.Key, v.VersionID)
		if err != nil {
			return err
		}
		if cur.IsLatest {
			return errChanged
		}
		return nil
	case rules.ActionRemoveDeleteMarker:
		latest, err := currentMarker(ctx, store, tenant, bucket, v.Key)
		if err != nil {
			return err
		}
		if latest != v.VersionID {
			return errChanged
		}
		page, err := store.ListObjectVersions(ctx, tenant, bucket, storage.ListVersionsOptions{Prefix: v.Key, MaxKeys: 2})
		if err != nil {
			return err
		}
		if len(page.Versions) > 1 && page.Versions[1].Key == v.Key {
			return errChanged // the key has another version again
		}
		return nil
	}
	return errChanged
}

// currentMarker returns the version id of the key's current version when
// it is a delete marker, "" otherwise.
func currentMarker(ctx context.Context, store storage.ObjectStore, tenant, bucket, key string) (string, error) {
	_, err := store.GetObjectVersion(ctx, tenant, bucket, key, "")
	var dm *storage.DeleteMarkerError
	switch {
	case errors.As(err, &dm):
		return dm.VersionID, nil
	case err == nil, errors.Is(err, storage.ErrObjectNotFound):
		return "", nil
	}
	return "", err
}
