package lifecycle

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// racingStore writes a new version of a key just before the executor's
// re-check of it, as a client PUT landing between listing and delete.
type racingStore struct {
	storage.ObjectStore
	mu   sync.Mutex
	done map[string]bool // buckets raced already
	key  string
}

func (s *racingStore) GetObjectVersion(ctx context.Context, tenant, bucket, key, versionID string) (storage.ObjectInfo, error) {
	s.mu.Lock()
	race := key == s.key && !s.done[bucket]
	if race {
		s.done[bucket] = true
	}
	s.mu.Unlock()
	if race {
		if _, err := s.ObjectStore.PutObject(ctx, tenant, bucket, key, bytes.NewReader([]byte("fresh!")), storage.PutOptions{Size: 6}); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	return s.ObjectStore.GetObjectVersion(ctx, tenant, bucket, key, versionID)
}

// TestPutBetweenListingAndDelete: a version written after the pass listed
// the key is never expired, in a versioned and a never-versioned bucket;
// the other due keys are.
func TestPutBetweenListingAndDelete(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	mkTenant(t, st, "acme")
	rule := `<Rule><ID>all</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`
	for _, b := range []struct{ name, versioning string }{{"plain", ""}, {"versioned", storage.VersioningEnabled}} {
		mkBucket(t, st, "acme", b.name, b.versioning, false)
		setRules(t, st, "acme", b.name, rule)
		putObj(t, st, "acme", b.name, "a", 1, storage.PutOptions{})
		putObj(t, st, "acme", b.name, "raced", 2, storage.PutOptions{})
		putObj(t, st, "acme", b.name, "z", 3, storage.PutOptions{})
	}
	now := time.Now().Add(3 * 24 * time.Hour)
	rs := &racingStore{ObjectStore: st, key: "raced", done: map[string]bool{}}
	res, err := New(Config{Store: rs, Now: func() time.Time { return now }}).RunPass(ctx, "")
	must(t, err)
	want := map[string][]string{
		"plain":     {"raced:6*"},
		"versioned": {"a:marker*", "a:1", "raced:6*", "raced:2", "z:marker*", "z:3"},
	}
	for b, w := range want {
		if got := shape(t, st, "acme", b); !equal(got, w) {
			t.Fatalf("%s: %q, want %q", b, got, w)
		}
	}
	// plain: a, z deleted, raced skipped; versioned: a, z marked, raced skipped.
	if s := res.Tenants["acme"]; s.ObjectsExpired != 4 || s.SkippedChanged != 2 || s.BytesExpired != 4 {
		t.Fatalf("counts %+v", s)
	}
	checkUsage(t, st, "acme")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTokenBucketBounds: past its one-second burst the bucket hands out
// tokens no faster than its rate (a lower bound on time, never an upper).
func TestTokenBucketBounds(t *testing.T) {
	b := newTokenBucket(100)
	start := time.Now()
	for range 150 {
		must(t, b.wait(context.Background()))
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Fatalf("150 tokens at 100/s with a burst of 100 took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newTokenBucket(0.001).wait(ctx); err == nil {
		t.Fatal("a cancelled wait succeeded")
	}
}

// TestSuspendedBucket: expiring the null current version of a suspended
// bucket replaces it with a null delete marker (its bytes go); the older
// versioned version stays, noncurrent.
func TestSuspendedBucket(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	mkTenant(t, st, "acme")
	mkBucket(t, st, "acme", "susp", storage.VersioningEnabled, false)
	setRules(t, st, "acme", "susp", `<Rule><ID>all</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	putObj(t, st, "acme", "susp", "k", 3, storage.PutOptions{})
	must(t, st.SetBucketVersioning(ctx, "acme", "susp", storage.VersioningSuspended))
	putObj(t, st, "acme", "susp", "k", 5, storage.PutOptions{})
	now := time.Now().Add(3 * 24 * time.Hour)
	res, err := New(Config{Store: st, Now: func() time.Time { return now }}).RunPass(ctx, "")
	must(t, err)
	if got, want := shape(t, st, "acme", "susp"), []string{"k:marker*", "k:3"}; !equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
	if s := res.Tenants["acme"]; s.ObjectsExpired != 1 || s.BytesExpired != 5 {
		t.Fatalf("counts %+v", s)
	}
	checkUsage(t, st, "acme")
}
