package s3api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cofferstore/coffer/storage"
)

const (
	userMetaPrefix  = "X-Amz-Meta-"
	maxUserMetaSize = 2 << 10 // S3's 2 KB limit on user-defined metadata
	maxTags         = 10
)

// defaultContentType is what S3 stores when a PUT names no Content-Type.
const defaultContentType = "binary/octet-stream"

// metaFromRequest reads content headers, x-amz-meta-* and x-amz-tagging
// of a write, refusing features Coffer would otherwise silently ignore.
func metaFromRequest(r *http.Request) (storage.ObjectMeta, error) {
	h := r.Header
	if err := checkUnsupportedWriteHeaders(h); err != nil {
		return storage.ObjectMeta{}, err
	}
	m := storage.ObjectMeta{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(h.Get("Content-Encoding")),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
	}
	if m.ContentType == "" {
		m.ContentType = defaultContentType
	}
	size := 0
	for name, vs := range h {
		if !strings.HasPrefix(name, userMetaPrefix) {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(name, userMetaPrefix))
		if key == "" {
			continue
		}
		v := decodeMetaValue(strings.Join(vs, ","))
		size += len(key) + len(v)
		if m.UserMeta == nil {
			m.UserMeta = map[string]string{}
		}
		m.UserMeta[key] = v
	}
	if size > maxUserMetaSize {
		return m, errMetadataTooLarge
	}
	if t := h.Get("X-Amz-Tagging"); t != "" {
		tags, err := parseTagQuery(t)
		if err != nil {
			return m, err
		}
		m.Tags = tags
	}
	return m, nil
}

// stripAWSChunked removes the transport-only "aws-chunked" coding, which must
// not be stored as the object's Content-Encoding.
func stripAWSChunked(enc string) string {
	var keep []string
	for _, part := range strings.Split(enc, ",") {
		p := strings.TrimSpace(part)
		if p != "" && !strings.EqualFold(p, "aws-chunked") {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ",")
}

// parseTagQuery parses the x-amz-tagging form "k1=v1&k2=v2".
func parseTagQuery(s string) (map[string]string, error) {
	vals, err := url.ParseQuery(s)
	if err != nil {
		return nil, errInvalidTag
	}
	tags := map[string]string{}
	for k, vs := range vals {
		if len(vs) != 1 {
			return nil, errInvalidTag
		}
		tags[k] = vs[0]
	}
	return tags, validateTags(tags)
}

// validateTags applies S3's tag rules.
func validateTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return errInvalidTag
	}
	for k, v := range tags {
		if k == "" || utf8.RuneCountInString(k) > 128 || utf8.RuneCountInString(v) > 256 ||
			!utf8.ValidString(k) || !utf8.ValidString(v) {
			return errInvalidTag
		}
	}
	return nil
}

// setObjectHeaders writes the stored description of an object.
func setObjectHeaders(h http.Header, info storage.ObjectInfo) {
	m := info.Meta
	ct := m.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	h.Set("Content-Type", ct)
	setIf(h, "Content-Encoding", m.ContentEncoding)
	setIf(h, "Content-Disposition", m.ContentDisposition)
	setIf(h, "Content-Language", m.ContentLanguage)
	setIf(h, "Cache-Control", m.CacheControl)
	setIf(h, "Expires", m.Expires)
	h.Set("ETag", quoteETag(info.ETag))
	h.Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	for k, v := range m.UserMeta {
		// Lower case as AWS sends it: botocore keeps the header's case in
		// the Metadata keys it returns.
		h["x-amz-meta-"+k] = []string{encodeMetaValue(v)}
	}
	if len(m.Tags) > 0 {
		h.Set("X-Amz-Tagging-Count", strconv.Itoa(len(m.Tags)))
	}
}

func setIf(h http.Header, name, v string) {
	if v != "" {
		h.Set(name, v)
	}
}

// quoteETag returns the ETag in its quoted wire form.
func quoteETag(etag string) string {
	return `"` + strings.Trim(etag, `"`) + `"`
}

// checkUnsupportedWriteHeaders refuses write options that Coffer does not
// implement (ACL grants, SSE-KMS key options, other storage classes,
// website redirects): ignoring them would be a wrong success. The SSE
// headers Coffer implements are read by writeEncryption.
func checkUnsupportedWriteHeaders(h http.Header) error {
	if err := checkCannedACLHeader(h); err != nil {
		return err
	}
	switch sc := h.Get("X-Amz-Storage-Class"); sc {
	case "", "STANDARD":
	default:
		return errorf("InvalidStorageClass", http.StatusBadRequest, "The storage class you specified is not valid: only STANDARD exists.")
	}
	for name := range h {
		lower := strings.ToLower(name)
		switch {
		case strings.HasPrefix(lower, "x-amz-grant-"),
			lower == "x-amz-website-redirect-location":
			return errorf("NotImplemented", http.StatusNotImplemented, "The "+lower+" header names a feature that is not implemented.")
		case strings.HasPrefix(lower, "x-amz-server-side-encryption-aws-kms"),
			lower == "x-amz-server-side-encryption-context",
			lower == "x-amz-server-side-encryption-bucket-key-enabled":
			return errKMSNotImplemented
		}
	}
	return nil
}
