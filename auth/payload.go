package auth

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/minio/sha256-simd"
)

// payloadMode is how the body of a SigV4 request is protected, from
// x-amz-content-sha256.
type payloadMode int

const (
	modeUnsigned             payloadMode = iota // UNSIGNED-PAYLOAD
	modeSHA256                                  // hex SHA-256 of the body
	modeStreaming                               // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
	modeStreamingTrailer                        // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
	modeStreamingUnsignedTrl                    // STREAMING-UNSIGNED-PAYLOAD-TRAILER
)

func parsePayloadMode(h string) (payloadMode, error) {
	switch h {
	case payloadUnsigned:
		return modeUnsigned, nil
	case payloadStreaming:
		return modeStreaming, nil
	case payloadStreamTrail:
		return modeStreamingTrailer, nil
	case payloadUnsignedTr:
		return modeStreamingUnsignedTrl, nil
	case "":
		return 0, fmt.Errorf("%w: x-amz-content-sha256 header is required", ErrInvalidContentSHA256)
	}
	if strings.HasPrefix(h, "STREAMING-") {
		return 0, fmt.Errorf("%w: unsupported streaming mode", ErrUnsupportedAuth)
	}
	if len(h) == 64 {
		if _, err := hex.DecodeString(h); err == nil {
			return modeSHA256, nil
		}
	}
	return 0, fmt.Errorf("%w: not a SHA-256 hex digest or known payload mode", ErrInvalidContentSHA256)
}

// payload wraps r.Body according to mode and fills in the Verified result.
func (v *Verifier) payload(r *http.Request, id Identity, mode payloadMode, payloadHash string, cs chunkSigner) (*Verified, error) {
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	out := &Verified{Identity: id, Body: body, DecodedLength: r.ContentLength, Trailer: noTrailer}
	if out.DecodedLength < 0 {
		out.DecodedLength = -1
	}
	switch mode {
	case modeUnsigned:
		return out, nil
	case modeSHA256:
		want, _ := hex.DecodeString(strings.ToLower(payloadHash))
		out.Body = &sha256Reader{src: body, h: sha256.New(), want: want}
		return out, nil
	}
	declared, err := decodedLength(r)
	if err != nil {
		return nil, err
	}
	names := trailerNames(r.Header.Get("X-Amz-Trailer"))
	if mode == modeStreaming {
		names = nil
	}
	cr := newChunkedReader(body, declared, names, mode, cs)
	out.Body = cr
	out.DecodedLength = declared
	out.TrailerNames = names
	out.Trailer = cr.trailer
	return out, nil
}

// decodedLength reads x-amz-decoded-content-length.
func decodedLength(r *http.Request) (int64, error) {
	s := r.Header.Get("X-Amz-Decoded-Content-Length")
	if s == "" {
		return 0, ErrMissingDecodedLength
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || !allDigits(s) {
		return 0, fmt.Errorf("%w: bad x-amz-decoded-content-length", ErrMalformedChunk)
	}
	return n, nil
}

// trailerNames parses x-amz-trailer into lower-case names.
func trailerNames(h string) []string {
	var names []string
	for _, n := range strings.Split(h, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		if n != "" && len(names) < maxTrailers {
			names = append(names, n)
		}
	}
	return names
}

// sha256Reader passes a body through and, at EOF, fails with
// ErrContentSHA256Mismatch unless it hashed to want.
type sha256Reader struct {
	src  io.ReadCloser
	h    hash.Hash
	want []byte
	err  error
}

func (s *sha256Reader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.src.Read(p)
	s.h.Write(p[:n])
	if err == io.EOF {
		if !bytes.Equal(s.h.Sum(nil), s.want) {
			err = ErrContentSHA256Mismatch
		}
	}
	if err != nil {
		s.err = err
	}
	return n, err
}

func (s *sha256Reader) Close() error { return s.src.Close() }
