package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cofferstore/coffer/pkg/checksum"
)

// CreateMultipartUpload starts an upload and returns its id. A tenant with
// as many unfinished uploads as its limit allows gets ErrTooManyUploads
// until it completes or aborts one.
func (s *Store) CreateMultipartUpload(ctx context.Context, tenant, bucket, key string, opts PutOptions) (string, error) {
	if err := ValidObjectKey(key); err != nil {
		return "", err
	}
	if opts.Checksum != checksum.None && opts.Checksum.New() == nil {
		return "", fmt.Errorf("storage: %w: %q", checksum.ErrUnknownAlgorithm, opts.Checksum)
	}
	ct := opts.ChecksumType
	if ct == "" {
		ct = checksum.DefaultMultipartType(opts.Checksum)
	}
	if ct == checksum.FullObject {
		if _, _, ok := crcPoly(opts.Checksum); !ok {
			return "", fmt.Errorf("storage: checksum type FULL_OBJECT needs a CRC algorithm, not %q", opts.Checksum)
		}
	}
	u := &uploadRecord{UploadID: newID(), Tenant: tenant, Bucket: bucket, Key: key, Initiated: now(),
		Checksum: opts.Checksum, ChecksumType: ct, Meta: opts.Meta}
	err := s.idx.Batch(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		t, err := tenantOf(tx, tenant)
		if err != nil {
			return err
		}
		if err := s.checkUploadLimit(t); err != nil {
			return err
		}
		t.Uploads++
		if err := tx.putTenant(t); err != nil {
			return err
		}
		return tx.putUpload(b.ID, u)
	})
	if err != nil {
		return "", err
	}
	return u.UploadID, nil
}

func uploadOf(tx indexTx, tenant, bucket, key, uploadID string) (*bucketRecord, *uploadRecord, error) {
	b, err := bucketOf(tx, tenant, bucket)
	if err != nil {
		return nil, nil, err
	}
	u, err := tx.upload(b.ID, key, uploadID)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrUploadNotFound, uploadID)
	}
	return b, u, nil
}

// PutPart stores one part; uploading a part number again replaces it.
func (s *Store) PutPart(ctx context.Context, tenant, bucket, key, uploadID string, partNumber int, body io.Reader, opts PutOptions) (PartInfo, error) {
	if !ValidPartNumber(partNumber) {
		return PartInfo{}, fmt.Errorf("%w: %d", ErrInvalidPartNumber, partNumber)
	}
	if opts.Size > MaxPartSize {
		return PartInfo{}, fmt.Errorf("%w: part of %d bytes, limit is 5 GiB", ErrEntityTooLarge, opts.Size)
	}
	var u *uploadRecord
	var b *bucketRecord
	if err := s.idx.View(func(tx indexTx) (err error) {
		if b, u, err = uploadOf(tx, tenant, bucket, key, uploadID); err != nil {
			return err
		}
		old, err := tx.part(uploadID, partNumber)
		if err != nil {
			return err
		}
		var replaced int64
		if old != nil {
			replaced = old.Size
		}
		return precheckQuota(tx, tenant, 0, opts.Size, replaced)
	}); err != nil {
		return PartInfo{}, err
	}
	if opts.Checksum == checksum.None {
		opts.Checksum = u.Checksum
	}
	p, err := s.writeData(ctx, body, opts)
	if err != nil {
		return PartInfo{}, err
	}
	part := &partRecord{UploadID: uploadID, Number: partNumber, ETag: hex.EncodeToString(p.dig.md5),
		Size: p.dig.size, ModTime: now(), Ref: p.ref}
	if p.dig.algo != checksum.None {
		part.Checksums = map[checksum.Algorithm]string{p.dig.algo: p.dig.checksum}
	}
	err = s.persist(p, func(i int) *metaHeader {
		return &metaHeader{Kind: "part", Shard: i, Part: part, Tenant: tenant, Bucket: bucket, BucketID: b.ID, Key: key}
	})
	if err != nil {
		return PartInfo{}, err
	}
	var prev *partRecord
	err = s.idx.Batch(func(tx indexTx) error {
		prev = nil
		b, _, err := uploadOf(tx, tenant, bucket, key, uploadID)
		if err != nil {
			return err
		}
		t, err := tenantOf(tx, tenant)
		if err != nil {
			return err
		}
		old, err := tx.part(uploadID, partNumber)
		if err != nil {
			return err
		}
		delta := part.Size
		if old != nil {
			delta -= old.Size
		}
		if err := checkQuota(t, 0, delta); err != nil {
			return err
		}
		t.Bytes += delta
		t.UploadBytes += delta
		if old != nil {
			if err := tx.deleteID(old.Ref.ID); err != nil {
				return err
			}
		}
		if err := tx.addID(part.Ref.ID, b.ID); err != nil {
			return err
		}
		if err := tx.putPart(part); err != nil {
			return err
		}
		prev = old
		return tx.putTenant(t)
	})
	s.committed(p)
	if err != nil {
		s.removeData([]string{part.Ref.ID})
		return PartInfo{}, err
	}
	if prev != nil {
		s.removeData([]string{prev.Ref.ID})
	}
	return part.info(), nil
}

