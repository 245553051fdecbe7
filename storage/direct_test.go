package storage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// alignedAt is how far b's first byte is past a multiple of align.
func alignedAt(b []byte, align int) int {
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) & (align - 1)
}

func TestCodecFrameLayout(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name            string
		align           int
		size            int64
		wantFrame1      int64 // frameOffset(1)
		wantStream      int64
		wantPaddedFrame int // padFrame of a 10-byte shard block
	}{
		{"unpadded one byte", 0, 1, 8 + mib/2, 8 + 1, 18},
		{"unpadded 2.5 blocks", 0, 5 * mib / 2, 8 + mib/2, 2*(8+mib/2) + 8 + mib/4, 18},
		{"padded one byte", frameAlign, 1, 8 + mib/2 + 4088, 4096, 4096},
		{"padded 2.5 blocks", frameAlign, 5 * mib / 2, mib/2 + 4096, 2*(mib/2+4096) + mib/4 + 4096, 4096},
		{"padded exact blocks", frameAlign, 2 * mib, mib/2 + 4096, 2 * (mib/2 + 4096), 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := getCodec(2, 2, mib, tc.align)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.frameOffset(1); got != tc.wantFrame1 {
				t.Errorf("frameOffset(1) = %d, want %d", got, tc.wantFrame1)
			}
			if got := c.streamSize(tc.size); got != tc.wantStream {
				t.Errorf("streamSize(%d) = %d, want %d", tc.size, got, tc.wantStream)
			}
			frame := append(make([]byte, hashSize, 64), bytes.Repeat([]byte{7}, 10)...)
			padded := c.padFrame(frame)
			if len(padded) != tc.wantPaddedFrame || !bytes.Equal(padded[:18], frame) || bytes.Count(padded[18:], []byte{0}) != len(padded)-18 {
				t.Errorf("padFrame: %d bytes, want %d: the frame then zeros", len(padded), tc.wantPaddedFrame)
			}
			buf := c.getBuf()
			defer c.putBuf(buf)
			for i, f := range buf.frames {
				if tc.align > 1 && (cap(f) < c.frameLen(len(f)-hashSize) || alignedAt(f, tc.align) != 0) {
					t.Errorf("frame %d: cap %d, misaligned by %d", i, cap(f), alignedAt(f, tc.align))
				}
			}
		})
	}
	if _, err := getCodec(2, 2, mib, 3000); err == nil {
		t.Error("getCodec accepted an alignment that is not a power of two")
	}
}

// TestShardStreamsArePadded: new shard files are whole frames padded to
// frameAlign; a flip in the padding does not disturb reads and the scrubber
// still repairs it.
func TestShardStreamsArePadded(t *testing.T) {
	ts := newTestStore(t, 4)
	data := randBytes(9, 3*ts.cfg.BlockSize+5)
	ts.put("k", data)
	c, err := getCodec(ts.data, ts.parity, ts.cfg.BlockSize, frameAlign)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	orig := snapshot(t, ts)
	for p, b := range orig {
		b = append([]byte(nil), b...)
		if filepath.Ext(p) != ".shard" {
			continue
		}
		n++
		if int64(len(b)) != c.streamSize(int64(len(data))) || len(b)%frameAlign != 0 {
			t.Fatalf("%s: %d bytes, want %d (a multiple of %d)", p, len(b), c.streamSize(int64(len(data))), frameAlign)
		}
		b[c.frameOffset(1)-1] ^= 0xff // padding of block 0
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n != 4 {
		t.Fatalf("%d shard files, want 4", n)
	}
	ts.mustRead("k", data)
	st, err := ts.Scrub(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.ShardsRepaired != 4 {
		t.Fatalf("scrub repaired %d shards, want the 4 with flipped padding", st.ShardsRepaired)
	}
	sameShards(t, orig, snapshot(t, ts))
}

// TestReadsAndHealsUnpaddedStreams: data written before padding (Align 0)
// still reads, and heal rewrites it in its own layout.
func TestReadsAndHealsUnpaddedStreams(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.testUnaligned = true })
	objs := corpus(t, ts)
	orig := snapshot(t, ts)
	unaligned := 0
	for p, b := range orig {
		if filepath.Ext(p) == ".shard" && len(b)%frameAlign != 0 {
			unaligned++
		}
	}
	if unaligned == 0 {
		t.Fatal("no unpadded shard stream was written")
	}
	ts.checkAll(t, objs)
	if err := os.RemoveAll(ts.drives[0]); err != nil {
		t.Fatal(err)
	}
	ts.reopen()
	if _, err := ts.Scrub(context.Background()); err != nil {
		t.Fatal(err)
	}
	healed := snapshot(t, ts)
	for p, b := range orig {
		if filepath.Ext(p) == ".shard" && !bytes.Equal(healed[p], b) {
			t.Errorf("%s: healed stream (%d bytes) differs from the original (%d bytes)", p, len(healed[p]), len(b))
		}
	}
	ts.checkAll(t, objs)
}

func TestCreateShardTakesUnalignedWrites(t *testing.T) {
	d := newLocalDrive(t.TempDir())
	if err := d.Format(DriveFormat{}); err != nil {
		t.Fatal(err)
	}
	tf, err := d.CreateShard("abcd.shard")
	if err != nil {
		t.Fatal(err)
	}
	if !tf.(*localTemp).direct {
		t.Log("file system refuses O_DIRECT: buffered writes only")
	}
	aligned := alignedBytes(2*frameAlign, frameAlign)
	for i := range aligned {
		aligned[i] = byte(i)
	}
	odd := []byte("seventeen bytes!!")
	for _, b := range [][]byte{aligned, odd} {
		if n, err := tf.Write(b); n != len(b) || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v", len(b), n, err)
		}
	}
	if err := tf.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := tf.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := d.ReadFile("abcd.shard")
	if err != nil {
		t.Fatal(err)
	}
	if want := append(append([]byte(nil), aligned...), odd...); !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, want %d equal ones", len(got), len(want))
	}
}
