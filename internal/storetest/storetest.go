// Package storetest opens real stores for other packages' tests: four
// drives (2 data + 2 parity) under one directory, the scrubber off.
package storetest

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

// OpenAt opens (or reopens) the store in dir, drives dir/drive1..4; the
// caller closes it.
func OpenAt(t testing.TB, dir string) *storage.Store {
	t.Helper()
	var drives []string
	for i := 1; i <= 4; i++ {
		drives = append(drives, filepath.Join(dir, fmt.Sprintf("drive%d", i)))
	}
	st, err := storage.Open(storage.Config{DataDir: dir, Drives: drives, Parity: 2, ScrubInterval: -1})
	if err != nil {
		t.Fatalf("storage.Open: %v", err)
	}
	return st
}

// Open opens a store in a new temporary directory, closed when the test
// ends.
func Open(t testing.TB) *storage.Store {
	t.Helper()
	st := OpenAt(t, t.TempDir())
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the store: %v", err)
		}
	})
	return st
}
