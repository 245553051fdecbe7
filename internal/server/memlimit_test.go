package server

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestApplyMemoryLimit: a size sets the runtime's soft limit, 0 turns it
// off, auto takes half of the available memory, and GOMEMLIMIT wins.
func TestApplyMemoryLimit(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(orig) })
	t.Setenv("GOMEMLIMIT", "")

	if got, src := ApplyMemoryLimit(512 << 20); got != 512<<20 || src != "--memory-limit" || debug.SetMemoryLimit(-1) != 512<<20 {
		t.Fatalf("512 MiB: %d from %q, runtime %d", got, src, debug.SetMemoryLimit(-1))
	}
	if got, src := ApplyMemoryLimit(0); got != 0 || src != "off" || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Fatalf("off: %d from %q, runtime %d", got, src, debug.SetMemoryLimit(-1))
	}
	if runtime.GOOS == "linux" {
		got, _ := ApplyMemoryLimit(MemoryLimitAuto)
		if got <= 0 || got > physicalMemory()/2 || debug.SetMemoryLimit(-1) != got {
			t.Fatalf("auto: %d (machine %d), runtime %d", got, physicalMemory(), debug.SetMemoryLimit(-1))
		}
	}
	// The runtime reads GOMEMLIMIT at start; here it is set by hand as it would be.
	t.Setenv("GOMEMLIMIT", "300MiB")
	debug.SetMemoryLimit(300 << 20)
	if got, src := ApplyMemoryLimit(512 << 20); got != 300<<20 || src != "GOMEMLIMIT" {
		t.Fatalf("with GOMEMLIMIT: %d from %q, want the environment's 300 MiB", got, src)
	}
}
