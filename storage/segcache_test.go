package storage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// openPackFDs counts this process's descriptors open on pack segments of
// the given drives, from /proc/self/fd.
func openPackFDs(t *testing.T, drives []string) (pack, all int) {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue
		}
		all++
		for _, d := range drives {
			if strings.HasPrefix(target, filepath.Join(d, packDir)+"/") {
				pack++
				break
			}
		}
	}
	return pack, all
}

// TestPackDescriptorsBounded spreads small objects over many more pack
// segments than the descriptor cache holds (every Open starts a new
// segment) and reads them from concurrent readers: every read is
// byte-identical and error free (no descriptor is closed under a read),
// and the descriptors open on segments stay within the cache's capacity
// plus the reads in flight, then fall back to the capacity.
func TestPackDescriptorsBounded(t *testing.T) {
	const capacity, opens, perOpen, readers, rounds = 6, 16, 3, 8, 6
	ts := newTestStore(t, 4, func(c *Config) { c.PackFiles = capacity })
	objs := map[string][]byte{}
	for o := 0; o < opens; o++ {
		for k := 0; k < perOpen; k++ {
			key := fmt.Sprintf("o%02d-%d", o, k)
			objs[key] = randBytes(uint64(o*perOpen+k), 100+o*300+k)
			ts.put(key, objs[key])
		}
		ts.reopen()
	}
	if n := len(packFiles(t, ts.drives[0])); n < opens {
		t.Fatalf("%d segments on drive 0, want at least %d", n, opens)
	}
	keys := make([]string, 0, len(objs))
	for k := range objs {
		keys = append(keys, k)
	}
	pack0, all0 := openPackFDs(t, ts.drives)

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			n, _ := openPackFDs(t, ts.drives)
			if int64(n) > peak.Load() {
				peak.Store(int64(n))
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	var failures atomic.Int64
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < rounds; round++ {
				for i := range keys {
					k := keys[(i*7+r*13+round)%len(keys)]
					got, err := ts.read(k, 0, -1)
					if err != nil || !bytes.Equal(got, objs[k]) {
						if failures.Add(1) <= 5 {
							t.Errorf("reader %d: %s: %v (equal=%v)", r, k, err, bytes.Equal(got, objs[k]))
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	pack1, all1 := openPackFDs(t, ts.drives)
	t.Logf("pack segment fds: %d before the reads, peak %d, %d after (capacity %d, %d segments per drive); all fds %d -> %d",
		pack0, peak.Load(), pack1, capacity, len(packFiles(t, ts.drives[0])), all0, all1)
	// In flight: each reader reads a packed object's four copies at once.
	if max := int64(capacity + readers*len(ts.drives) + len(ts.drives)); peak.Load() > max {
		t.Fatalf("peak of %d descriptors on pack segments, bound %d", peak.Load(), max)
	}
	// At rest: the cache, plus each drive's active segment (its appender's).
	if pack1 > capacity+len(ts.drives) {
		t.Fatalf("%d descriptors on pack segments after the reads, want at most %d", pack1, capacity+len(ts.drives))
	}
	if all1 > all0+capacity {
		t.Fatalf("open descriptors grew from %d to %d", all0, all1)
	}
}

// TestSegCacheNeverClosesUnderReader: a descriptor dropped or evicted while
// a read holds it stays open until that read releases it.
func TestSegCacheNeverClosesUnderReader(t *testing.T) {
	dir := t.TempDir()
	paths := make([]string, 3)
	for i := range paths {
		paths[i] = filepath.Join(dir, segName(uint32(i+1)))
		if err := os.WriteFile(paths[i], []byte(fmt.Sprintf("segment %d", i)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := newSegCache(1)
	key := func(i int) segKey { return segKey{dir: dir, seg: uint32(i + 1)} }
	held, err := c.acquire(key(0))
	if err != nil {
		t.Fatal(err)
	}
	// Over capacity while held: the others come and go, held stays.
	for i := 1; i < 3; i++ {
		fd, err := c.acquire(key(i))
		if err != nil {
			t.Fatal(err)
		}
		c.release(fd)
	}
	c.drop(key(0), nil)
	c.dropDir(dir)
	buf := make([]byte, 9)
	if _, err := held.f.ReadAt(buf, 0); err != nil || string(buf) != "segment 0" {
		t.Fatalf("read through a held descriptor after eviction and drop: %q %v", buf, err)
	}
	c.release(held)
	if _, err := held.f.ReadAt(buf, 0); err == nil {
		t.Fatal("a dropped descriptor stayed open after its last release")
	}
	if len(c.items) != 0 || c.idle.Len() != 0 {
		t.Fatalf("cache keeps %d items, %d idle after dropDir", len(c.items), c.idle.Len())
	}
}

// TestPackReadsFollowReformattedDrive: a drive directory swapped for an
// empty one (the old disk still reachable under another name) while its
// segment descriptors are cached: the scrub re-formats it, reads its
// copies as missing (not through the old disk) and rewrites them there, so
// that with the other parity drives gone every object still reads.
func TestPackReadsFollowReformattedDrive(t *testing.T) {
	ts := newTestStore(t, 4)
	objs := map[string][]byte{}
	for i := 0; i < 12; i++ {
		k := fmt.Sprintf("s%02d", i)
		objs[k] = randBytes(uint64(i), 10+i*1500)
		ts.put(k, objs[k])
	}
	ts.checkAll(t, objs) // every segment's descriptor is cached
	if err := os.Rename(ts.drives[0], ts.drives[0]+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(ts.drives[0], 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := ts.Scrub(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.ShardsRepaired < uint64(len(objs)) {
		t.Fatalf("scrub after the swap repaired %d shards, want at least %d", st.ShardsRepaired, len(objs))
	}
	os.RemoveAll(ts.drives[1])
	os.RemoveAll(ts.drives[2])
	ts.checkAll(t, objs)
}
