package sse

import (
	"errors"
	"io"
)

// NewEncryptingReader returns a reader of the ciphertext of src: the pull
// form of NewWriter, for a consumer that reads its input (storage's
// erasure coder reads the body into its shard buffers). It reads src one
// chunk at a time into its own buffer, seals the chunk in place and
// returns it, so each plaintext byte is copied once in and once out.
// Exactly EncryptedSize(n) bytes come out for n bytes of src; an error
// from src is returned as is. The same once-only rule as NewWriter holds
// (ErrReadOnly). Memory: one chunk.
func (c *Cipher) NewEncryptingReader(src io.Reader) (io.Reader, error) {
	if c.unwritten == nil || !c.unwritten.CompareAndSwap(true, false) {
		return nil, ErrReadOnly
	}
	return &encReader{c: c, src: src, buf: make([]byte, c.chunkSize+TagSize)}, nil
}

type encReader struct {
	c        *Cipher
	src      io.Reader
	buf      []byte // a chunk's plaintext, sealed in place
	out      []byte // sealed bytes not yet returned (in buf)
	ahead    [1]byte
	hasAhead bool // ahead holds the next chunk's first byte
	nonceBuf [12]byte
	index    int64
	done     bool  // the final chunk was sealed
	err      error // sticky
}

func (r *encReader) Read(p []byte) (int, error) {
	if len(r.out) == 0 {
		switch {
		case r.err != nil:
			return 0, r.err
		case r.done:
			return 0, io.EOF
		}
		if err := r.fill(); err != nil {
			r.err = err
			return 0, err
		}
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// fill reads and seals the next chunk. A full chunk is final only if src
// ends right after it, which one byte of look-ahead tells.
func (r *encReader) fill() error {
	n := 0
	if r.hasAhead {
		r.buf[0], r.hasAhead, n = r.ahead[0], false, 1
	}
	m, err := io.ReadFull(r.src, r.buf[n:r.c.chunkSize])
	n += m
	final := false
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		final = true
	case err != nil:
		return err
	default:
		k, err := io.ReadFull(r.src, r.ahead[:])
		switch {
		case k == 1:
			r.hasAhead = true
		case errors.Is(err, io.EOF):
			final = true
		default:
			return err
		}
	}
	if r.index >= maxChunks {
		return ErrTooLarge
	}
	r.c.nonce(&r.nonceBuf, r.index, final)
	r.out = r.c.aead.Seal(r.buf[:0], r.nonceBuf[:], r.buf[:n], r.c.aad)
	r.index++
	r.done = final
	return nil
}
