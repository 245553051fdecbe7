package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// crash leaves the store as a killed process would: nothing applied or
// closed in order (its held applier never runs again).
func (ts *testStore) crash() {
	ts.t.Helper()
	f := ts.fast
	f.mu.Lock()
	f.stopped = true // Close does not wait for it
	f.moved.Broadcast()
	f.mu.Unlock()
	if err := ts.raw.Close(); err != nil {
		ts.t.Fatal(err)
	}
	for _, d := range ts.Store.drives {
		d.Close()
	}
}

// openAgain opens a store on ts's directories after crash.
func (ts *testStore) openAgain(mod func(*Config)) error {
	cfg := ts.cfg
	cfg.testFastHold = nil
	if mod != nil {
		mod(&cfg)
	}
	s, err := Open(cfg)
	if err != nil {
		return err
	}
	ts.Store, ts.cfg = s, cfg
	return nil
}

// heldFastStore is a test store whose fast log applies nothing.
func heldFastStore(t *testing.T) *testStore {
	if testIndex != nil {
		t.Skip("the fast path is off on a shared index")
	}
	ts := newTestStore(t, 4, func(c *Config) { c.FastPut, c.testFastHold = true, make(chan struct{}) })
	if ts.fast == nil {
		t.Fatal("no fast log")
	}
	return ts
}

// putUnapplied writes n objects (and overwrites every third), checks that
// each reads back while the index holds none of them, and returns what
// each key must hold.
func putUnapplied(t *testing.T, ts *testStore, n int) map[string][]byte {
	want := map[string][]byte{}
	for i := range n {
		k := fmt.Sprintf("k%03d", i)
		want[k] = randBytes(uint64(i+1), 100+i*37)
		ts.put(k, want[k])
		if i%3 == 0 {
			want[k] = randBytes(uint64(i+1000), 3000+i)
			ts.put(k, want[k])
		}
	}
	for k, v := range want {
		got, err := ts.read(k, 0, -1)
		if err != nil || string(got) != string(v) {
			t.Fatalf("%s before the crash: %d bytes, %v", k, len(got), err)
		}
	}
	err := ts.raw.View(func(tx indexTx) error {
		b, err := bucketOf(tx, "acme", "bkt")
		if err != nil {
			return err
		}
		for k := range want {
			if r, err := tx.object(b.ID, k); err != nil || r != nil {
				return fmt.Errorf("%s is in the index before its commit was applied (%v)", k, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// checkAfterReplay checks every key's bytes and the stored usage.
func checkAfterReplay(t *testing.T, ts *testStore, want map[string][]byte) {
	t.Helper()
	for k, v := range want {
		got, err := ts.read(k, 0, -1)
		if err != nil || string(got) != string(v) {
			t.Fatalf("%s after replay: %d bytes (want %d), %v", k, len(got), len(v), err)
		}
	}
	page, err := ts.ListObjects(context.Background(), "acme", "bkt", ListOptions{MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != len(want) {
		t.Fatalf("listing holds %d objects, want %d", len(page.Objects), len(want))
	}
	checkStoredUsage(t, ts.Store, 0, "replay")
}

// TestFastPutReplay: small PUTs acknowledged after their pack-log append
// read back at once (the overlay) while the index holds none of them; a
// crash before their index commit loses none: Open replays them from the
// pack logs, latest write of each key last, with exact usage.
func TestFastPutReplay(t *testing.T) {
	ts := heldFastStore(t)
	want := putUnapplied(t, ts, 30)
	ts.crash()
	if err := ts.openAgain(nil); err != nil {
		t.Fatal(err)
	}
	checkAfterReplay(t, ts, want)
	// The mark passed everything: a second open replays nothing new and
	// new writes draw sequences above it.
	ts.reopen()
	checkAfterReplay(t, ts, want)
	want["new"] = []byte("after two opens")
	ts.put("new", want["new"])
	ts.reopen()
	checkAfterReplay(t, ts, want)
}

// TestFastReplayDriveLost: two drives of 2+2 wiped between the crash and
// Open take two copies of every unapplied record with them; the other two
// still hold data copies of each, so every acknowledged write is replayed
// (and healed back by the scrubber).
func TestFastReplayDriveLost(t *testing.T) {
	ts := heldFastStore(t)
	want := putUnapplied(t, ts, 20)
	ts.crash()
	for _, i := range []int{1, 3} {
		must(t, os.RemoveAll(ts.drives[i]))
		must(t, os.MkdirAll(ts.drives[i], 0o700))
	}
	if err := ts.openAgain(nil); err != nil {
		t.Fatal(err)
	}
	checkAfterReplay(t, ts, want)
}

// TestFastReplayInterrupted: a replay cut after k records (as a crash in
// it would) and then run again ends with every acknowledged write, once.
func TestFastReplayInterrupted(t *testing.T) {
	for _, k := range []int{1, 7, 29} {
		t.Run(fmt.Sprint("after", k), func(t *testing.T) {
			ts := heldFastStore(t)
			want := putUnapplied(t, ts, 30)
			ts.crash()
			err := ts.openAgain(func(c *Config) { c.testReplayCrashAt = k })
			if !errors.Is(err, errReplayCrash) {
				t.Fatalf("Open with a replay cut after %d: %v", k, err)
			}
			if err := ts.openAgain(nil); err != nil {
				t.Fatal(err)
			}
			checkAfterReplay(t, ts, want)
		})
	}
}

// TestFastPutNotEligible: conditional PUTs, tenants with a quota and
// versioned buckets keep the synced commit (the record is in the index when
// the PUT returns, with no sequence).
func TestFastPutNotEligible(t *testing.T) {
	if testIndex != nil {
		t.Skip("the fast path is off on a shared index")
	}
	ts := newTestStore(t, 4, func(c *Config) { c.FastPut = true })
	ctx := context.Background()
	seqOf := func(bucket, key string) uint64 {
		t.Helper()
		var seq uint64
		err := ts.raw.View(func(tx indexTx) error {
			b, err := bucketOf(tx, "acme", bucket)
			if err != nil {
				return err
			}
			r, err := tx.object(b.ID, key)
			if err == nil && r == nil {
				err = fmt.Errorf("%s/%s not in the index", bucket, key)
			}
			if r != nil {
				seq = r.Seq
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	put := func(bucket, key string, opts PutOptions) {
		t.Helper()
		opts.Size = 5
		if _, err := ts.PutObject(ctx, "acme", bucket, key, strings.NewReader("hello"), opts); err != nil {
			t.Fatal(err)
		}
	}
	put("bkt", "plain", PutOptions{})
	if err := ts.fast.barrier(); err != nil {
		t.Fatal(err)
	}
	if seqOf("bkt", "plain") == 0 {
		t.Fatal("an unconditional small PUT did not take the fast path")
	}
	put("bkt", "conditional", PutOptions{Precondition: func(*ObjectInfo) error { return nil }})
	if seqOf("bkt", "conditional") != 0 {
		t.Fatal("a conditional PUT took the fast path")
	}
	if err := ts.CreateBucket(ctx, "acme", "ver", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ts.SetBucketVersioning(ctx, "acme", "ver", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	put("ver", "v", PutOptions{})
	if seqOf("ver", "v") != 0 {
		t.Fatal("a PUT into a versioned bucket took the fast path")
	}
	if err := ts.SetQuota(ctx, "acme", Quota{MaxObjects: 100}); err != nil {
		t.Fatal(err)
	}
	put("bkt", "quota", PutOptions{})
	if seqOf("bkt", "quota") != 0 {
		t.Fatal("a PUT of a tenant with a quota took the fast path")
	}
}
