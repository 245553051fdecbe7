package auth

import (
	"net/http"
	"sort"
	"strings"
)

// unsignedExempt lists the x-amz-* headers S3 accepts outside SignedHeaders.
// x-amz-content-sha256 is the payload hash of the canonical request for
// header auth, so its value is bound anyway; presigned URLs take the payload
// hash from the query and never read the header.
var unsignedExempt = map[string]bool{
	"x-amz-content-sha256": true,
}

// maxListedUnsigned caps how many header names an UnsignedHeadersError lists.
const maxListedUnsigned = 32

// checkHeadersSigned refuses a SigV4 request that carries an x-amz-* header
// its signature does not cover. Such headers change what a request does
// (x-amz-copy-source turns a PUT into a copy, x-amz-metadata-directive
// rewrites metadata, x-amz-meta-* and x-amz-tagging are stored), so the
// holder of a presigned URL or a captured request must not be able to add
// them. SigV2 needs no such check: its string to sign contains every x-amz-*
// header of the request.
func checkHeadersSigned(h http.Header, signed []string) error {
	var missing []string
	for k := range h {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-amz-") || unsignedExempt[lk] || contains(signed, lk) {
			continue
		}
		missing = append(missing, lk)
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	if len(missing) > maxListedUnsigned {
		missing = missing[:maxListedUnsigned]
	}
	for i, n := range missing {
		missing[i] = truncate(n)
	}
	return &UnsignedHeadersError{Names: missing}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// UnsignedHeadersError is returned (wrapping ErrUnsignedHeaders) when a
// request carries x-amz-* headers that are not signed.
type UnsignedHeadersError struct {
	// Names are the offending headers, lower case and sorted (at most 32).
	Names []string
}

func (e *UnsignedHeadersError) Error() string {
	return ErrUnsignedHeaders.Error() + ": " + strings.Join(e.Names, ", ")
}

func (e *UnsignedHeadersError) Unwrap() error { return ErrUnsignedHeaders }

// RegionError is returned (wrapping ErrWrongRegion) when a SigV4 credential
// scope names a region other than the server's.
type RegionError struct {
	Region    string // as the client sent it, truncated
	Expected  string // the server's region
	Presigned bool   // the scope came from X-Amz-Credential, not the Authorization header
}

func (e *RegionError) Error() string {
	return ErrWrongRegion.Error() + ": the region '" + e.Region + "' is wrong; expecting '" + e.Expected + "'"
}

func (e *RegionError) Unwrap() error { return ErrWrongRegion }
