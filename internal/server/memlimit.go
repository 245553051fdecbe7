package server

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// MemoryLimitAuto asks ApplyMemoryLimit for half of the memory the process
// may use: enough headroom for the page cache and a burst, and a soft limit
// the garbage collector works toward under attack instead of growing RSS
// until the kernel's OOM killer ends the process.
const MemoryLimitAuto int64 = -1

// ApplyMemoryLimit sets the Go runtime's soft memory limit
// (debug.SetMemoryLimit) for the whole process, unless GOMEMLIMIT is set in
// the environment, which wins. limit 0 turns the limit off; MemoryLimitAuto
// uses half of the machine's memory or of the cgroup's limit, whichever is
// smaller. It returns the limit in force (0: none) and where it came from.
func ApplyMemoryLimit(limit int64) (inForce int64, source string) {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT"
	}
	source = "--memory-limit"
	if limit == MemoryLimitAuto {
		limit, source = availableMemory()/2, "half of the available memory"
	}
	if limit <= 0 {
		debug.SetMemoryLimit(1<<63 - 1) // the runtime's "no limit"
		return 0, "off"
	}
	debug.SetMemoryLimit(limit)
	return limit, source
}

// availableMemory is the machine's memory, or the cgroup v2 limit when that
// is smaller; 0 when neither can be read.
func availableMemory() int64 {
	total := physicalMemory()
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n // "max" (no limit) does not parse and is ignored
		}
	}
	return total
}

// gcHeadroom is the least garbage the collector lets pile up between two
// cycles (see GCHeadroom).
const gcHeadroom = 32 << 20

// GCHeadroom allocates and returns a never-touched buffer of gcHeadroom
// bytes (an eighth of limit when a smaller memory limit is in force) that
// the process must keep alive. The collector starts a cycle when the heap
// doubles its live data (GOGC=100), and the live heap of this server is
// small: storage's block buffers are outside the Go heap. Without a floor,
// 4 KiB GETs ran a collection every ~5 MiB of garbage, 5 times as often as
// with the buffers on the heap, and spent 8% of the CPU on it. The buffer
// counts as live data, so it adds its size to the garbage allowed between
// cycles, but its pages are never written, so it costs address space and
// no RSS (a fresh span from the OS is not zeroed by the runtime).
func GCHeadroom(limit int64) []byte {
	n := int64(gcHeadroom)
	if limit > 0 {
		n = min(n, limit/8)
	}
	return make([]byte, n)
}
