package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"strings"
	"sync"
	"testing"
)

// replacingDrive runs before(name) ahead of every Open of a data file.
type replacingDrive struct {
	drive
	before func(name string)
}

func (d *replacingDrive) Open(name string) (ShardFile, error) {
	d.before(name)
	return d.drive.Open(name)
}

// TestOpenObjectWhileReplaced: a key overwritten between OpenObject's index
// read and its shard opens, several times in a row (as 8 writers on one key
// do under -race), still opens its newest version whole. OpenObject used to
// give up after four tries and hand out a reader with no shards, whose reads
// failed with ErrQuorum.
func TestOpenObjectWhileReplaced(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	const size = inlineMax + 100 // shard files, opened by OpenObject
	ts.put("hot", randBytes(0, size))

	const replacements = 6
	var mu sync.Mutex
	onces := map[string]*sync.Once{} // one overwrite per version opened
	for i, d := range ts.Store.drives {
		ts.Store.drives[i] = &replacingDrive{drive: d, before: func(name string) {
			id, _, _ := strings.Cut(name, ".")
			mu.Lock()
			once, ok := onces[id]
			if !ok && len(onces) < replacements {
				once = new(sync.Once)
				onces[id] = once
			}
			n := len(onces)
			mu.Unlock()
			if once == nil {
				return
			}
			// Every drive's open of this version waits here until the
			// overwrite has unlinked its files.
			once.Do(func() {
				b := randBytes(uint64(n), size)
				if _, err := ts.PutObject(ctx, "acme", "bkt", "hot", bytes.NewReader(b), PutOptions{Size: size}); err != nil {
					t.Errorf("overwrite %d: %v", n, err)
				}
			})
		}}
	}

	r, err := ts.OpenObject(ctx, "acme", "bkt", "hot")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rc, err := r.Range(ctx, 0, r.Info().Size)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatalf("read of a version replaced %d times while opening: %v", replacements, err)
	}
	sum := md5.Sum(got)
	if hex.EncodeToString(sum[:]) != r.Info().ETag || !bytes.Equal(got, randBytes(replacements, size)) {
		t.Fatalf("read %d bytes that are not the newest version (ETag %s)", len(got), r.Info().ETag)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(onces) != replacements {
		t.Fatalf("%d overwrites happened during the open, want %d", len(onces), replacements)
	}
}
