package storage

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// copyRange reads [off, off+n) of key: first readFirst bytes with Read,
// then the rest through io.Copy, which uses rangeReader.WriteTo.
func (ts *testStore) copyRange(key string, off, n int64, readFirst int) ([]byte, error) {
	ctx := context.Background()
	r, err := ts.OpenObject(ctx, "acme", "bkt", key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rc, err := r.Range(ctx, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if _, ok := rc.(io.WriterTo); !ok {
		ts.t.Fatal("range reader is not an io.WriterTo")
	}
	var out bytes.Buffer
	if readFirst > 0 {
		if _, err := io.CopyN(&out, struct{ io.Reader }{rc}, int64(readFirst)); err != nil {
			return nil, err
		}
	}
	_, err = io.Copy(&out, rc)
	return out.Bytes(), err
}

func TestRangeWriteTo(t *testing.T) {
	ts := newTestStore(t, 4) // 2+2, 64 KiB blocks
	const size = 5*64<<10 + 12345
	data := randBytes(7, size)
	ts.put("big", data)
	ts.put("small", data[:3000])
	cases := []struct {
		name      string
		key       string
		off, n    int64
		readFirst int
	}{
		{"whole", "big", 0, size, 0},
		{"whole after a Read", "big", 0, size, 1000},
		{"inside one shard", "big", 100, 200, 0},
		{"across shards of a block", "big", 32<<10 - 10, 20, 0},
		{"across blocks", "big", 64<<10 - 5, 64<<10 + 10, 7},
		{"last partial block", "big", size - 12345, 12345, 0},
		{"tail", "big", size - 1, 1, 0},
		{"packed small object", "small", 10, 2000, 0},
	}
	check := func(t *testing.T) {
		for _, tc := range cases {
			src := data
			if tc.key == "small" {
				src = data[:3000]
			}
			got, err := ts.copyRange(tc.key, tc.off, tc.n, tc.readFirst)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if want := src[tc.off : tc.off+tc.n]; !bytes.Equal(got, want) {
				t.Fatalf("%s: got %d bytes, want %d (contents differ)", tc.name, len(got), len(want))
			}
		}
	}
	t.Run("intact", check)
	// Corrupt data shard 0 of every block of "big": WriteTo must send the
	// reconstructed bytes, never the corrupt ones.
	m, _ := filepath.Glob(filepath.Join(ts.drives[0], dataDir, "*", "*.shard"))
	if len(m) != 1 {
		t.Fatalf("want one shard file on drive 1, got %v", m)
	}
	raw, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		if i%1000 == 500 {
			raw[i] ^= 0xff
		}
	}
	if err := os.WriteFile(m[0], raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("shard 0 corrupt", check)
}
