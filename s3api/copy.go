package s3api

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/storage"
)

// copySource is the parsed x-amz-copy-source header.
type copySource struct {
	bucket, key string
}

// parseCopySource reads "[/]bucket/key[?versionId=null]", URL-decoded. A
// version other than the null version does not exist here.
func parseCopySource(v string) (copySource, error) {
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return copySource{}, errInvalidCopySource
		}
		if vid := q.Get("versionId"); vid != "" && vid != "null" {
			return copySource{}, errorf("NoSuchVersion", http.StatusNotFound, "The specified version does not exist.")
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
	return copySource{bucket: bucket, key: key}, nil
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

// openCopySource pins the object x-amz-copy-source names and applies the
// x-amz-copy-source-if-* conditions to its current version; the caller
// closes the reader.
func (s *server) openCopySource(r *http.Request, rq *request, src copySource) (storage.ObjectReader, storage.ObjectInfo, error) {
	obj, err := s.store.OpenObject(rq.ctx, rq.tenant, src.bucket, src.key)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	info := obj.Info()
	if err := checkCopyConditions(r, info); err != nil {
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

	obj, info, err := s.openCopySource(r, rq, src)
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
	if src.bucket == rq.bucket && src.key == rq.key {
		if metaDirective != "REPLACE" {
			return errCopyToSelf
		}
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
			storage.PutOptions{Size: info.Size, Checksum: alg, Meta: meta, ACL: acl})
		if err != nil {
			return err
		}
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
	obj, info, err := s.openCopySource(r, rq, src)
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
		storage.PutOptions{Size: length})
	if err != nil {
		return err
	}
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
