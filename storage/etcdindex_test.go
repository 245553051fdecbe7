package storage

import (
	"os"
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
}{
	{"UsageMatchesRecount", TestUsageMatchesRecount},
	{"TenantsAndVolumes", TestTenantsAndVolumes},
	{"Buckets", TestBuckets},
	{"Quota", TestQuota},
	{"OverwriteDeleteMetaTags", TestOverwriteDeleteMetaTags},
	{"ObjectErrors", TestObjectErrors},
	{"HostileKeysStayInside", TestHostileKeysStayInside},
	{"ListMatchesModel", TestListMatchesModel},
	{"ListRealObjects", TestListRealObjects},
	{"VersioningEnabled", TestVersioningEnabled},
	{"VersioningNullAndSuspended", TestVersioningNullAndSuspended},
	{"VersionsQuota", TestVersionsQuota},
	{"VersionsConcurrent", TestVersionsConcurrent},
	{"DeleteVersionedBucket", TestDeleteVersionedBucket},
	{"ListObjectVersionsPaging", TestListObjectVersionsPaging},
	{"Multipart", TestMultipart},
	{"ListMultipartUploads", TestListMultipartUploads},
	{"DeleteBucketAbortsUploads", TestDeleteBucketAbortsUploads},
	{"DeleteBucketUploadsVersioned", TestDeleteBucketUploadsVersioned},
	{"BucketConfigKinds", TestBucketConfigKinds},
	{"ObjectLockEnforcement", TestObjectLockEnforcement},
	{"ConcurrentWriters", TestConcurrentWriters},
	{"PreconditionIsAtomic", TestPreconditionIsAtomic},
}

// TestEtcdIndex runs storage tests with Config.Index on an embedded etcd
// member (kv.NewEtcd, a fresh prefix per store): the same assertions hold
// whichever backend holds the index.
func TestEtcdIndex(t *testing.T) {
	for _, tc := range etcdIndexTests {
		t.Run(tc.name, func(t *testing.T) {
			testIndex = func(t testing.TB) kv.DB { return kv.NewEtcd(kvtest.Etcd(t), kvtest.Prefix(t)) }
			t.Cleanup(func() { testIndex = nil })
			tc.f(t)
		})
	}
}
