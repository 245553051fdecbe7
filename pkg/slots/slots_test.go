package slots

import (
	"context"
	"testing"
	"time"
)

// TestCaps: per-key and total caps hold, a release gives back exactly one
// slot however often it is called, and a refused take holds nothing.
func TestCaps(t *testing.T) {
	c := New[string](3, 2)
	a1, ok := c.TryTake("a")
	if !ok {
		t.Fatal("first take refused")
	}
	if _, ok := c.TryTake("a"); !ok {
		t.Fatal("second take of a refused")
	}
	if _, ok := c.TryTake("a"); ok {
		t.Fatal("third take of a allowed (per-key cap 2)")
	}
	if _, ok := c.TryTake("b"); !ok {
		t.Fatal("b refused below the total cap")
	}
	if _, ok := c.TryTake("c"); ok {
		t.Fatal("c allowed at the total cap")
	}
	a1()
	a1()
	if total, a := c.Counts("a"); total != 2 || a != 1 {
		t.Fatalf("after one release twice: %d total, %d for a; want 2, 1", total, a)
	}
	free := New[int](0, 0)
	for i := 0; i < 1000; i++ {
		if _, ok := free.TryTake(1); !ok {
			t.Fatal("zero caps must not cap")
		}
	}
}

// TestTakeWaits: a waiting take gets a released slot, gives up when its
// context ends, and is refused after its wait without holding a slot.
func TestTakeWaits(t *testing.T) {
	c := New[string](1, 0)
	held, _ := c.TryTake("a")
	got := make(chan bool, 1)
	go func() {
		release, ok := c.Take(context.Background(), "b", time.Minute)
		if ok {
			release()
		}
		got <- ok
	}()
	held()
	if ok := <-got; !ok {
		t.Fatal("a released slot did not reach the waiting take")
	}

	held, _ = c.TryTake("a")
	defer held()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := c.Take(ctx, "b", time.Minute); ok {
		t.Fatal("a cancelled take got a slot")
	}
	if _, ok := c.Take(context.Background(), "b", 10*time.Millisecond); ok {
		t.Fatal("take after its wait got a slot at the cap")
	}
	if total, b := c.Counts("b"); total != 1 || b != 0 {
		t.Fatalf("refused takes hold slots: %d total, %d for b", total, b)
	}
}
