package storage

import (
	"bytes"
	"fmt"
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
	gated := make([]*gatedDrive, 2)
	ts := newTestStore(t, 4, func(c *Config) {
		c.HedgeAfter = 50 * time.Millisecond
		for i, p := range c.Drives {
			d, err := OpenLocalDrive(p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(d.Close)
			if i < 2 {
				g := &gatedDrive{Drive: d, gate: make(chan struct{})}
				close(g.gate)
				gated[i] = g
				d = g
			}
			c.DriveSet = append(c.DriveSet, d)
		}
		c.Drives = nil
	})
	objects := map[string][]byte{
		"packed":   randBytes(1, 3000),
		"streamed": randBytes(2, 300<<10),
		"blocks":   randBytes(3, 1<<20+12345), // 17 blocks of 64 KiB
	}
	for k, v := range objects {
		ts.put(k, v)
	}
	readAll := func(what string) {
		t.Helper()
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
