package s3api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BenchmarkPutObject measures PutObject through the whole stack (SDK, TLS
// loopback, SigV4 with CRC trailers, erasure coding 2+2, fsync, bbolt).
func BenchmarkPutObject(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			e := newEnv(b, "alpha")
			c := e.client("alpha", sdkDefault)
			mkBucket(b, c, "bench")
			body := randomBytes(7, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bench"),
					Key: aws.String(fmt.Sprint(i % 16)), Body: bytes.NewReader(body)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGetObject measures whole-object GETs through the whole stack.
func BenchmarkGetObject(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			e := newEnv(b, "alpha")
			c := e.client("alpha", sdkDefault)
			mkBucket(b, c, "bench")
			put(b, c, "bench", "k", randomBytes(8, size))
			b.SetBytes(int64(size))
			for b.Loop() {
				g, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("k")})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, g.Body); err != nil {
					b.Fatal(err)
				}
				g.Body.Close()
			}
		})
	}
}
