package storage

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/internal/kv/kvtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kvtest.Stop() // the embedded etcd member TestEtcdIndex started, if any
	os.Exit(code)
}

// testIndex, while set, gives every store newTestStore opens its index
// (test code only: TestEtcdIndex runs existing tests with it).
var testIndex func(t testing.TB) kv.DB

// etcdIndexTests are the existing tests TestEtcdIndex runs with the index
// in etcd: usage counters against recounts over random sequences,
// versioning, multipart, bucket deletes, listings, configurations, Object
// Lock, concurrent writers and preconditions. (Tests that remove or copy
// index.db to rebuild it are bbolt's.)
var etcdIndexTests = []struct {
	name string
	f    func(*testing.T)
	// concurrent tests also run under -race (the others only without it:
	// the race detector slows the embedded etcd server too).
	concurrent bool
}{
	{"UsageMatchesRecount", TestUsageMatchesRecount, false},
	{"TenantsAndVolumes", TestTenantsAndVolumes, false},
	{"Buckets", TestBuckets, false},
	{"Quota", TestQuota, false},
	{"OverwriteDeleteMetaTags", TestOverwriteDeleteMetaTags, false},
	{"ObjectErrors", TestObjectErrors, false},
	{"HostileKeysStayInside", TestHostileKeysStayInside, false},
	{"ListMatchesModel", TestListMatchesModel, false},
	{"ListRealObjects", TestListRealObjects, false},
	{"VersioningEnabled", TestVersioningEnabled, false},
	{"VersioningNullAndSuspended", TestVersioningNullAndSuspended, false},
	{"VersionsQuota", TestVersionsQuota, false},
	{"VersionsConcurrent", TestVersionsConcurrent, true},
	{"DeleteVersionedBucket", TestDeleteVersionedBucket, false},
	{"ListObjectVersionsPaging", TestListObjectVersionsPaging, false},
	{"Multipart", TestMultipart, false},
	{"ListMultipartUploads", TestListMultipartUploads, false},
	{"DeleteBucketAbortsUploads", TestDeleteBucketAbortsUploads, false},
	{"DeleteBucketUploadsVersioned", TestDeleteBucketUploadsVersioned, false},
	{"BucketConfigKinds", TestBucketConfigKinds, false},
	{"ObjectLockEnforcement", TestObjectLockEnforcement, false},
	{"ConcurrentWriters", TestConcurrentWriters, true},
	{"PreconditionIsAtomic", TestPreconditionIsAtomic, true},
}

// TestEtcdIndex runs storage tests with Config.Index on an embedded etcd
// member (kv.NewEtcd, a fresh prefix per store): the same assertions hold
// whichever backend holds the index.
func TestEtcdIndex(t *testing.T) {
	for _, tc := range etcdIndexTests {
		if raceEnabled && !tc.concurrent {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			testIndex = func(t testing.TB) kv.DB { return kv.NewEtcd(kvtest.Etcd(t), kvtest.Prefix(t)) }
			t.Cleanup(func() { testIndex = nil })
			tc.f(t)
		})
	}
}

// TestPackByteShards: two processes sharing an index each add to their own
// counter of a pack segment; packBytes sums them exactly under concurrent
// adds, and deletePackBytes drops them all.
func TestPackByteShards(t *testing.T) {
	cli, prefix := kvtest.Etcd(t), kvtest.Prefix(t)
	var xs []*kvIndex
	for range 2 {
		x, err := openKVIndex(kv.NewEtcd(cli, prefix), newTxWatch())
		must(t, err)
		xs = append(xs, x)
	}
	if bytes.Equal(xs[0].shard, xs[1].shard) {
		t.Fatal("two processes share a counter shard")
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for range 10 {
				if err := xs[g%2].Batch(func(tx indexTx) error { return tx.addPackBytes(1, 7, int64(g+1)) }); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	sum := func(x *kvIndex) (n int64) {
		must(t, x.View(func(tx indexTx) (err error) { n, err = tx.packBytes(1, 7); return err }))
		return n
	}
	want := int64(10 * (1 + 2 + 3 + 4 + 5 + 6))
	if a, b := sum(xs[0]), sum(xs[1]); a != want || b != want {
		t.Fatalf("packBytes = %d and %d, want %d", a, b, want)
	}
	var other int64
	must(t, xs[0].Update(func(tx indexTx) error { return tx.addPackBytes(1, 8, 5) })) // the next segment stays apart
	must(t, xs[0].View(func(tx indexTx) (err error) { other, err = tx.packBytes(1, 8); return err }))
	if other != 5 {
		t.Fatalf("segment 8 = %d, want 5", other)
	}
	must(t, xs[1].Update(func(tx indexTx) error { return tx.deletePackBytes(1, 7) }))
	if a := sum(xs[0]); a != 0 {
		t.Fatalf("after deletePackBytes: %d", a)
	}
}
