package sse

import "encoding/binary"

// Context names the object a ciphertext belongs to. It is bound into every
// chunk and into the sealed data key as additional authenticated data, so a
// ciphertext (or an encryption record) copied onto another object does not
// decrypt. It is never stored by this package: the caller rebuilds it from
// the object's identity on every read.
type Context struct {
	// Bucket is the bucket's stable identity (e.g. tenant and bucket name).
	Bucket string
	// Key is the object key.
	Key string
	// Version identifies this write of the object: its version id, or for a
	// multipart upload the upload id (the version id does not exist yet when
	// the parts are written). Use an id unique to the write where there is one,
	// so an older overwritten ciphertext cannot be replayed in place of a newer.
	Version string
}

// Labels keep the chunk AAD and the data-key AAD apart, so neither can be
// taken for the other.
const (
	labelChunk   = "coffer-sse/v1/chunk"
	labelDataKey = "coffer-sse/v1/data-key"
)

// appendString appends s with a 4-byte big-endian length, so field
// boundaries are unambiguous ("a","bc" differs from "ab","c").
func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func (c Context) append(b []byte) []byte {
	b = appendString(b, c.Bucket)
	b = appendString(b, c.Key)
	return appendString(b, c.Version)
}

// chunkAAD is the additional data of every chunk of one stream (part).
func chunkAAD(c Context, chunkSize int, part int) []byte {
	b := appendString(nil, labelChunk)
	b = binary.BigEndian.AppendUint32(b, uint32(chunkSize))
	b = binary.BigEndian.AppendUint16(b, uint16(part))
	return c.append(b)
}
