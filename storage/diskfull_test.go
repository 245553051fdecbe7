package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDiskFull puts the drives on a small tmpfs (needs root; skipped
// otherwise) and fills it: the write fails with ErrDiskFull, leaves no
// files behind, and later writes that fit succeed.
func TestDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() }) // best effort; TempDir cleanup reports a busy mount
	ts := newTestStore(t, 4, func(c *Config) {
		for i := range c.Drives {
			c.Drives[i] = filepath.Join(mnt, fmt.Sprintf("d%d", i))
		}
	})
	ctx := context.Background()
	big := randBytes(1, 8<<20) // 4 MiB per drive with 2+2: cannot fit
	_, err := ts.PutObject(ctx, "acme", "bkt", "big", bytes.NewReader(big), PutOptions{Size: -1})
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("PutObject on a full disk: %v", err)
	}
	if _, err := ts.GetObjectInfo(ctx, "acme", "bkt", "big"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("failed put visible: %v", err)
	}
	if n := countDataFiles(t, ts); n != 0 {
		t.Fatalf("%d data files left", n)
	}
	for _, d := range ts.drives {
		if es := tempFiles(d); len(es) != 0 {
			t.Fatalf("temp files left on %s: %d", d, len(es))
		}
	}
	small := randBytes(2, 200<<10)
	ts.put("small", small)
	ts.mustRead("small", small)

	// A full disk also fails a small (pack log) write cleanly.
	filler := filepath.Join(mnt, "filler")
	f, _ := os.Create(filler)
	_, _ = f.Write(make([]byte, 4<<20)) // fails part way: the disk is full
	f.Close()
	tiny := randBytes(3, 3000)
	_, err = ts.PutObject(ctx, "acme", "bkt", "tiny", bytes.NewReader(tiny), PutOptions{Size: int64(len(tiny))})
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("small PutObject on a full disk: %v", err)
	}
	os.Remove(filler)
	ts.put("tiny", tiny)
	ts.mustRead("tiny", tiny)
	ts.mustRead("small", small)
}
