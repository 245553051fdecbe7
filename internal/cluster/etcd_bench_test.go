package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// openOne starts a single embedded member (a one-node cluster).
func openOne(b testing.TB) *Cluster {
	b.Helper()
	ports := freePorts(b, 2)
	c, err := Open(context.Background(), Config{
		Node: "m1", DataDir: b.TempDir(), Endpoints: []string{Embedded},
		Members: "m1=http://" + ports[0], ClientListen: ports[1], Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkEtcdCommit measures what bounds cluster mode's index: the
// commit rate of one-key transactions (a 600-byte value, about an index
// record) on an embedded member, from 16 concurrent writers, and etcd's
// database bytes per key. docs/cluster.md quotes the figures.
func BenchmarkEtcdCommit(b *testing.B) {
	c := openOne(b)
	cli := c.Client()
	val := strings.Repeat("v", 600)
	ctx := context.Background()
	before, err := cli.Status(ctx, c.ClientURLs()[0])
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for w := range 16 {
		wg.Go(func() {
			for {
				i := n.Add(1)
				if i > int64(b.N) {
					return
				}
				key := fmt.Sprintf("/coffer/index/bench/%02d/%012d", w, i)
				if _, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
					Then(clientv3.OpPut(key, val)).Commit(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
	after, err := cli.Status(ctx, c.ClientURLs()[0])
	if err != nil {
		b.Fatal(err)
	}
	if b.N >= 1000 {
		b.ReportMetric(float64(after.DbSizeInUse-before.DbSizeInUse)/float64(b.N), "dbbytes/key")
	}
}
