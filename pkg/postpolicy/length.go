package postpolicy

import "io"

// LengthReader passes a file through while enforcing a content-length-range:
// it never yields a byte past Max (the read that would is an EntityTooLarge
// *Error), and at the end of a file shorter than Min it returns
// EntityTooSmall instead of io.EOF. Either error is sticky, and arrives
// before io.EOF, so a caller that commits only at io.EOF stores nothing.
type LengthReader struct {
	r    io.Reader
	size Range
	n    int64
	err  error
}

// LimitLength wraps r with size's bounds.
func LimitLength(r io.Reader, size Range) *LengthReader {
	return &LengthReader{r: r, size: size}
}

// N returns the number of bytes passed through so far.
func (l *LengthReader) N() int64 { return l.n }

func (l *LengthReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	// Ask for at most one byte past the limit: seeing it proves the file is
	// too large without reading on.
	if room := l.size.Max - l.n; room < int64(len(p))-1 {
		p = p[:room+1]
	}
	n, err := l.r.Read(p)
	if l.n+int64(n) > l.size.Max {
		n = int(l.size.Max - l.n)
		l.n = l.size.Max
		// S3 knows the size from Content-Length; a stream only knows it is
		// more than the limit.
		l.err = entityTooLarge(l.size.Max+1, l.size.Max)
		return n, l.err
	}
	l.n += int64(n)
	if err == io.EOF && l.n < l.size.Min {
		l.err = entityTooSmall(l.n, l.size.Min)
		return n, l.err
	}
	if err != nil {
		l.err = err
	}
	return n, err
}
