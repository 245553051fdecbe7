package storage

import (
	"crypto/md5"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	md5simd "github.com/minio/md5-simd"
	bolt "go.etcd.io/bbolt"

	"github.com/cofferstore/coffer/pkg/checksum"
)

// BenchmarkErasureBlockSize encodes blocks of each size (2+2, split,
// parity, xxh3 per shard) and decodes them with both data shards lost
// (reconstruction from parity, the worst case of a degraded read).
func BenchmarkErasureBlockSize(b *testing.B) {
	for _, bs := range []int{256 << 10, 1 << 20, 4 << 20} {
		c, err := getCodec(2, 2, bs, frameAlign)
		if err != nil {
			b.Fatal(err)
		}
		buf := c.getBuf()
		copy(buf.block, randBytes(1, bs))
		b.Run(fmt.Sprintf("encode/%dKiB", bs>>10), func(b *testing.B) {
			b.SetBytes(int64(bs))
			for i := 0; i < b.N; i++ {
				if _, err := c.encode(buf, bs); err != nil {
					b.Fatal(err)
				}
			}
		})
		frames, err := c.encode(buf, bs)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("decode-2-lost/%dKiB", bs>>10), func(b *testing.B) {
			b.SetBytes(int64(bs))
			shards := make([][]byte, 4)
			for i := 0; i < b.N; i++ {
				shards[0], shards[1] = shards[0][:0], shards[1][:0]
				shards[2], shards[3] = frames[2][hashSize:], frames[3][hashSize:]
				if err := c.reconstruct(shards, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkShardWrite writes a 16 MiB object's shard stream (16 padded
// frames of a 1 MiB block, 2+2) to a temp file, fsyncs and renames it: the
// per-drive work of a large PUT, with direct I/O and through the page cache.
func BenchmarkShardWrite(b *testing.B) {
	c, err := getCodec(2, 2, 1<<20, frameAlign)
	if err != nil {
		b.Fatal(err)
	}
	buf := c.getBuf()
	copy(buf.block, randBytes(2, 1<<20))
	frames, err := c.encode(buf, 1<<20)
	if err != nil {
		b.Fatal(err)
	}
	frame := c.padFrame(frames[0])
	d := newLocalDrive(b.TempDir())
	if err := d.Format(DriveFormat{}); err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"direct", "buffered"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(16 * int64(len(frame)))
			for i := 0; i < b.N; i++ {
				name := fmt.Sprintf("%032x.shard", i)
				var tf TempFile
				if mode == "direct" {
					tf, err = d.CreateShard(name)
				} else {
					tf, err = d.Create(name)
				}
				if err != nil {
					b.Fatal(err)
				}
				for k := 0; k < 16; k++ {
					if _, err := tf.Write(frame); err != nil {
						b.Fatal(err)
					}
				}
				if err := tf.Sync(); err != nil {
					b.Fatal(err)
				}
				if err := tf.Commit(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := d.Remove(name); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkShardRead reads and verifies the 16 frames of a committed 16 MiB
// object's shard stream (page cache warm, as in the GET benchmarks).
func BenchmarkShardRead(b *testing.B) {
	ts := newTestStore(b, 4, func(c *Config) { c.BlockSize = 1 << 20 })
	data := randBytes(3, 16<<20)
	ts.put("k", data)
	ts.mustRead("k", data)
	var ref dataRef
	err := ts.idx.View(func(tx indexTx) error {
		bk, err := tx.bucket("acme", "bkt")
		if err != nil || bk == nil {
			return fmt.Errorf("bucket: %v", err)
		}
		rec, err := tx.object(bk.ID, "k")
		if err != nil || rec == nil {
			return fmt.Errorf("object: %v", err)
		}
		ref = rec.Parts[0]
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	c, err := getCodec(ref.Data, ref.Parity, ref.BlockSize, ref.Align)
	if err != nil {
		b.Fatal(err)
	}
	frame := make([]byte, hashSize+c.shardSize(ref.BlockSize))
	b.SetBytes(16 * int64(len(frame)-hashSize))
	for i := 0; i < b.N; i++ {
		f, err := ts.Store.drives[0].Open(ref.ID + ".shard")
		if err != nil {
			b.Fatal(err)
		}
		for k := int64(0); k < 16; k++ {
			if _, err := f.ReadAt(frame, c.frameOffset(k)); err != nil {
				b.Fatal(err)
			}
			if !verifyFrame(frame) {
				b.Fatal("frame checksum mismatch")
			}
		}
		f.Close()
	}
}

// BenchmarkIndexCommit commits one small record per call to bbolt: alone
// (one Update and fsync each), and from 16 concurrent writers through
// groupCommit (what PUTs use) and through bbolt's own Batch (2 ms timer,
// what they used before).
func BenchmarkIndexCommit(b *testing.B) {
	open := func(b *testing.B) *bolt.DB {
		db, err := bolt.Open(filepath.Join(b.TempDir(), "i.db"), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("o")); return err }); err != nil {
			b.Fatal(err)
		}
		return db
	}
	val := randBytes(4, 400) // about an object record
	put := func(n int) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error { return tx.Bucket([]byte("o")).Put(fmt.Appendf(nil, "%016x", n*7919), val) }
	}
	b.Run("single", func(b *testing.B) {
		db := open(b)
		for i := 0; i < b.N; i++ {
			if err := db.Update(put(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	parallel := func(b *testing.B, commit func(fn func(*bolt.Tx) error) error) {
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range next {
					if err := commit(put(n)); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for i := 0; i < b.N; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	b.Run("group16", func(b *testing.B) {
		g := newGroupCommit(open(b))
		parallel(b, g.do)
	})
	b.Run("boltBatch16", func(b *testing.B) {
		db := open(b)
		db.MaxBatchDelay = 2 * time.Millisecond // as the index had it
		parallel(b, db.Batch)
	})
}

// BenchmarkBodyHashes is the per-byte hashing of a PUT body: the MD5 ETag
// (stdlib for one stream; md5-simd, which large PUTs use, for 8 concurrent
// streams) and each S3 checksum a client may ask for, 1 MiB at a time.
func BenchmarkBodyHashes(b *testing.B) {
	block := randBytes(5, 1<<20)
	b.Run("md5/stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(block)))
		h := md5.New()
		for i := 0; i < b.N; i++ {
			h.Write(block)
		}
	})
	b.Run("md5/simd-8-streams", func(b *testing.B) {
		srv := md5simd.NewServer()
		defer srv.Close()
		b.SetBytes(8 * int64(len(block)))
		var wg sync.WaitGroup
		for s := 0; s < 8; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := srv.NewHash()
				defer h.Close()
				for i := 0; i < b.N; i++ {
					h.Write(block)
				}
			}()
		}
		wg.Wait()
	})
	for _, a := range []checksum.Algorithm{checksum.CRC32, checksum.CRC32C, checksum.CRC64NVME, checksum.SHA1, checksum.SHA256} {
		b.Run(string(a), func(b *testing.B) {
			b.SetBytes(int64(len(block)))
			h := a.New()
			for i := 0; i < b.N; i++ {
				h.Write(block)
			}
		})
	}
}

// BenchmarkIndexTx is the cost of one index transaction through the index (bbolt),
// the path every storage call takes: a read of one record, alone and from
// 16 goroutines, and a batched write from 16 goroutines. It bounds what the
// bookkeeping around each transaction may add.
func BenchmarkIndexTx(b *testing.B) {
	open := func(b *testing.B) *kvIndex {
		x, err := openBoltIndex(filepath.Join(b.TempDir(), "i.db"), newTxWatch(), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { x.Close() })
		if err := x.Update(func(tx indexTx) error { return tx.putTenant(&tenantRecord{Name: "acme"}) }); err != nil {
			b.Fatal(err)
		}
		return x
	}
	read := func(x *kvIndex) error {
		return x.View(func(tx indexTx) error {
			t, err := tx.tenant("acme")
			if err == nil && t == nil {
				err = errors.New("tenant missing")
			}
			return err
		})
	}
	b.Run("view", func(b *testing.B) {
		x := open(b)
		for b.Loop() {
			if err := read(x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("view16", func(b *testing.B) {
		x := open(b)
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := read(x); err != nil {
					b.Error(err)
				}
			}
		})
	})
	b.Run("batch16", func(b *testing.B) {
		x := open(b)
		var n atomic.Int64
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				id := fmt.Sprint(n.Add(1))
				if err := x.Batch(func(tx indexTx) error { return tx.addID(id, "o") }); err != nil {
					b.Error(err)
				}
			}
		})
	})
}

// BenchmarkTxWatch is the bookkeeping txWatch adds to every index
// transaction (a begin and an end), alone and from 16 goroutines.
func BenchmarkTxWatch(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		w := newTxWatch()
		for b.Loop() {
			w.end(w.begin())
		}
	})
	b.Run("parallel16", func(b *testing.B) {
		w := newTxWatch()
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				w.end(w.begin())
			}
		})
	})
}
