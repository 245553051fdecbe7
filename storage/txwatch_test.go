package storage

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination safe for the watchdog goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond until it holds or 10 s pass (a bound, not a speed
// assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStalledReportsHeldTransaction holds a read transaction open past
// SlowTxBound: Stalled reports it with its age, the watchdog logs it once,
// and both clear when the transaction ends.
func TestStalledReportsHeldTransaction(t *testing.T) {
	var logs syncBuffer
	const bound = 50 * time.Millisecond
	ws := openWedgeable(t, func(c *Config) {
		c.SlowTxBound = bound
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if err := ws.Stalled(); err != nil {
		t.Fatalf("idle store: Stalled = %v", err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- ws.idx.View(func(tx indexTx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	// Other transactions still run meanwhile, and do not hide the old one.
	if _, err := ws.ListBuckets(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	var stalled error
	waitFor(t, "Stalled to report the held transaction", func() bool { stalled = ws.Stalled(); return stalled != nil })
	if msg := stalled.Error(); !strings.Contains(msg, "index transaction has been open for") || !strings.Contains(msg, "bound 50ms") {
		t.Fatalf("Stalled = %q", msg)
	}
	waitFor(t, "the watchdog's warning", func() bool { return strings.Contains(logs.String(), "level=WARN") })
	time.Sleep(4 * bound) // several watchdog ticks: still one warning for one stall
	if n := strings.Count(logs.String(), "open longer than its bound"); n != 1 {
		t.Fatalf("%d warnings for one stalled transaction:\n%s", n, logs.String())
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := ws.Stalled(); err != nil {
		t.Fatalf("after the transaction ended: Stalled = %v", err)
	}
	waitFor(t, "the watchdog to log the end", func() bool { return strings.Contains(logs.String(), "stalled index transaction ended") })
}
