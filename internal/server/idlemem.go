package server

import (
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// idleReleaseAfter is how long the server must have had no request in
// flight before it gives the Go heap's free pages back to the OS.
const idleReleaseAfter = 5 * time.Second

// idleRelease returns the heap's free memory to the operating system once
// the server goes idle after serving requests. Under load the collector
// keeps garbage up to its heap goal, and the runtime's background
// scavenger returns freed pages only slowly (and not those below the
// goal): an idle server would hold the memory of its last burst for
// minutes. One debug.FreeOSMemory (a collection plus a full scavenge) per
// idle period costs a few milliseconds with a small live heap.
type idleRelease struct {
	after   time.Duration
	release func()

	active   atomic.Int64 // requests in flight
	lastEnd  atomic.Int64 // unix nanoseconds when the last request ended
	releases atomic.Int64 // releases done (for tests)
	stop     chan struct{}
	done     chan struct{}
}

func newIdleRelease(after time.Duration, release func()) *idleRelease {
	ir := &idleRelease{after: after, release: release, stop: make(chan struct{}), done: make(chan struct{})}
	go ir.watch()
	return ir
}

// wrap counts next's requests as activity.
func (ir *idleRelease) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ir.active.Add(1)
		defer func() {
			ir.lastEnd.Store(time.Now().UnixNano())
			ir.active.Add(-1)
		}()
		next.ServeHTTP(w, r)
	})
}

// watch releases once per idle period: when no request is in flight, one
// has ended since the last release, and the last ended at least after ago.
func (ir *idleRelease) watch() {
	defer close(ir.done)
	t := time.NewTicker(max(ir.after/5, 10*time.Millisecond))
	defer t.Stop()
	var releasedAt int64 // lastEnd at the last release
	for {
		select {
		case <-ir.stop:
			return
		case <-t.C:
		}
		end := ir.lastEnd.Load()
		if end == releasedAt || ir.active.Load() > 0 || time.Since(time.Unix(0, end)) < ir.after {
			continue
		}
		ir.release()
		ir.releases.Add(1)
		releasedAt = end
	}
}

// Close stops the watcher.
func (ir *idleRelease) Close() error {
	close(ir.stop)
	<-ir.done
	return nil
}

// freeOSMemory is the release of a serving process.
func freeOSMemory() { debug.FreeOSMemory() }
