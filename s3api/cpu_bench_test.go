package s3api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// processCPU is the process's user + system CPU time so far (all threads:
// server and SDK client alike, since both run in this process).
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportProcessCPU(b *testing.B, start time.Duration, size int) {
	b.StopTimer()
	cpu := float64(processCPU(b) - start)
	b.ReportMetric(cpu/float64(b.N), "cpu-ns/op")
	if size >= 1<<20 {
		b.ReportMetric(cpu/(float64(b.N)*float64(size)/(1<<20)), "cpu-ns/MiB")
	}
}

// BenchmarkPutObjectCPU is BenchmarkPutObject reporting CPU time (server
// and client together) per MiB: TLS, so the SDK sends its default CRC32
// trailer with STREAMING-UNSIGNED-PAYLOAD-TRAILER. "x8": 8 writers.
func BenchmarkPutObjectCPU(b *testing.B) {
	for _, tc := range []struct {
		size, writers int
	}{{16 << 20, 1}, {16 << 20, 8}, {4 << 10, 1}} {
		b.Run(fmt.Sprintf("%dKiB/x%d", tc.size>>10, tc.writers), func(b *testing.B) {
			e := newEnv(b, "alpha")
			c := e.client("alpha", sdkDefault)
			mkBucket(b, c, "bench")
			body := randomBytes(7, tc.size)
			ctx := context.Background()
			putOne := func(i int64) error {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"),
					Key: aws.String(fmt.Sprint(i % 16)), Body: bytes.NewReader(body)})
				return err
			}
			b.SetBytes(int64(tc.size))
			start := processCPU(b)
			b.ResetTimer()
			if tc.writers == 1 {
				for i := 0; i < b.N; i++ {
					if err := putOne(int64(i)); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				var next atomic.Int64
				b.SetParallelism((tc.writers + 1) / 2)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := putOne(next.Add(1)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			reportProcessCPU(b, start, tc.size)
		})
	}
}

// BenchmarkGetObjectCPU is BenchmarkGetObject reporting CPU time per MiB.
func BenchmarkGetObjectCPU(b *testing.B) {
	for _, size := range []int{4 << 10, 16 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			e := newEnv(b, "alpha")
			c := e.client("alpha", sdkDefault)
			mkBucket(b, c, "bench")
			put(b, c, "bench", "k", randomBytes(8, size))
			b.SetBytes(int64(size))
			start := processCPU(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("k")})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, g.Body); err != nil {
					b.Fatal(err)
				}
				g.Body.Close()
			}
			reportProcessCPU(b, start, size)
		})
	}
}
