package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/cofferstore/coffer/pkg/checksum"
)

// objValueV1 starts an object record value in the index. The value is a
// binary listing header followed by the JSON object record:
//
//	0x01, uvarint size, varint modTime (Unix ns), string etag,
//	string checksumType, uvarint partsCount, map checksums,
//	6 x string (content type, encoding, disposition, language,
//	cache control, expires), map user metadata, map tags, JSON record
//
// where a string is a uvarint length and its bytes and a map a uvarint
// count n and n x (string key, string value) in key order. Listings decode only
// the header; everything else reads the JSON record, which stays complete.
// Values written before the header existed are the bare JSON record
// (starting with '{') and are still read.
const objValueV1 = 0x01

// objValueV2 is objValueV1's header followed by the version id (string,
// "" for the null version) and a uvarint of flags (flagDeleteMarker). It is
// written only for records that carry a version id or are delete markers,
// so records of never-versioned buckets keep the V1 bytes.
const objValueV2 = 0x02

const flagDeleteMarker = 1

// errBadObjValue is returned when an index object value is malformed.
var errBadObjValue = errors.New("storage: malformed object record in the index")

// encodeObjValue encodes r as an index value (listing header + JSON).
func encodeObjValue(r *objRecord) ([]byte, error) {
	js, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 64+len(r.ETag)+len(r.ChecksumType)+len(r.VersionID)+len(js))
	v2 := r.VersionID != "" || r.DeleteMarker
	if v2 {
		b = append(b, objValueV2)
	} else {
		b = append(b, objValueV1)
	}
	b = binary.AppendUvarint(b, uint64(r.Size))
	b = binary.AppendVarint(b, r.ModTime.UnixNano())
	b = appendString(b, r.ETag)
	b = appendString(b, r.ChecksumType)
	b = binary.AppendUvarint(b, uint64(r.PartsCount))
	sums := make(map[string]string, len(r.Checksums))
	for a, v := range r.Checksums {
		sums[string(a)] = v
	}
	b = appendMap(b, sums)
	m := &r.Meta
	for _, f := range []string{m.ContentType, m.ContentEncoding, m.ContentDisposition, m.ContentLanguage, m.CacheControl, m.Expires} {
		b = appendString(b, f)
	}
	b = appendMap(b, m.UserMeta)
	b = appendMap(b, m.Tags)
	if v2 {
		b = appendString(b, r.VersionID)
		var flags uint64
		if r.DeleteMarker {
			flags |= flagDeleteMarker
		}
		b = binary.AppendUvarint(b, flags)
	}
	return append(b, js...), nil
}

func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = appendString(b, k)
		b = appendString(b, m[k])
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeObjValue decodes an index value into the full object record.
func decodeObjValue(v []byte, r *objRecord) error {
	if len(v) > 0 && (v[0] == objValueV1 || v[0] == objValueV2) {
		var h objListing
		n, err := h.decode(v)
		if err != nil {
			return err
		}
		v = v[n:]
	}
	return json.Unmarshal(v, r)
}

// objListing is the listing header of an object value.
type objListing struct {
	size         int64
	modTime      time.Time
	etag         string
	checksumType string
	partsCount   int
	checksums    map[checksum.Algorithm]string
	meta         ObjectMeta
	versionID    string // "": the null version
	deleteMarker bool
}

// decode reads the header at the start of v and returns its length.
func (h *objListing) decode(v []byte) (int, error) {
	r := headerReader{v: v, p: 1}
	h.size = int64(r.uvarint())
	h.modTime = time.Unix(0, r.varint()).UTC()
	h.etag = r.str()
	h.checksumType = r.str()
	h.partsCount = int(r.uvarint())
	if sums := r.stringMap(); sums != nil {
		h.checksums = make(map[checksum.Algorithm]string, len(sums))
		for a, v := range sums {
			h.checksums[checksum.Algorithm(a)] = v
		}
	}
	m := &h.meta
	for _, f := range []*string{&m.ContentType, &m.ContentEncoding, &m.ContentDisposition, &m.ContentLanguage, &m.CacheControl, &m.Expires} {
		*f = r.str()
	}
	m.UserMeta = r.stringMap()
	m.Tags = r.stringMap()
	if v[0] == objValueV2 {
		h.versionID = r.str()
		h.deleteMarker = r.uvarint()&flagDeleteMarker != 0
	}
	if r.bad {
		return 0, errBadObjValue
	}
	return r.p, nil
}

// headerReader reads the listing header; bad sticks after the first
// malformed or truncated field.
type headerReader struct {
	v   []byte
	p   int
	bad bool
}

func (r *headerReader) uvarint() uint64 {
	if r.bad {
		return 0
	}
	x, n := binary.Uvarint(r.v[r.p:])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.p += n
	return x
}

// varint reads a zig-zag encoded signed varint (binary.AppendVarint).
func (r *headerReader) varint() int64 {
	ux := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

// stringMap reads a map; an empty one is nil, as in the JSON record.
func (r *headerReader) stringMap() map[string]string {
	n := r.uvarint()
	if n > uint64(len(r.v)) {
		r.bad = true
	}
	var m map[string]string
	for i := uint64(0); i < n && !r.bad; i++ {
		k, v := r.str(), r.str()
		if m == nil {
			m = make(map[string]string, min(n, 16))
		}
		m[k] = v
	}
	return m
}

func (r *headerReader) str() string {
	l := r.uvarint()
	if r.bad || l > uint64(len(r.v)-r.p) {
		r.bad = true
		return ""
	}
	s := string(r.v[r.p : r.p+int(l)])
	r.p += int(l)
	return s
}

// listedObject is what a listing returns for key in bucket: decoded from
// the listing header only, or from the whole record for values
// without one.
func listedObject(bucket, key string, v []byte) (ObjectInfo, error) {
	if len(v) == 0 || (v[0] != objValueV1 && v[0] != objValueV2) {
		var r objRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return ObjectInfo{}, err
		}
		return r.info(), nil
	}
	var h objListing
	if _, err := h.decode(v); err != nil {
		return ObjectInfo{}, err
	}
	vid := h.versionID
	if vid == "" {
		vid = NullVersion
	}
	return ObjectInfo{Bucket: bucket, Key: key, Size: h.size, ETag: h.etag, ModTime: h.modTime,
		Meta: h.meta, Checksums: h.checksums, ChecksumType: h.checksumType, PartsCount: h.partsCount,
		VersionID: vid, DeleteMarker: h.deleteMarker}, nil
}
