package auth

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/minio/sha256-simd"
)

// BenchmarkVerifySigV4Header measures header verification of a GET signed
// by the SDK signer (signing key cached, as in steady state).
func BenchmarkVerifySigV4Header(b *testing.B) {
	now := time.Now()
	tmpl, _ := http.NewRequest("GET", "http://127.0.0.1:9000/bucket/some/key.txt?versionId=3", nil)
	tmpl.Header.Set("Range", "bytes=0-1023")
	signV4(b, tmpl, emptySHA256Hex, testAccessKey, testSecret, "us-east-1", now)
	benchVerify(b, tmpl, now)
}

// BenchmarkVerifyPresigned measures presigned-URL verification.
func BenchmarkVerifyPresigned(b *testing.B) {
	now := time.Now()
	req, _ := http.NewRequest("GET", "http://127.0.0.1:9000/bucket/some/key.txt?X-Amz-Expires=900", nil)
	u := presignV4(b, req, testAccessKey, testSecret, now)
	tmpl, _ := http.NewRequest("GET", u, nil)
	benchVerify(b, tmpl, now)
}

// benchVerify verifies copies of the signed request tmpl at the time now.
func benchVerify(b *testing.B, tmpl *http.Request, now time.Time) {
	v := NewVerifier(testKeys, VerifierOptions{Now: func() time.Time { return now }})
	b.ReportAllocs()
	for b.Loop() {
		r := *tmpl
		if _, err := v.Verify(&r, Target{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchChunked(b *testing.B, mode payloadMode, chunkSize int) {
	const size = 16 << 20
	pattern := []byte("coffer-bench-0123456789abcdef!\n")
	data := bytes.Repeat(pattern, size/len(pattern)+1)[:size]
	at := time.Now().UTC()
	scope := credentialScope{accessKey: testAccessKey, date: at.Format(scopeDateLayout), region: "us-east-1", service: "s3"}
	seed := sha256HexBytes([]byte("seed"))
	signed := mode != modeStreamingUnsignedTrl
	body := newChunkEncoder(testSecret, at, "us-east-1", seed, signed).encode(data, chunkSize, nil, mode == modeStreamingTrailer)
	cs := chunkSigner{key: deriveSigningKey(testSecret, scope), timestamp: at.Format(iso8601Basic), scope: scope.String(), seed: seed}
	buf := make([]byte, 256<<10)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		cr := newChunkedReader(io.NopCloser(bytes.NewReader(body)), size, nil, mode, cs)
		n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{cr}, buf)
		if err != nil || n != size {
			b.Fatalf("%d %v", n, err)
		}
	}
}

// BenchmarkChunkedSigned64K decodes STREAMING-AWS4-HMAC-SHA256-PAYLOAD with
// 64 KiB chunks (the SDKs' size), checking every chunk signature.
func BenchmarkChunkedSigned64K(b *testing.B) { benchChunked(b, modeStreaming, 64<<10) }

// BenchmarkChunkedSigned1M decodes signed chunks of 1 MiB.
func BenchmarkChunkedSigned1M(b *testing.B) { benchChunked(b, modeStreaming, 1<<20) }

// BenchmarkChunkedUnsignedTrailer64K decodes STREAMING-UNSIGNED-PAYLOAD-TRAILER.
func BenchmarkChunkedUnsignedTrailer64K(b *testing.B) {
	benchChunked(b, modeStreamingUnsignedTrl, 64<<10)
}

// BenchmarkPayloadSHA256 measures the hex payload hash check.
func BenchmarkPayloadSHA256(b *testing.B) {
	const size = 16 << 20
	data := bytes.Repeat([]byte("x"), size)
	sum := sha256.Sum256(data)
	want := sum[:]
	buf := make([]byte, 256<<10)
	b.SetBytes(size)
	for b.Loop() {
		r := &sha256Reader{src: io.NopCloser(bytes.NewReader(data)), h: sha256.New(), want: want}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
			b.Fatal(err)
		}
	}
}
