package storage

import (
	"encoding/binary"
	"fmt"
	"sync"
	"unsafe"

	"github.com/klauspost/reedsolomon"
	"github.com/zeebo/xxh3"
)

// hashSize is the per-shard-block checksum (xxh3-64) that precedes every
// shard block in a shard stream.
const hashSize = 8

// frameAlign is the frame alignment of shard files written since direct
// I/O: every frame is zero padded to a multiple of it, so each frame is one
// aligned write straight from the codec's (aligned) buffer, bypassing the
// page cache (see localDrive.CreateShard). Inline streams stay unpadded.
const frameAlign = 4096

// codec splits blocks into data+parity shards and back. A shard stream is,
// for each block of the object, an 8-byte xxh3 of the shard block followed
// by the shard block, zero padded to a multiple of align (1: no padding);
// every block but the last has the same shard size.
type codec struct {
	data, parity int
	blockSize    int
	align        int
	enc          reedsolomon.Encoder
	full         *bufPool // buffers for a block of blockSize bytes
	small        *bufPool // for objects of at most smallBlock bytes
	smallBlock   int
}

// codecBuf is one block's worth of working memory: the raw block and the
// framed shards (hash + shard bytes) of every drive. Buffers of the small
// pool hold a block of at most smallBlock bytes.
type codecBuf struct {
	block  []byte
	frames [][]byte // frames[i] = hash(8) + shard i
	mem    []byte   // the mapping all of it lives in (nil: on the heap)
	pool   *bufPool
}

var (
	codecsMu sync.Mutex
	codecs   = map[[4]int]*codec{}
)

// getCodec returns the shared codec for a layout; align is a dataRef's
// Align (0 for unpadded streams).
func getCodec(data, parity, blockSize, align int) (*codec, error) {
	align = max(align, 1)
	key := [4]int{data, parity, blockSize, align}
	codecsMu.Lock()
	defer codecsMu.Unlock()
	if c, ok := codecs[key]; ok {
		return c, nil
	}
	if data < 1 || parity < 0 || blockSize < data || align&(align-1) != 0 || align > 1<<16 {
		return nil, fmt.Errorf("storage: bad erasure layout %d+%d block %d align %d", data, parity, blockSize, align)
	}
	// One goroutine per encode: concurrency comes from the uploads and
	// the per-drive writes, and the library's split of a 512 KiB shard
	// over goroutines only adds scheduling to a 2+2 encode that costs
	// about 70 µs per MiB.
	enc, err := reedsolomon.New(data, max(parity, 1), reedsolomon.WithMaxGoroutines(1))
	if err != nil {
		return nil, err
	}
	c := &codec{data: data, parity: parity, blockSize: blockSize, align: align, enc: enc}
	c.smallBlock = min(blockSize, inlineMax)
	c.full = c.newPool(blockSize)
	c.small = c.newPool(c.smallBlock)
	codecs[key] = c
	return c, nil
}

// newPool returns a pool of buffers for blocks of up to block bytes: the
// framed shards first, each frame starting at a multiple of align (each
// frame may grow to its padded length: padFrame), then the raw block.
func (c *codec) newPool(block int) *bufPool {
	ss := c.shardSize(block)
	stride := c.frameLen(ss)
	frames := (c.data + c.parity) * stride
	return newBufPool(frames+c.align+block, func(mem []byte) *codecBuf {
		off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(mem)))) & (c.align - 1)
		shards := mem[off : off+frames]
		b := &codecBuf{block: mem[off+frames : off+frames+block : off+frames+block]}
		for i := 0; i < c.data+c.parity; i++ {
			b.frames = append(b.frames, shards[i*stride:i*stride+hashSize+ss:(i+1)*stride])
		}
		return b
	})
}

// getBuf returns a buffer for any block of the codec's layout.
func (c *codec) getBuf() *codecBuf { return c.full.get() }

// getBufFor returns a buffer for the blocks of an object of size bytes
// (-1: unknown): a small one when the whole object fits in smallBlock, so
// a small GET or PUT does not hold a 3 MiB buffer for a few KiB.
func (c *codec) getBufFor(size int64) *codecBuf {
	if size >= 0 && size <= int64(c.smallBlock) {
		return c.small.get()
	}
	return c.full.get()
}

// putBuf returns a buffer of getBuf or getBufFor to its pool.
func (c *codec) putBuf(b *codecBuf) { b.pool.put(b) }

// shardSize is the shard length of a block of n bytes.
func (c *codec) shardSize(n int) int { return (n + c.data - 1) / c.data }

// blocks returns the number of blocks of an object of size bytes.
func (c *codec) blocks(size int64) int64 { return (size + int64(c.blockSize) - 1) / int64(c.blockSize) }

// blockLen is the length of block i of an object of size bytes.
func (c *codec) blockLen(size int64, i int64) int {
	return int(min(int64(c.blockSize), size-i*int64(c.blockSize)))
}

