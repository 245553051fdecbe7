package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// CreateTenant records a tenant with its quota.
func (s *Store) CreateTenant(ctx context.Context, name string, q Quota) error {
	if err := validTenantName(name); err != nil {
		return err
	}
	if err := validQuota(q); err != nil {
		return err
	}
	return s.idx.Update(func(tx indexTx) error {
		t, err := tx.tenant(name)
		if err != nil {
			return err
		}
		if t != nil {
			return fmt.Errorf("%w: %s", ErrTenantExists, name)
		}
		return tx.putTenant(&tenantRecord{Name: name, Created: now(), Quota: q})
	})
}

func validQuota(q Quota) error {
	if q.MaxObjects < 0 || q.MaxBytes < 0 || q.MaxBuckets < 0 || q.MaxUploads < 0 {
		return fmt.Errorf("storage: negative quota")
	}
	return nil
}

// limits returns the bucket and upload limits in force for t: its own, or
// the server's defaults; 0 means none.
func (s *Store) limits(t *tenantRecord) (buckets, uploads int64) {
	buckets, uploads = t.Quota.MaxBuckets, t.Quota.MaxUploads
	if buckets == 0 {
		buckets = s.cfg.DefaultMaxBuckets
	}
	if uploads == 0 {
		uploads = s.cfg.DefaultMaxUploads
	}
	return buckets, uploads
}

func (t *tenantRecord) public() Tenant {
	return Tenant{Name: t.Name, Created: t.Created, Quota: t.Quota, Suspended: t.Suspended}
}

// GetTenant returns a tenant record.
func (s *Store) GetTenant(ctx context.Context, name string) (Tenant, error) {
	var out Tenant
	// Every request reads its tenant: no fast-log barrier (fast PUTs
	// change only its usage counters, which Tenant does not show).
	err := s.raw.View(func(tx indexTx) error {
		t, err := tenantOf(tx, name)
		if err == nil {
			out = t.public()
		}
		return err
	})
	return out, err
}

// ListTenants returns all tenants sorted by name.
func (s *Store) ListTenants(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	err := s.idx.View(func(tx indexTx) error {
		ts, err := tx.tenants()
		for _, t := range ts {
			out = append(out, t.public())
		}
		return err
	})
	return out, err
}

func (s *Store) updateTenant(name string, fn func(t *tenantRecord)) error {
	return s.idx.Update(func(tx indexTx) error {
		t, err := tenantOf(tx, name)
		if err != nil {
			return err
		}
		fn(t)
		return tx.putTenant(t)
	})
}

// SetQuota replaces a tenant's quota. Usage above a new lower quota stays;
// further writes that add to it fail.
func (s *Store) SetQuota(ctx context.Context, name string, q Quota) error {
	if err := validQuota(q); err != nil {
		return err
	}
	defer s.excludeFast()() // a tenant with a quota has no fast PUTs
	return s.updateTenant(name, func(t *tenantRecord) { t.Quota = q })
}

// SetSuspended marks a tenant suspended or active. Storage records the
// flag; the S3 and console layers refuse a suspended tenant's requests.
func (s *Store) SetSuspended(ctx context.Context, name string, suspended bool) error {
	return s.updateTenant(name, func(t *tenantRecord) { t.Suspended = suspended })
}

// DeleteTenant force-deletes every bucket of the tenant, then its volumes
// and the tenant record.
func (s *Store) DeleteTenant(ctx context.Context, name string) error {
	if _, err := s.GetTenant(ctx, name); err != nil {
		return err
	}
	// No bucket goes while any holds a locked version.
	if err := s.checkTenantUnlocked(ctx, name); err != nil {
		return err
	}
	buckets, err := s.ListBuckets(ctx, name)
	if err != nil {
		return err
	}
	for _, b := range buckets {
		if err := s.DeleteBucket(ctx, name, b.Name, true); err != nil && !errors.Is(err, ErrBucketNotFound) {
			return err
		}
	}
	defer s.excludeFast()()
	return s.idx.Update(func(tx indexTx) error {
		vols, err := tx.volumes(name)
		if err != nil {
			return err
		}
		for _, v := range vols {
			if err := tx.deleteVolume(name, v.Name); err != nil {
				return err
			}
		}
		return tx.deleteTenant(name)
	})
}

// TenantUsage returns the tenant's exact usage.
func (s *Store) TenantUsage(ctx context.Context, name string) (Usage, error) {
	var u Usage
	err := s.idx.View(func(tx indexTx) error {
		t, err := tenantOf(tx, name)
		if err != nil {
			return err
		}
		u.Objects, u.Bytes, u.UploadBytes, u.Uploads = t.Objects, t.Bytes, t.UploadBytes, t.Uploads
		u.NoncurrentObjects, u.NoncurrentBytes = t.NoncurrentObjects, t.NoncurrentBytes
		u.MaxBuckets, u.MaxUploads = s.limits(t)
		n, err := tx.countBuckets(name, 0)
		if err != nil {
			return err
		}
		u.Buckets = int(n)
		vols, err := tx.volumes(name)
		if err != nil {
			return err
		}
		u.VolumeCount = len(vols)
		for _, v := range vols {
			u.VolumeBytes += v.SizeBytes
		}
		return nil
	})
	return u, err
}

// AddVolume records a block volume for a tenant.
func (s *Store) AddVolume(ctx context.Context, tenant string, v Volume) error {
	if v.Name == "" || len(v.Name) > 255 || strings.ContainsRune(v.Name, 0) || v.SizeBytes < 0 {
		return fmt.Errorf("storage: invalid volume %q", v.Name)
	}
	return s.idx.Update(func(tx indexTx) error {
		if _, err := tenantOf(tx, tenant); err != nil {
			return err
		}
		old, err := tx.volume(tenant, v.Name)
		if err != nil {
			return err
		}
		if old != nil {
			return fmt.Errorf("%w: %s", ErrVolumeExists, v.Name)
		}
		if v.Created.IsZero() {
			v.Created = now()
		}
		return tx.putVolume(tenant, &v)
	})
}

// ListVolumes returns a tenant's volumes sorted by name.
func (s *Store) ListVolumes(ctx context.Context, tenant string) ([]Volume, error) {
	var out []Volume
	err := s.idx.View(func(tx indexTx) error {
		if _, err := tenantOf(tx, tenant); err != nil {
			return err
		}
		vs, err := tx.volumes(tenant)
		out = vs
		return err
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// RemoveVolume deletes a volume record.
func (s *Store) RemoveVolume(ctx context.Context, tenant, name string) error {
	return s.idx.Update(func(tx indexTx) error {
		if _, err := tenantOf(tx, tenant); err != nil {
			return err
		}
		v, err := tx.volume(tenant, name)
		if err != nil {
			return err
		}
		if v == nil {
			return fmt.Errorf("%w: %s", ErrVolumeNotFound, name)
		}
		return tx.deleteVolume(tenant, name)
	})
}
