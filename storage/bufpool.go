package storage

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// bufTrimInterval is how often a pool returns the buffers that no request
// took during the whole previous interval to the operating system.
const bufTrimInterval = time.Second

// bufPool is the free list of one codec's block buffers of one size. The
// buffers live outside the Go heap, each in its own anonymous mapping, for
// two reasons. A block buffer is 3 MiB (a 1 MiB block and its 2+2 framed
// shards) and concurrent large requests hold dozens of them: on the heap,
// the garbage collector lets the heap grow to twice its live data before
// it collects (GOGC=100), so every MiB of buffers in use cost two of RSS,
// and sync.Pool kept what a burst had allocated until two collections
// later. Here a buffer in use costs its own size and nothing more, and a
// buffer that no request took for a whole bufTrimInterval is given back
// with madvise(MADV_DONTNEED): the server's RSS falls back to its idle
// size within two intervals of the end of a load, while a steady load
// keeps the buffers it cycles through. A released buffer stays mapped and
// in the free list; its pages come back, zeroed, when it is used again.
// Nothing is ever unmapped, so a slice of a buffer is never a dangling
// pointer (the free list never holds more buffers than were in use at
// once).
type bufPool struct {
	size     int                    // bytes of one buffer's mapping
	interval time.Duration          // between trims: bufTrimInterval
	carve    func([]byte) *codecBuf // lays a buffer out in a fresh mapping

	mu       sync.Mutex
	free     []*codecBuf // most recently returned last
	low      int         // fewest buffers in free since the last trim (>= released)
	released int         // free[:released] have had their pages released
	armed    bool        // a trim is scheduled
	mapped   int         // buffers ever mapped (the pool's peak use)
}

// newBufPool returns a pool of buffers of size bytes laid out by carve.
func newBufPool(size int, carve func([]byte) *codecBuf) *bufPool {
	return &bufPool{size: (size + pageSize - 1) &^ (pageSize - 1), interval: bufTrimInterval, carve: carve}
}

// pageSize is the granularity of mappings and of madvise.
var pageSize = unix.Getpagesize()

// get returns a free buffer, mapping a new one when none is free.
func (p *bufPool) get() *codecBuf {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		p.low = min(p.low, n-1)
		p.released = min(p.released, n-1)
		p.mu.Unlock()
		return b
	}
	p.mapped++
	p.mu.Unlock()
	mem, err := unix.Mmap(-1, 0, p.size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		// Out of address space or map count: a heap buffer still works
		// (b.mem stays nil: heap memory is never madvised).
		b := p.carve(make([]byte, p.size))
		b.pool = p
		return b
	}
	b := p.carve(mem)
	b.mem, b.pool = mem, p
	return b
}

// put returns b to the free list; the caller must not use b afterwards.
func (p *bufPool) put(b *codecBuf) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, b)
	if !p.armed {
		p.armed = true
		p.low = len(p.free) - 1 // b was not free before this interval
		time.AfterFunc(p.interval, p.trim)
	}
}

// trim releases the pages of the buffers that stayed in the free list for
// the whole interval since the last trim (the bottom p.low entries, as get
// takes from the top), and schedules the next trim while any free buffer
// is still resident.
func (p *bufPool) trim() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.free[p.released:max(p.low, p.released)] {
		if b.mem != nil {
			// An error leaves the pages resident: memory, not bytes, lost.
			_ = unix.Madvise(b.mem, unix.MADV_DONTNEED)
		}
	}
	p.released = max(p.released, p.low)
	p.low = len(p.free)
	p.armed = p.released < len(p.free)
	if p.armed {
		time.AfterFunc(p.interval, p.trim)
	}
}

// stats returns the pool's buffers ever mapped, free, and free but still
// resident (for tests).
func (p *bufPool) stats() (mapped, free, resident int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mapped, len(p.free), len(p.free) - p.released
}
