package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
		if c.Bucket != "acme/bkt" || c.Key == "" || c.Version == "" {
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
	ts.Store.Close()
	must(t, os.Remove(filepath.Join(ts.cfg.DataDir, "index.db")))
	ts.reopen()
	if _, err := ts.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
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
