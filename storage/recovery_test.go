package storage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// faultyDrive fails listings (Walk) and, when scanErr is set, pack
// segment scans with an I/O error, as a failing disk would.
type faultyDrive struct {
	Drive
	walkErr, scanErr error
}

func (d *faultyDrive) Walk(fn func(name string, mod time.Time) error) error {
	if d.walkErr != nil {
		return d.walkErr
	}
	return d.Drive.Walk(fn)
}

func (d *faultyDrive) ScanPack(seg uint32, fn func(PackLoc, []byte) error) error {
	if d.scanErr != nil {
		return d.scanErr
	}
	return d.Drive.ScanPack(seg, fn)
}

// TestRebuildReportsReadErrors: drives whose listing fails during
// RebuildIndex give a smaller index, and the rebuild says so: every
// skipped error is counted and listed in its stats. (Before, the errors
// were dropped and the smaller index looked complete.) A rebuild with the
// drives healthy again restores everything and reports no error.
func TestRebuildReportsReadErrors(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	want := map[string][]byte{}
	for i := 0; i < 3; i++ {
		want[fmt.Sprint("large-", i)] = randBytes(uint64(i+1), 200<<10) // .meta and .shard files
		want[fmt.Sprint("small-", i)] = randBytes(uint64(i+10), 1000)   // packed
	}
	for k, v := range want {
		ts.put(k, v)
	}
	ts.Store.Close()
	if err := os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")); err != nil {
		t.Fatal(err)
	}

	eio := fmt.Errorf("read directory: %w", syscall.EIO)
	healthy := ts.cfg
	ts.cfg.testWrapDrive = func(i int, d Drive) Drive {
		f := &faultyDrive{Drive: d, walkErr: eio}
		if i == 1 {
			f.scanErr = eio
		}
		return f
	}
	ts.reopen()
	st, err := ts.RebuildIndex(ctx)
	if err != nil {
		t.Fatalf("RebuildIndex: %v", err)
	}
	if st.Errors != 5 || len(st.FirstErrors) != 5 {
		t.Fatalf("stats %+v: want 5 errors (4 listings, 1 pack scan)", st)
	}
	for _, e := range st.FirstErrors {
		if !strings.Contains(e, syscall.EIO.Error()) {
			t.Errorf("error %q does not say why", e)
		}
	}
	if st.Objects != 3 {
		t.Fatalf("restored %d objects, want the 3 packed ones", st.Objects)
	}

	ts.cfg = healthy
	ts.Store.Close()
	ts.reopen()
	st, err = ts.RebuildIndex(ctx)
	if err != nil || st.Errors != 0 || len(st.FirstErrors) != 0 || st.Objects != 3 {
		t.Fatalf("healthy rebuild: %+v, %v; want the 3 large objects and no errors", st, err)
	}
	for k, v := range want {
		ts.mustRead(k, v)
	}
}

// TestScrubCountsSkippedErrors: a drive whose listing fails during the
// orphan sweep is counted and named in ScrubStats, and the pass goes on.
func TestScrubCountsSkippedErrors(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	ts.put("a", bytes.Repeat([]byte("a"), 200<<10))
	ts.Store.Close()
	ts.cfg.testWrapDrive = func(i int, d Drive) Drive {
		if i == 2 {
			return &faultyDrive{Drive: d, walkErr: fmt.Errorf("read directory: %w", syscall.EIO)}
		}
		return d
	}
	ts.reopen()
	st, err := ts.Scrub(ctx)
	if err != nil {
		t.Fatalf("Scrub: %v", err)
	}
	if st.Errors != 1 || len(st.FirstErrors) != 1 || !strings.Contains(st.FirstErrors[0], "orphans") || !strings.Contains(st.FirstErrors[0], syscall.EIO.Error()) {
		t.Fatalf("stats %+v: want the failed listing counted and named", st)
	}
	if st.LastScrubDone.IsZero() {
		t.Fatal("the pass stopped at the error")
	}
}
