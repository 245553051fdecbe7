// Package batcher is the group-commit pattern Coffer's durable writes
// share (the storage index on bbolt, the pack log's appends, the etcd
// backend's transactions): callers queue items; one leader goroutine at a
// time takes everything queued and hands it to Run; whatever queues while
// Run works (typically during its fsync or round trip) is the next batch.
// There is no timer: a lone item runs at once.
package batcher

import "sync"

// Batcher queues items for Run, which must be set before the first Add.
type Batcher[T any] struct {
	Run     func(batch []T)
	mu      sync.Mutex
	queue   []T
	running bool
}

// Add queues item, starting a leader if none is running.
func (b *Batcher[T]) Add(item T) {
	b.mu.Lock()
	b.queue = append(b.queue, item)
	if !b.running {
		b.running = true
		go b.lead()
	}
	b.mu.Unlock()
}

func (b *Batcher[T]) lead() {
	b.mu.Lock()
	for len(b.queue) > 0 {
		batch := b.queue
		b.queue = nil
		b.mu.Unlock()
		b.Run(batch)
		b.mu.Lock()
	}
	b.running = false
	b.mu.Unlock()
}
