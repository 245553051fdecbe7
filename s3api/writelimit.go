package s3api

import (
	"context"
	"net/http"
	"time"

	"github.com/cofferstore/coffer/pkg/slots"
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
	limits WriteLimits
	slots  *slots.Counter[string] // keyed by tenant
}

func newWriteLimiter(l WriteLimits) *writeLimiter {
	return &writeLimiter{limits: l, slots: slots.New[string](l.Total, l.PerTenant)}
}

// acquire takes a slot for tenant and returns its release (idempotent), or
// errSlowDown when a cap is reached.
func (w *writeLimiter) acquire(tenant string) (release func(), err error) {
	release, ok := w.slots.TryTake(tenant)
	if !ok {
		return nil, errSlowDown
	}
	return release, nil
}

// acquireWait is acquire that waits up to limits.Wait (or until ctx ends)
// for a slot to be released.
func (w *writeLimiter) acquireWait(ctx context.Context, tenant string) (release func(), err error) {
	release, ok := w.slots.Take(ctx, tenant, w.limits.Wait)
	if !ok {
		return nil, errSlowDown
	}
	return release, nil
}

// inFlight returns the writes in flight in total and for tenant (tests).
func (w *writeLimiter) inFlight(tenant string) (total, forTenant int) {
	return w.slots.Counts(tenant)
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
