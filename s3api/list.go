package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/storage"
)

const maxListKeys = 1000

type listObjectsV1Result struct {
	XMLName        xml.Name       `xml:"ListBucketResult"`
	NS             string         `xml:"xmlns,attr"`
	Name           string         `xml:"Name"`
	Prefix         string         `xml:"Prefix"`
	Marker         string         `xml:"Marker"`
	NextMarker     string         `xml:"NextMarker,omitempty"`
	MaxKeys        int            `xml:"MaxKeys"`
	Delimiter      string         `xml:"Delimiter,omitempty"`
	IsTruncated    bool           `xml:"IsTruncated"`
	EncodingType   string         `xml:"EncodingType,omitempty"`
	Contents       []objectElem   `xml:"Contents"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

type listObjectsV2Result struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	NS                    string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	KeyCount              int            `xml:"KeyCount"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	Contents              []objectElem   `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

type objectElem struct {
	Key               string `xml:"Key"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	Size              int64  `xml:"Size"`
	StorageClass      string `xml:"StorageClass"`
	Owner             *owner `xml:"Owner,omitempty"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listParams are the query parameters shared by both listing versions.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encode            func(string) string
	encodingType      string
}

func parseListParams(q url.Values) (listParams, error) {
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), encode: func(s string) string { return s }}
	var err error
	if p.maxKeys, err = parseMaxKeys(q.Get("max-keys")); err != nil {
		return p, err
	}
	switch et := q.Get("encoding-type"); et {
	case "":
	case "url", "URL":
		p.encode, p.encodingType = s3URLEncode, "url"
	default:
		return p, errInvalidEncoding
	}
	return p, nil
}

// parseMaxKeys reads max-keys (default and ceiling 1000).
func parseMaxKeys(v string) (int, error) {
	if v == "" {
		return maxListKeys, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errInvalidMaxKeys
	}
	return min(n, maxListKeys), nil
}

// list runs one page of a listing; maxKeys 0 answers an empty page.
func (s *server) list(rq *request, p listParams, after string) (storage.ListResult, error) {
	if p.maxKeys == 0 {
		_, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket)
		return storage.ListResult{}, err
	}
	return s.store.ListObjects(rq.ctx, rq.tenant, rq.bucket, storage.ListOptions{
		Prefix: p.prefix, Delimiter: p.delimiter, After: after, MaxKeys: p.maxKeys,
	})
}

func (p listParams) elements(res storage.ListResult, own *owner) ([]objectElem, []commonPrefix) {
	objs := make([]objectElem, 0, len(res.Objects))
	for _, o := range res.Objects {
		e := objectElem{
			Key: p.encode(o.Key), LastModified: xmlTime(o.ModTime), ETag: quoteETag(o.ETag),
			Size: o.Size, StorageClass: "STANDARD", Owner: own,
		}
		for alg := range o.Checksums {
			e.ChecksumAlgorithm = string(alg)
			e.ChecksumType = orDefault(o.ChecksumType, checksum.FullObject)
			break
		}
		objs = append(objs, e)
	}
	return objs, p.prefixes(res.CommonPrefixes)
}

// prefixes renders common prefixes in the requested encoding; none is nil.
func (p listParams) prefixes(cps []string) []commonPrefix {
	var out []commonPrefix
	for _, cp := range cps {
		out = append(out, commonPrefix{Prefix: p.encode(cp)})
	}
	return out
}

// listObjectsV1 handles GET /bucket.
func (s *server) listObjectsV1(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	marker := q.Get("marker")
	res, err := s.list(rq, p, marker)
	if err != nil {
		return err
	}
	own := tenantOwner(rq.tenant)
	out := listObjectsV1Result{
		NS: s3NS, Name: rq.bucket, Prefix: p.encode(p.prefix), Marker: p.encode(marker),
		MaxKeys: p.maxKeys, Delimiter: p.encode(p.delimiter), IsTruncated: res.IsTruncated,
		EncodingType: p.encodingType,
	}
	out.Contents, out.CommonPrefixes = p.elements(res, &own)
	if res.IsTruncated {
		out.NextMarker = p.encode(res.NextAfter)
	}
	return writeXML(w, http.StatusOK, out)
}

// listObjectsV2 handles GET /bucket?list-type=2.
func (s *server) listObjectsV2(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	startAfter := q.Get("start-after")
	after := startAfter
	token, hasToken := q.Get("continuation-token"), q.Has("continuation-token")
	if hasToken {
		if after, err = decodeContinuationToken(token); err != nil {
			return err
		}
	}
	res, err := s.list(rq, p, after)
	if err != nil {
		return err
	}
	var own *owner
	if q.Get("fetch-owner") == "true" {
		o := tenantOwner(rq.tenant)
		own = &o
	}
	out := listObjectsV2Result{
		NS: s3NS, Name: rq.bucket, Prefix: p.encode(p.prefix), StartAfter: p.encode(startAfter),
		ContinuationToken: token, MaxKeys: p.maxKeys, Delimiter: p.encode(p.delimiter),
		IsTruncated: res.IsTruncated, EncodingType: p.encodingType,
	}
	out.Contents, out.CommonPrefixes = p.elements(res, own)
	out.KeyCount = len(out.Contents) + len(out.CommonPrefixes)
	if res.IsTruncated {
		out.NextContinuationToken = encodeContinuationToken(res.NextAfter)
	}
	return writeXML(w, http.StatusOK, out)
}

// tokenVersion prefixes continuation tokens so their format can change.
const tokenVersion = "c1:"

// encodeContinuationToken makes an opaque token from the last key listed.
func encodeContinuationToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenVersion + after))
}

// decodeContinuationToken returns the key a token resumes after; anything
// that is not a token we made is InvalidArgument.
func decodeContinuationToken(token string) (string, error) {
	if token == "" || len(token) > 4096 {
		return "", errInvalidToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", errInvalidToken
	}
	after, ok := strings.CutPrefix(string(raw), tokenVersion)
	if !ok || after == "" || len(after) > 1024 || !utf8.ValidString(after) {
		return "", errInvalidToken
	}
	return after, nil
}

// s3URLEncode percent-encodes a key for encoding-type=url: every byte but
// unreserved characters and '/', so that both unquote and unquote_plus decode it.
func s3URLEncode(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

type listUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	NS                 string         `xml:"xmlns,attr"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker,omitempty"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker,omitempty"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	Prefix             string         `xml:"Prefix"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	Uploads            []uploadElem   `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type uploadElem struct {
	Key               string `xml:"Key"`
	UploadID          string `xml:"UploadId"`
	Initiator         owner  `xml:"Initiator"`
	Owner             owner  `xml:"Owner"`
	StorageClass      string `xml:"StorageClass"`
	Initiated         string `xml:"Initiated"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

// listMultipartUploads handles GET /bucket?uploads.
func (s *server) listMultipartUploads(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	if q.Has("max-uploads") {
		if p.maxKeys, err = parseMaxKeys(q.Get("max-uploads")); err != nil {
			return err
		}
	}
	out := listUploadsResult{
		NS: s3NS, Bucket: rq.bucket, KeyMarker: p.encode(q.Get("key-marker")),
		UploadIDMarker: q.Get("upload-id-marker"), Delimiter: p.encode(p.delimiter),
		Prefix: p.encode(p.prefix), MaxUploads: p.maxKeys, EncodingType: p.encodingType,
	}
	if p.maxKeys == 0 {
		if _, err := s.store.GetBucket(rq.ctx, rq.tenant, rq.bucket); err != nil {
			return err
		}
		return writeXML(w, http.StatusOK, out)
	}
	res, err := s.store.ListMultipartUploads(rq.ctx, rq.tenant, rq.bucket, storage.ListUploadsOptions{
		Prefix: p.prefix, Delimiter: p.delimiter, KeyMarker: q.Get("key-marker"),
		UploadIDMarker: q.Get("upload-id-marker"), MaxUploads: p.maxKeys,
	})
	if err != nil {
		return err
	}
	own := tenantOwner(rq.tenant)
	for _, u := range res.Uploads {
		out.Uploads = append(out.Uploads, uploadElem{
			Key: p.encode(u.Key), UploadID: u.UploadID, Initiator: own, Owner: own,
			StorageClass: "STANDARD", Initiated: xmlTime(u.Initiated),
			ChecksumAlgorithm: string(u.Checksum), ChecksumType: u.ChecksumType,
		})
	}
	out.CommonPrefixes = p.prefixes(res.CommonPrefixes)
	out.IsTruncated = res.IsTruncated
	if res.IsTruncated {
		out.NextKeyMarker = p.encode(res.NextKeyMarker)
		out.NextUploadIDMarker = res.NextUploadIDMarker
	}
	return writeXML(w, http.StatusOK, out)
}
