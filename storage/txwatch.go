package storage

import (
	"fmt"
	"sync"
	"time"
)

// DefaultSlowTxBound is how long an index transaction may stay open before
// the store reports itself stalled. Index transactions last microseconds
// to milliseconds; one open for 30 s is stuck (a loop that does not end, a
// hung disk), and while it is open bbolt cannot grow the index file, so
// every other read and write soon waits behind it.
const DefaultSlowTxBound = 30 * time.Second

// txWatch records the start of every open index transaction, so that one
// held too long is seen: Store.Stalled reports it (and /readyz with it) and
// the watchdog logs it. The cost is a clock read and a map insert and
// delete under a mutex per transaction (BenchmarkIndexTx).
type txWatch struct {
	mu   sync.Mutex
	last uint64
	open map[uint64]time.Time
}

func newTxWatch() *txWatch { return &txWatch{open: map[uint64]time.Time{}} }

// begin registers a transaction that starts now; pass its id to end.
func (w *txWatch) begin() uint64 {
	now := time.Now()
	w.mu.Lock()
	w.last++
	id := w.last
	w.open[id] = now
	w.mu.Unlock()
	return id
}

func (w *txWatch) end(id uint64) {
	w.mu.Lock()
	delete(w.open, id)
	w.mu.Unlock()
}

// oldest returns the id of the transaction open longest and for how long
// (0 and 0 when none is open).
func (w *txWatch) oldest(now time.Time) (id uint64, age time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, start := range w.open {
		if d := now.Sub(start); id == 0 || d > age {
			id, age = i, d
		}
	}
	return id, age
}

// Stalled returns an error naming how long the oldest open index
// transaction has been open, when that is longer than Config.SlowTxBound;
// nil otherwise. While it reports an error the store cannot be relied on
// to answer: readiness checks fail.
func (s *Store) Stalled() error {
	if _, age := s.txs.oldest(time.Now()); age > s.cfg.SlowTxBound {
		return fmt.Errorf("storage: an index transaction has been open for %s (bound %s)", age.Round(time.Millisecond), s.cfg.SlowTxBound)
	}
	return nil
}

// txWatchdog logs each transaction that outlives Config.SlowTxBound once,
// and again when it ends, until the store closes.
func (s *Store) txWatchdog() {
	defer s.wg.Done()
	bound := s.cfg.SlowTxBound
	t := time.NewTicker(min(max(bound/4, time.Millisecond), time.Second))
	defer t.Stop()
	var stuck uint64 // the transaction last logged as stuck; 0 for none
	var since time.Time
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			id, age := s.txs.oldest(now)
			switch {
			case age > bound && id != stuck:
				s.log.Warn("storage: index transaction open longer than its bound; the store is stalled", "open", age.Round(time.Millisecond), "bound", bound)
				stuck, since = id, now.Add(-age)
			case stuck != 0 && !s.txs.isOpen(stuck):
				s.log.Info("storage: stalled index transaction ended", "open", now.Sub(since).Round(time.Millisecond))
				stuck = 0
			}
		}
	}
}

func (w *txWatch) isOpen(id uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.open[id]
	return ok
}
