package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestServerMemoryOfSelf samples this process as the "server": its CPU
// time grows with work, the idle phase records one sample per second, and
// the report names the peak's workload.
func TestServerMemoryOfSelf(t *testing.T) {
	pid := os.Getpid()
	before, err := procCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; {
		x++
	}
	after, err := procCPU(pid)
	if err != nil || after <= before {
		t.Fatalf("CPU %v -> %v (%v) after 200 ms of spinning (%d)", before, after, err, x)
	}
	m := &ServerMemory{PeakRSS: 64 << 20, PeakOf: "mixed"}
	if err := idleMemory(context.Background(), pid, 2*time.Second, m); err != nil {
		t.Fatal(err)
	}
	if len(m.IdleTrace) < 2 || m.EndRSS <= 0 || m.IdleRSS != m.IdleTrace[len(m.IdleTrace)-1] || m.IdleSeconds < 2 ||
		m.IdleAnon <= 0 || m.IdleFile <= 0 || m.IdleAnon+m.IdleFile > 2*m.IdleRSS {
		t.Fatalf("idle phase: %+v", m)
	}
	var out bytes.Buffer
	writeMemory(&out, []Run{{Memory: m, Results: []Result{{Workload: "mixed", PeakRSS: 64 << 20}}}})
	if !strings.Contains(out.String(), "peak **64 MiB** (mixed)") || !strings.Contains(out.String(), "mixed 64") {
		t.Fatalf("report:\n%s", out.String())
	}
}
