package s3api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// BenchmarkSSEObjectCPU is PUT and GET of 16 MiB through the HTTP server
// (TLS, aws-sdk-go-v2 with its default CRC32 trailer; server and client
// CPU together) with and without SSE-S3, for docs/benchmarks.md.
func BenchmarkSSEObjectCPU(b *testing.B) {
	const size = 16 << 20
	for _, sse := range []types.ServerSideEncryption{"", types.ServerSideEncryptionAes256} {
		name := "plain"
		if sse != "" {
			name = "sse-s3"
		}
		e := newEnv(b, "alpha")
		c := e.client("alpha", sdkDefault)
		mkBucket(b, c, "bench")
		body := randomBytes(7, size)
		ctx := context.Background()
		b.Run("put/"+name, func(b *testing.B) {
			b.SetBytes(size)
			start := processCPU(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprint(i % 8)),
					Body: bytes.NewReader(body), ServerSideEncryption: sse}); err != nil {
					b.Fatal(err)
				}
			}
			reportProcessCPU(b, start, size)
		})
		b.Run("get/"+name, func(b *testing.B) {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("k"),
				Body: bytes.NewReader(body), ServerSideEncryption: sse}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			start := processCPU(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("k")})
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, g.Body); err != nil || n != size {
					b.Fatal(n, err)
				}
				g.Body.Close()
			}
			reportProcessCPU(b, start, size)
		})
	}
}
