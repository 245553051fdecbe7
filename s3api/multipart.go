package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/storage"
)

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

// createMultipartUpload handles POST /bucket/key?uploads.
func (s *server) createMultipartUpload(w http.ResponseWriter, r *http.Request, rq *request) error {
	meta, err := metaFromRequest(r)
	if err != nil {
		return err
	}
	alg, err := requestedAlgorithm(r)
	if err != nil {
		return err
	}
	typ, err := multipartChecksumType(alg, r.Header.Get("X-Amz-Checksum-Type"))
	if err != nil {
		return err
	}
	opts := storage.PutOptions{Size: -1, Checksum: alg, ChecksumType: typ, Meta: meta}
	if _, err := applyLockHeaders(r, &opts); err != nil {
		return err
	}
	if opts.ACL, err = s.objectWriteACL(r, rq); err != nil {
		return err
	}
	if opts.Encryption, err = s.writeEncryption(r); err != nil {
		return err
	}
	id, err := s.store.CreateMultipartUpload(rq.ctx, rq.tenant, rq.bucket, rq.key, opts)
	if err != nil {
		return err
	}
	mode := opts.Encryption.Mode
	if mode == storage.SSENone {
		// Storage may have applied a default encryption: the new
		// upload (no parts yet) says which.
		lp, err := s.store.ListParts(rq.ctx, rq.tenant, rq.bucket, rq.key, id, storage.ListPartsOptions{MaxParts: 1})
		if err != nil {
			return err
		}
		mode = lp.Upload.Encryption
	}
	setSSEHeaders(w.Header(), mode, opts.Encryption.CustomerKey)
	if alg != checksum.None {
		w.Header().Set("X-Amz-Checksum-Algorithm", string(alg))
		w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	s.setAbortHeadersNow(w.Header(), rq, rq.key)
	return writeXML(w, http.StatusOK, initiateResult{NS: s3NS, Bucket: rq.bucket, Key: rq.key, UploadID: id})
}

// multipartChecksumType picks COMPOSITE or FULL_OBJECT: the client's choice
// when valid for the algorithm, else the algorithm's default (the rules are
// checksum.DefaultMultipartType and checksum.ValidMultipartType).
func multipartChecksumType(alg checksum.Algorithm, asked string) (string, error) {
	asked = strings.ToUpper(strings.TrimSpace(asked))
	if asked == "" {
		return checksum.DefaultMultipartType(alg), nil
	}
	if !checksum.ValidMultipartType(alg, asked) {
		return "", errInvalidChecksumType
	}
	return asked, nil
}

// partNumber reads ?partNumber= (1..storage.MaxPartNumber).
func partNumber(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || !storage.ValidPartNumber(n) {
		return 0, errInvalidPartNumberArg
	}
	return n, nil
}

// uploadPart handles PUT /bucket/key?partNumber=N&uploadId=ID.
func (s *server) uploadPart(w http.ResponseWriter, r *http.Request, rq *request) error {
	n, err := partNumber(r)
	if err != nil {
		return err
	}
	if rq.size < 0 || noLength(r) {
		return errMissingContentLength
	}
	if rq.size > storage.MaxPartSize {
		return errObjectTooLarge
	}
	opts, err := bodyOptions(r, rq)
	if err != nil {
		return err
	}
	uploadID := r.URL.Query().Get("uploadId")
	if err := s.partLockDigest(rq, uploadID, opts); err != nil {
		return err
	}
	if opts.Encryption.CustomerKey, err = s.customerKey(r, false); err != nil {
		return err
	}
	part, err := s.store.PutPart(rq.ctx, rq.tenant, rq.bucket, rq.key, uploadID, n, rq.body, opts)
	if err != nil {
		return err
	}
	setSSEHeaders(w.Header(), part.Encryption, opts.Encryption.CustomerKey)
	w.Header().Set("ETag", quoteETag(part.ETag))
	setChecksumHeaders(w.Header(), part.Checksums, "")
	w.WriteHeader(http.StatusOK)
	return nil
}

type listPartsResult struct {
	XMLName              xml.Name   `xml:"ListPartsResult"`
	NS                   string     `xml:"xmlns,attr"`
	Bucket               string     `xml:"Bucket"`
	Key                  string     `xml:"Key"`
	UploadID             string     `xml:"UploadId"`
	Initiator            owner      `xml:"Initiator"`
	Owner                owner      `xml:"Owner"`
	StorageClass         string     `xml:"StorageClass"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	ChecksumAlgorithm    string     `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string     `xml:"ChecksumType,omitempty"`
	Parts                []partElem `xml:"Part"`
}

type partElem struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	checksumFields
}

