package sse

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// PartSaltSize is the size of a part's random salt.
const PartSaltSize = 16

// Part is one part of a multipart object as stored: its part number, its
// plaintext size and the random salt its key was derived with.
//
// A multipart object has one record (one data key, one nonce prefix) made at
// CreateMultipartUpload. Each UploadPart encrypts its body as a stream of its
// own under a key derived from the data key, the part number and a fresh
// salt (NewPart draws it), so a part number uploaded twice in one upload (S3
// allows it; the last one wins) never reuses a keystream, even while the
// replaced part's ciphertext is still on a drive. The salt is stored with the
// part, next to its ETag, and moves into the object's part list at
// CompleteMultipartUpload.
//
// The object's ciphertext is its parts' streams concatenated in the order of
// the completed part list. Part i's ciphertext starts at the sum of
// EncryptedSize of the parts before it, and its plaintext at the sum of their
// sizes; DecryptParts does that arithmetic.
type Part struct {
	Number int
	Size   int64
	Salt   []byte
}

// newPartSalt returns a fresh random salt for one UploadPart's key.
func newPartSalt() []byte {
	s := make([]byte, PartSaltSize)
	rand.Read(s) // never fails (crypto/rand, Go 1.24+)
	return s
}

// NewPart returns the cipher to encrypt an UploadPart of part number with,
// and the fresh salt to store with the part. c may come from Open or
// OpenCustomer (the upload's record).
func (c *Cipher) NewPart(number int) (*Cipher, []byte, error) {
	salt := newPartSalt()
	p, err := c.Part(number, salt)
	if err != nil {
		return nil, nil, err
	}
	p.unwritten = newUnwritten()
	return p, salt, nil
}

// Part returns the cipher that decrypts part number (1..10000) uploaded with salt: its
// key is HKDF-SHA256(data key, salt, "coffer-sse/v1/part-key" | number), and
// the number is bound into its nonces and AAD, so a part's ciphertext does
// not decrypt as another part or at another place in the object.
func (c *Cipher) Part(number int, salt []byte) (*Cipher, error) {
	if c.dataKey == nil {
		return nil, fmt.Errorf("%w: a part has no parts", ErrInvalidRange)
	}
	if number < 1 || number > MaxPartNumber {
		return nil, fmt.Errorf("%w: part number %d", ErrInvalidRange, number)
	}
	if len(salt) != PartSaltSize {
		return nil, fmt.Errorf("%w: part salt of %d bytes", ErrInvalidRecord, len(salt))
	}
	info := binary.BigEndian.AppendUint16([]byte("coffer-sse/v1/part-key"), uint16(number))
	key, err := hkdf.Key(sha256.New, c.dataKey, salt, string(info), DataKeySize)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	p := *c
	p.aead, p.part, p.dataKey, p.unwritten = aead, number, nil, nil
	p.aad = chunkAAD(c.ctx, c.chunkSize, number)
	return &p, nil
}

// PartsEncryptedSize returns the ciphertext size of a multipart object.
func (c *Cipher) PartsEncryptedSize(parts []Part) int64 {
	var n int64
	for _, p := range parts {
		n += c.EncryptedSize(p.Size)
	}
	return n
}

// DecryptParts returns the plaintext bytes [off, off+length) of a multipart
// object whose ciphertext fetch addresses as a whole, opening only the chunks
// of the parts that hold them. Each part's stream is fetched when the reader
// reaches it, so at most one part's fetch is open at a time.
func (c *Cipher) DecryptParts(fetch Fetch, parts []Part, off, length int64) (io.ReadCloser, error) {
	var total int64
	for _, p := range parts {
		if p.Size < 0 {
			return nil, fmt.Errorf("%w: part %d size %d", ErrInvalidRange, p.Number, p.Size)
		}
		total += p.Size
	}
	if off < 0 || length < 0 || off > total || length > total-off {
		return nil, fmt.Errorf("%w: %d bytes at %d of %d", ErrInvalidRange, length, off, total)
	}
	var opens []func() (io.ReadCloser, error)
	var plainAt, cipherAt int64
	for _, p := range parts {
		lo, hi := max(off, plainAt), min(off+length, plainAt+p.Size)
		if lo < hi {
			pc, err := c.Part(p.Number, p.Salt)
			if err != nil {
				return nil, err
			}
			base, size, partOff, partLen := cipherAt, p.Size, lo-plainAt, hi-lo
			shifted := func(start, end int64) (io.ReadCloser, error) { return fetch(base+start, base+end) }
			opens = append(opens, func() (io.ReadCloser, error) {
				return pc.DecryptRange(shifted, size, partOff, partLen)
			})
		}
		plainAt += p.Size
		cipherAt += c.EncryptedSize(p.Size)
	}
	return &chain{opens: opens}, nil
}

// chain reads one lazily opened reader after another.
type chain struct {
	opens []func() (io.ReadCloser, error)
	cur   io.ReadCloser
	err   error // sticky failure to open a part
}

func (ch *chain) Read(p []byte) (int, error) {
	for {
		if ch.cur == nil {
			if ch.err != nil {
				return 0, ch.err
			}
			if len(ch.opens) == 0 {
				return 0, io.EOF
			}
			rc, err := ch.opens[0]()
			if err != nil {
				ch.err = err
				return 0, err
			}
			ch.opens, ch.cur = ch.opens[1:], rc
		}
		n, err := ch.cur.Read(p)
		if err == io.EOF {
			cerr := ch.cur.Close()
			ch.cur = nil
			if cerr != nil {
				return n, cerr
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// WriteTo copies each part's plaintext with io.Copy, so each part reader's
// own WriteTo is used.
func (ch *chain) WriteTo(dst io.Writer) (int64, error) {
	var total int64
	for {
		if ch.cur == nil {
			if ch.err != nil {
				return total, ch.err
			}
			if len(ch.opens) == 0 {
				return total, nil
			}
			rc, err := ch.opens[0]()
			if err != nil {
				ch.err = err
				return total, err
			}
			ch.opens, ch.cur = ch.opens[1:], rc
		}
		n, err := io.Copy(dst, ch.cur)
		total += n
		if err != nil {
			return total, err
		}
		if err := ch.cur.Close(); err != nil {
			ch.cur = nil
			return total, err
		}
		ch.cur = nil
	}
}

func (ch *chain) Close() error {
	ch.opens = nil
	if ch.cur == nil {
		return nil
	}
	err := ch.cur.Close()
	ch.cur = nil
	return err
}
