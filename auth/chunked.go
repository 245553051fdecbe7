package auth

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/minio/sha256-simd"
)

// Limits on aws-chunked framing, so hostile input cannot make the reader
// allocate or loop without bound. Chunk data streams through without being
// buffered, so the chunk size limit only guards against absurd values.
const (
	maxChunkLine  = 4 << 10  // a chunk header or trailer line
	maxChunkSize  = 64 << 20 // one chunk's data
	maxTrailers   = 16       // trailing header lines
	chunkBufSize  = 32 << 10
	trailerSigHdr = "x-amz-trailer-signature"
)

// chunkSigner holds what is needed to check chunk signatures: the signing
// key, the request timestamp and scope, and the seed (request) signature.
type chunkSigner struct {
	key       []byte
	timestamp string
	scope     string
	seed      string
}

func (cs chunkSigner) chunkSignature(prev string, dataHash []byte) string {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + cs.timestamp + "\n" + cs.scope + "\n" + prev + "\n" +
		emptySHA256Hex + "\n" + hex.EncodeToString(dataHash)
	return hex.EncodeToString(hmacSHA256(cs.key, sts))
}

func (cs chunkSigner) trailerSignature(prev, canonicalTrailers string) string {
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + cs.timestamp + "\n" + cs.scope + "\n" + prev + "\n" +
		sha256Hex(canonicalTrailers)
	return hex.EncodeToString(hmacSHA256(cs.key, sts))
}

// chunkedReader decodes an aws-chunked body:
//
//	hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n [trailers\r\n] \r\n
//
// Each chunk's signature is checked as soon as its data has been read, and
// the decoded length is held to x-amz-decoded-content-length.
type chunkedReader struct {
	src      io.ReadCloser
	br       *bufio.Reader
	signed   bool // chunk signatures present
	trailSig bool // x-amz-trailer-signature required
	cs       chunkSigner
	prevSig  string

	declared  int64
	decoded   int64
	remaining int64  // data bytes left in the current chunk
	chunkSig  string // signature announced for the current chunk
	h         hash.Hash

	names    []string
	trailers map[string]string
	err      error // sticky; io.EOF once complete
}

func newChunkedReader(src io.ReadCloser, declared int64, names []string, mode payloadMode, cs chunkSigner) *chunkedReader {
	return &chunkedReader{
		src:      src,
		br:       bufio.NewReaderSize(src, chunkBufSize),
		signed:   mode == modeStreaming || mode == modeStreamingTrailer,
		trailSig: mode == modeStreamingTrailer,
		cs:       cs,
		prevSig:  cs.seed,
		declared: declared,
		h:        sha256.New(),
		names:    names,
	}
}

func (c *chunkedReader) Close() error { return c.src.Close() }

// trailer returns a declared trailing header once the body is complete.
func (c *chunkedReader) trailer(name string) string {
	if c.err != io.EOF {
		return ""
	}
	return c.trailers[strings.ToLower(name)]
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.remaining == 0 {
		if err := c.nextChunk(); err != nil {
			c.err = err
			return 0, err
		}
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.br.Read(p)
	if n > 0 {
		if c.signed {
			c.h.Write(p[:n])
		}
		c.remaining -= int64(n)
	}
	if err != nil {
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: body ends inside a chunk", ErrMalformedChunk)
		}
		c.err = err
		return n, err
	}
	if c.remaining == 0 {
		if err := c.endChunk(); err != nil {
			c.err = err
			return n, err
		}
	}
	return n, nil
}

// readLine reads one CRLF-terminated line of at most maxChunkLine bytes and
// returns it without the CRLF; the slice is valid until the next read.
// atEOF reports a clean EOF before any byte.
func (c *chunkedReader) readLine() (line []byte, atEOF bool, err error) {
	var buf []byte
	for {
		frag, err := c.br.ReadSlice('\n')
		if buf == nil && err == nil {
			buf = frag // the common case: the whole line is in the buffer
			break
		}
		if len(buf)+len(frag) > maxChunkLine+2 {
			return nil, false, fmt.Errorf("%w: line too long", ErrMalformedChunk)
		}
		buf = append(buf, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(buf) == 0 {
				return nil, true, nil
			}
			return nil, false, fmt.Errorf("%w: body ends inside a line", ErrMalformedChunk)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false, fmt.Errorf("%w: body truncated", ErrMalformedChunk)
		}
		if err != nil {
			return nil, false, err
		}
		break
	}
	if len(buf) > maxChunkLine+2 {
		return nil, false, fmt.Errorf("%w: line too long", ErrMalformedChunk)
	}
	if !bytes.HasSuffix(buf, []byte("\r\n")) {
		return nil, false, fmt.Errorf("%w: line not terminated by CRLF", ErrMalformedChunk)
	}
	return buf[:len(buf)-2], false, nil
}

