package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"sync/atomic"
)

const (
	// DefaultChunkSize is the plaintext carried by each chunk. 64 KiB keeps
	// the tag overhead at 0.024%, a ranged read's extra work under one chunk
	// at each end, each stream's buffer at one chunk, and a 5 GiB part at
	// 81,920 chunks. AES-GCM's CPU per byte measured flat from 16 KiB to
	// 256 KiB chunks; 4 KiB chunks cost about 15% less (they stay in L1
	// cache) at 16 times the tags, so the record carries the chunk size and
	// a later writer may choose another without a format change.
	DefaultChunkSize = 64 << 10
	// MinChunkSize and MaxChunkSize bound the chunk size a record may name,
	// so a hostile record cannot make a reader allocate more than 1 MiB.
	MinChunkSize = 4 << 10
	MaxChunkSize = 1 << 20

	// TagSize is the AES-GCM tag appended to every chunk.
	TagSize = 16
	// NoncePrefixSize is the random per-object part of every chunk nonce.
	NoncePrefixSize = 5
	// DataKeySize is the size of an object's AES-256 data key.
	DataKeySize = 32
	// MaxPartNumber is the largest part number a stream may carry (part 0 is
	// a single-part object; S3 allows parts 1..10000).
	MaxPartNumber = 10000

	maxChunks = 1 << 32 // the nonce's chunk counter is 4 bytes
)

// Cipher encrypts or decrypts one stream: an object's (from NewS3,
// NewCustomer, Record.Open, Record.OpenCustomer) or one part's of a
// multipart object (from NewPart, Part). It holds the stream's key, nonce
// prefix, chunk size and context, and is safe for concurrent use by many
// readers; it writes its stream once.
type Cipher struct {
	aead      cipher.AEAD
	prefix    [NoncePrefixSize]byte
	chunkSize int
	ctx       Context
	part      int    // 0: the object's own stream; 1..10000: a part's (see Part)
	aad       []byte // every chunk's additional data
	dataKey   []byte // to derive part keys; nil in a part's cipher
	// unwritten is set on a cipher whose stream has not been written yet
	// (NewS3, NewCustomer, NewPart) and cleared by its one NewWriter. Writing
	// a stream twice would reuse its nonces; ciphers from Open, OpenCustomer
	// and Part only decrypt.
	unwritten *atomic.Bool
}

func newCipher(dataKey []byte, prefix []byte, chunkSize int, ctx Context) (*Cipher, error) {
	if len(dataKey) != DataKeySize || len(prefix) != NoncePrefixSize || chunkSize <= 0 {
		return nil, ErrInvalidRecord
	}
	block, err := aes.NewCipher(dataKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	c := &Cipher{aead: aead, chunkSize: chunkSize, ctx: ctx, aad: chunkAAD(ctx, chunkSize, 0),
		dataKey: append([]byte(nil), dataKey...)}
	copy(c.prefix[:], prefix)
	return c, nil
}

func newUnwritten() *atomic.Bool {
	b := new(atomic.Bool)
	b.Store(true)
	return b
}

// ChunkSize returns the plaintext bytes per chunk.
func (c *Cipher) ChunkSize() int { return c.chunkSize }

// EncryptedSize returns the ciphertext size of a stream of n plaintext bytes
// under this cipher's chunk size.
func (c *Cipher) EncryptedSize(n int64) int64 { return encryptedSize(n, c.chunkSize) }

// nonce builds the 12-byte GCM nonce of one chunk:
// prefix (5) | part (2, big-endian) | chunk index (4, big-endian) | final (1).
// Each part has its own key (see Part); the part number in the nonce is a
// second guard against two parts ever sharing a keystream. The final byte
// marks the last chunk so a stream cut at a chunk boundary does not
// authenticate.
func (c *Cipher) nonce(dst *[12]byte, index int64, final bool) {
	copy(dst[:NoncePrefixSize], c.prefix[:])
	binary.BigEndian.PutUint16(dst[5:7], uint16(c.part))
	binary.BigEndian.PutUint32(dst[7:11], uint32(index))
	dst[11] = 0
	if final {
		dst[11] = 1
	}
}

// EncryptedSize returns the ciphertext size of n >= 0 plaintext bytes at the
// default chunk size: n plus one tag per chunk, and an empty stream is one
// empty final chunk (a tag alone), so even it is authenticated.
func EncryptedSize(n int64) int64 { return encryptedSize(n, DefaultChunkSize) }

func chunkCount(n int64, chunkSize int) int64 {
	if n <= 0 {
		return 1
	}
	return (n + int64(chunkSize) - 1) / int64(chunkSize)
}

func encryptedSize(n int64, chunkSize int) int64 {
	return n + chunkCount(n, chunkSize)*TagSize
}

// PlaintextSize inverts EncryptedSize: the plaintext size of a stream of c
// ciphertext bytes at chunkSize, or false if no stream has that size.
func PlaintextSize(c int64, chunkSize int) (int64, bool) {
	if c < TagSize || chunkSize <= 0 {
		return 0, false
	}
	full := int64(chunkSize) + TagSize
	n, rem := c/full, c%full
	switch {
	case rem == 0:
		return n * int64(chunkSize), true
	case rem < TagSize, rem == TagSize && n > 0: // a writer never ends with an empty chunk after full ones
		return 0, false
	}
	return n*int64(chunkSize) + rem - TagSize, true
}
