package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/cofferstore/coffer/pkg/checksum"
	"github.com/cofferstore/coffer/storage"
)

// bodyOptions reads what a request body must match and how it is stored:
// exact size, Content-MD5, and one x-amz-checksum-* value from a header or an
// aws-chunked trailer (verified by storage before it commits).
func bodyOptions(r *http.Request, rq *request) (storage.PutOptions, error) {
	opts := storage.PutOptions{Size: rq.size}
	md5, err := contentMD5(r)
	if err != nil {
		return opts, err
	}
	opts.ContentMD5 = md5

	var found []checksum.Algorithm
	for _, alg := range checksum.All {
		v := r.Header.Get(alg.Header())
		if v == "" {
			continue
		}
		if !alg.Valid(v) {
			return opts, invalidChecksumValue(strings.ToLower(alg.Header()))
		}
		found = append(found, alg)
		opts.Checksum = alg
		value := v
		opts.ExpectedChecksum = func() (string, error) { return value, nil }
	}
	if rq.verified != nil {
		for _, name := range rq.verified.TrailerNames {
			alg, err := checksum.FromHeader(name)
			if err != nil {
				continue // not a checksum trailer
			}
			found = append(found, alg)
			opts.Checksum = alg
			trailer, trailerName := rq.verified.Trailer, name
			opts.ExpectedChecksum = func() (string, error) {
				if trailer == nil {
					return "", errMissingTrailer
				}
				v := strings.TrimSpace(trailer(trailerName))
				if !alg.Valid(v) {
					return "", errMissingTrailer
				}
				return v, nil
			}
		}
	}
	if len(found) > 1 {
		return opts, errMultipleChecksums
	}
	if len(found) == 0 {
		// The client may ask us to compute (and store) an algorithm
		// without sending a value.
		alg, err := requestedAlgorithm(r)
		if err != nil {
			return opts, err
		}
		opts.Checksum = alg
	}
	return opts, nil
}

// errMissingDigest refuses a request S3 accepts only with a body digest.
var errMissingDigest = errorf("InvalidRequest", http.StatusBadRequest, "Missing required header for this request: Content-MD5 OR x-amz-checksum-*")

// readDigestedBody reads the small body of a request that S3 accepts only
// with Content-MD5 or an x-amz-checksum-* value (header or trailer):
// DeleteObjects and the Object Lock calls. The (capped) body is verified
// before the caller acts on any of it.
func readDigestedBody(r *http.Request, rq *request, limit int64) ([]byte, error) {
	opts, err := bodyOptions(r, rq)
	if err != nil {
		return nil, err
	}
	if opts.ContentMD5 == nil && opts.ExpectedChecksum == nil {
		return nil, errMissingDigest
	}
	data, err := readSmallBody(rq.body, limit)
	if err != nil {
		return nil, err
	}
	if opts.ContentMD5 != nil {
		sum := md5.Sum(data)
		if !bytes.Equal(sum[:], opts.ContentMD5) {
			return nil, storage.ErrBadDigest
		}
	}
	if opts.ExpectedChecksum != nil {
		want, err := opts.ExpectedChecksum()
		if err != nil {
			return nil, err
		}
		if opts.Checksum.Sum(data) != want {
			return nil, storage.ErrChecksumMismatch
		}
	}
	return data, nil
}

// requestedAlgorithm reads x-amz-sdk-checksum-algorithm or
// x-amz-checksum-algorithm; empty means none.
func requestedAlgorithm(r *http.Request) (checksum.Algorithm, error) {
	name := r.Header.Get("X-Amz-Sdk-Checksum-Algorithm")
	if name == "" {
		name = r.Header.Get("X-Amz-Checksum-Algorithm")
	}
	if name == "" {
		return checksum.None, nil
	}
	alg, err := checksum.Parse(name)
	if err != nil {
		return checksum.None, errInvalidChecksumAlgo
	}
	return alg, nil
}

// contentMD5 decodes Content-MD5; a malformed value is InvalidDigest.
func contentMD5(r *http.Request) ([]byte, error) {
	v, ok := r.Header["Content-Md5"]
	if !ok {
		return nil, nil
	}
	if len(v) != 1 {
		return nil, errInvalidDigest
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[0]))
	if err != nil || len(raw) != 16 {
		return nil, errInvalidDigest
	}
	return raw, nil
}

// setChecksumHeaders adds stored checksums to a response.
func setChecksumHeaders(h http.Header, sums map[checksum.Algorithm]string, typ string) {
	any := false
	for alg, v := range sums {
		if hdr := alg.Header(); hdr != "" && v != "" {
			h.Set(hdr, v)
			any = true
		}
	}
	if any && typ != "" {
		h.Set("X-Amz-Checksum-Type", typ)
	}
}

// checksumXML converts stored checksums to XML elements.
func checksumXML(sums map[checksum.Algorithm]string) checksumFields {
	return checksumFields{
		ChecksumCRC32:     sums[checksum.CRC32],
		ChecksumCRC32C:    sums[checksum.CRC32C],
		ChecksumCRC64NVME: sums[checksum.CRC64NVME],
		ChecksumSHA1:      sums[checksum.SHA1],
		ChecksumSHA256:    sums[checksum.SHA256],
	}
}

// toMap converts XML checksum elements to a map, omitting empty ones.
func (c checksumFields) toMap() map[checksum.Algorithm]string {
	m := map[checksum.Algorithm]string{}
	for alg, v := range map[checksum.Algorithm]string{
		checksum.CRC32: c.ChecksumCRC32, checksum.CRC32C: c.ChecksumCRC32C,
		checksum.CRC64NVME: c.ChecksumCRC64NVME, checksum.SHA1: c.ChecksumSHA1, checksum.SHA256: c.ChecksumSHA256,
	} {
		if v = strings.TrimSpace(v); v != "" {
			m[alg] = v
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
