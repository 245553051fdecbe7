package s3api

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/pkg/sse"
	"github.com/cofferstore/coffer/storage"
)

// copySource is the parsed x-amz-copy-source header.
type copySource struct {
	bucket, key string
	versionID   string // "" = the current version
}

// parseCopySource reads "[/]bucket/key[?versionId=ID]", the path
// URL-decoded.
func parseCopySource(v string) (copySource, error) {
	path, query, _ := strings.Cut(v, "?")
	var vid string
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return copySource{}, errInvalidCopySource
		}
		if vid, err = versionIDParam(q); err != nil {
			return copySource{}, err
		}
	}
	decoded, err := url.PathUnescape(path)
	if err != nil {
		return copySource{}, errInvalidCopySource
	}
	decoded = strings.TrimPrefix(decoded, "/")
	bucket, key, ok := strings.Cut(decoded, "/")
	if !ok || bucket == "" || key == "" {
		return copySource{}, errInvalidCopySource
	}
	return copySource{bucket: bucket, key: key, versionID: vid}, nil
}

// checkCopyConditions applies x-amz-copy-source-if-*; any failure is 412.
func checkCopyConditions(r *http.Request, info storage.ObjectInfo) error {
	h := r.Header
	if evalPreconditions(h.Get("X-Amz-Copy-Source-If-Match"), h.Get("X-Amz-Copy-Source-If-None-Match"),
		h.Get("X-Amz-Copy-Source-If-Modified-Since"), h.Get("X-Amz-Copy-Source-If-Unmodified-Since"), info) != condOK {
		return errPreconditionFailed
	}
	return nil
}

