package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cofferstore/coffer/pkg/sse"
)

// setFakeSSE gives every version and upload of bucket bkt the SSE record
// "old:<what>" (opaque bytes: ReSealSSE never parses them, its fn does).
func setFakeSSE(t *testing.T, ts *testStore) {
	t.Helper()
	err := ts.idx.Update(func(tx indexTx) error {
		b, err := bucketOf(tx, "acme", "bkt")
		if err != nil {
			return err
		}
		var objs, vers []*objRecord
		var ups []*uploadRecord
		if err := tx.eachObject(b.ID, "", func(r *objRecord) bool { objs = append(objs, r); return true }); err != nil {
			return err
		}
		if err := tx.eachVersion(b.ID, nil, func(r *objRecord) bool { vers = append(vers, r); return true }); err != nil {
			return err
		}
		if err := tx.eachUpload(b.ID, func(u *uploadRecord) bool { ups = append(ups, u); return true }); err != nil {
			return err
		}
		for _, r := range objs {
			if r.Key != "plain" {
				r.SSE = []byte("old:" + r.Key)
			}
			if err := tx.putObject(r); err != nil {
				return err
			}
		}
		for _, r := range vers {
			if !r.DeleteMarker {
				r.SSE = []byte("old:" + r.Key + "@" + r.VersionID)
			}
			if err := tx.putVersion(r); err != nil {
				return err
			}
		}
		for _, u := range ups {
			u.SSE = []byte("old:upload " + u.UploadID)
			if err := tx.putUpload(b.ID, u); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err)
}

// sseRecords is every SSE record of bkt: by key (current), key@version
// (noncurrent) and "upload id" (uploads).
func sseRecords(t *testing.T, ts *testStore) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := ts.idx.View(func(tx indexTx) error {
		b, err := bucketOf(tx, "acme", "bkt")
		if err != nil {
			return err
		}
		if err := tx.eachObject(b.ID, "", func(r *objRecord) bool { got[r.Key] = string(r.SSE); return true }); err != nil {
			return err
		}
		if err := tx.eachVersion(b.ID, nil, func(r *objRecord) bool {
			got[r.Key+"@"+r.VersionID] = string(r.SSE)
			return true
		}); err != nil {
			return err
		}
		return tx.eachUpload(b.ID, func(u *uploadRecord) bool { got["upload "+u.UploadID] = string(u.SSE); return true })
	})
	must(t, err)
	return got
}

// TestReSealSSE: every current and noncurrent version and every upload of
// a bucket with more records than a batch is passed to fn once with its
// context; what fn returns replaces the record in the index and in the
// drive copies (a rebuilt index holds it); a second run changes nothing;
// a cancelled run stops.
func TestReSealSSE(t *testing.T) {
	ctx := context.Background()
	ts := newTestStore(t, 4)
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	n := 2*resealBatch + 7
	for i := range n {
		ts.put(fmt.Sprintf("k%04d", i), randBytes(uint64(i), 100))
	}
	ts.put("big", randBytes(1, 300<<10)) // .meta files, not packed
	ts.put("big", randBytes(2, 300<<10))
	ts.put("k0001", randBytes(3, 100))
	ts.put("plain", randBytes(4, 10))
	if _, err := ts.DeleteObject(ctx, "acme", "bkt", "k0002", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "up", PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setFakeSSE(t, ts)
	before := sseRecords(t, ts)
	want := 0
	for _, v := range before {
		if v != "" {
			want++
		}
	}
	// n current versions (k0002 is a delete marker now, "big" and k0001
	// have a noncurrent one each), the noncurrent k0002, 3 uploads.
	if want != n+1+2+3 {
		t.Fatalf("set up %d encrypted records, want %d", want, n+6)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if m, err := ts.ReSealSSE(cancelled, nil); !errors.Is(err, context.Canceled) || m != 0 {
		t.Fatalf("cancelled: %d, %v", m, err)
	}

	seen := map[string]int{}
	fn := func(rec []byte, c sse.Context) ([]byte, error) {
		if c.Bucket != "acme/bkt" || c.Key == "" {
			t.Errorf("context %+v", c)
		}
		seen[string(rec)]++
		if v, ok := bytes.CutPrefix(rec, []byte("old:")); ok {
			return append([]byte("new:"), v...), nil
		}
		return nil, nil
	}
	m, err := ts.ReSealSSE(ctx, fn)
	if err != nil || m != want {
		t.Fatalf("ReSealSSE: %d changed, want %d: %v", m, want, err)
	}
	for rec, k := range seen {
		if k != 1 {
			t.Errorf("%q passed to fn %d times", rec, k)
		}
	}
	after := sseRecords(t, ts)
	for k, v := range before {
		wantV := ""
		if v != "" {
			wantV = "new:" + v[len("old:"):]
		}
		if after[k] != wantV {
			t.Errorf("%s: %q, want %q", k, after[k], wantV)
		}
	}
	if m, err := ts.ReSealSSE(ctx, fn); err != nil || m != 0 {
		t.Fatalf("second run changed %d: %v", m, err)
	}

	// The drive copies were rewritten: a rebuilt index holds the new records.
	ts.rebuildFromDrives()
	rebuilt := sseRecords(t, ts)
	for k, v := range after {
		if bytes.HasPrefix([]byte(k), []byte("upload ")) {
			continue // uploads are restored from their parts, which carry no record
		}
		if rebuilt[k] != v {
			t.Errorf("rebuilt %s: %q, want %q", k, rebuilt[k], v)
		}
	}
}

// TestReSealSSESkipsReplaced: a record that changed between the batch's
// read and its commit (a write replaced it) is left as the write made it.
func TestReSealSSESkipsReplaced(t *testing.T) {
	ctx := context.Background()
	ts := newTestStore(t, 4)
	ts.put("a", randBytes(1, 100))
	setFakeSSE(t, ts)
	m, err := ts.ReSealSSE(ctx, func(rec []byte, c sse.Context) ([]byte, error) {
		ts.put("a", randBytes(2, 100)) // committed before the batch's commit
		return []byte("new"), nil
	})
	if err != nil || m != 0 {
		t.Fatalf("changed %d: %v", m, err)
	}
	if got := sseRecords(t, ts)["a"]; got != "" {
		t.Fatalf("the replacing write's record was overwritten: %q", got)
	}
	ts.mustRead("a", randBytes(2, 100))
}

// switchKeys is a KeyRing a test changes while writes run, as a rotation
// does.
type switchKeys struct {
	mu   sync.Mutex
	keys []*sse.MasterKey
}

func (k *switchKeys) set(keys ...*sse.MasterKey) {
	k.mu.Lock()
	k.keys = keys
	k.mu.Unlock()
}

func (k *switchKeys) Current() *sse.MasterKey { return k.All()[0] }

func (k *switchKeys) All() []*sse.MasterKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys
}

// onEOF calls fn when the body is read to its end, before the write
// commits: the rotation begins while the write streams.
type onEOF struct {
	r    io.Reader
	fn   func()
	done bool
}

func (o *onEOF) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err == io.EOF && !o.done {
		o.done = true
		o.fn()
	}
	return n, err
}

// resealUnder is the rotation's re-seal function (internal/masterkey) over
// a switchKeys ring.
func resealUnder(keys KeyRing) ReSealFunc {
	return func(data []byte, c sse.Context) ([]byte, error) {
		rec, err := sse.Unmarshal(data)
		if err != nil {
			return nil, err
		}
		cur := keys.Current()
		if rec.Algorithm != sse.AlgorithmS3 || rec.KeyID == cur.ID() {
			return nil, nil
		}
		for _, k := range keys.All() {
			if k.ID() == rec.KeyID {
				n, err := sse.ReSeal(rec, c, k, cur)
				if err != nil {
					return nil, err
				}
				return n.Marshal()
			}
		}
		return nil, sse.ErrUnknownMasterKey
	}
}

// TestResealOnCommit: a write that sealed under the old key and commits
// after a new key became current is re-sealed at its commit (index and
// drive copies), so it reads once the old key is retired, also from a
// rebuilt index; a write whose key was retired before its commit fails
// and leaves nothing.
func TestResealOnCommit(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := testMasterKey(t, 1), testMasterKey(t, 2)
	keys := &switchKeys{keys: []*sse.MasterKey{oldKey}}
	ts := newTestStore(t, 4, func(c *Config) { c.Keys = keys })
	s3 := Encryption{Mode: SSES3}
	put := func(key string, data []byte, during func()) error {
		keys.set(oldKey)
		_, err := ts.PutObject(ctx, "acme", "bkt", key, &onEOF{r: bytes.NewReader(data), fn: during},
			PutOptions{Size: int64(len(data)), Encryption: s3})
		return err
	}
	small, big := randBytes(1, 1000), randBytes(2, 300<<10)
	rotate := func() { keys.set(newKey, oldKey) }
	must(t, put("small", small, rotate))
	must(t, put("big", big, rotate))
	// A multipart upload begun under the old key, re-sealed by a walk,
	// completed under the new one.
	keys.set(oldKey)
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "multi", PutOptions{Encryption: s3})
	must(t, err)
	keys.set(newKey, oldKey)
	if n, err := ts.ReSealSSE(ctx, resealUnder(keys)); err != nil || n != 1 {
		t.Fatalf("walk re-sealed %d records (want the upload): %v", n, err)
	}
	part := randBytes(3, 70000)
	pi, err := ts.PutPart(ctx, "acme", "bkt", "multi", id, 1, bytes.NewReader(part), PutOptions{Size: int64(len(part))})
	must(t, err)
	_, err = ts.CompleteMultipartUpload(ctx, "acme", "bkt", "multi", id, []CompletePart{{PartNumber: 1, ETag: pi.ETag}})
	must(t, err)

	keys.set(newKey) // the old key retired
	check := func(when string) {
		t.Helper()
		for k, want := range map[string][]byte{"small": small, "big": big, "multi": part} {
			if got, err := ts.readSSE(k, nil, 0, -1); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: %s reads %d bytes, err %v", when, k, len(got), err)
			}
		}
	}
	check("after the old key was retired")
	ts.rebuildFromDrives()
	check("after a rebuild")

	// Retired before the commit: the write fails, nothing is stored.
	err = put("late", small, func() { keys.set(newKey) })
	if !errors.Is(err, ErrSSENoMasterKey) {
		t.Fatalf("write whose key was retired: %v", err)
	}
	if _, err := ts.GetObjectInfo(ctx, "acme", "bkt", "late"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("late: %v", err)
	}
}

