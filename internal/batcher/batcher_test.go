package batcher

import (
	"sync"
	"testing"
	"time"
)

// recorder is a Batcher whose Run records batch sizes and can be held.
type recorder struct {
	b       Batcher[int]
	mu      sync.Mutex
	batches [][]int
	hold    chan struct{} // Run waits on it when set
}

func newRecorder(wait time.Duration) *recorder {
	r := &recorder{}
	r.b.MaxWait = wait
	r.b.Run = func(batch []int) {
		if r.hold != nil {
			<-r.hold
		}
		r.mu.Lock()
		r.batches = append(r.batches, append([]int(nil), batch...))
		r.mu.Unlock()
	}
	return r
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, b := range r.batches {
		out = append(out, len(b))
	}
	return out
}

// waitRuns waits until Run has seen n items.
func (r *recorder) waitRuns(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		total := 0
		for _, s := range r.sizes() {
			total += s
		}
		if total == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run saw %v, want %d items", r.sizes(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLoneItemRunsAtOnce(t *testing.T) {
	r := newRecorder(time.Hour)
	start := time.Now()
	r.b.Add(1)
	r.waitRuns(t, 1)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a lone item waited %v", d)
	}
}

func TestAnnouncedItemsShareABatch(t *testing.T) {
	r := newRecorder(time.Hour) // only the announcements end the wait
	r.b.Expect(3)
	r.b.AddExpected(1) // the leader starts and waits for the other two
	time.Sleep(20 * time.Millisecond)
	if got := r.sizes(); len(got) != 0 {
		t.Fatalf("ran %v before the announced items came", got)
	}
	r.b.AddExpected(2)
	r.b.Expect(-1) // the third will not come
	r.waitRuns(t, 2)
	if got := r.sizes(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("batches %v, want one of 2", got)
	}
}

func TestWaitIsBounded(t *testing.T) {
	r := newRecorder(30 * time.Millisecond)
	r.b.Expect(2)
	start := time.Now()
	r.b.AddExpected(1) // the other announced item never comes
	r.waitRuns(t, 1)
	if d := time.Since(start); d < 30*time.Millisecond || d > 2*time.Second {
		t.Fatalf("the batch ran after %v, want MaxWait (30ms)", d)
	}
	// The stray announcement still counts: the next batch waits too, and
	// withdrawing it ends that wait at once.
	r.b.Add(2)
	time.Sleep(5 * time.Millisecond)
	r.b.Expect(-1)
	r.waitRuns(t, 2)
}

func TestUnannouncedItemsDoNotWait(t *testing.T) {
	r := newRecorder(0) // MaxWait 0: announcements are ignored
	r.b.Expect(5)
	r.b.Add(1)
	r.waitRuns(t, 1)
}

func TestItemsQueuedDuringRunFormTheNextBatch(t *testing.T) {
	r := newRecorder(0)
	r.hold = make(chan struct{})
	r.b.Add(1) // runs, held
	time.Sleep(10 * time.Millisecond)
	for i := 2; i <= 5; i++ {
		r.b.Add(i)
	}
	close(r.hold)
	r.waitRuns(t, 5)
	if got := r.sizes(); len(got) != 2 || got[0] != 1 || got[1] != 4 {
		t.Fatalf("batches %v, want [1 4]", got)
	}
}

func TestConcurrentExpectAndAdd(t *testing.T) {
	r := newRecorder(50 * time.Millisecond)
	var wg sync.WaitGroup
	const n = 200
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.b.Expect(1)
			if i%10 == 0 {
				r.b.Expect(-1) // withdrawn, added unannounced
				r.b.Add(i)
				return
			}
			r.b.AddExpected(i)
		}()
	}
	wg.Wait()
	r.waitRuns(t, n)
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	if r.b.coming != 0 {
		t.Fatalf("%d announcements left", r.b.coming)
	}
}
