package storage

import (
	"errors"
	"fmt"
)

// usageDelta is a signed change of usage. A tenant's Bytes counts object
// bytes and the bytes of its unfinished uploads' parts; a bucket counts
// its objects only.
type usageDelta struct {
	Objects     int64 // objects: tenant and bucket
	Bytes       int64 // object bytes: tenant and bucket
	UploadBytes int64 // bytes of unfinished uploads' parts: tenant (UploadBytes and Bytes)
	Uploads     int64 // unfinished multipart uploads: tenant
	// Of Objects and Bytes, the part that is noncurrent versions and
	// delete markers: tenant and bucket. Moving a version between current
	// and noncurrent changes these only.
	NoncurrentObjects int64
	NoncurrentBytes   int64
	// noQuota skips the quota check: a delete marker adds an object, but
	// deleting is never refused for quota.
	noQuota bool
}

func (d usageDelta) plus(o usageDelta) usageDelta {
	return usageDelta{d.Objects + o.Objects, d.Bytes + o.Bytes, d.UploadBytes + o.UploadBytes, d.Uploads + o.Uploads,
		d.NoncurrentObjects + o.NoncurrentObjects, d.NoncurrentBytes + o.NoncurrentBytes, d.noQuota || o.noQuota}
}

// versionDelta is the usage of one stored version (a delete marker is an
// object of 0 bytes), counted noncurrent when it is in the versions
// keyspace; sign 1 adds it, -1 removes it.
func versionDelta(r *objRecord, noncurrent bool, sign int64) usageDelta {
	d := usageDelta{Objects: sign, Bytes: sign * r.Size}
	if noncurrent {
		d.NoncurrentObjects, d.NoncurrentBytes = sign, sign*r.Size
	}
	return d
}

// tenantBytes is the change of the tenant's Bytes counter.
func (d usageDelta) tenantBytes() int64 { return d.Bytes + d.UploadBytes }

// grows reports whether any counter increases.
func (d usageDelta) grows() bool {
	return d.Objects > 0 || d.Bytes > 0 || d.UploadBytes > 0 || d.Uploads > 0 || d.tenantBytes() > 0
}

// applyUsage is the one place a write changes usage: inside the commit
// transaction it applies d to the tenant's counters and, when b is not
// nil, to the bucket's (and stores both). It fails with a *QuotaError
// when d takes a counter that grows past the tenant's quota or limit
// (checkUsage); decreases always pass, so a tenant over a lowered quota
// can still delete. A missing tenant is ErrTenantNotFound for a delta
// that grows usage; a shrinking one (deleting from a bucket whose tenant
// is already gone) changes the bucket only. Lookup and store errors are
// returned, never dropped.
//
// The other place counters are written is the recount (recountUsage,
// recountUploads), which sets them from the records after RebuildIndex
// and at Open.
func (s *Store) applyUsage(tx indexTx, tenant string, b *bucketRecord, d usageDelta) error {
	t, err := tx.tenant(tenant)
	if err != nil {
		return err
	}
	switch {
	case t == nil && d.grows():
		return fmt.Errorf("%w: %s", ErrTenantNotFound, tenant)
	case t != nil:
		if err := s.checkUsage(t, d); err != nil && !d.noQuota {
			return err
		}
		t.Objects += d.Objects
		t.Bytes += d.tenantBytes()
		t.UploadBytes += d.UploadBytes
		t.Uploads += d.Uploads
		t.NoncurrentObjects += d.NoncurrentObjects
		t.NoncurrentBytes += d.NoncurrentBytes
		if err := tx.putTenant(t); err != nil {
			return err
		}
	}
	if b == nil {
		return nil
	}
	b.Objects += d.Objects
	b.Bytes += d.Bytes
	b.NoncurrentObjects += d.NoncurrentObjects
	b.NoncurrentBytes += d.NoncurrentBytes
	return tx.putBucket(b)
}

// checkUsage returns a *QuotaError when d would take t past its quota:
// objects and bytes (Quota.MaxObjects, MaxBytes) and unfinished uploads
// (Quota.MaxUploads or the server default). Each counter is checked only
// when d grows it. The commit (applyUsage) and the precheck before a body
// is written (precheckQuota) both use it.
func (s *Store) checkUsage(t *tenantRecord, d usageDelta) error {
	if q := t.Quota.MaxObjects; q > 0 && d.Objects > 0 && t.Objects+d.Objects > q {
		return &QuotaError{Resource: "objects", Used: t.Objects, Adding: d.Objects, Limit: q}
	}
	if q, add := t.Quota.MaxBytes, d.tenantBytes(); q > 0 && add > 0 && t.Bytes+add > q {
		return &QuotaError{Resource: "bytes", Used: t.Bytes, Adding: add, Limit: q}
	}
	if _, max := s.limits(t); max > 0 && d.Uploads > 0 && t.Uploads+d.Uploads > max {
		return &QuotaError{Resource: "uploads", Used: t.Uploads, Adding: d.Uploads, Limit: max}
	}
	return nil
}

