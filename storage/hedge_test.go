package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// gatedDrive stands for another node's drive (it is not a *localDrive, so
// its reads are hedged): while its gate is shut, its reads wait, as a
// slow node's do.
type gatedDrive struct {
	Drive
	mu   sync.Mutex
	gate chan struct{} // closed: open
}

func (g *gatedDrive) wait() {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	<-gate
}

func (g *gatedDrive) set(open bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if open {
		select {
		case <-g.gate:
		default:
			close(g.gate)
		}
	} else {
		g.gate = make(chan struct{})
	}
}

func (g *gatedDrive) Open(name string) (ShardFile, error) {
	f, err := g.Drive.Open(name)
	if err != nil {
		return nil, err
	}
	return gatedFile{f, g}, nil
}

func (g *gatedDrive) ReadPacked(loc PackLoc) ([]byte, error) {
	g.wait()
	return g.Drive.ReadPacked(loc)
}

func (g *gatedDrive) ReadFile(name string) ([]byte, error) {
	g.wait()
	return g.Drive.ReadFile(name)
}

type gatedFile struct {
	ShardFile
	g *gatedDrive
}

func (f gatedFile) ReadAt(p []byte, off int64) (int, error) {
	f.g.wait()
	return f.ShardFile.ReadAt(p, off)
}

// TestHedgedReads: two of four drives (2+2) are other nodes' drives. With
// the one holding data shard 0 stuck, reads of packed, streamed and
// multi-block objects still return every byte, from parity, without
// waiting for it; once it answers again reads use it again. Without
// hedging the reads below would wait on the gate for good.
func TestHedgedReads(t *testing.T) {
	ts, gated := hedgedStore(t, 2)
	objects := testObjects(ts)
	readAll := func(what string) { t.Helper(); readAllWithin(t, ts, objects, what) }
	readAll("all drives answering")
	gated[0].set(false)
	t.Cleanup(func() { gated[0].set(true) }) // let the reads left running end
	readAll("data shard 0's drive stuck")
	readAll("again, its drive passed over")
	if !ts.slow(0) || ts.slow(1) {
		t.Fatalf("slow marks: drive 0 %v, drive 1 %v; want only drive 0", ts.slow(0), ts.slow(1))
	}
	gated[0].set(true)
	readAll("drive 0 answering again")
}

// TestHedgeOnASlowDrive: all four drives (2+2) are other nodes'. An
// object is opened while every drive answers; then the drives holding
// data shard 0 and parity shard 2 get stuck. The first hedge of a block
// read lands on shard 2's drive, as slow as the one it stands in for; the
// next one, a HedgeAfter later, reads shard 3, and every byte comes back.
// With one hedge per block the read waits on the gates for good.
func TestHedgeOnASlowDrive(t *testing.T) {
	ts, gated := hedgedStore(t, 4)
	want := randBytes(3, 1<<20+12345) // 17 blocks of 64 KiB
	ts.put("blocks", want)
	ctx := context.Background()
	r, err := ts.OpenObject(ctx, "acme", "bkt", "blocks")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, i := range []int{0, 2} {
		gated[i].set(false)
		t.Cleanup(func() { gated[i].set(true) }) // let the reads left running end
	}
	done := make(chan error, 1)
	go func() {
		rc, err := r.Range(ctx, 0, int64(len(want)))
		if err != nil {
			done <- err
			return
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		if err == nil && !bytes.Equal(got, want) {
			err = fmt.Errorf("%d bytes differ from the %d written", len(got), len(want))
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the read waited for a stuck drive")
	}
	if !ts.slow(0) || ts.slow(1) || !ts.slow(2) || ts.slow(3) {
		t.Fatalf("slow marks %v %v %v %v; want drives 0 and 2", ts.slow(0), ts.slow(1), ts.slow(2), ts.slow(3))
	}
}

// hedgedStore is a 2+2 store whose first remote drives stand for other
// nodes' drives (gated, open).
func hedgedStore(t *testing.T, remote int) (*testStore, []*gatedDrive) {
	gated := make([]*gatedDrive, remote)
	ts := newTestStore(t, 4, func(c *Config) {
		c.HedgeAfter = 50 * time.Millisecond
		for i, p := range c.Drives {
			d, err := OpenLocalDrive(p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(d.Close)
			if i < remote {
				g := &gatedDrive{Drive: d, gate: make(chan struct{})}
				close(g.gate)
				gated[i] = g
				d = g
			}
			c.DriveSet = append(c.DriveSet, d)
		}
		c.Drives = nil
	})
	return ts, gated
}

// testObjects writes a packed, a streamed and a multi-block object.
func testObjects(ts *testStore) map[string][]byte {
	objects := map[string][]byte{
		"packed":   randBytes(1, 3000),
		"streamed": randBytes(2, 300<<10),
		"blocks":   randBytes(3, 1<<20+12345), // 17 blocks of 64 KiB
	}
	for k, v := range objects {
		ts.put(k, v)
	}
	return objects
}

// readAllWithin reads every object back whole, failing if any read takes
// 30 s (it waits for a stuck drive) or returns other bytes.
func readAllWithin(t *testing.T, ts *testStore, objects map[string][]byte, what string) {
	t.Helper()
	{
		done := make(chan error, 1)
		go func() {
			for k, v := range objects {
				got, err := ts.read(k, 0, -1)
				if err == nil && !bytes.Equal(got, v) {
					err = fmt.Errorf("%s: %d bytes differ from the %d written", k, len(got), len(v))
				}
				if err != nil {
					done <- fmt.Errorf("%s: %w", k, err)
					return
				}
			}
			done <- nil
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: reads waited for the stuck drive", what)
		}
	}
}
