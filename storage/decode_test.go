package storage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestHealRepairsPerBlock: heal decodes block by block through the read
// path's decoder, so a stream whose every shard is bad somewhere, but
// whose every block keeps data good shards, is still healed completely
// (reads serve it too). Corrupts block 0 on drives 0 and 1, block 1 on
// drives 2 and 3 (2+2).
func TestHealRepairsPerBlock(t *testing.T) {
	ts := newTestStore(t, 4)
	data := randBytes(7, 3*ts.cfg.BlockSize+123) // a .shard stream of 4 blocks
	ts.put("big", data)
	var ref dataRef
	must(t, ts.idx.View(func(tx indexTx) error {
		bk, _ := tx.bucket("acme", "bkt")
		rec, err := tx.object(bk.ID, "big")
		if err == nil && rec != nil {
			ref = rec.Parts[0]
		}
		return err
	}))
	if ref.Inline || ref.ID == "" {
		t.Fatalf("big is not a .shard stream: %+v", ref)
	}
	orig := snapshot(t, ts)
	c, err := getCodec(ref.Data, ref.Parity, ref.BlockSize, ref.Align)
	if err != nil {
		t.Fatal(err)
	}
	for drive, block := range []int64{0, 0, 1, 1} {
		p := filepath.Join(ts.drives[drive], dataDir, ref.ID[:2], ref.ID+".shard")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[c.frameOffset(block)+hashSize+5] ^= 0x5a
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, err := ts.Scrub(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.ShardsRepaired != 4 || st.QuorumFailures != 0 {
		t.Fatalf("scrub: %+v, want 4 shards repaired", st)
	}
	sameShards(t, orig, snapshot(t, ts))
	got, err := ts.read("big", 0, -1)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after heal: %v", err)
	}
}