// TestReSealSSERealRecords: the walk with the rotation's function moves
// SSE-S3 versions (current, noncurrent, multipart) and uploads to the new
// key, leaves SSE-C and unencrypted objects alone, and everything reads
// with the new key alone, after a rebuild of the index too (an upload
// restored from its parts' headers completes and reads).
func TestReSealSSERealRecords(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := testMasterKey(t, 1), testMasterKey(t, 2)
	keys := &switchKeys{keys: []*sse.MasterKey{oldKey}}
	ts := newTestStore(t, 4, func(c *Config) { c.Keys = keys })
	must(t, ts.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled))
	ck := testCustomerKey(t, 9)
	want := map[string][]byte{}
	for i := range 20 {
		k := fmt.Sprintf("k%02d", i)
		want[k] = randBytes(uint64(i), 100+i*5000)
		ts.putSSE(k, randBytes(uint64(100+i), 10), Encryption{Mode: SSES3}) // a noncurrent version
		ts.putSSE(k, want[k], Encryption{Mode: SSES3})
	}
	want["multi"] = ts.sseMultipart("multi", Encryption{Mode: SSES3}, 5<<20, 1000)
	cdata := randBytes(7, 5000)
	ts.putSSE("customer", cdata, Encryption{Mode: SSEC, CustomerKey: ck})
	ts.put("plain", randBytes(8, 10))

	// An unfinished upload with a part, to be completed after the rotation
	// and a rebuild of the index.
	upID, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "open", PutOptions{Encryption: Encryption{Mode: SSES3}})
	must(t, err)
	part := randBytes(9, 7000)
	pi, err := ts.PutPart(ctx, "acme", "bkt", "open", upID, 1, bytes.NewReader(part), PutOptions{Size: int64(len(part))})
	must(t, err)

	keys.set(newKey, oldKey)
	n, err := ts.ReSealSSE(ctx, resealUnder(keys))
	if err != nil || n != 42 {
		t.Fatalf("re-sealed %d, want 42 (20 current, 20 noncurrent, 1 multipart, 1 upload): %v", n, err)
	}
	keys.set(newKey)
	ts.rebuildFromDrives()
	if _, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "open", upID, []CompletePart{{PartNumber: 1, ETag: pi.ETag}}); err != nil {
		t.Fatalf("completing the rebuilt upload: %v", err)
	}
	want["open"] = part
	for k, w := range want {
		if got, err := ts.readSSE(k, nil, 0, -1); err != nil || !bytes.Equal(got, w) {
			t.Fatalf("%s: %d bytes, %v", k, len(got), err)
		}
	}
	if got, err := ts.readSSE("customer", ck, 0, -1); err != nil || !bytes.Equal(got, cdata) {
		t.Fatalf("SSE-C object: %v", err)
	}
}