// precheckQuota fails early, before any data is written, when a write
// could never commit: it applies checkUsage to the delta the commit will
// apply. d.Bytes (or d.UploadBytes) is the write's size less the size of
// what it replaces (the key's current version, or the part of the same
// number); a body of unknown size passes 0. The binding check is the
// commit's.
func (s *Store) precheckQuota(tx indexTx, tenant string, d usageDelta) error {
	t, err := tenantOf(tx, tenant)
	if err != nil {
		return err
	}
	return s.checkUsage(t, d)
}

// recountUsage sets every tenant's and bucket's counters, and the live
// bytes of pack segments, from the records themselves (after RebuildIndex).
func (s *Store) recountUsage() error {
	return s.idx.Update(func(tx indexTx) error {
		if err := tx.clearPackBytes(); err != nil {
			return err
		}
		ts, err := tx.tenants()
		if err != nil {
			return err
		}
		for _, t := range ts {
			t.Objects, t.Bytes, t.UploadBytes = 0, 0, 0
			t.NoncurrentObjects, t.NoncurrentBytes = 0, 0
			bs, err := tx.buckets(t.Name)
			if err != nil {
				return err
			}
			for _, b := range bs {
				var perr error
				b.Objects, b.Bytes = 0, 0
				b.NoncurrentObjects, b.NoncurrentBytes = 0, 0
				err := tx.eachObject(b.ID, "", func(r *objRecord) bool {
					b.Objects++
					b.Bytes += r.Size
					perr = packDelta(tx, r, 1)
					return perr == nil
				})
				if err != nil || perr != nil {
					return errors.Join(err, perr)
				}
				err = tx.eachVersion(b.ID, nil, func(r *objRecord) bool {
					b.Objects++
					b.Bytes += r.Size
					b.NoncurrentObjects++
					b.NoncurrentBytes += r.Size
					perr = packDelta(tx, r, 1)
					return perr == nil
				})
				if err != nil || perr != nil {
					return errors.Join(err, perr)
				}
				var uploads []*uploadRecord
				if err := tx.eachUpload(b.ID, func(u *uploadRecord) bool { uploads = append(uploads, u); return true }); err != nil {
					return err
				}
				for _, u := range uploads {
					if err := tx.parts(u.UploadID, 0, func(p *partRecord) bool { t.UploadBytes += p.Size; return true }); err != nil {
						return err
					}
				}
				t.Objects += b.Objects
				t.Bytes += b.Bytes
				t.NoncurrentObjects += b.NoncurrentObjects
				t.NoncurrentBytes += b.NoncurrentBytes
				if err := tx.putBucket(&b); err != nil {
					return err
				}
			}
			t.Bytes += t.UploadBytes
			if err := tx.putTenant(&t); err != nil {
				return err
			}
		}
		return nil
	})
}

// recountUploads sets every tenant's count of unfinished uploads from the
// upload records of its buckets, live and trashed (whose purge still
// decrements it). Open runs it, so that stores written before the count
// existed, or restored by RebuildIndex, start right; it reads keys only.
func (s *Store) recountUploads() error {
	return s.idx.Update(func(tx indexTx) error {
		ts, err := tx.tenants()
		if err != nil {
			return err
		}
		counts := map[string]int64{}
		count := func(tenant, bucketID string) error {
			n, err := tx.countUploads(bucketID)
			counts[tenant] += n
			return err
		}
		trashed, err := tx.trash()
		if err != nil {
			return err
		}
		for _, b := range trashed {
			if err := count(b.Tenant, b.ID); err != nil {
				return err
			}
		}
		for _, t := range ts {
			bs, err := tx.buckets(t.Name)
			if err != nil {
				return err
			}
			for _, b := range bs {
				if err := count(t.Name, b.ID); err != nil {
					return err
				}
			}
			if t.Uploads != counts[t.Name] {
				t.Uploads = counts[t.Name]
				if err := tx.putTenant(&t); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
