package storage

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/sha256-simd"
	"github.com/zeebo/xxh3"
)

func benchStore(b *testing.B, blockSize int) *testStore {
	return newTestStore(b, 4, func(c *Config) { c.BlockSize = blockSize })
}

var benchSizes = []struct {
	name string
	size int
}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}, {"64MiB", 64 << 20}}

func BenchmarkPut(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			ts := benchStore(b, DefaultBlockSize)
			data := randBytes(1, sz.size)
			b.SetBytes(int64(sz.size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := ts.PutObject(context.Background(), "acme", "bkt", fmt.Sprint(i%8), bytes.NewReader(data), PutOptions{Size: int64(len(data))}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			ts := benchStore(b, DefaultBlockSize)
			data := randBytes(1, sz.size)
			ts.put("k", data)
			ctx := context.Background()
			b.SetBytes(int64(sz.size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := ts.OpenObject(ctx, "acme", "bkt", "k")
				if err != nil {
					b.Fatal(err)
				}
				rc, _ := r.Range(ctx, 0, int64(sz.size))
				if n, err := io.Copy(io.Discard, rc); err != nil || n != int64(sz.size) {
					b.Fatal(n, err)
				}
				rc.Close()
				r.Close()
			}
		})
	}
}

// BenchmarkPutBlockSize compares block sizes for a 64 MiB PUT.
func BenchmarkPutBlockSize(b *testing.B) {
	for _, bs := range []int{256 << 10, 1 << 20, 4 << 20} {
		b.Run(fmt.Sprintf("%dKiB", bs>>10), func(b *testing.B) {
			ts := benchStore(b, bs)
			data := randBytes(1, 64<<20)
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := ts.PutObject(context.Background(), "acme", "bkt", "k", bytes.NewReader(data), PutOptions{Size: int64(len(data))}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkErasureEncode measures splitting, parity and per-shard hashing of
// 1 MiB blocks alone.
func BenchmarkErasureEncode(b *testing.B) {
	for _, l := range [][2]int{{2, 2}, {4, 2}, {8, 8}} {
		b.Run(fmt.Sprintf("%d+%d", l[0], l[1]), func(b *testing.B) {
			c, _ := getCodec(l[0], l[1], 1<<20, 0)
			buf := c.getBuf()
			copy(buf.block, randBytes(1, 1<<20))
			b.SetBytes(1 << 20)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.encode(buf, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkShardHash compares candidate per-shard-block checksums on a
// 512 KiB shard block (1 MiB block, 2 data shards).
func BenchmarkShardHash(b *testing.B) {
	data := randBytes(1, 512<<10)
	table := crc32.MakeTable(crc32.Castagnoli)
	for _, h := range []struct {
		name string
		fn   func([]byte)
	}{
		{"xxh3", func(p []byte) { xxh3.Hash(p) }},
		{"crc32c", func(p []byte) { crc32.Checksum(p, table) }},
		{"sha256", func(p []byte) { sha256.Sum256(p) }},
	} {
		b.Run(h.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				h.fn(data)
			}
		})
	}
}

var (
	listOnce  sync.Once
	listStore *testStore
)

// BenchmarkListObjects1M lists pages of 1000 from a bucket of 1M keys
// (loaded once through batched index writes).
func BenchmarkListObjects1M(b *testing.B) {
	listOnce.Do(func() {
		// Not b.TempDir: the store outlives this benchmark's first run.
		ts := newTestStore(&testing.T{}, 2)
		keys := make([]string, 1_000_000)
		for i := range keys {
			keys[i] = fmt.Sprintf("dir%03d/file%07d.dat", i%1000, i)
		}
		bk, _ := ts.lookupBucket("acme", "bkt")
		raw, _ := encodeObjValue(&objRecord{ID: "0123456789abcdef0123456789abcdef", Tenant: "acme", Bucket: "bkt", BucketID: bk.ID, Size: 1234, ETag: "d41d8cd98f00b204e9800998ecf8427e"})
		for i := 0; i < len(keys); i += 50_000 {
			must(b, ts.idx.Update(func(tx indexTx) error {
				for _, k := range keys[i:min(i+50_000, len(keys))] {
					if err := tx.(*kvTx).putObjectRaw(bk.ID, k, raw); err != nil {
						return err
					}
				}
				return nil
			}))
		}
		listStore = ts
	})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts ListOptions
	}{
		{"flat", ListOptions{MaxKeys: 1000, After: "dir500/"}},
		{"prefix", ListOptions{MaxKeys: 1000, Prefix: "dir777/"}},
		{"delimiter", ListOptions{MaxKeys: 1000, Delimiter: "/"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				res, err := listStore.ListObjects(ctx, "acme", "bkt", tc.opts)
				if err != nil || len(res.Objects)+len(res.CommonPrefixes) != 1000 {
					b.Fatal(err, len(res.Objects), len(res.CommonPrefixes))
				}
			}
		})
	}
}

// genReader produces n pseudo-random bytes without holding them.
type genReader struct {
	n     int64
	state uint64
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.n == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.n {
		p = p[:g.n]
	}
	for i := range p {
		g.state = g.state*6364136223846793005 + 1442695040888963407
		p[i] = byte(g.state >> 56)
	}
	g.n -= int64(len(p))
	return len(p), nil
}

// BenchmarkStream1GiB streams a 1 GiB object in and out and reports the
// peak Go heap seen while doing so; it fails above 64 MiB.
func BenchmarkStream1GiB(b *testing.B) {
	const size = 1 << 30
	ts := benchStore(b, DefaultBlockSize)
	ctx := context.Background()
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	b.SetBytes(2 * size)
	for i := 0; i < b.N; i++ {
		if _, err := ts.PutObject(ctx, "acme", "bkt", "huge", &genReader{n: size, state: 1}, PutOptions{Size: -1}); err != nil {
			b.Fatal(err)
		}
		r, err := ts.OpenObject(ctx, "acme", "bkt", "huge")
		if err != nil {
			b.Fatal(err)
		}
		rc, _ := r.Range(ctx, 0, size)
		if n, err := io.Copy(io.Discard, rc); err != nil || n != size {
			b.Fatal(n, err)
		}
		rc.Close()
		r.Close()
	}
	close(stop)
	<-done
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	if peak.Load() > 64<<20 {
		b.Fatalf("peak heap %d MiB while streaming 1 GiB", peak.Load()>>20)
	}
}

// BenchmarkPutSmallParallel16 is 4 KiB PUTs from 16 concurrent writers;
// their index commits coalesce through bbolt's Batch.
func BenchmarkPutSmallParallel16(b *testing.B) {
	ts := benchStore(b, DefaultBlockSize)
	data := randBytes(1, 4<<10)
	var n atomic.Int64
	b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := fmt.Sprint(n.Add(1))
			if _, err := ts.PutObject(context.Background(), "acme", "bkt", k, bytes.NewReader(data), PutOptions{Size: int64(len(data))}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "PUT/s")
}

// BenchmarkDriveFilesParallel16 measures the file system alone: 16 writers
// each creating one 2 KiB file per drive on 4 drives (temp file, rename),
// without and with the fsyncs PutObject does. It is the ceiling of
// small-object PUT/s for a layout with one file per drive per object.
func BenchmarkDriveFilesParallel16(b *testing.B) {
	for _, durable := range []bool{false, true} {
		name := "nosync"
		if durable {
			name = "fsync"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			var ds []*localDrive
			for i := 0; i < 4; i++ {
				d := newLocalDrive(fmt.Sprintf("%s/d%d", dir, i))
				if err := d.Format(DriveFormat{Version: formatVersion, SetID: "s", DriveID: "d", Drives: 1}); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, d)
			}
			payload := make([]byte, 2<<10)
			b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := newID()
					var wg sync.WaitGroup
					for _, d := range ds {
						wg.Add(1)
						go func() {
							defer wg.Done()
							f, err := d.Create(id + ".meta")
							if err != nil {
								b.Error(err)
								return
							}
							if _, err := f.Write(payload); err != nil {
								b.Error(err)
							}
							if durable {
								if err := f.Sync(); err != nil {
									b.Error(err)
								}
							}
							if err := f.Commit(); err != nil {
								b.Error(err)
							}
							if durable {
								if err := d.SyncDir(id + ".meta"); err != nil {
									b.Error(err)
								}
							}
						}()
					}
					wg.Wait()
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "objects/s")
		})
	}
}

// BenchmarkGetPacked reads 4 KiB packed objects (64 keys, round robin):
// one reader, and 16 concurrent readers. Every GET reads each drive's
// record through the pack segment descriptor cache.
func BenchmarkGetPacked(b *testing.B) {
	ts := benchStore(b, DefaultBlockSize)
	data := randBytes(1, 4<<10)
	const keys = 64
	for k := 0; k < keys; k++ {
		ts.put(fmt.Sprint(k), data)
	}
	ctx := context.Background()
	get := func(k int) {
		r, err := ts.OpenObject(ctx, "acme", "bkt", fmt.Sprint(k%keys))
		if err != nil {
			b.Fatal(err)
		}
		rc, _ := r.Range(ctx, 0, int64(len(data)))
		if n, err := io.Copy(io.Discard, rc); err != nil || n != int64(len(data)) {
			b.Fatal(n, err)
		}
		rc.Close()
		r.Close()
	}
	b.Run("one", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			get(i)
		}
	})
	b.Run("parallel16", func(b *testing.B) {
		var n atomic.Int64
		b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(int(n.Add(1)))
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "GET/s")
	})
}

// BenchmarkPackRead reads one packed record from one drive's pack log:
// the descriptor cache lookup, the pread and the frame check, alone.
func BenchmarkPackRead(b *testing.B) {
	ts := benchStore(b, DefaultBlockSize)
	ts.put("k", randBytes(1, 4<<10))
	var loc PackLoc
	must(b, ts.idx.View(func(tx indexTx) error {
		bk, _ := tx.bucket("acme", "bkt")
		rec, err := tx.object(bk.ID, "k")
		if err == nil && rec != nil && rec.packed() {
			loc = rec.Parts[0].Packed[0]
		}
		return err
	}))
	if loc.Len == 0 {
		b.Fatal("k is not packed")
	}
	d := ts.Store.drives[0]
	b.SetBytes(int64(loc.Len))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := d.ReadPacked(loc); err != nil {
			b.Fatal(err)
		}
	}
}
