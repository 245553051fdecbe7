package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// residentPages counts the pages of mem that are in RAM (mincore).
func residentPages(t *testing.T, mem []byte) int {
	t.Helper()
	vec := make([]byte, (len(mem)+pageSize-1)/pageSize)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(mem))), uintptr(len(mem)), uintptr(unsafe.Pointer(unsafe.SliceData(vec))))
	if errno != 0 {
		t.Fatalf("mincore: %v", errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

func testPool(t *testing.T) *bufPool {
	t.Helper()
	c := &codec{data: 2, parity: 2, blockSize: 1 << 20, align: frameAlign}
	return c.newPool(c.blockSize)
}

// TestBufPoolReleasesIdleBuffers: a buffer free for a whole trim interval
// has its pages given back (not resident), one taken during the interval
// keeps them, and a released buffer works again when taken.
func TestBufPoolReleasesIdleBuffers(t *testing.T) {
	p := testPool(t)
	p.interval = time.Hour // trimmed by hand below, not by the timer
	bufs := []*codecBuf{p.get(), p.get(), p.get()}
	for i, b := range bufs {
		if b.mem == nil {
			t.Fatal("buffer not mapped outside the heap")
		}
		if uintptr(unsafe.Pointer(unsafe.SliceData(b.frames[1])))%frameAlign != 0 {
			t.Fatalf("frame 1 not aligned to %d (direct I/O)", frameAlign)
		}
		for j := range b.mem {
			b.mem[j] = byte(i + 1)
		}
	}
	for _, b := range bufs {
		if residentPages(t, b.mem) != len(b.mem)/pageSize {
			t.Fatal("written buffer not resident")
		}
		p.put(b)
	}
	// First trim: the buffers were free for part of the interval only.
	p.trim()
	if _, free, resident := p.stats(); free != 3 || resident != 3 {
		t.Fatalf("after the first trim: %d free, %d resident; want 3, 3", free, resident)
	}
	hot := p.get() // taken and returned within the interval: stays resident
	p.put(hot)
	p.trim()
	if _, free, resident := p.stats(); free != 3 || resident != 1 {
		t.Fatalf("after the second trim: %d free, %d resident; want 3, 1", free, resident)
	}
	if residentPages(t, hot.mem) == 0 {
		t.Fatal("the buffer in use during the interval was released")
	}
	for _, b := range bufs {
		if b != hot && residentPages(t, b.mem) != 0 {
			t.Fatalf("idle buffer still has %d resident pages", residentPages(t, b.mem))
		}
	}
	p.trim()
	mapped, free, resident := p.stats()
	if mapped != 3 || free != 3 || resident != 0 {
		t.Fatalf("after the third trim: %d mapped, %d free, %d resident; want 3, 3, 0", mapped, free, resident)
	}
	// A released buffer is reused, not mapped again, and holds new bytes.
	b := p.get()
	copy(b.block, bytes.Repeat([]byte{7}, len(b.block)))
	if !bytes.Equal(b.block, bytes.Repeat([]byte{7}, len(b.block))) {
		t.Fatal("reused buffer does not hold what was written")
	}
	if mapped, _, _ := p.stats(); mapped != 3 {
		t.Fatalf("%d buffers mapped after reuse, want 3", mapped)
	}
	p.put(b)
}

// TestBufPoolTrimsAfterLoad: after concurrent users stop, the pool's
// timer releases every free buffer without further calls (bounded wait).
func TestBufPoolTrimsAfterLoad(t *testing.T) {
	p := testPool(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				b := p.get()
				b.block[0] = 1
				p.put(b)
			}
		}()
	}
	wg.Wait()
	mapped, free, _ := p.stats()
	if mapped == 0 || mapped > 8 || free != mapped {
		t.Fatalf("%d mapped, %d free after 8 users: want 1-8 mapped, all free", mapped, free)
	}
	deadline := time.Now().Add(4*bufTrimInterval + 5*time.Second)
	for {
		if _, _, resident := p.stats(); resident == 0 {
			break
		}
		if time.Now().After(deadline) {
			_, _, resident := p.stats()
			t.Fatalf("%d free buffers still resident long after the load", resident)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, b := range p.free {
		if n := residentPages(t, b.mem); n != 0 {
			t.Fatalf("released buffer has %d resident pages", n)
		}
	}
}

// TestSmallObjectsTakeSmallBuffers: a PUT and a GET of a body that fits in
// the small block use the small pool; larger or unknown sizes the full one.
func TestSmallObjectsTakeSmallBuffers(t *testing.T) {
	c, err := getCodec(2, 2, 1<<20, frameAlign)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		size  int64
		small bool
	}{{0, true}, {4096, true}, {inlineMax, true}, {inlineMax + 1, false}, {1 << 20, false}, {-1, false}} {
		b := c.getBufFor(tc.size)
		if got := b.pool == c.small; got != tc.small {
			t.Errorf("size %d: small buffer %v, want %v", tc.size, got, tc.small)
		}
		if tc.small && (len(b.block) != inlineMax || cap(b.frames[0]) < c.frameLen(c.shardSize(inlineMax))) {
			t.Errorf("small buffer: block %d, frame cap %d", len(b.block), cap(b.frames[0]))
		}
		c.putBuf(b)
	}

	// Through the store (1 MiB blocks, as served): the bytes of objects
	// on either side of the small block survive both pools, read with
	// Read (the joined block) and with WriteTo (the shards as they are).
	ts := newTestStore(t, 4, func(c *Config) { c.BlockSize = 1 << 20 })
	for i, size := range []int{0, 4096, inlineMax, inlineMax + 1, 3<<20 + 5} {
		body := randBytes(uint64(i), size)
		key := fmt.Sprintf("k%d", size)
		ts.put(key, body)
		ts.mustRead(key, body)
		r, err := ts.OpenObject(context.Background(), "acme", "bkt", key)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := r.Range(context.Background(), 0, int64(size))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := io.Copy(&out, rc); err != nil || !bytes.Equal(out.Bytes(), body) {
			t.Fatalf("size %d: WriteTo gave %d bytes (%v), not the %d written", size, out.Len(), err, size)
		}
		rc.Close()
		r.Close()
	}
}