// listParts handles GET /bucket/key?uploadId=ID.
func (s *server) listParts(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	maxParts, marker := maxListKeys, 0
	var err error
	if v := q.Get("max-parts"); v != "" {
		if maxParts, err = strconv.Atoi(v); err != nil || maxParts < 0 {
			return errorf("InvalidArgument", http.StatusBadRequest, "Argument max-parts must be an integer between 0 and 2147483647.")
		}
		maxParts = min(maxParts, maxListKeys)
	}
	if v := q.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return errorf("InvalidArgument", http.StatusBadRequest, "Argument part-number-marker must be an integer between 0 and 2147483647.")
		}
	}
	res, err := s.store.ListParts(rq.ctx, rq.tenant, rq.bucket, rq.key, q.Get("uploadId"),
		storage.ListPartsOptions{PartNumberMarker: marker, MaxParts: maxParts})
	if err != nil {
		return err
	}
	own := tenantOwner(rq.tenant)
	out := listPartsResult{
		NS: s3NS, Bucket: rq.bucket, Key: rq.key, UploadID: q.Get("uploadId"),
		Initiator: own, Owner: own, StorageClass: "STANDARD", PartNumberMarker: marker,
		NextPartNumberMarker: res.NextPartNumberMarker, MaxParts: maxParts, IsTruncated: res.IsTruncated,
		ChecksumAlgorithm: string(res.Upload.Checksum), ChecksumType: res.Upload.ChecksumType,
	}
	for _, p := range res.Parts {
		out.Parts = append(out.Parts, partElem{
			PartNumber: p.PartNumber, LastModified: xmlTime(p.ModTime), ETag: quoteETag(p.ETag),
			Size: p.Size, checksumFields: checksumXML(p.Checksums),
		})
	}
	s.setAbortHeaders(w.Header(), rq, rq.key, res.Upload.Initiated)
	return writeXML(w, http.StatusOK, out)
}

// completeRequest is the CompleteMultipartUpload body.
type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
		checksumFields
	} `xml:"Part"`
}

// parseCompleteRequest decodes a CompleteMultipartUpload body into parts.
func parseCompleteRequest(data []byte) ([]storage.CompletePart, error) {
	var req completeRequest
	if err := decodeXML(data, &req); err != nil {
		return nil, err
	}
	if len(req.Parts) == 0 || len(req.Parts) > storage.MaxPartNumber {
		return nil, errMalformedXML
	}
	parts := make([]storage.CompletePart, 0, len(req.Parts))
	for _, p := range req.Parts {
		if !storage.ValidPartNumber(p.PartNumber) {
			return nil, errInvalidPartNumberArg
		}
		parts = append(parts, storage.CompletePart{
			PartNumber: p.PartNumber, ETag: strings.Trim(strings.TrimSpace(p.ETag), `"`), Checksums: p.toMap(),
		})
	}
	return parts, nil
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// completeMultipartUpload handles POST /bucket/key?uploadId=ID.
func (s *server) completeMultipartUpload(w http.ResponseWriter, r *http.Request, rq *request) error {
	data, err := readSmallBody(rq.body, maxCompleteXML)
	if err != nil {
		return err
	}
	parts, err := parseCompleteRequest(data)
	if err != nil {
		return err
	}
	info, err := s.store.CompleteMultipartUpload(rq.ctx, rq.tenant, rq.bucket, rq.key, r.URL.Query().Get("uploadId"), parts)
	if err != nil {
		return err
	}
	typ := info.ChecksumType
	for alg := range info.Checksums {
		typ = orDefault(typ, checksum.DefaultMultipartType(alg))
	}
	setChecksumHeaders(w.Header(), info.Checksums, typ)
	s.setExpirationHeader(w.Header(), rq, info)
	if err := s.setVersionHeader(w.Header(), rq, rq.bucket, info.VersionID, hdrVersionID); err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, completeResult{
		NS: s3NS, Location: "/" + rq.bucket + "/" + rq.key, Bucket: rq.bucket, Key: rq.key,
		ETag: quoteETag(info.ETag), checksumFields: checksumXML(info.Checksums), ChecksumType: typ,
	})
}

// abortMultipartUpload handles DELETE /bucket/key?uploadId=ID.
func (s *server) abortMultipartUpload(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.store.AbortMultipartUpload(rq.ctx, rq.tenant, rq.bucket, rq.key, r.URL.Query().Get("uploadId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
