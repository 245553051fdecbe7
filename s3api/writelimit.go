package s3api

import (
	"net/http"
	"sync"
)

// WriteLimits cap concurrent writes: each one holds block buffers and
// descriptors for as long as its client takes to send the body, so without a
// cap a tenant trickling many uploads exhausts the server's memory.
// Zero or negative means no cap.
type WriteLimits struct {
	Total     int // in-flight writes of all tenants
	PerTenant int // in-flight writes of one tenant
}

// errSlowDown answers a write beyond a cap; SDKs retry it with backoff.
var errSlowDown = errorf("SlowDown", http.StatusServiceUnavailable, "Please reduce your request rate.")

// limitedOps are the operations that take a write slot: the ones that
// stream a body or copy data into storage.
var limitedOps = map[string]bool{
	"PutObject": true, "UploadPart": true, "UploadPartCopy": true,
	"CopyObject": true, "CompleteMultipartUpload": true, "PostObject": true,
}

// writeLimiter counts in-flight writes. It never queues: a write beyond a
// cap is refused at once, so a waiting client holds no slot and no buffer.
type writeLimiter struct {
	limits   WriteLimits
	mu       sync.Mutex
	total    int
	byTenant map[string]int
}

func newWriteLimiter(l WriteLimits) *writeLimiter {
	return &writeLimiter{limits: l, byTenant: map[string]int{}}
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
		release, err := s.writes.acquire(rq.tenant)
		if err != nil {
			return err
		}
		defer release()
		return h(w, r, rq)
	}
}