// nextChunk reads a chunk header. For the final (zero) chunk it verifies
// it, reads the trailers and returns io.EOF.
func (c *chunkedReader) nextChunk() error {
	line, atEOF, err := c.readLine()
	if err != nil {
		return err
	}
	if atEOF {
		return fmt.Errorf("%w: body ends before the final chunk", ErrMalformedChunk)
	}
	size, sig, err := parseChunkHeader(line, c.signed)
	if err != nil {
		return err
	}
	if size > maxChunkSize {
		return fmt.Errorf("%w: chunk larger than %d bytes", ErrMalformedChunk, maxChunkSize)
	}
	if c.decoded+size > c.declared {
		return fmt.Errorf("%w: body longer than x-amz-decoded-content-length", ErrMalformedChunk)
	}
	c.chunkSig = sig
	if size > 0 {
		c.decoded += size
		c.remaining = size
		c.h.Reset()
		return nil
	}
	if c.signed {
		c.h.Reset()
		if err := c.checkChunkSignature(); err != nil {
			return err
		}
	}
	if c.decoded != c.declared {
		return fmt.Errorf("%w: body shorter than x-amz-decoded-content-length", ErrMalformedChunk)
	}
	if err := c.readTrailers(); err != nil {
		return err
	}
	return io.EOF
}

// parseChunkHeader parses "hex-size[;chunk-signature=sig][;ext...]".
func parseChunkHeader(line []byte, signed bool) (size int64, sig string, err error) {
	sizePart, ext, _ := bytes.Cut(line, []byte(";"))
	if len(sizePart) == 0 || len(sizePart) > 15 {
		return 0, "", fmt.Errorf("%w: bad chunk size", ErrMalformedChunk)
	}
	for _, b := range sizePart {
		var d byte
		switch {
		case '0' <= b && b <= '9':
			d = b - '0'
		case 'a' <= b && b <= 'f':
			d = b - 'a' + 10
		case 'A' <= b && b <= 'F':
			d = b - 'A' + 10
		default:
			return 0, "", fmt.Errorf("%w: bad chunk size", ErrMalformedChunk)
		}
		size = size<<4 | int64(d)
	}
	if !signed {
		return size, "", nil
	}
	v, ok := bytes.CutPrefix(ext, []byte("chunk-signature="))
	if !ok || len(v) != 64 {
		return 0, "", fmt.Errorf("%w: chunk signature missing", ErrMalformedChunk)
	}
	s := strings.ToLower(string(v))
	if _, err := hex.DecodeString(s); err != nil {
		return 0, "", fmt.Errorf("%w: chunk signature not hex", ErrMalformedChunk)
	}
	return size, s, nil
}

// endChunk consumes the CRLF after chunk data and checks the signature.
func (c *chunkedReader) endChunk() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.br, crlf[:]); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
		return err
	} else if err != nil || crlf != [2]byte{'\r', '\n'} {
		return fmt.Errorf("%w: chunk data not followed by CRLF", ErrMalformedChunk)
	}
	if c.signed {
		return c.checkChunkSignature()
	}
	return nil
}

func (c *chunkedReader) checkChunkSignature() error {
	want := c.cs.chunkSignature(c.prevSig, c.h.Sum(nil))
	if !signatureEqual(want, c.chunkSig) {
		return ErrChunkSignatureMismatch
	}
	c.prevSig = c.chunkSig
	return nil
}

// readTrailers reads trailing headers up to the blank line (or EOF), checks
// the trailer signature when required and that every declared trailer came.
func (c *chunkedReader) readTrailers() error {
	c.trailers = make(map[string]string, len(c.names))
	var canonical strings.Builder
	var sig string
	for i := 0; ; i++ {
		line, atEOF, err := c.readLine()
		if err != nil {
			return err
		}
		if atEOF || len(line) == 0 {
			break
		}
		if i >= maxTrailers+1 {
			return fmt.Errorf("%w: too many trailing headers", ErrMalformedChunk)
		}
		k, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return fmt.Errorf("%w: bad trailing header", ErrMalformedChunk)
		}
		name := strings.ToLower(strings.TrimSpace(string(k)))
		value := strings.TrimSpace(string(val))
		if name == trailerSigHdr {
			sig = strings.ToLower(value)
			continue
		}
		canonical.WriteString(name + ":" + value + "\n")
		for _, n := range c.names {
			if n == name {
				c.trailers[name] = value
			}
		}
	}
	if c.trailSig {
		if sig == "" {
			return fmt.Errorf("%w: x-amz-trailer-signature missing", ErrChunkSignatureMismatch)
		}
		if !signatureEqual(c.cs.trailerSignature(c.prevSig, canonical.String()), sig) {
			return ErrChunkSignatureMismatch
		}
	}
	for _, n := range c.names {
		if _, ok := c.trailers[n]; !ok {
			return fmt.Errorf("%w: declared trailer %q missing", ErrMalformedChunk, truncate(n))
		}
	}
	return nil
}
