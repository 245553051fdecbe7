package s3api

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// WriteLimits cap concurrent writes: each one holds block buffers and
// descriptors for as long as its client takes to send the body, so without a
// cap a tenant trickling many uploads exhausts the server's memory.
// Zero or negative means no cap.
type WriteLimits struct {
	Total     int // in-flight writes of all tenants
	PerTenant int // in-flight writes of one tenant
	// Wait is how long a write beyond a cap waits for a slot before it is
	// refused: long enough that a burst of more concurrent writers than
	// slots queues for the milliseconds a slot takes to free, short enough
	// that clients held off by slow uploads hear SlowDown soon. A waiting
	// write holds no buffer (its body is not read yet). 0: refuse at once.
	Wait time.Duration
}

// errSlowDown answers a write beyond a cap; SDKs retry it with backoff.
var errSlowDown = errorf("SlowDown", http.StatusServiceUnavailable, "Please reduce your request rate.")

// limitedOps are the operations that take a write slot: the ones that
// stream a body or copy data into storage.
var limitedOps = map[string]bool{
	"PutObject": true, "UploadPart": true, "UploadPartCopy": true,
	"CopyObject": true, "CompleteMultipartUpload": true, "PostObject": true,
}

// writeLimiter counts in-flight writes. A write beyond a cap waits at most
// limits.Wait for a release; a waiting client holds no slot and no buffer.
type writeLimiter struct {
	limits   WriteLimits
	mu       sync.Mutex
	total    int
	byTenant map[string]int
	freed    chan struct{} // closed (and replaced) by every release
}

func newWriteLimiter(l WriteLimits) *writeLimiter {
	return &writeLimiter{limits: l, byTenant: map[string]int{}, freed: make(chan struct{})}
}

// acquireWait is acquire that waits up to limits.Wait (or until ctx ends)
// for a slot to be released.
func (w *writeLimiter) acquireWait(ctx context.Context, tenant string) (release func(), err error) {
	deadline := time.Now().Add(w.limits.Wait)
	for {
		w.mu.Lock()
		freed := w.freed
		w.mu.Unlock()
		release, err := w.acquire(tenant)
		left := time.Until(deadline)
		if err == nil || left <= 0 {
			return release, err
		}
		timer := time.NewTimer(left)
		select {
		case <-freed:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, errSlowDown
		}
		timer.Stop()
	}
}

// acquire takes a slot for tenant and returns its release (call it exactly
// once), or errSlowDown when a cap is reached.
func (w *writeLimiter) acquire(tenant string) (release func(), err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.limits.Total > 0 && w.total >= w.limits.Total {
		return nil, errSlowDown
	}
	if w.limits.PerTenant > 0 && w.byTenant[tenant] >= w.limits.PerTenant {
		return nil, errSlowDown
	}
	w.total++
	w.byTenant[tenant]++
	var once sync.Once
	return func() { once.Do(func() { w.release(tenant) }) }, nil
}

func (w *writeLimiter) release(tenant string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.total--
	if w.byTenant[tenant]--; w.byTenant[tenant] <= 0 {
		delete(w.byTenant, tenant)
	}
	close(w.freed) // wake the waiters; each tries again
	w.freed = make(chan struct{})
}

// inFlight returns the writes in flight in total and for tenant (tests).
func (w *writeLimiter) inFlight(tenant string) (total, forTenant int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.total, w.byTenant[tenant]
}

// limitWrites wraps h so that a write operation runs only within a slot,
// released when h returns (panics included).
func (s *server) limitWrites(op string, h handlerFunc) handlerFunc {
	if !limitedOps[op] {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		release, err := s.writes.acquireWait(r.Context(), rq.tenant)
		if err != nil {
			return err
		}
		defer release()
		return h(w, r, rq)
	}
}
