package lifecycle

import (
	"context"
	"sync"
	"time"
)

// tokenBucket bounds the executor's deletes per second in wall-clock time
// (the rule clock may be a test's; the load on the store is real). The
// burst is one second's worth.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64) *tokenBucket {
	return &tokenBucket{rate: rate, tokens: max(rate, 1), last: time.Now()}
}

// wait takes one token, sleeping until one is available or ctx ends.
func (b *tokenBucket) wait(ctx context.Context) error {
	if b.rate <= 0 {
		return ctx.Err()
	}
	for {
		b.mu.Lock()
		now := time.Now()
		b.tokens = min(max(b.rate, 1), b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
		if b.tokens >= 1 {
			b.tokens--
			b.mu.Unlock()
			return ctx.Err()
		}
		need := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		b.mu.Unlock()
		t := time.NewTimer(need)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