// ListParts returns a page of an upload's parts in part number order.
func (s *Store) ListParts(ctx context.Context, tenant, bucket, key, uploadID string, opts ListPartsOptions) (ListPartsResult, error) {
	var res ListPartsResult
	max := opts.MaxParts
	if max <= 0 {
		max = 1000
	}
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		_, u, err := uploadOf(tx, tenant, bucket, key, uploadID)
		if err != nil {
			return err
		}
		res.Upload = u.info()
		return tx.parts(uploadID, opts.PartNumberMarker, func(p *partRecord) bool {
			if len(res.Parts) == max {
				res.IsTruncated = true
				return false
			}
			res.Parts = append(res.Parts, p.info())
			res.NextPartNumberMarker = p.Number
			return true
		})
	})
	return res, err
}

func trimETag(e string) string { return strings.Trim(strings.TrimSpace(e), `"`) }

// CompleteMultipartUpload assembles the listed parts into an object. The
// object's record references the parts' stored shards; no data is copied.
// Parts not listed are deleted.
func (s *Store) CompleteMultipartUpload(ctx context.Context, tenant, bucket, key, uploadID string, parts []CompletePart) (ObjectInfo, error) {
	if err := ValidObjectKey(key); err != nil {
		return ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return ObjectInfo{}, fmt.Errorf("%w: no parts listed", ErrInvalidPart)
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].PartNumber <= parts[i-1].PartNumber {
			return ObjectInfo{}, fmt.Errorf("%w: part %d after part %d", ErrInvalidPartOrder, parts[i].PartNumber, parts[i-1].PartNumber)
		}
	}
	var (
		b      *bucketRecord
		u      *uploadRecord
		stored = map[int]*partRecord{}
	)
	err := s.idx.View(func(tx indexTx) (err error) {
		b, u, err = uploadOf(tx, tenant, bucket, key, uploadID)
		if err != nil {
			return err
		}
		return tx.parts(uploadID, 0, func(p *partRecord) bool { stored[p.Number] = p; return true })
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	rec := &objRecord{ID: newID(), Tenant: tenant, Bucket: bucket, BucketID: b.ID, Key: key,
		ModTime: now(), Meta: u.Meta, PartsCount: len(parts)}
	md5s := md5.New()
	var sums []string
	var sizes []int64
	var composite []byte
	for i, cp := range parts {
		p := stored[cp.PartNumber]
		if p == nil || trimETag(cp.ETag) != p.ETag {
			return ObjectInfo{}, fmt.Errorf("%w: part %d", ErrInvalidPart, cp.PartNumber)
		}
		if i < len(parts)-1 && p.Size < MinPartSize {
			return ObjectInfo{}, fmt.Errorf("%w: part %d is %d bytes, minimum is %d", ErrEntityTooSmall, p.Number, p.Size, MinPartSize)
		}
		for a, v := range cp.Checksums {
			if got, ok := p.Checksums[a]; ok && got != v {
				return ObjectInfo{}, fmt.Errorf("%w: part %d %s checksum differs", ErrInvalidPart, p.Number, a)
			}
		}
		raw, _ := hex.DecodeString(p.ETag)
		md5s.Write(raw)
		rec.Size += p.Size
		rec.Parts = append(rec.Parts, p.Ref)
		rec.PartETags = append(rec.PartETags, p.ETag)
		if u.Checksum != checksum.None {
			v := p.Checksums[u.Checksum]
			if v == "" {
				return ObjectInfo{}, fmt.Errorf("%w: part %d has no %s checksum", ErrInvalidPart, p.Number, u.Checksum)
			}
			sums = append(sums, v)
			sizes = append(sizes, p.Size)
			rawSum, _ := base64.StdEncoding.DecodeString(v)
			composite = append(composite, rawSum...)
		}
	}
	rec.ETag = fmt.Sprintf("%s-%d", hex.EncodeToString(md5s.Sum(nil)), len(parts))
	if u.Checksum != checksum.None {
		rec.ChecksumType = u.ChecksumType
		var v string
		if u.ChecksumType == checksum.FullObject {
			if v, err = combineFullCRC(u.Checksum, sums, sizes); err != nil {
				return ObjectInfo{}, err
			}
		} else {
			v = fmt.Sprintf("%s-%d", u.Checksum.Sum(composite), len(parts))
		}
		rec.Checksums = map[checksum.Algorithm]string{u.Checksum: v}
	}

	// The object's own .meta file (no data) on every drive, for RebuildIndex.
	s.pinID(rec.ID)
	p := &pendingData{ref: dataRef{ID: rec.ID}, failed: make([]error, len(s.drives))}
	if err := s.persist(p, func(i int) *metaHeader { return &metaHeader{Kind: "object", Shard: i, Object: rec} }); err != nil {
		return ObjectInfo{}, err
	}
	used := map[string]bool{}
	for _, r := range rec.Parts {
		used[r.ID] = true
	}
	var unused []string
	old, err := s.commitObjectWith(rec, rec.Size, nil, func(tx indexTx, t *tenantRecord) error {
		unused = unused[:0]
		if _, _, err := uploadOf(tx, tenant, bucket, key, uploadID); err != nil {
			return err
		}
		var drop []*partRecord
		if err := tx.parts(uploadID, 0, func(p *partRecord) bool { drop = append(drop, p); return true }); err != nil {
			return err
		}
		seen := 0
		for _, p := range drop {
			if used[p.Ref.ID] {
				seen++
			} else {
				unused = append(unused, p.Ref.ID)
				t.Bytes -= p.Size
				t.UploadBytes -= p.Size
				if err := tx.deleteID(p.Ref.ID); err != nil {
					return err
				}
			}
			if err := tx.deletePart(uploadID, p.Number); err != nil {
				return err
			}
		}
		if seen != len(rec.Parts) {
			return fmt.Errorf("%w: a part was replaced while completing", ErrInvalidPart)
		}
		t.Uploads--
		return tx.deleteUpload(b.ID, key, uploadID)
	})
	s.committed(p)
	if err != nil {
		s.removeData([]string{rec.ID})
		return ObjectInfo{}, err
	}
	s.removeData(unused)
	if old != nil {
		s.removeData(old.fileIDs())
		s.tombstone(old)
	}
	return rec.info(), nil
}

// AbortMultipartUpload deletes an upload and its parts.
func (s *Store) AbortMultipartUpload(ctx context.Context, tenant, bucket, key, uploadID string) error {
	var b *bucketRecord
	var u *uploadRecord
	if err := s.idx.View(func(tx indexTx) (err error) {
		b, u, err = uploadOf(tx, tenant, bucket, key, uploadID)
		return err
	}); err != nil {
		return err
	}
	return s.dropUpload(b.ID, u)
}

// dropUpload removes an upload's records and usage, then its parts' data.
func (s *Store) dropUpload(bucketID string, u *uploadRecord) error {
	var ids []string
	err := s.idx.Update(func(tx indexTx) error {
		ids = ids[:0]
		if cur, err := tx.upload(bucketID, u.Key, u.UploadID); err != nil || cur == nil {
			return err // gone already (completed, or dropped by another call): counted down then
		}
		var parts []*partRecord
		if err := tx.parts(u.UploadID, 0, func(p *partRecord) bool { parts = append(parts, p); return true }); err != nil {
			return err
		}
		t, err := tx.tenant(u.Tenant)
		if err != nil {
			return err
		}
		for _, p := range parts {
			ids = append(ids, p.Ref.ID)
			if t != nil {
				t.Bytes -= p.Size
				t.UploadBytes -= p.Size
			}
			if err := tx.deleteID(p.Ref.ID); err != nil {
				return err
			}
			if err := tx.deletePart(u.UploadID, p.Number); err != nil {
				return err
			}
		}
		if t != nil {
			t.Uploads--
			if err := tx.putTenant(t); err != nil {
				return err
			}
		}
		return tx.deleteUpload(bucketID, u.Key, u.UploadID)
	})
	if err == nil {
		s.removeData(ids)
	}
	return err
}

// ListMultipartUploads lists unfinished uploads in key order (uploads of
// one key in upload id order), with prefix and delimiter folding. The index
// keys are key+"\x00"+uploadID; keys hold no NUL, so that order is the
// (key, upload id) order, and the walk starts at the later of Prefix and the
// markers and moves forward at every step (see walker).
func (s *Store) ListMultipartUploads(ctx context.Context, tenant, bucket string, opts ListUploadsOptions) (ListUploadsResult, error) {
	var res ListUploadsResult
	max := opts.MaxUploads
	if max <= 0 {
		max = 1000
	}
	err := s.idx.ViewContext(ctx, func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		c := tx.uploads(b.ID)
		start, skip := uploadsStart(opts)
		k, v := c.Seek(start)
		if k != nil && skip && string(k) == string(start) {
			k, v = c.Next()
		}
		count := 0
		for k != nil {
			key, _, _ := strings.Cut(string(k), "\x00")
			if !strings.HasPrefix(key, opts.Prefix) {
				// Past the prefix's range, or (a prefix holding NUL, which
				// no key does) before it with nothing to find.
				break
			}
			if opts.Delimiter != "" {
				if cp, ok := commonPrefix(key, opts.Prefix, opts.Delimiter); ok {
					if cp != opts.KeyMarker {
						if count == max {
							res.IsTruncated = true
							break
						}
						res.CommonPrefixes = append(res.CommonPrefixes, cp)
						res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
						count++
					}
					k, v = c.Seek(keyAfterPrefix(cp))
					continue
				}
			}
			if count == max {
				res.IsTruncated = true
				break
			}
			var u uploadRecord
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			res.Uploads = append(res.Uploads, u.info())
			res.NextKeyMarker, res.NextUploadIDMarker = u.Key, u.UploadID
			count++
			k, v = c.Next()
		}
		return c.Err()
	})
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return res, err
}

// uploadsStart is where a listing of the uploads index begins: the later
// of Prefix and the position after the markers, and whether an entry equal
// to it is skipped (it is the upload the markers name). Uploads of the key
// marker itself are listed only after UploadIDMarker. No key holds NUL, so
// a key marker holding one names no key: cut there, it orders before every
// key that extends that part and after every other key it is greater than.
func uploadsStart(opts ListUploadsOptions) (start []byte, skip bool) {
	start = []byte(opts.Prefix)
	if opts.KeyMarker == "" {
		return start, false
	}
	var after []byte
	marker, _, hasNUL := strings.Cut(opts.KeyMarker, "\x00")
	if opts.UploadIDMarker != "" && !hasNUL {
		after, skip = pair(marker, opts.UploadIDMarker), true
	} else {
		// The first entry of a key greater than the marker: marker+"\x00..."
		// entries are the marker's own uploads, marker+"\x01" is above them.
		after = append([]byte(marker), 1)
	}
	if bytes.Compare(after, start) >= 0 {
		return after, skip
	}
	return start, false
}
