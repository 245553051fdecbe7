package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
)

// TestLargePutLayouts: large bodies are read straight into the data shards
// of full blocks (scatter read) and gathered for a short last block. Every
// size around block and shard boundaries, with shard sizes that do not
// divide the block, must read back exactly with the right MD5, also for
// bodies of unknown size.
func TestLargePutLayouts(t *testing.T) {
	for _, lay := range []struct{ drives, parity, block int }{
		{4, 2, 64 << 10},    // 2+2, block divides evenly
		{5, 2, 64 << 10},    // 3+2, 65536/3 leaves a short last data shard
		{7, 3, 200<<10 + 1}, // 4+3, odd block size
	} {
		ts := newTestStore(t, lay.drives, func(c *Config) { c.Parity = lay.parity; c.BlockSize = lay.block })
		b := lay.block
		for i, size := range []int{inlineMax + 1, b - 1, b, b + 1, 3 * b, 3*b + 7, 5*b - 3} {
			data := randBytes(uint64(i+1), size)
			for _, known := range []bool{true, false} {
				name := fmt.Sprintf("%d+%d/%d/%d/known=%v", lay.drives-lay.parity, lay.parity, b, size, known)
				opts := PutOptions{Size: int64(size)}
				var body io.Reader = bytes.NewReader(data)
				if !known {
					opts.Size = -1
					body = struct{ io.Reader }{body}
				}
				info, err := ts.PutObject(context.Background(), "acme", "bkt", "k", body, opts)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if info.ETag != md5hex(data) || info.Size != int64(size) {
					t.Fatalf("%s: ETag %s size %d, want %s %d", name, info.ETag, info.Size, md5hex(data), size)
				}
				ts.mustRead("k", data)
			}
		}
	}
}