// TestResealPartDuringWalk: a part whose body streams while the walk
// re-seals its upload gets the new record in its headers at its commit, so
// after the old key is retired a rebuilt index restores the upload under
// the new key and it completes and reads.
func TestResealPartDuringWalk(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := testMasterKey(t, 1), testMasterKey(t, 2)
	keys := &switchKeys{keys: []*sse.MasterKey{oldKey}}
	ts := newTestStore(t, 4, func(c *Config) { c.Keys = keys })
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "up", PutOptions{Encryption: Encryption{Mode: SSES3}})
	must(t, err)
	part := randBytes(5, 9000)
	body := &onEOF{r: bytes.NewReader(part), fn: func() {
		keys.set(newKey, oldKey)
		if n, err := ts.ReSealSSE(ctx, resealUnder(keys)); err != nil || n != 1 {
			t.Errorf("walk during the part: %d, %v", n, err)
		}
	}}
	pi, err := ts.PutPart(ctx, "acme", "bkt", "up", id, 1, body, PutOptions{Size: int64(len(part))})
	must(t, err)
	keys.set(newKey)
	ts.rebuildFromDrives()
	if _, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "up", id, []CompletePart{{PartNumber: 1, ETag: pi.ETag}}); err != nil {
		t.Fatalf("completing the rebuilt upload: %v", err)
	}
	if got, err := ts.readSSE("up", nil, 0, -1); err != nil || !bytes.Equal(got, part) {
		t.Fatalf("read: %d bytes, %v", len(got), err)
	}
}

// rebuildFromDrives drops the index and rebuilds it from the drives, as
// `coffer rebuild-index` does.
func (ts *testStore) rebuildFromDrives() {
	ts.t.Helper()
	ts.Store.Close()
	must(ts.t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	_, err := ts.RebuildIndex(context.Background())
	must(ts.t, err)
}