// alignedBytes returns n zero bytes starting at a multiple of align.
func alignedBytes(n, align int) []byte {
	if align <= 1 {
		return make([]byte, n)
	}
	mem := make([]byte, n+align)
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(mem)))) & (align - 1)
	return mem[off : off+n : off+n]
}

// frameLen is the length of a frame of a shard block of ss bytes in a
// shard stream, padding included.
func (c *codec) frameLen(ss int) int {
	return (hashSize + ss + c.align - 1) &^ (c.align - 1)
}

// padFrame returns frame (hash + shard block) zero padded to its length in
// the shard stream, in place when frame's capacity allows.
func (c *codec) padFrame(frame []byte) []byte {
	l := c.frameLen(len(frame) - hashSize)
	if cap(frame) >= l {
		out := frame[:l]
		clear(out[len(frame):])
		return out
	}
	return append(frame, make([]byte, l-len(frame))...)
}

// frameOffset is where block i's frame starts in a shard stream.
func (c *codec) frameOffset(i int64) int64 {
	return i * int64(c.frameLen(c.shardSize(c.blockSize)))
}

// streamSize is the length of each shard stream of an object of size bytes.
func (c *codec) streamSize(size int64) int64 {
	n := c.blocks(size)
	if n == 0 {
		return 0
	}
	last := c.blockLen(size, n-1)
	return c.frameOffset(n-1) + int64(c.frameLen(c.shardSize(last)))
}

// encode splits buf.block[:n] into framed shards; it returns the frames,
// which alias buf.
func (c *codec) encode(buf *codecBuf, n int) ([][]byte, error) {
	ss := c.shardSize(n)
	shards := make([][]byte, c.data+c.parity)
	for i := range shards {
		shards[i] = buf.frames[i][hashSize : hashSize+ss]
	}
	for i := 0; i < c.data; i++ {
		lo := min(i*ss, n)
		hi := min(lo+ss, n)
		m := copy(shards[i], buf.block[lo:hi])
		clear(shards[i][m:])
	}
	return c.finish(buf, shards, ss)
}

// finish computes parity and the shard hashes of shards (aliasing buf's
// frames, ss bytes each) and returns the frames.
func (c *codec) finish(buf *codecBuf, shards [][]byte, ss int) ([][]byte, error) {
	if c.parity > 0 {
		if err := c.enc.Encode(shards); err != nil {
			return nil, err
		}
	}
	frames := make([][]byte, len(shards))
	for i, s := range shards {
		binary.BigEndian.PutUint64(buf.frames[i][:hashSize], xxh3.Hash(s))
		frames[i] = buf.frames[i][:hashSize+ss]
	}
	return frames, nil
}

// dataSegs returns where a full block's bytes go in buf's frames: the data
// shard regions, in order, which together are exactly blockSize bytes. A
// body read into them (scatter read) is encoded by encodeFull without
// copying the block.
func (c *codec) dataSegs(buf *codecBuf) [][]byte {
	ss := c.shardSize(c.blockSize)
	segs := make([][]byte, 0, c.data)
	for i := 0; i < c.data; i++ {
		if l := min(ss, c.blockSize-i*ss); l > 0 {
			segs = append(segs, buf.frames[i][hashSize:hashSize+l])
		}
	}
	return segs
}

// encodeFull encodes a full block that was read into dataSegs(buf); it
// returns the frames, which alias buf.
func (c *codec) encodeFull(buf *codecBuf) ([][]byte, error) {
	ss := c.shardSize(c.blockSize)
	shards := make([][]byte, c.data+c.parity)
	for i := range shards {
		shards[i] = buf.frames[i][hashSize : hashSize+ss]
	}
	for i := 0; i < c.data; i++ {
		clear(shards[i][max(0, min(ss, c.blockSize-i*ss)):]) // zero padding
	}
	return c.finish(buf, shards, ss)
}

// gather copies the first n bytes of a block read into dataSegs(buf) to
// buf.block, for encode (a short last block has smaller shards).
func (c *codec) gather(buf *codecBuf, n int) {
	out := buf.block[:0]
	for _, seg := range c.dataSegs(buf) {
		if len(out) == n {
			break
		}
		out = append(out, seg[:min(len(seg), n-len(out))]...)
	}
}

// verifyFrame reports whether a framed shard block matches its checksum.
func verifyFrame(frame []byte) bool {
	return len(frame) >= hashSize && binary.BigEndian.Uint64(frame[:hashSize]) == xxh3.Hash(frame[hashSize:])
}

// reconstruct fills the nil entries of shards (unframed shard blocks);
// with dataOnly it rebuilds only the data shards.
func (c *codec) reconstruct(shards [][]byte, dataOnly bool) error {
	if dataOnly {
		return c.enc.ReconstructData(shards)
	}
	return c.enc.Reconstruct(shards)
}

// putHash writes the checksum of shard into frame[:hashSize].
func putHash(frame, shard []byte) {
	binary.BigEndian.PutUint64(frame[:hashSize], xxh3.Hash(shard))
}
