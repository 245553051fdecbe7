package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	md5simd "github.com/minio/md5-simd"

	"github.com/cofferstore/coffer/pkg/checksum"
)

// cpuTime is the process's user + system CPU time so far (all threads).
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time used since start per MiB moved and per
// operation. CPU time, unlike wall time, barely moves with other load on
// the machine, so before/after comparisons hold on a busy machine.
func reportCPU(b *testing.B, start time.Duration, size int) {
	b.StopTimer()
	cpu := float64(cpuTime(b) - start)
	b.ReportMetric(cpu/float64(b.N), "cpu-ns/op")
	if size >= 1<<20 {
		b.ReportMetric(cpu/(float64(b.N)*float64(size)/(1<<20)), "cpu-ns/MiB")
	}
}

// BenchmarkPutCPU measures the CPU cost of whole PutObject calls (4 drives,
// 2+2, fsync and index commit included), as aws-sdk-go-v2 sends them by
// default: a CRC32 checksum verified against a value known after the body
// (a trailer), or no checksum at all (a plain client). "x8" runs 8 writers
// at once, as `make bench`'s PUT 16 MiB does.
func BenchmarkPutCPU(b *testing.B) {
	for _, tc := range []struct {
		name    string
		size    int
		writers int
		algo    checksum.Algorithm
	}{
		{"16MiB/crc32", 16 << 20, 1, checksum.CRC32},
		{"16MiB/none", 16 << 20, 1, checksum.None},
		{"16MiB/crc32/x8", 16 << 20, 8, checksum.CRC32},
		{"4KiB/crc32", 4 << 10, 1, checksum.CRC32},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ts := benchStore(b, DefaultBlockSize)
			data := randBytes(3, tc.size)
			want := tc.algo.Sum(data)
			opts := PutOptions{Size: int64(len(data)), Checksum: tc.algo}
			if tc.algo != checksum.None {
				opts.ExpectedChecksum = func() (string, error) { return want, nil }
			}
			ctx := context.Background()
			b.SetBytes(int64(tc.size))
			b.ReportAllocs()
			start := cpuTime(b)
			b.ResetTimer()
			if tc.writers == 1 {
				for i := 0; i < b.N; i++ {
					if _, err := ts.PutObject(ctx, "acme", "bkt", fmt.Sprint(i%8), bytes.NewReader(data), opts); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				var next atomic.Int64
				b.SetParallelism((tc.writers + 1) / 2) // GOMAXPROCS 2 here
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := next.Add(1)
						if _, err := ts.PutObject(ctx, "acme", "bkt", fmt.Sprint(i%16), bytes.NewReader(data), opts); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			reportCPU(b, start, tc.size)
		})
	}
}

// BenchmarkGetCPU measures the CPU cost of whole-object GETs (io.Copy to
// io.Discard), the read-side guard for changes to the write path.
func BenchmarkGetCPU(b *testing.B) {
	for _, size := range []int{4 << 10, 16 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			ts := benchStore(b, DefaultBlockSize)
			data := randBytes(4, size)
			ts.put("k", data)
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			start := cpuTime(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := ts.OpenObject(ctx, "acme", "bkt", "k")
				if err != nil {
					b.Fatal(err)
				}
				rc, err := r.Range(ctx, 0, int64(size))
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, rc); err != nil || n != int64(size) {
					b.Fatal(n, err)
				}
				rc.Close()
				r.Close()
			}
			reportCPU(b, start, size)
		})
	}
}

// BenchmarkMD5CPU is the CPU time per MiB of the two MD5 implementations a
// body may get (newMD5): crypto/md5 in the writer's goroutine, and
// md5-simd's multi-stream server with 1-16 streams writing at once. It
// sets simdMD5From.
func BenchmarkMD5CPU(b *testing.B) {
	block := randBytes(5, 1<<20)
	b.Run("stdlib", func(b *testing.B) {
		h, _ := newMD5(0)
		b.SetBytes(int64(len(block)))
		start := cpuTime(b)
		for i := 0; i < b.N; i++ {
			h.Write(block)
		}
		reportCPU(b, start, len(block))
	})
	for _, streams := range []int{1, 2, 3, 4, 8, 16} {
		b.Run(fmt.Sprintf("simd-%d-streams", streams), func(b *testing.B) {
			hs := make([]md5simd.Hasher, streams)
			for i := range hs {
				hs[i] = md5Server().NewHash()
			}
			b.SetBytes(int64(streams * len(block)))
			start := cpuTime(b)
			var wg sync.WaitGroup
			for _, h := range hs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < b.N; i++ {
						h.Write(block)
					}
				}()
			}
			wg.Wait()
			reportCPU(b, start, streams*len(block))
			for _, h := range hs {
				h.Sum(nil)
				h.Close()
			}
		})
	}
}
