package sse

import (
	"errors"
	"io"
)

// NewWriter returns a writer that encrypts what is written to it as this
// cipher's stream (the object's, or a part's from NewPart) and writes the
// ciphertext to dst, one chunk per Write on dst. Close writes the final
// chunk and must be called; it does not close dst. Exactly
// EncryptedSize(n) bytes reach dst for n bytes written. Memory: one chunk.
//
// A stream is written once: NewWriter fails with ErrReadOnly on a cipher from
// Open, OpenCustomer or Part, or on its second call, since a second stream
// under the same key and nonces would reuse GCM's keystream.
func (c *Cipher) NewWriter(dst io.Writer) (io.WriteCloser, error) {
	if c.unwritten == nil || !c.unwritten.CompareAndSwap(true, false) {
		return nil, ErrReadOnly
	}
	return &writer{c: c, dst: dst, buf: make([]byte, 0, c.chunkSize+TagSize)}, nil
}

var errWriterClosed = errors.New("sse: write after close")

type writer struct {
	c        *Cipher
	dst      io.Writer
	buf      []byte   // plaintext of the current chunk; capacity chunk + tag, sealed in place
	nonceBuf [12]byte // in the struct: a local would escape to the heap per chunk
	ahead    [1]byte  // ReadFrom's look-ahead past a full chunk
	index    int64
	err      error // sticky
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := 0
	for len(p) > 0 {
		// A full chunk is sealed only when more data follows: until then it
		// may be the final one.
		if len(w.buf) == w.c.chunkSize {
			if err := w.seal(false); err != nil {
				return n, err
			}
		}
		k := copy(w.buf[len(w.buf):w.c.chunkSize], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// ReadFrom reads src to EOF straight into the chunk buffer (io.Copy uses it),
// saving the copy through io.Copy's own buffer. Errors reading src are
// returned as they are and leave the writer usable for Close only by choice
// of the caller, who should abandon the object.
func (w *writer) ReadFrom(src io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	var total int64
	for {
		if len(w.buf) == w.c.chunkSize {
			// Seal a full chunk as not final only once a further byte exists.
			n, err := io.ReadFull(src, w.ahead[:])
			if n == 0 {
				if err == io.EOF {
					return total, nil
				}
				return total, err
			}
			if err := w.seal(false); err != nil {
				return total, err
			}
			w.buf = append(w.buf, w.ahead[0])
			total++
			continue
		}
		n, err := src.Read(w.buf[len(w.buf):w.c.chunkSize])
		w.buf = w.buf[:len(w.buf)+n]
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (w *writer) seal(final bool) error {
	if w.index >= maxChunks {
		w.err = ErrTooLarge
		return w.err
	}
	nonce := &w.nonceBuf
	w.c.nonce(nonce, w.index, final)
	out := w.c.aead.Seal(w.buf[:0], nonce[:], w.buf, w.c.aad)
	if _, err := w.dst.Write(out); err != nil {
		w.err = err
		return err
	}
	w.index++
	w.buf = w.buf[:0]
	return nil
}

// Close seals the final chunk (an empty one for an empty stream).
func (w *writer) Close() error {
	if w.err != nil {
		if w.err == errWriterClosed {
			return nil
		}
		return w.err
	}
	if err := w.seal(true); err != nil {
		return err
	}
	w.err = errWriterClosed
	return nil
}
