// Package slots counts holders of a scarce resource against two caps: one
// for everyone and one per key (a client address, a tenant).
package slots

import (
	"context"
	"sync"
	"time"
)

// Counter hands out slots under a total cap and a per-key cap; a cap <= 0
// caps nothing. The zero value is not usable: call New.
type Counter[K comparable] struct {
	total, perKey int
	mu            sync.Mutex
	open          int
	byKey         map[K]int
	freed         chan struct{} // closed (and replaced) by every release
}

// New returns a counter with the given caps.
func New[K comparable](total, perKey int) *Counter[K] {
	return &Counter[K]{total: total, perKey: perKey, byKey: map[K]int{}, freed: make(chan struct{})}
}

// TryTake takes a slot for key if both caps allow it; its release gives the
// slot back exactly once, however often it is called.
func (c *Counter[K]) TryTake(key K) (release func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total > 0 && c.open >= c.total || c.perKey > 0 && c.byKey[key] >= c.perKey {
		return nil, false
	}
	c.open++
	c.byKey[key]++
	var once sync.Once
	return func() { once.Do(func() { c.give(key) }) }, true
}

// Take is TryTake that waits up to wait (or until ctx ends) for a release.
func (c *Counter[K]) Take(ctx context.Context, key K, wait time.Duration) (release func(), ok bool) {
	deadline := time.Now().Add(wait)
	for {
		c.mu.Lock()
		freed := c.freed
		c.mu.Unlock()
		release, ok := c.TryTake(key)
		left := time.Until(deadline)
		if ok || left <= 0 {
			return release, ok
		}
		timer := time.NewTimer(left)
		select {
		case <-freed:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, false
		}
		timer.Stop()
	}
}

func (c *Counter[K]) give(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open--
	if c.byKey[key]--; c.byKey[key] <= 0 {
		delete(c.byKey, key)
	}
	close(c.freed) // wake the waiters; each tries again
	c.freed = make(chan struct{})
}

// Counts returns the slots held in total and by key.
func (c *Counter[K]) Counts(key K) (total, forKey int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open, c.byKey[key]
}
