package sse

import "io"

// plaintext is the authenticated plaintext a decrypting reader hands out a
// chunk at a time; the whole-stream reader and the range reader share how
// Read and WriteTo drain it and ask their source for the next chunk.
type plaintext struct {
	out []byte // authenticated plaintext not yet returned
	err error  // sticky
}

// chunkSource opens its next chunk into the plaintext's out, and says when
// no plaintext is left to open.
type chunkSource interface {
	next() error
	ended() bool
}

func (pt *plaintext) read(src chunkSource, p []byte) (int, error) {
	for len(pt.out) == 0 {
		if pt.err != nil {
			return 0, pt.err
		}
		if src.ended() {
			return 0, io.EOF
		}
		pt.err = src.next()
	}
	n := copy(p, pt.out)
	pt.out = pt.out[n:]
	return n, nil
}

func (pt *plaintext) writeTo(src chunkSource, dst io.Writer) (int64, error) {
	var total int64
	for {
		if len(pt.out) == 0 {
			if pt.err != nil {
				return total, pt.err
			}
			if src.ended() {
				return total, nil
			}
			pt.err = src.next()
			continue
		}
		n, err := dst.Write(pt.out)
		pt.out = pt.out[n:]
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}
