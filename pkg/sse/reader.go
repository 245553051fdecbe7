package sse

import (
	"errors"
	"io"
)

// NewReader returns a reader of the plaintext of this cipher's stream,
// reading its ciphertext from src until EOF. The end of the stream is found by reading
// one byte ahead, so no size is needed; a stream cut short, extended or
// reordered fails with ErrAuthentication. Bytes are returned only after their
// chunk has authenticated. Memory: one chunk.
func (c *Cipher) NewReader(src io.Reader) io.Reader {
	return &reader{c: c, src: src, buf: make([]byte, c.chunkSize+TagSize+1)}
}

type reader struct {
	c        *Cipher
	src      io.Reader
	buf      []byte   // one sealed chunk plus one byte of look-ahead
	nonceBuf [12]byte // in the struct: a local would escape to the heap per chunk
	ahead    bool     // buf[chunk+tag] holds the first byte of the next chunk
	plaintext
	index int64
	done  bool
}

func (r *reader) Read(p []byte) (int, error) { return r.read(r, p) }

// WriteTo writes the plaintext to dst straight from the chunk buffer (io.Copy
// uses it), saving the copy through io.Copy's own buffer.
func (r *reader) WriteTo(dst io.Writer) (int64, error) { return r.writeTo(r, dst) }

func (r *reader) ended() bool { return r.done }

// next reads and opens one chunk.
func (r *reader) next() error {
	full := r.c.chunkSize + TagSize
	start := 0
	if r.ahead {
		r.buf[0] = r.buf[full]
		start = 1
	}
	n, err := io.ReadFull(r.src, r.buf[start:full+1])
	n += start
	final := false
	switch {
	case err == nil:
		r.ahead = true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		final, r.ahead = true, false
	default:
		return err
	}
	sealed := r.buf[:min(n, full)]
	if len(sealed) < TagSize || r.index >= maxChunks {
		return ErrAuthentication
	}
	nonce := &r.nonceBuf
	r.c.nonce(nonce, r.index, final)
	plain, err := r.c.aead.Open(sealed[:0], nonce[:], sealed, r.c.aad)
	if err != nil {
		return ErrAuthentication
	}
	r.index++
	r.out = plain
	r.done = final
	return nil
}
