// Package batcher is the group-commit pattern Coffer's durable writes
// share (the storage index on bbolt, the pack log's appends, the etcd
// backend's transactions): callers queue items; one leader goroutine at a
// time takes everything queued and hands it to Run; whatever queues while
// Run works (typically during its fsync or round trip) is the next batch.
//
// There is no timer: a lone item runs at once. Callers that know an item
// is on its way may announce it (Expect); a leader then waits for the
// announced items, up to MaxWait, before it takes a batch, so one fsync
// covers them too. This is PostgreSQL's commit_delay with an exact
// sibling count: nothing waits unless a caller said something is coming.
package batcher

import (
	"sync"
	"time"
)

// Batcher queues items for Run, which must be set before the first Add.
type Batcher[T any] struct {
	Run func(batch []T)
	// MaxWait bounds how long a leader waits for announced items (0:
	// announcements are ignored).
	MaxWait time.Duration

	mu      sync.Mutex
	queue   []T
	running bool
	coming  int           // announced items not yet added
	arrived chan struct{} // closed when coming drops to 0 while a leader waits
}

// Add queues item, starting a leader if none is running.
func (b *Batcher[T]) Add(item T) { b.add(item, 0) }

// AddExpected is Add for an item announced by Expect(1).
func (b *Batcher[T]) AddExpected(item T) { b.add(item, 1) }

// Expect announces n items that callers will add with AddExpected; a
// negative n withdraws announced items that will not come. Every
// announced item must be added or withdrawn.
func (b *Batcher[T]) Expect(n int) {
	b.mu.Lock()
	b.count(n)
	b.mu.Unlock()
}

// Coming is how many announced items have not been added yet.
func (b *Batcher[T]) Coming() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.coming
}

func (b *Batcher[T]) count(n int) {
	b.coming = max(b.coming+n, 0)
	if b.coming == 0 && b.arrived != nil {
		close(b.arrived)
		b.arrived = nil
	}
}

func (b *Batcher[T]) add(item T, expected int) {
	b.mu.Lock()
	b.queue = append(b.queue, item)
	b.count(-expected)
	if !b.running {
		b.running = true
		go b.lead()
	}
	b.mu.Unlock()
}

func (b *Batcher[T]) lead() {
	b.mu.Lock()
	for len(b.queue) > 0 {
		if b.coming > 0 && b.MaxWait > 0 {
			b.gather()
		}
		batch := b.queue
		b.queue = nil
		b.mu.Unlock()
		b.Run(batch)
		b.mu.Lock()
	}
	b.running = false
	b.mu.Unlock()
}

// gather waits, with b.mu held on entry and exit, until every announced
// item arrived or MaxWait passed.
func (b *Batcher[T]) gather() {
	ch := make(chan struct{})
	b.arrived = ch
	b.mu.Unlock()
	t := time.NewTimer(b.MaxWait)
	select {
	case <-ch:
	case <-t.C:
	}
	t.Stop()
	b.mu.Lock()
	if b.arrived == ch {
		b.arrived = nil
	}
}
