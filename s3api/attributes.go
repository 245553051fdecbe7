package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/storage"
)

// Errors of GetObjectAttributes, worded as AWS words them. A missing or
// empty x-amz-object-attributes gets the same answer as an unknown name.
var (
	errInvalidAttributeName = errorf("InvalidArgument", http.StatusBadRequest, "Invalid attribute name specified.")
	errInvalidMaxParts      = errorf("InvalidArgument", http.StatusBadRequest, "Argument max-parts must be an integer between 0 and 2147483647.")
	errInvalidPartMarker    = errorf("InvalidArgument", http.StatusBadRequest, "Argument part-number-marker must be an integer between 0 and 2147483647.")
)

// objectAttributes are the attributes x-amz-object-attributes asks for.
type objectAttributes struct {
	etag, checksum, parts, storageClass, size bool
}

// maxAttributeNames bounds the names one request may list (each of the
// five may repeat; the header itself is bounded by maxHeaderBytes).
const maxAttributeNames = 64

// parseObjectAttributes reads the x-amz-object-attributes header values
// (SDKs send one comma-separated value or several header lines).
func parseObjectAttributes(values []string) (objectAttributes, error) {
	var a objectAttributes
	names := 0
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			if names++; names > maxAttributeNames {
				return a, errInvalidAttributeName
			}
			switch strings.TrimSpace(name) {
			case "ETag":
				a.etag = true
			case "Checksum":
				a.checksum = true
			case "ObjectParts":
				a.parts = true
			case "StorageClass":
				a.storageClass = true
			case "ObjectSize":
				a.size = true
			default:
				return a, errInvalidAttributeName
			}
		}
	}
	if a == (objectAttributes{}) {
		return a, errInvalidAttributeName
	}
	return a, nil
}

// parsePartsPage reads x-amz-max-parts and x-amz-part-number-marker
// (headers, not query parameters, in GetObjectAttributes).
func parsePartsPage(h http.Header) (maxParts, marker int, err error) {
	maxParts = maxListKeys
	if v := h.Get("X-Amz-Max-Parts"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return 0, 0, errInvalidMaxParts
		}
		maxParts = min(int(n), maxListKeys)
	}
	if v := h.Get("X-Amz-Part-Number-Marker"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return 0, 0, errInvalidPartMarker
		}
		marker = int(n)
	}
	return maxParts, marker, nil
}

type getObjectAttributesResponse struct {
	XMLName      xml.Name              `xml:"GetObjectAttributesResponse"`
	NS           string                `xml:"xmlns,attr"`
	ETag         string                `xml:"ETag,omitempty"`
	Checksum     *attributesChecksum   `xml:"Checksum,omitempty"`
	ObjectParts  *attributesObjectPart `xml:"ObjectParts,omitempty"`
	StorageClass string                `xml:"StorageClass,omitempty"`
	ObjectSize   *int64                `xml:"ObjectSize,omitempty"`
}

type attributesChecksum struct {
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// attributesObjectPart is ObjectParts; the paging elements are absent
// when the parts are not listed.
type attributesObjectPart struct {
	PartsCount           int                `xml:"PartsCount"`
	PartNumberMarker     *int               `xml:"PartNumberMarker,omitempty"`
	NextPartNumberMarker *int               `xml:"NextPartNumberMarker,omitempty"`
	MaxParts             *int               `xml:"MaxParts,omitempty"`
	IsTruncated          *bool              `xml:"IsTruncated,omitempty"`
	Parts                []attributesPartEl `xml:"Part"`
}

type attributesPartEl struct {
	checksumFields
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
}

// getObjectAttributes handles GET /bucket/key?attributes[&versionId=].
func (s *server) getObjectAttributes(w http.ResponseWriter, r *http.Request, rq *request) error {
	attrs, err := parseObjectAttributes(r.Header.Values("X-Amz-Object-Attributes"))
	if err != nil {
		return err
	}
	maxParts, marker, err := parsePartsPage(r.Header)
	if err != nil {
		return err
	}
	vid, err := versionIDParam(r.URL.Query())
	if err != nil {
		return err
	}
	info, err := s.store.GetObjectVersion(rq.ctx, rq.tenant, rq.bucket, rq.key, vid)
	if err != nil {
		return err
	}
	res := getObjectAttributesResponse{NS: s3NS}
	if attrs.etag {
		res.ETag = info.ETag // unquoted, as AWS answers here
	}
	if attrs.checksum && len(info.Checksums) > 0 {
		res.Checksum = &attributesChecksum{checksumFields: checksumXML(info.Checksums),
			ChecksumType: orDefault(info.ChecksumType, checksum.FullObject)}
	}
	if attrs.parts && info.PartsCount > 0 {
		res.ObjectParts = objectPartsPage(info, maxParts, marker)
	}
	if attrs.storageClass {
		res.StorageClass = "STANDARD"
	}
	if attrs.size {
		size := info.Size
		res.ObjectSize = &size
	}
	h := w.Header()
	h.Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
	if err := s.setVersionHeader(h, rq, rq.bucket, info.VersionID, hdrVersionID); err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, res)
}

// objectPartsPage is one page of a multipart object's parts: those after
// marker, at most maxParts, with their checksums where the upload recorded
// them. As AWS does for general purpose buckets, an object without an
// additional checksum answers only its PartsCount, no Part elements.
func objectPartsPage(info storage.ObjectInfo, maxParts, marker int) *attributesObjectPart {
	op := &attributesObjectPart{PartsCount: info.PartsCount}
	var alg checksum.Algorithm
	for a := range info.Checksums { // one algorithm per multipart object
		alg = a
	}
	if alg == "" {
		return op
	}
	truncated, next := false, 0
	op.PartNumberMarker, op.MaxParts = &marker, &maxParts
	for i := marker; i < len(info.Parts); i++ {
		if len(op.Parts) == maxParts {
			truncated = true
			break
		}
		p := info.Parts[i]
		el := attributesPartEl{PartNumber: i + 1, Size: p.Size}
		if p.Checksum != "" {
			el.checksumFields = checksumXML(map[checksum.Algorithm]string{alg: p.Checksum})
		}
		op.Parts = append(op.Parts, el)
		next = i + 1
	}
	op.IsTruncated, op.NextPartNumberMarker = &truncated, &next
	return op
}