// openCopySource pins the version x-amz-copy-source names (the current one
// without versionId), hands it the x-amz-copy-source SSE-C key (an SSE-C
// source needs it), applies the x-amz-copy-source-if-* conditions to it
// and sets x-amz-copy-source-version-id when the source bucket is
// versioned; the caller closes the reader. A delete marker named by version
// id cannot be copied (InvalidRequest); a current delete marker is NoSuchKey.
func (s *server) openCopySource(w http.ResponseWriter, r *http.Request, rq *request, src copySource) (storage.ObjectReader, storage.ObjectInfo, error) {
	ck, err := s.customerKey(r, true)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	obj, err := s.store.OpenObjectVersion(rq.ctx, rq.tenant, src.bucket, src.key, src.versionID)
	switch {
	case errors.Is(err, storage.ErrDeleteMarker):
		return nil, storage.ObjectInfo{}, errCopyFromDeleteMarker
	case errors.Is(err, storage.ErrObjectNotFound):
		return nil, storage.ObjectInfo{}, storage.ErrObjectNotFound // without the marker's headers
	case err != nil:
		return nil, storage.ObjectInfo{}, err
	}
	info := obj.Info()
	if err := unlockObject(obj, ck); err != nil {
		obj.Close()
		return nil, storage.ObjectInfo{}, err
	}
	if err := checkCopyConditions(r, info); err != nil {
		obj.Close()
		return nil, storage.ObjectInfo{}, err
	}
	if err := s.setVersionHeader(w.Header(), rq, src.bucket, info.VersionID, hdrCopySourceVerID); err != nil {
		obj.Close()
		return nil, storage.ObjectInfo{}, err
	}
	return obj, info, nil
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	NS           string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// copyObject handles PUT /bucket/key with x-amz-copy-source. Data streams
// from the pinned source into a new object; a copy onto itself only
// replaces metadata and must say REPLACE.
func (s *server) copyObject(w http.ResponseWriter, r *http.Request, rq *request) error {
	src, err := parseCopySource(r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	metaDirective := strings.ToUpper(orDefault(r.Header.Get("X-Amz-Metadata-Directive"), "COPY"))
	tagDirective := strings.ToUpper(orDefault(r.Header.Get("X-Amz-Tagging-Directive"), "COPY"))
	if metaDirective != "COPY" && metaDirective != "REPLACE" {
		return errInvalidMetaDirective
	}
	if tagDirective != "COPY" && tagDirective != "REPLACE" {
		return errInvalidTagDirective
	}
	reqMeta, err := metaFromRequest(r)
	if err != nil {
		return err
	}
	alg, err := requestedAlgorithm(r)
	if err != nil {
		return err
	}
	acl, err := s.objectWriteACL(r, rq)
	if err != nil {
		return err
	}
	var lockOpts storage.PutOptions
	lock, err := applyLockHeaders(r, &lockOpts)
	if err != nil {
		return err
	}
	enc, err := s.writeEncryption(r)
	if err != nil {
		return err
	}
	// A copy onto itself may change only the encryption (S3 allows it).
	sseAsked := r.Header.Get(hdrSSE) != "" || r.Header.Get(sse.HeaderCustomerAlgorithm) != ""

	versioned, err := s.versioned(rq, rq.bucket)
	if err != nil {
		return err
	}
	obj, info, err := s.openCopySource(w, r, rq, src)
	if err != nil {
		return err
	}
	defer obj.Close()
	meta := info.Meta
	if metaDirective == "REPLACE" {
		tags := meta.Tags
		meta = reqMeta
		meta.Tags = tags
	}
	if tagDirective == "REPLACE" {
		meta.Tags = reqMeta.Tags
	}

	var out storage.ObjectInfo
	// A copy of the current version onto itself must change something; an
	// older version copied onto its key restores it as a new version.
	toSelf := src.bucket == rq.bucket && src.key == rq.key && (src.versionID == "" || info.IsLatest)
	if toSelf && metaDirective != "REPLACE" && !sseAsked {
		return errCopyToSelf
	}
	if toSelf && !versioned && !sseAsked {
		if lock.present { // a never-versioned bucket has no Object Lock
			return storage.ErrNoLockConfig
		}
		// Never versioned: replace the metadata in place, as before.
		if out, err = s.store.UpdateObjectMeta(rq.ctx, rq.tenant, rq.bucket, rq.key, meta); err != nil {
			return err
		}
	} else {
		if alg == "" {
			// Keep the source's algorithm; the copy is one PUT, so its
			// value becomes a full-object checksum even if the source's
			// was a multipart composite.
			for _, a := range checksum.All {
				if _, ok := info.Checksums[a]; ok {
					alg = a
					break
				}
			}
		}
		body, err := openSpan(rq, obj, 0, info.Size)
		if err != nil {
			return err
		}
		defer func() { _ = body.Close() }() // read side: releases buffers only
		out, err = s.store.PutObject(rq.ctx, rq.tenant, rq.bucket, rq.key, body,
			storage.PutOptions{Size: info.Size, Checksum: alg, Meta: meta, Retention: lockOpts.Retention, LegalHold: lockOpts.LegalHold, ACL: acl,
				Encryption: enc})
		if err != nil {
			return err
		}
	}
	setSSEHeaders(w.Header(), out.Encryption, enc.CustomerKey)
	if versioned {
		w.Header().Set(hdrVersionID, orDefault(out.VersionID, storage.NullVersion))
	}
	res := copyObjectResult{NS: s3NS, LastModified: xmlTime(out.ModTime), ETag: quoteETag(out.ETag),
		checksumFields: checksumXML(out.Checksums)}
	if len(out.Checksums) > 0 {
		res.ChecksumType = orDefault(out.ChecksumType, checksum.FullObject)
	}
	return writeXML(w, http.StatusOK, res)
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	NS           string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	checksumFields
}

// uploadPartCopy handles PUT /bucket/key?partNumber=N&uploadId=ID with
// x-amz-copy-source (and optional x-amz-copy-source-range).
func (s *server) uploadPartCopy(w http.ResponseWriter, r *http.Request, rq *request) error {
	n, err := partNumber(r)
	if err != nil {
		return err
	}
	src, err := parseCopySource(r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	dstKey, err := s.customerKey(r, false) // an SSE-C upload's key
	if err != nil {
		return err
	}
	obj, info, err := s.openCopySource(w, r, rq, src)
	if err != nil {
		return err
	}
	defer obj.Close()
	start, length := int64(0), info.Size
	if rng := r.Header.Get("X-Amz-Copy-Source-Range"); rng != "" {
		if start, length, err = parseCopyRange(rng, info.Size); err != nil {
			return err
		}
	}
	if length > storage.MaxPartSize {
		return errObjectTooLarge
	}
	body, err := openSpan(rq, obj, start, length)
	if err != nil {
		return err
	}
	defer func() { _ = body.Close() }() // read side: releases buffers only
	part, err := s.store.PutPart(rq.ctx, rq.tenant, rq.bucket, rq.key, r.URL.Query().Get("uploadId"), n, body,
		storage.PutOptions{Size: length, Encryption: storage.Encryption{CustomerKey: dstKey}})
	if err != nil {
		return err
	}
	setSSEHeaders(w.Header(), part.Encryption, dstKey)
	return writeXML(w, http.StatusOK, copyPartResult{NS: s3NS, LastModified: xmlTime(part.ModTime),
		ETag: quoteETag(part.ETag), checksumFields: checksumXML(part.Checksums)})
}

// openSpan reads a span of a pinned object; an empty span needs no read.
func openSpan(rq *request, obj storage.ObjectReader, start, length int64) (io.ReadCloser, error) {
	if length == 0 {
		return http.NoBody, nil
	}
	return obj.Range(rq.ctx, start, length)
}
