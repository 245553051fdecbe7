package storage

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestGroupCommit(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "gc.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	g := newGroupCommit(db)
	errBoom := errors.New("boom")
	const n = 64
	var commits atomic.Int32
	var seenMu sync.Mutex
	seen := map[*bolt.Tx]bool{}
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = g.do(func(tx *bolt.Tx) error {
				seenMu.Lock()
				if !seen[tx] {
					seen[tx] = true
					tx.OnCommit(func() { commits.Add(1) })
				}
				seenMu.Unlock()
				switch i {
				case 7:
					return errBoom
				case 9:
					panic("nine")
				}
				return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "k%02d", i), []byte{byte(i)})
			})
		}()
	}
	wg.Wait()
	if !errors.Is(errs[7], errBoom) {
		t.Errorf("failing call got %v, want its own error", errs[7])
	}
	if panics[9] != "nine" {
		t.Errorf("panicking call: recovered %v in the caller, want its panic", panics[9])
	}
	err = db.View(func(tx *bolt.Tx) error {
		for i := 0; i < n; i++ {
			v := tx.Bucket([]byte("b")).Get(fmt.Appendf(nil, "k%02d", i))
			want := i != 7 && i != 9
			if (v != nil) != want || (want && (errs[i] != nil || panics[i] != nil || v[0] != byte(i))) {
				t.Errorf("call %d: stored %v (want %v), err %v, panic %v", i, v, want, errs[i], panics[i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d calls in %d commits", n, commits.Load())
	// A lone call after the burst commits on its own (no timer, no leftover state).
	if err := g.do(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte("last"), []byte("x")) }); err != nil {
		t.Fatal(err)
	}
}
