package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in       string
		rss, hwm int64
		ok       bool
	}{
		{"Name:\tcoffer\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t9\n", 100 << 20, 200 << 20, true},
		{"VmRSS:\t1 kB\n", 0, 0, false},
		{"VmRSS:\t1 MB\nVmHWM:\t1 kB\n", 0, 0, false},
		{"VmRSS:\tx kB\nVmHWM:\t1 kB\n", 0, 0, false},
	}
	for _, tt := range tests {
		rss, hwm, err := parseStatus(strings.NewReader(tt.in))
		if (err == nil) != tt.ok || rss != tt.rss || hwm != tt.hwm {
			t.Errorf("parseStatus(%q) = %d, %d, %v; want %d, %d, ok=%v", tt.in, rss, hwm, err, tt.rss, tt.hwm, tt.ok)
		}
	}
	rss, hwm, err := procMemory(os.Getpid())
	if err != nil || rss <= 0 || hwm < rss {
		t.Fatalf("own process: rss %d hwm %d err %v", rss, hwm, err)
	}
}

// TestGenReader checks the generator's length, that it gives the same bytes
// whatever the read sizes, and that blocks and seeds differ.
func TestGenReader(t *testing.T) {
	pattern := newPattern(7)
	size := int64(3*genBlock + 12345)
	whole, err := io.ReadAll(&genReader{pattern: pattern, seed: 1, size: size})
	if err != nil || int64(len(whole)) != size {
		t.Fatalf("read %d bytes, %v; want %d", len(whole), err, size)
	}
	odd, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(&genReader{pattern: pattern, seed: 1, size: size}, 20)))
	if err != nil || !bytes.Equal(odd, whole[:20]) {
		t.Fatalf("byte-wise read %x, want %x", odd, whole[:20])
	}
	half, _ := io.ReadAll(iotest.HalfReader(&genReader{pattern: pattern, seed: 1, size: size}))
	if !bytes.Equal(half, whole) {
		t.Fatal("half-size reads give other bytes")
	}
	if bytes.Equal(whole[:genBlock], whole[genBlock:2*genBlock]) {
		t.Fatal("two blocks are equal")
	}
	other, _ := io.ReadAll(&genReader{pattern: pattern, seed: 2, size: size})
	if bytes.Equal(other, whole) {
		t.Fatal("two seeds give the same body")
	}
}

// TestMemoryMode runs the memory benchmark with small sizes against a real
// server in this process, sampling this process's RSS: within generous bounds
// it passes, with a 1-byte bound it must fail.
func TestMemoryMode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	_, c := startServer(t)
	o := memoryOptions{PID: os.Getpid(), Bucket: "t-memory", StreamSize: 5<<20 + 3, Uploads: 4, UploadSize: 2 << 20,
		StreamLimit: 4 << 30, UploadLimit: 4 << 30}
	var out, errs bytes.Buffer
	json := t.TempDir() + "/memory.json"
	if err := runMemory(context.Background(), c, o, json, &out, &errs); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	if n := strings.Count(out.String(), "| meets |"); n != 3 {
		t.Fatalf("want 3 phases that meet the bound:\n%s", out.String())
	}
	if b, err := os.ReadFile(json); err != nil || !bytes.Contains(b, []byte(`"peakRSS"`)) {
		t.Fatalf("json: %s, %v", b, err)
	}
	o.Bucket, o.StreamLimit = "t-memory-low", 1
	err := runMemory(context.Background(), c, o, "", &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "memory bound missed") {
		t.Fatalf("err = %v, want a missed bound", err)
	}
}
