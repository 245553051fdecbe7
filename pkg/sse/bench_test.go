package sse

import (
	"bytes"
	"crypto/md5"
	"io"
	"syscall"
	"testing"
	"time"
)

const benchSize = 16 << 20

// onlyWriter and onlyReader hide WriteTo/ReadFrom so io.CopyBuffer moves the
// bytes through its 64 KiB buffer, as a server streaming a body does.
type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

// BenchmarkCopy is the baseline: a 16 MiB body copied in 64 KiB pieces.
func BenchmarkCopy(b *testing.B) {
	plain := payload(benchSize, 1)
	buf := make([]byte, DefaultChunkSize)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	defer reportCPU(b, cpuTime(b))
	for b.Loop() {
		_, _ = io.CopyBuffer(onlyWriter{io.Discard}, onlyReader{bytes.NewReader(plain)}, buf)
	}
}

// BenchmarkEncrypt: a 16 MiB body copied into the encrypting writer with
// io.Copy (so through its ReadFrom).
func BenchmarkEncrypt(b *testing.B) {
	_, c := mustCipher(b, testCtx)
	plain := payload(benchSize, 1)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	defer reportCPU(b, cpuTime(b))
	for b.Loop() {
		w, _ := rewritable(c).NewWriter(io.Discard)
		_, _ = io.Copy(w, onlyReader{bytes.NewReader(plain)})
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecrypt: a 16 MiB object read back through the stream reader
// with io.Copy (so through its WriteTo).
func BenchmarkDecrypt(b *testing.B) {
	_, c := mustCipher(b, testCtx)
	ct := encrypt(b, c, payload(benchSize, 1), 1<<20)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	defer reportCPU(b, cpuTime(b))
	for b.Loop() {
		r := c.NewReader(bytes.NewReader(ct))
		if n, err := io.Copy(onlyWriter{io.Discard}, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkDecryptRange: the same through DecryptRange (GET with a known size).
func BenchmarkDecryptRange(b *testing.B) {
	_, c := mustCipher(b, testCtx)
	ct := encrypt(b, c, payload(benchSize, 1), 1<<20)
	fetch := FetchFrom(bytes.NewReader(ct))
	b.SetBytes(benchSize)
	b.ReportAllocs()
	defer reportCPU(b, cpuTime(b))
	for b.Loop() {
		rc, _ := c.DecryptRange(fetch, benchSize, 0, benchSize)
		if n, err := io.Copy(onlyWriter{io.Discard}, rc); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
	}
}

// cpuTime is the process's user + system CPU time (all threads). CPU time
// per MiB, unlike wall time, barely moves with other load on the machine.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports cpu-ns/MiB since start; run it deferred.
func reportCPU(b *testing.B, start time.Duration) {
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-start)/(float64(b.N)*benchSize/(1<<20)), "cpu-ns/MiB")
}

// BenchmarkMD5 is a yardstick from docs/benchmarks.md (crypto/md5, 1.3 ms
// of CPU per MiB there): every PUT already hashes its body once.
func BenchmarkMD5(b *testing.B) {
	plain := payload(benchSize, 1)
	b.SetBytes(benchSize)
	defer reportCPU(b, cpuTime(b))
	for b.Loop() {
		h := md5.New()
		h.Write(plain)
		h.Sum(nil)
	}
}
