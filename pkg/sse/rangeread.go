package sse

import (
	"errors"
	"fmt"
	"io"
)

// Fetch returns the ciphertext bytes [start, end) of a stream (or, for
// DecryptParts, of the whole multipart object). The caller closes it.
type Fetch func(start, end int64) (io.ReadCloser, error)

// FetchFrom adapts an io.ReaderAt holding the ciphertext to a Fetch.
func FetchFrom(ra io.ReaderAt) Fetch {
	return func(start, end int64) (io.ReadCloser, error) {
		return io.NopCloser(io.NewSectionReader(ra, start, end-start)), nil
	}
}

// CiphertextRange returns the ciphertext bytes [start, end) that hold the
// plaintext bytes [off, off+length) of a stream of plainSize bytes: whole
// chunks from the one holding off to the one holding the last byte. A zero
// length needs no ciphertext (start == end).
func (c *Cipher) CiphertextRange(plainSize, off, length int64) (start, end int64, err error) {
	if off < 0 || length < 0 || plainSize < 0 || off > plainSize || length > plainSize-off {
		return 0, 0, fmt.Errorf("%w: %d bytes at %d of %d", ErrInvalidRange, length, off, plainSize)
	}
	if length == 0 {
		return 0, 0, nil
	}
	cs, full := int64(c.chunkSize), int64(c.chunkSize)+TagSize
	first, last := off/cs, (off+length-1)/cs
	return first * full, min((last+1)*full, c.EncryptedSize(plainSize)), nil
}

// DecryptRange returns the plaintext bytes [off, off+length) of this
// cipher's stream, whose plaintext is plainSize bytes, fetching and opening
// only the chunks that hold them. The chunk holding the stream's last byte is checked as the
// final chunk, so a wrong plainSize fails to authenticate. Memory: one chunk.
func (c *Cipher) DecryptRange(fetch Fetch, plainSize, off, length int64) (io.ReadCloser, error) {
	start, end, err := c.CiphertextRange(plainSize, off, length)
	if err != nil {
		return nil, err
	}
	if length == 0 {
		return io.NopCloser(eofReader{}), nil
	}
	src, err := fetch(start, end)
	if err != nil {
		return nil, err
	}
	cs := int64(c.chunkSize)
	return &rangeReader{
		c: c, src: src,
		buf:   make([]byte, c.chunkSize+TagSize),
		index: off / cs, last: chunkCount(plainSize, c.chunkSize) - 1,
		plainSize: plainSize, skip: off % cs, left: length,
	}, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

type rangeReader struct {
	c         *Cipher
	src       io.ReadCloser
	buf       []byte
	nonceBuf  [12]byte // in the struct: a local would escape to the heap per chunk
	index     int64    // next chunk to open
	last      int64    // index of the stream's final chunk
	plainSize int64
	skip      int64 // plaintext bytes to drop from the next chunk
	left      int64 // plaintext bytes still to return
	plaintext
}

func (r *rangeReader) Read(p []byte) (int, error) { return r.read(r, p) }

// WriteTo writes the plaintext to dst straight from the chunk buffer (io.Copy
// uses it), saving the copy through io.Copy's own buffer.
func (r *rangeReader) WriteTo(dst io.Writer) (int64, error) { return r.writeTo(r, dst) }

func (r *rangeReader) ended() bool { return r.left == 0 }

func (r *rangeReader) next() error {
	final := r.index == r.last
	size := r.c.chunkSize + TagSize
	if final {
		size = int(r.plainSize-r.index*int64(r.c.chunkSize)) + TagSize
	}
	sealed := r.buf[:size]
	if _, err := io.ReadFull(r.src, sealed); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: ciphertext ends early", ErrAuthentication)
		}
		return err
	}
	nonce := &r.nonceBuf
	r.c.nonce(nonce, r.index, final)
	plain, err := r.c.aead.Open(sealed[:0], nonce[:], sealed, r.c.aad)
	if err != nil {
		return ErrAuthentication
	}
	r.index++
	plain = plain[r.skip:]
	r.skip = 0
	if int64(len(plain)) > r.left {
		plain = plain[:r.left]
	}
	r.left -= int64(len(plain))
	r.out = plain
	return nil
}

func (r *rangeReader) Close() error { return r.src.Close() }
