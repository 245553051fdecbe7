package storage

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/cofferstore/coffer/pkg/checksum"
)

// Full-object CRCs of multipart uploads are derived from the parts' CRCs
// without reading data: for these reflected CRCs (all-ones init and final
// xor) crc(A‖B) = crcA·x^(8·len(B)) mod P ⊕ crcB, computed in GF(2).

// crcPoly returns the reflected polynomial and width of a CRC algorithm.
func crcPoly(a checksum.Algorithm) (poly uint64, width int, ok bool) {
	switch a {
	case checksum.CRC32:
		return 0xedb88320, 32, true
	case checksum.CRC32C:
		return 0x82f63b78, 32, true
	case checksum.CRC64NVME:
		return 0x9a6c9329ac4bc9b5, 64, true
	}
	return 0, 0, false
}

// gfMul multiplies two reflected polynomials modulo poly.
func gfMul(a, b, poly uint64, width int) uint64 {
	top := uint64(1) << (width - 1)
	var p uint64
	for m := top; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ poly
		} else {
			b >>= 1
		}
	}
	return p
}

// crcCombine returns the CRC of A‖B from crc(A), crc(B) and len(B).
func crcCombine(crcA, crcB uint64, lenB int64, poly uint64, width int) uint64 {
	top := uint64(1) << (width - 1)
	result := top    // x^0
	base := top >> 8 // x^8: one byte
	for n := lenB; n > 0; n >>= 1 {
		if n&1 != 0 {
			result = gfMul(result, base, poly, width)
		}
		base = gfMul(base, base, poly, width)
	}
	return gfMul(result, crcA, poly, width) ^ crcB
}

// combineFullCRC returns the base64 full-object CRC of parts given their
// base64 CRCs and sizes.
func combineFullCRC(a checksum.Algorithm, sums []string, sizes []int64) (string, error) {
	poly, width, ok := crcPoly(a)
	if !ok {
		return "", fmt.Errorf("storage: %s has no full-object form", a)
	}
	var acc uint64
	for i, s := range sums {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != width/8 {
			return "", fmt.Errorf("storage: bad part checksum %q", s)
		}
		var v uint64
		if width == 32 {
			v = uint64(binary.BigEndian.Uint32(raw))
		} else {
			v = binary.BigEndian.Uint64(raw)
		}
		if i == 0 {
			acc = v
		} else {
			acc = crcCombine(acc, v, sizes[i], poly, width)
		}
	}
	out := make([]byte, width/8)
	if width == 32 {
		binary.BigEndian.PutUint32(out, uint32(acc))
	} else {
		binary.BigEndian.PutUint64(out, acc)
	}
	return checksum.Encode(out), nil
}
