package sse

import (
	"fmt"
	"io"
)

// Part is one part of a multipart object as stored: its part number (the
// stream's part, bound into its nonces and AAD) and its plaintext size.
//
// A multipart object's ciphertext is its parts' streams concatenated in the
// order of the completed part list; each part is a complete stream of its
// own (its own final chunk), all under the object's one data key and nonce
// prefix. Part p's ciphertext starts at the sum of EncryptedSize of the
// parts before it, and its plaintext at the sum of their sizes.
type Part struct {
	Number int
	Size   int64
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
		if err := checkPart(p.Number); err != nil {
			return nil, err
		}
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
			p, base, partOff, partLen := p, cipherAt, lo-plainAt, hi-lo
			shifted := func(start, end int64) (io.ReadCloser, error) { return fetch(base+start, base+end) }
			opens = append(opens, func() (io.ReadCloser, error) {
				return c.DecryptRange(shifted, p.Number, p.Size, partOff, partLen)
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

func (ch *chain) Close() error {
	ch.opens = nil
	if ch.cur == nil {
		return nil
	}
	err := ch.cur.Close()
	ch.cur = nil
	return err
}
