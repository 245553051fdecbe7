package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

func TestWriteQuorum(t *testing.T) {
	for _, size := range []int{10, 300 << 10} {
		ts := newTestStore(t, 4) // 2+2, write quorum 3
		ctx := context.Background()
		if !ts.Ready() {
			t.Fatal("not ready with all drives")
		}
		data := randBytes(1, size)
		os.RemoveAll(ts.drives[3])
		ts.put("one-down", data)
		ts.mustRead("one-down", data)
		if !ts.Ready() {
			t.Fatal("not ready with 3 of 4 drives")
		}
		os.RemoveAll(ts.drives[1])
		if ts.Ready() {
			t.Fatal("ready with 2 of 4 drives")
		}
		_, err := ts.PutObject(ctx, "acme", "bkt", "two-down", bytes.NewReader(data), PutOptions{Size: int64(size)})
		if !errors.Is(err, ErrQuorum) {
			t.Fatalf("size %d: put with 2 drives: %v", size, err)
		}
		if _, err := ts.GetObjectInfo(ctx, "acme", "bkt", "two-down"); !errors.Is(err, ErrObjectNotFound) {
			t.Fatalf("failed put visible: %v", err)
		}
		// Only the earlier object's files remain on the live drives.
		for _, i := range []int{0, 2} {
			n := 0
			if err := ts.Store.drives[i].Walk(func(_ string, _ time.Time) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			want := 0 // small objects live in the pack log, not in files
			if size > inlineMax {
				want = 2
			}
			if n != want {
				t.Fatalf("size %d: drive %d holds %d files, want %d", size, i, n, want)
			}
		}
		// Reads still work with parity drives gone.
		ts.mustRead("one-down", data)
		drives := ts.Drives(ctx)
		if drives[1].Online || drives[3].Online || !drives[0].Online {
			t.Fatalf("Drives() = %+v", drives)
		}
	}
}
