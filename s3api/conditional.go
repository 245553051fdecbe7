package s3api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// condResult is the outcome of evaluating request preconditions.
type condResult int

const (
	condOK condResult = iota
	condFailed
	condNotModified
)

// evalPreconditions applies RFC 7232 section 6 order: If-Match, else
// If-Unmodified-Since (412 when false); then If-None-Match, else
// If-Modified-Since (304 when false). Unparseable dates are ignored.
func evalPreconditions(ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince string, info storage.ObjectInfo) condResult {
	mod := info.ModTime.UTC().Truncate(time.Second)
	if ifMatch != "" {
		if !etagMatches(ifMatch, info.ETag) {
			return condFailed
		}
	} else if t, ok := parseHTTPTime(ifUnmodifiedSince); ok && mod.After(t) {
		return condFailed
	}
	if ifNoneMatch != "" {
		if etagMatches(ifNoneMatch, info.ETag) {
			return condNotModified
		}
	} else if t, ok := parseHTTPTime(ifModifiedSince); ok && !mod.After(t) {
		return condNotModified
	}
	return condOK
}

// etagMatches reports whether a comma-separated If-Match/If-None-Match list
// names etag (or is "*"). Weak validators compare by their opaque value.
func etagMatches(list, etag string) bool {
	etag = strings.Trim(etag, `"`)
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "*" {
			return true
		}
		item = strings.TrimPrefix(item, "W/")
		if strings.Trim(item, `"`) == etag {
			return true
		}
	}
	return false
}

func parseHTTPTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	if err != nil {
		if t2, err2 := time.Parse(time.RFC3339, v); err2 == nil {
			return t2.UTC(), true
		}
		return time.Time{}, false
	}
	return t.UTC(), true
}

// errInvalidRange is the 416 answer for a range that starts past the end.
var errInvalidRange = errorf("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable.")

// parseRange interprets a Range header against an object size. partial is
// false when the header should be ignored (syntax S3 ignores, or several
// ranges); err is InvalidRange when the range cannot be satisfied.
func parseRange(spec string, size int64) (start, length int64, partial bool, err error) {
	spec = strings.TrimSpace(spec)
	rest, ok := strings.CutPrefix(spec, "bytes=")
	if !ok || strings.Contains(rest, ",") {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(rest), "-")
	if !ok {
		return 0, size, false, nil
	}
	if first == "" { // suffix: the last N bytes
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return 0, size, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, errInvalidRange
		}
		if n > size {
			n = size
		}
		return size - n, n, true, nil
	}
	a, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || a < 0 {
		return 0, size, false, nil
	}
	end := size - 1
	if last != "" {
		b, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || b < a {
			return 0, size, false, nil
		}
		if b < end {
			end = b
		}
	}
	if a >= size {
		return 0, 0, false, errInvalidRange
	}
	return a, end - a + 1, true, nil
}

// parseCopyRange reads x-amz-copy-source-range "bytes=first-last", which
// must lie inside the source object: a malformed value is InvalidArgument
// naming the header, a well-formed one outside the source InvalidRange.
func parseCopyRange(spec string, size int64) (start, length int64, err error) {
	malformed := argumentError("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
		"x-amz-copy-source-range", spec)
	rest, ok := strings.CutPrefix(spec, "bytes=")
	if !ok {
		return 0, 0, malformed
	}
	first, last, ok := strings.Cut(rest, "-")
	if !ok || !allDigits(first) || !allDigits(last) {
		return 0, 0, malformed
	}
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || b < a {
		return 0, 0, malformed
	}
	if b >= size {
		return 0, 0, errInvalidRange
	}
	return a, b - a + 1, nil
}

// allDigits reports a non-empty run of ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
