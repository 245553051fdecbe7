package storage

import (
	"context"
	"strings"
	"time"
)

// RebuildIndex restores the index from the per-drive .meta files: every
// object version found on the drives that is newer than what the index
// holds for its key is recorded (creating missing tenants, with no quota,
// and buckets), unfinished uploads are restored from their parts, and
// usage counters (with the count of unfinished uploads) are recounted. Small objects are found in the drives'
// pack logs as well as in .meta files. Versions that lost to a newer one are left
// for the scrubber to remove as orphans. Quotas, suspension and volumes
// are not stored on the drives and are not restored.
func (s *Store) RebuildIndex(ctx context.Context) error {
	ids := map[string]bool{}
	for _, d := range s.drives {
		d.Walk(func(name string, _ time.Time) error {
			if id, ok := strings.CutSuffix(name, ".meta"); ok {
				ids[id] = true
			}
			return ctx.Err()
		})
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	trashed := map[string]bool{}
	if err := s.idx.View(func(tx indexTx) error {
		bs, err := tx.trash()
		for _, b := range bs {
			trashed[b.ID] = true
		}
		return err
	}); err != nil {
		return err
	}
	objects := map[string]*objRecord{}
	parts := map[string]*metaHeader{}
	// Packed copies: the latest location of each id on each drive, the
	// record at the latest location overall, and ids killed by "delete"
	// records.
	packed := map[string][]packLoc{}
	latest := map[string]packLoc{}
	packedRec := map[string]*objRecord{}
	killed := map[string]bool{}
	after := func(a, b packLoc) bool { return a.Seg > b.Seg || a.Seg == b.Seg && a.Off > b.Off }
	for i, d := range s.drives {
		segs, _ := d.PackSegments()
		for _, seg := range segs {
			d.ScanPack(seg, func(loc packLoc, rec []byte) error {
				h, _, err := decodeMeta(rec)
				if err != nil || h.Shard != i {
					return nil
				}
				if h.Kind == "delete" {
					for _, k := range h.Kills {
						killed[k.ID] = true
					}
					return nil
				}
				if h.Object == nil || len(h.Object.Parts) != 1 || trashed[h.Object.BucketID] {
					return nil
				}
				r := h.Object
				if packed[r.ID] == nil {
					packed[r.ID] = make([]packLoc, len(s.drives))
				}
				if prev := packed[r.ID][i]; prev.Len == 0 || after(loc, prev) {
					packed[r.ID][i] = loc
				}
				if l, ok := latest[r.ID]; !ok || after(loc, l) {
					latest[r.ID], packedRec[r.ID] = loc, r
				}
				return ctx.Err()
			})
		}
	}
	for id, r := range packedRec {
		if killed[id] {
			continue
		}
		k := r.Tenant + "\x00" + r.Bucket + "\x00" + r.Key
		if old := objects[k]; old == nil || newer(r, old) {
			objects[k] = r
		}
	}
	for id := range ids {
		h := s.readAnyHeader(id)
		switch {
		case h == nil:
		case h.Object != nil && trashed[h.Object.BucketID], h.Part != nil && trashed[h.BucketID]:
		case h.Kind == "object" && h.Object.ID == id:
			k := h.Object.Tenant + "\x00" + h.Object.Bucket + "\x00" + h.Object.Key
			if old := objects[k]; old == nil || newer(h.Object, old) {
				objects[k] = h.Object
			}
		case h.Kind == "part" && h.Part.Ref.ID == id:
			parts[id] = h
		}
	}
	for _, r := range objects {
		for _, p := range r.Parts {
			delete(parts, p.ID)
		}
	}
	recs := make([]*objRecord, 0, len(objects))
	for _, r := range objects {
		if locs := packed[r.ID]; locs != nil && len(r.Parts) == 1 && r.Parts[0].Inline {
			r.Parts[0].Packed = locs
		}
		recs = append(recs, r)
	}
	for i := 0; i < len(recs); i += purgeBatch {
		chunk := recs[i:min(i+purgeBatch, len(recs))]
		if err := s.idx.Update(func(tx indexTx) error {
			for _, r := range chunk {
				b, err := ensureBucket(tx, r.Tenant, r.Bucket, r.BucketID, r.ModTime)
				if err != nil {
					return err
				}
				if b.ID != r.BucketID {
					continue // left over from a deleted bucket of the same name
				}
				cur, err := tx.object(b.ID, r.Key)
				if err != nil {
					return err
				}
				if cur != nil && (cur.ID == r.ID || newer(cur, r)) {
					continue
				}
				if cur != nil {
					for _, id := range cur.dataIDs() {
						tx.deleteID(id)
					}
				}
				for _, id := range r.dataIDs() {
					if err := tx.addID(id, b.ID); err != nil {
						return err
					}
				}
				if err := tx.putObject(r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if err := s.idx.Update(func(tx indexTx) error {
		for _, h := range parts {
			b, err := ensureBucket(tx, h.Tenant, h.Bucket, h.BucketID, h.Part.ModTime)
			if err != nil {
				return err
			}
			if b.ID != h.BucketID {
				continue
			}
			u, err := tx.upload(b.ID, h.Key, h.Part.UploadID)
			if err != nil {
				return err
			}
			if u == nil {
				u = &uploadRecord{UploadID: h.Part.UploadID, Tenant: h.Tenant, Bucket: h.Bucket, Key: h.Key, Initiated: h.Part.ModTime}
				if err := tx.putUpload(b.ID, u); err != nil {
					return err
				}
			}
			if p, err := tx.part(h.Part.UploadID, h.Part.Number); err != nil || (p != nil && !p.ModTime.Before(h.Part.ModTime)) {
				continue
			}
			if err := tx.putPart(h.Part); err != nil {
				return err
			}
			if err := tx.addID(h.Part.Ref.ID, b.ID); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := s.recountUsage(); err != nil {
		return err
	}
	return s.recountUploads()
}

// newer orders versions of one key: later ModTime wins, then larger id.
func newer(a, b *objRecord) bool {
	if !a.ModTime.Equal(b.ModTime) {
		return a.ModTime.After(b.ModTime)
	}
	return a.ID > b.ID
}

// readAnyHeader returns the first .meta header of id that decodes.
func (s *Store) readAnyHeader(id string) *metaHeader {
	for _, d := range s.drives {
		raw, err := d.ReadFile(id + ".meta")
		if err != nil {
			continue
		}
		if h, _, err := decodeMeta(raw); err == nil {
			return h
		}
	}
	return nil
}

// ensureBucket returns the tenant's bucket, creating tenant and bucket
// records when missing.
func ensureBucket(tx indexTx, tenant, bucket, id string, created time.Time) (*bucketRecord, error) {
	t, err := tx.tenant(tenant)
	if err != nil {
		return nil, err
	}
	if t == nil {
		if err := tx.putTenant(&tenantRecord{Name: tenant, Created: created}); err != nil {
			return nil, err
		}
	}
	b, err := tx.bucket(tenant, bucket)
	if err != nil || b != nil {
		return b, err
	}
	if id == "" {
		id = newID()
	}
	b = &bucketRecord{ID: id, Tenant: tenant, Name: bucket, Created: created}
	return b, tx.putBucket(b)
}
