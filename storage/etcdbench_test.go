package storage

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/internal/kv/kvtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// BenchmarkEtcdIndexPut is 4 KiB PUTs with the index in etcd (one local
// member, fsync on): serial, 16 writers on one store, and two stores
// sharing the index (two nodes) with 8 writers each in their own
// tenants, 4 KiB (packed: every PUT adds to the pack byte counters) and
// 200 KiB (not packed: no shared key between the stores). conflicts/op is
// how often a transaction lost to another writer and ran again.
func BenchmarkEtcdIndexPut(b *testing.B) {
	cli, _ := kvtest.Member(b) // fsync on
	open := func(b *testing.B, prefix string) (*testStore, *kv.Etcd) {
		db := kv.NewEtcd(cli, prefix)
		ts := newTestStore(b, 4, func(c *Config) { c.Index, c.Shared, c.BlockSize = db, true, DefaultBlockSize })
		return ts, db
	}
	// second opens another store (another node: its own drives and
	// process-local state) on the index of the first, with tenant beta.
	second := func(b *testing.B, prefix string) (*Store, *kv.Etcd) {
		db := kv.NewEtcd(cli, prefix)
		dir := b.TempDir()
		cfg := Config{DataDir: filepath.Join(dir, "state"), ScrubInterval: -1, Index: db, Shared: true}
		for i := range 4 {
			cfg.Drives = append(cfg.Drives, filepath.Join(dir, fmt.Sprint("drive", i)))
		}
		s, err := Open(cfg)
		must(b, err)
		b.Cleanup(func() { s.Close() })
		must(b, s.CreateTenant(context.Background(), "beta", Quota{}))
		must(b, s.CreateBucket(context.Background(), "beta", "bkt", BucketOptions{}))
		return s, db
	}
	report := func(b *testing.B, start time.Time, dbs ...*kv.Etcd) {
		var commits, conflicts uint64
		for _, db := range dbs {
			c, x := db.Stats()
			commits, conflicts = commits+c, conflicts+x
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "PUT/s")
		b.ReportMetric(float64(conflicts)/float64(b.N), "conflicts/op")
		b.ReportMetric(float64(commits)/float64(b.N), "commits/op")
	}
	b.Run("4KiB/serial", func(b *testing.B) {
		ts, db := open(b, fmt.Sprintf("/bench/%d/", time.Now().UnixNano()))
		data := randBytes(1, 4<<10)
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			_, err := ts.PutObject(context.Background(), "acme", "bkt", fmt.Sprint(i), bytes.NewReader(data), PutOptions{Size: int64(len(data))})
			must(b, err)
		}
		report(b, start, db)
	})
	b.Run("4KiB/parallel16", func(b *testing.B) {
		ts, db := open(b, fmt.Sprintf("/bench/%d/", time.Now().UnixNano()))
		data := randBytes(1, 4<<10)
		var n atomic.Int64
		b.SetParallelism(16)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, err := ts.PutObject(context.Background(), "acme", "bkt", fmt.Sprint(n.Add(1)), bytes.NewReader(data), PutOptions{Size: int64(len(data))})
				must(b, err)
			}
		})
		report(b, start, db)
	})
	for _, size := range []int{4 << 10, 200 << 10} {
		b.Run(fmt.Sprintf("%dKiB/twostores8x2", size>>10), func(b *testing.B) {
			prefix := fmt.Sprintf("/bench/%d/", time.Now().UnixNano())
			tsA, dbA := open(b, prefix)
			sB, dbB := second(b, prefix)
			data := randBytes(1, size)
			var n atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for g := range 16 {
				s, tenant := tsA.Store, "acme"
				if g%2 == 1 {
					s, tenant = sB, "beta"
				}
				wg.Go(func() {
					for i := n.Add(1); i <= int64(b.N); i = n.Add(1) {
						_, err := s.PutObject(context.Background(), tenant, "bkt", fmt.Sprint(i), bytes.NewReader(data), PutOptions{Size: int64(len(data))})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			report(b, start, dbA, dbB)
		})
	}
	// bytes: what one 4 KiB object adds to etcd, as keys and values and
	// as the member's database after compaction and defragmentation.
	b.Run("4KiB/bytes", func(b *testing.B) {
		prefix := fmt.Sprintf("/bench/%d/", time.Now().UnixNano())
		ts, _ := open(b, prefix)
		ctx := context.Background()
		size := func() (logical, db int64) {
			resp, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
			must(b, err)
			for _, kv := range resp.Kvs {
				logical += int64(len(kv.Key) + len(kv.Value))
			}
			_, err = cli.Compact(ctx, resp.Header.Revision)
			must(b, err)
			ep := cli.Endpoints()[0]
			_, err = cli.Defragment(ctx, ep)
			must(b, err)
			st, err := cli.Status(ctx, ep)
			must(b, err)
			return logical, st.DbSize
		}
		l0, d0 := size()
		data := randBytes(1, 4<<10)
		const objects = 2000
		b.ResetTimer()
		for range b.N {
			for i := range objects {
				_, err := ts.PutObject(ctx, "acme", "bkt", fmt.Sprintf("photos/2026/%08d.jpg", i), bytes.NewReader(data), PutOptions{Size: int64(len(data))})
				must(b, err)
			}
		}
		b.StopTimer()
		l1, d1 := size()
		b.ReportMetric(float64(l1-l0)/objects, "kvbytes/object")
		b.ReportMetric(float64(d1-d0)/objects, "dbbytes/object")
	})
}
