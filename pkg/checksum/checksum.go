// Package checksum names the S3 checksum algorithms and builds their hashes.
//
// S3 carries checksums as base64 of the big-endian digest in headers such as
// x-amz-checksum-crc32 and in aws-chunked trailers. Both the auth layer (which
// reads trailers) and the storage layer (which computes digests while it
// streams) use this package, so the names and encodings live in one place.
package checksum

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"

	"github.com/minio/sha256-simd"
)

// Algorithm is an S3 checksum algorithm name in its canonical upper-case form.
type Algorithm string

// The algorithms S3 defines.
const (
	None      Algorithm = ""
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
)

// All lists every algorithm, in the order S3 documents them.
var All = []Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

// ErrUnknownAlgorithm is returned when a name is not an S3 checksum algorithm.
var ErrUnknownAlgorithm = errors.New("checksum: unknown algorithm")

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// nvme is the CRC-64/NVME polynomial (reflected form), as used by S3.
	nvme = crc64.MakeTable(0x9a6c9329ac4bc9b5)
)

// Parse returns the algorithm for a case-insensitive name such as "crc32c".
func Parse(name string) (Algorithm, error) {
	a := Algorithm(strings.ToUpper(strings.TrimSpace(name)))
	for _, known := range All {
		if a == known {
			return a, nil
		}
	}
	return None, ErrUnknownAlgorithm
}

// FromHeader returns the algorithm named by a header such as
// "x-amz-checksum-crc32" (any case), or ErrUnknownAlgorithm.
func FromHeader(header string) (Algorithm, error) {
	h := strings.ToLower(strings.TrimSpace(header))
	if !strings.HasPrefix(h, "x-amz-checksum-") {
		return None, ErrUnknownAlgorithm
	}
	return Parse(strings.TrimPrefix(h, "x-amz-checksum-"))
}

// Header returns the HTTP header that carries a value of this algorithm,
// e.g. "X-Amz-Checksum-Crc32c".
func (a Algorithm) Header() string {
	switch a {
	case CRC32:
		return "X-Amz-Checksum-Crc32"
	case CRC32C:
		return "X-Amz-Checksum-Crc32c"
	case CRC64NVME:
		return "X-Amz-Checksum-Crc64nvme"
	case SHA1:
		return "X-Amz-Checksum-Sha1"
	case SHA256:
		return "X-Amz-Checksum-Sha256"
	}
	return ""
}

// XMLName returns the element name S3 uses in XML bodies, e.g. "ChecksumCRC32C".
func (a Algorithm) XMLName() string { return "Checksum" + string(a) }

// New returns a fresh hash for the algorithm, or nil for None or an unknown name.
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case CRC64NVME:
		return crc64.New(nvme)
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	return nil
}

// Size returns the digest length in bytes, or 0 for an unknown algorithm.
func (a Algorithm) Size() int {
	switch a {
	case CRC32, CRC32C:
		return 4
	case CRC64NVME:
		return 8
	case SHA1:
		return 20
	case SHA256:
		return 32
	}
	return 0
}

// Encode returns the S3 wire form (standard base64) of a digest.
func Encode(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// Sum returns the base64 S3 wire form of the checksum of b.
func (a Algorithm) Sum(b []byte) string {
	h := a.New()
	if h == nil {
		return ""
	}
	h.Write(b)
	return Encode(h.Sum(nil))
}

// Valid reports whether value is well-formed base64 of the algorithm's digest size.
func (a Algorithm) Valid(value string) bool {
	raw, err := base64.StdEncoding.DecodeString(value)
	return err == nil && len(raw) == a.Size() && a.Size() > 0
}

// Checksum types: how an object's checksum covers its data. A single PUT's
// checksum is always FULL_OBJECT; a multipart upload's is either.
const (
	FullObject = "FULL_OBJECT" // the checksum of the whole object's bytes
	Composite  = "COMPOSITE"   // a checksum of the parts' checksums, "-N" appended
)

// DefaultMultipartType is the checksum type of a multipart upload that names
// none: FULL_OBJECT for CRC64NVME (S3 offers it no other way), COMPOSITE for
// every other algorithm, "" for None.
func DefaultMultipartType(a Algorithm) string {
	switch a {
	case None:
		return ""
	case CRC64NVME:
		return FullObject
	}
	return Composite
}

// ValidMultipartType reports whether a multipart upload may use algorithm a
// with checksum type typ: FULL_OBJECT needs a CRC (a CRC of the whole object
// can be combined from the parts' CRCs; a hash cannot), and CRC64NVME is only
// FULL_OBJECT.
func ValidMultipartType(a Algorithm, typ string) bool {
	switch typ {
	case FullObject:
		return a == CRC32 || a == CRC32C || a == CRC64NVME
	case Composite:
		return a != None && a != CRC64NVME
	}
	return false
}
