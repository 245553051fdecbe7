package kv_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/internal/kv/kvtest"
)

// BenchmarkEtcdCommit is the commit rate of etcd transactions the size of
// a 4 KiB object's index commit (a bucket marker read, a 1 KiB record and
// an id written), on a dedicated one-member etcd with fsync on: serial
// Updates, and Batch from 16 goroutines (coalesced into shared commits).
func BenchmarkEtcdCommit(b *testing.B) {
	cli, _ := kvtest.Member(b)
	val := make([]byte, 1024)
	var n atomic.Int64
	commit := func(tx kv.Tx) error {
		i := n.Add(1)
		o, err := tx.CreateBucketIfNotExists([]byte("objects"), []byte("bucket-id"))
		if err != nil {
			return err
		}
		if err := o.Put(fmt.Appendf(nil, "photos/%08d.jpg", i), val); err != nil {
			return err
		}
		ids, err := tx.CreateBucketIfNotExists([]byte("ids"))
		if err != nil {
			return err
		}
		return ids.Put(fmt.Appendf(nil, "%032x", i), []byte("bucket-id"))
	}
	for _, mode := range []string{"serial", "batch16"} {
		b.Run(mode, func(b *testing.B) {
			db := kv.NewEtcd(cli, fmt.Sprintf("/bench/%s/%d/", mode, time.Now().UnixNano()))
			start := time.Now()
			if mode == "serial" {
				for range b.N {
					if err := db.Update(ctx, commit); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := db.Batch(ctx, commit); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			commits, conflicts := db.Stats()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
			b.ReportMetric(float64(commits)/time.Since(start).Seconds(), "commits/s")
			b.ReportMetric(float64(conflicts)/float64(b.N), "conflicts/op")
		})
	}
}
