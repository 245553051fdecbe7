package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
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
		Checksum: opts.Checksum, ChecksumType: ct, Meta: opts.Meta, LegalHold: opts.LegalHold, ACL: opts.ACL}
	if err := checkACL(opts.ACL); err != nil {
		return "", err
	}
	if opts.Retention != nil {
		if err := validRetention(*opts.Retention, s.lockNow()); err != nil {
			return "", err
		}
		r := *opts.Retention
		u.Retention = &r
	}
	err := s.idx.View(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		opts.Encryption, err = s.defaultEncryption(tx, b, opts.Encryption)
		return err
	})
	if err != nil {
		return "", err
	}
	if opts.Encryption.Mode != SSENone || opts.Encryption.CustomerKey != nil {
		if u.SSE, _, err = s.newSSE(opts.Encryption, u.sseContext()); err != nil {
			return "", err
		}
	}
	sealed := u.SSE
	err = s.idx.Batch(func(tx indexTx) error {
		b, err := bucketOf(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if u.SSE, err = s.resealOnCommit(sealed, u.sseContext()); err != nil {
			return err
		}
		if (u.Retention != nil || u.LegalHold) && (b.Lock == nil || !b.Lock.Enabled) {
			return fmt.Errorf("%w: %s", ErrNoLockConfig, bucket)
		}
		if err := s.applyUsage(tx, tenant, nil, usageDelta{Uploads: 1}); err != nil {
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
		return s.precheckQuota(tx, tenant, usageDelta{UploadBytes: partDelta(old, opts.Size)})
	}); err != nil {
		return PartInfo{}, err
	}
	if opts.Checksum == checksum.None {
		opts.Checksum = u.Checksum
	}
	// A part of an encrypted upload: its own key from the upload's data
	// key and a fresh salt (an SSE-C upload's parts must bring its key).
	var salt []byte
	if u.SSE != nil {
		c, err := s.openSSE(u.SSE, u.sseContext(), opts.Encryption.CustomerKey)
		if err != nil {
			return PartInfo{}, err
		}
		if opts.cipher, salt, err = c.NewPart(partNumber); err != nil {
			return PartInfo{}, sseError(err)
		}
	} else if opts.Encryption.CustomerKey != nil {
		return PartInfo{}, ErrSSENotCustomer
	}
	w, err := s.stageBody(ctx, body, opts)
	if err != nil {
		return PartInfo{}, err
	}
	p := w.p
	if salt != nil {
		p.ref.SSESalt, p.ref.SSEPart = salt, partNumber
	}
	part := &partRecord{UploadID: uploadID, Number: partNumber, ETag: hex.EncodeToString(p.dig.md5),
		Size: p.dig.size, ModTime: now(), Ref: p.ref}
	if p.dig.algo != checksum.None {
		part.Checksums = map[checksum.Algorithm]string{p.dig.algo: p.dig.checksum}
	}
	err = w.persistFiles(func(i int) *metaHeader {
		return &metaHeader{Kind: "part", Shard: i, Part: part, Tenant: tenant, Bucket: bucket, BucketID: b.ID, Key: key, UploadSSE: u.SSE}
	})
	if err != nil {
		return PartInfo{}, err
	}
	var sealed []byte // the upload's record at the commit
	err = w.commit(func(tx indexTx) error {
		b, cur, err := uploadOf(tx, tenant, bucket, key, uploadID)
		if err != nil {
			return err
		}
		sealed = cur.SSE
		old, err := tx.part(uploadID, partNumber)
		if err != nil {
			return err
		}
		if err := s.applyUsage(tx, tenant, nil, usageDelta{UploadBytes: partDelta(old, part.Size)}); err != nil {
			return err
		}
		if old != nil {
			if err := tx.deleteID(old.Ref.ID); err != nil {
				return err
			}
			w.replaceIDs(old.Ref.ID)
		}
		if err := tx.addID(part.Ref.ID, b.ID); err != nil {
			return err
		}
		return tx.putPart(part)
	})
	if err != nil {
		return PartInfo{}, err
	}
	if !bytes.Equal(sealed, u.SSE) {
		// A master-key rotation re-sealed the upload while the part was
		// written: its headers get the new record (see rewriteUploadSSE).
		s.rewritePartSSE(part.Ref.ID, sealed)
	}
	info := part.info()
	info.Encryption = sseMode(u.SSE)
	return info, nil
}

// partDelta is the change of upload bytes when a part of size bytes
// replaces old (nil: a new part number); size < 0 (unknown) is 0.
func partDelta(old *partRecord, size int64) int64 {
	if size < 0 {
		return 0
	}
	if old != nil {
		return size - old.Size
	}
	return size
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
	rec, err := assembleParts(b, u, stored, parts)
	if err != nil {
		return ObjectInfo{}, err
	}
	// The retention asked for at CreateMultipartUpload was checked then;
	// the version gets it even if its date has passed meanwhile.
	vf, err := s.newVersionFields(b, nil, false, rec.ModTime)
	if err != nil {
		return ObjectInfo{}, err
	}
	if u.Retention != nil {
		r := *u.Retention
		vf.retention = &r
	}
	vf.legalHold = u.LegalHold
	vf.apply(rec)
	rec.ACL = u.ACL
	if u.SSE != nil {
		rec.SSE, rec.SSEID = u.SSE, u.UploadID
	}
	// The object's own .meta file (no data) on every drive, for RebuildIndex.
	w := s.stageMeta(rec.ID)
	if err := w.persistFiles(func(i int) *metaHeader { return &metaHeader{Kind: "object", Shard: i, Object: rec} }); err != nil {
		return ObjectInfo{}, err
	}
	err = w.commit(func(tx indexTx) error {
		if _, _, err := uploadOf(tx, tenant, bucket, key, uploadID); err != nil {
			return err
		}
		retired, err := w.retireUpload(tx, b.ID, u, rec.Parts)
		if err != nil {
			return err
		}
		// The listed parts' bytes move from upload bytes to the object.
		return w.putObject(tx, rec, nil, retired.plus(usageDelta{UploadBytes: -rec.Size}))
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	info := rec.info()
	info.IsLatest = w.latest
	return info, nil
}

// assembleParts builds the record of the object that completes upload u
// from the listed parts (checked against the stored ones): the parts'
// data, the multipart ETag and the upload's checksum over the parts.
func assembleParts(b *bucketRecord, u *uploadRecord, stored map[int]*partRecord, parts []CompletePart) (*objRecord, error) {
	rec := &objRecord{ID: newDataID(), Tenant: b.Tenant, Bucket: b.Name, BucketID: b.ID, Key: u.Key,
		ModTime: now(), Meta: u.Meta, PartsCount: len(parts)}
	md5s := md5.New()
	var sums []string
	var sizes []int64
	var composite []byte
	for i, cp := range parts {
		p := stored[cp.PartNumber]
		if p == nil || trimETag(cp.ETag) != p.ETag {
			return nil, fmt.Errorf("%w: part %d", ErrInvalidPart, cp.PartNumber)
		}
		if (p.Ref.SSESalt != nil) != (u.SSE != nil) {
			// Never assemble ciphertext as plaintext, or the reverse.
			return nil, fmt.Errorf("%w: part %d is not encrypted as its upload", ErrInvalidPart, cp.PartNumber)
		}
		if i < len(parts)-1 && p.Size < MinPartSize {
			return nil, fmt.Errorf("%w: part %d is %d bytes, minimum is %d", ErrEntityTooSmall, p.Number, p.Size, MinPartSize)
		}
		for a, v := range cp.Checksums {
			if got, ok := p.Checksums[a]; ok && got != v {
				return nil, fmt.Errorf("%w: part %d %s checksum differs", ErrInvalidPart, p.Number, a)
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
				return nil, fmt.Errorf("%w: part %d has no %s checksum", ErrInvalidPart, p.Number, u.Checksum)
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
			var err error
			if v, err = combineFullCRC(u.Checksum, sums, sizes); err != nil {
				return nil, err
			}
		} else {
			v = fmt.Sprintf("%s-%d", u.Checksum.Sum(composite), len(parts))
		}
		rec.Checksums = map[checksum.Algorithm]string{u.Checksum: v}
		rec.PartChecksums = sums
	}
	return rec, nil
}

// retireUpload removes upload u and its part records inside w's commit.
// Parts whose data is in keep (the completed object's parts) stay in the
// ids keyspace; the others' data is removed after the commit. It returns
// the usage delta of the removed upload and unkept parts; keep's bytes
// are the caller's to move. An upload already gone (completed or aborted
// meanwhile) is ErrUploadNotFound; a kept part that was replaced meanwhile
// is ErrInvalidPart.
func (w *writeTx) retireUpload(tx indexTx, bucketID string, u *uploadRecord, keep []dataRef) (usageDelta, error) {
	d := usageDelta{Uploads: -1}
	cur, err := tx.upload(bucketID, u.Key, u.UploadID)
	if err != nil {
		return d, err
	}
	if cur == nil {
		return d, fmt.Errorf("%w: %s", ErrUploadNotFound, u.UploadID)
	}
	kept := map[string]bool{}
	for _, r := range keep {
		kept[r.ID] = true
	}
	var parts []*partRecord
	if err := tx.parts(u.UploadID, 0, func(p *partRecord) bool { parts = append(parts, p); return true }); err != nil {
		return d, err
	}
	seen := 0
	for _, p := range parts {
		if kept[p.Ref.ID] {
			seen++
		} else {
			d.UploadBytes -= p.Size
			if err := tx.deleteID(p.Ref.ID); err != nil {
				return d, err
			}
			w.replaceIDs(p.Ref.ID)
		}
		if err := tx.deletePart(u.UploadID, p.Number); err != nil {
			return d, err
		}
	}
	if seen != len(keep) {
		return d, fmt.Errorf("%w: a part was replaced while completing", ErrInvalidPart)
	}
	return d, tx.deleteUpload(bucketID, u.Key, u.UploadID)
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
// An upload already gone (completed, or dropped by another call) was
// counted down then, and is not an error.
func (s *Store) dropUpload(bucketID string, u *uploadRecord) error {
	w := s.newIndexWrite()
	return w.commit(func(tx indexTx) error {
		d, err := w.retireUpload(tx, bucketID, u, nil)
		if errors.Is(err, ErrUploadNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.applyUsage(tx, u.Tenant, nil, d)
	})
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
		c := tx.listUploads(b.ID)
		start, skip := uploadsStart(opts)
		ok := c.seek(start)
		if ok && skip && c.at(start) {
			ok = c.next()
		}
		count := 0
		for ok {
			key := c.key()
			if !strings.HasPrefix(key, opts.Prefix) {
				// Past the prefix's range, or (a prefix holding NUL, which
				// no key does) before it with nothing to find.
				break
			}
			if opts.Delimiter != "" {
				if cp, isCP := commonPrefix(key, opts.Prefix, opts.Delimiter); isCP {
					if cp != opts.KeyMarker {
						if count == max {
							res.IsTruncated = true
							break
						}
						res.CommonPrefixes = append(res.CommonPrefixes, cp)
						res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
						count++
					}
					ok = c.seek(keyAfterPrefix(cp))
					continue
				}
			}
			if count == max {
				res.IsTruncated = true
				break
			}
			u, err := c.record()
			if err != nil {
				return err
			}
			res.Uploads = append(res.Uploads, u.info())
			res.NextKeyMarker, res.NextUploadIDMarker = u.Key, u.UploadID
			count++
			ok = c.next()
		}
		return c.err()
	})
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return res, err
}
