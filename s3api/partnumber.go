package s3api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/storage"
)

// errPartNumberWithRange is AWS's answer to ?partNumber= with a Range header.
var errPartNumberWithRange = errorf("InvalidRequest", http.StatusBadRequest, "Cannot specify both Range header and partNumber query parameter.")

// parsePartNumber reads a partNumber query value: decimal digits only
// (no sign, no spaces; leading zeros allowed), 1..storage.MaxPartNumber.
// Digits beyond five (after leading zeros) are out of range unparsed.
func parsePartNumber(v string) (int, error) {
	if v == "" {
		return 0, errInvalidPartNumberArg
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, errInvalidPartNumberArg
		}
	}
	digits := strings.TrimLeft(v, "0")
	if len(digits) > 5 {
		return 0, errInvalidPartNumberArg
	}
	n, _ := strconv.Atoi("0" + digits)
	if !storage.ValidPartNumber(n) {
		return 0, errInvalidPartNumberArg
	}
	return n, nil
}

// partSpan is what GET/HEAD ?partNumber=N serves.
type partSpan struct {
	start, length int64
	// multipart: the object was uploaded in parts (x-amz-mp-parts-count).
	multipart bool
	// checksum is the part's own checksum of a COMPOSITE object ("" if none).
	checksum string
}

// selectPart finds part n of an object: a multipart object's part by its
// stored size, and for a single-part object part 1, which is the whole
// object. Anything beyond the last part is InvalidPartNumber (416).
func selectPart(info storage.ObjectInfo, n int) (partSpan, error) {
	if info.PartsCount == 0 {
		if n != 1 {
			return partSpan{}, errInvalidPartForObject
		}
		return partSpan{length: info.Size}, nil
	}
	if n > info.PartsCount {
		return partSpan{}, errInvalidPartForObject
	}
	if len(info.Parts) != info.PartsCount {
		// A record without part sizes cannot be split; never serve wrong bytes.
		return partSpan{}, errInternal
	}
	ps := partSpan{multipart: true}
	for i := 0; i < n-1; i++ {
		ps.start += info.Parts[i].Size
	}
	ps.length = info.Parts[n-1].Size
	if info.ChecksumType != checksum.FullObject {
		ps.checksum = info.Parts[n-1].Checksum
	}
	return ps, nil
}

// applyPartNumber resolves ?partNumber=v for GET/HEAD: it sets the part's
// Content-Range, x-amz-mp-parts-count and, in checksum mode, a COMPOSITE
// object's part checksum (it covers exactly the bytes sent), and returns
// the span and status. A part of a non-empty object is 206 like a range;
// whole reports a single-part object, whose own checksum applies.
func applyPartNumber(h http.Header, r *http.Request, info storage.ObjectInfo, v string) (start, length int64, status int, whole bool, err error) {
	if r.Header.Get("Range") != "" {
		return 0, 0, 0, false, errPartNumberWithRange
	}
	n, err := parsePartNumber(v)
	if err != nil {
		return 0, 0, 0, false, err
	}
	ps, err := selectPart(info, n)
	if err != nil {
		return 0, 0, 0, false, err
	}
	if ps.multipart {
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(info.PartsCount))
	}
	if ps.checksum != "" && strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		for alg := range info.Checksums { // one algorithm per multipart object
			setChecksumHeaders(h, map[checksum.Algorithm]string{alg: ps.checksum}, checksum.Composite)
		}
	}
	status = http.StatusOK
	if ps.length > 0 {
		status = http.StatusPartialContent
		h.Set("Content-Range", "bytes "+strconv.FormatInt(ps.start, 10)+"-"+
			strconv.FormatInt(ps.start+ps.length-1, 10)+"/"+strconv.FormatInt(info.Size, 10))
	}
	return ps.start, ps.length, status, !ps.multipart, nil
}
