package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func packFiles(t *testing.T, root string) []string {
	m, _ := filepath.Glob(filepath.Join(root, packDir, "*.pack"))
	return m
}

// TestPackBitrotAndHeal flips bytes in the pack segments of up to parity
// drives: reads stay byte-identical, the scrub rewrites the bad copies, and
// the rewritten copies alone (other drives removed) serve every object.
func TestPackBitrotAndHeal(t *testing.T) {
	ts := newTestStore(t, 4)
	objs := map[string][]byte{}
	for i := 0; i < 40; i++ {
		k := fmt.Sprintf("small-%02d", i)
		objs[k] = randBytes(uint64(i), 1+i*997)
		ts.put(k, objs[k])
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, di := range []int{0, 3} {
		for _, p := range packFiles(t, ts.drives[di]) {
			b, _ := os.ReadFile(p)
			for f := 0; f < 200; f++ {
				b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
			}
			must(t, os.WriteFile(p, b, 0o644))
		}
	}
	ts.checkAll(t, objs)
	st, err := ts.Scrub(context.Background())
	if err != nil || st.ShardsRepaired == 0 {
		t.Fatalf("scrub: %+v %v", st, err)
	}
	os.RemoveAll(ts.drives[1])
	os.RemoveAll(ts.drives[2])
	ts.checkAll(t, objs)
}

// TestPackCompactionAndTombstones overwrites and deletes most small objects
// across many small segments: compaction removes the dead segments, the
// rest still read, and a rebuilt index brings back exactly the live objects.
func TestPackCompactionAndTombstones(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.testPackSegmentSize = 16 << 10 })
	ctx := context.Background()
	live := map[string][]byte{}
	for i := 0; i < 120; i++ {
		k := fmt.Sprintf("k%03d", i)
		live[k] = randBytes(uint64(i), 500+i)
		ts.put(k, live[k])
	}
	for i := 0; i < 120; i++ {
		k := fmt.Sprintf("k%03d", i)
		switch i % 4 {
		case 0, 1:
			if err := errOf(ts.DeleteObject(ctx, "acme", "bkt", k, DeleteOptions{})); err != nil {
				t.Fatal(err)
			}
			delete(live, k)
		case 2:
			live[k] = randBytes(uint64(1000+i), 300)
			ts.put(k, live[k])
		}
	}
	_, err := ts.UpdateObjectMeta(ctx, "acme", "bkt", "k003", ObjectMeta{ContentType: "text/x"})
	must(t, err)
	before := len(packFiles(t, ts.drives[0]))
	if _, err := ts.Scrub(ctx); err != nil {
		t.Fatal(err)
	}
	after := len(packFiles(t, ts.drives[0]))
	if after >= before {
		t.Fatalf("compaction kept %d of %d segments", after, before)
	}
	ts.checkAll(t, live)
	// Live byte counts match what the index references.
	_, err = ts.Scrub(ctx)
	must(t, err)
	ts.checkAll(t, live)

	ts.Store.Close()
	os.Remove(filepath.Join(ts.cfg.DataDir, "index.db"))
	ts.reopen()
	if _, err := ts.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	res, _ := ts.ListObjects(ctx, "acme", "bkt", ListOptions{})
	if len(res.Objects) != len(live) {
		var keys []string
		for _, o := range res.Objects {
			keys = append(keys, o.Key)
		}
		t.Fatalf("rebuilt %d objects, want %d: %v", len(res.Objects), len(live), keys)
	}
	ts.checkAll(t, live)
	if info, _ := ts.GetObjectInfo(ctx, "acme", "bkt", "k003"); info.Meta.ContentType != "text/x" {
		t.Fatalf("rebuilt k003 meta = %+v", info.Meta)
	}
	// Deleting everything leaves only the active segment after a scrub.
	for k := range live {
		must(t, errOf(ts.DeleteObject(ctx, "acme", "bkt", k, DeleteOptions{})))
	}
	_, err = ts.Scrub(ctx)
	must(t, err)
	_, err = ts.Scrub(ctx) // carried-forward delete records die once their targets are gone
	must(t, err)
	for _, d := range ts.drives {
		if n := len(packFiles(t, d)); n > 2 {
			t.Fatalf("%s keeps %d segments after deleting everything", d, n)
		}
	}
	if _, err := ts.GetObjectInfo(ctx, "acme", "bkt", "k002"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatal(err)
	}
}

// TestPackQuorumAndRemovedDrive: a small PUT with too few drives fails and
// a drive removed under an open segment does not count as written.
func TestPackQuorumAndRemovedDrive(t *testing.T) {
	ts := newTestStore(t, 4)
	ts.put("warm", []byte("opens the active segments"))
	os.RemoveAll(ts.drives[0])
	os.RemoveAll(ts.drives[1])
	_, err := ts.PutObject(context.Background(), "acme", "bkt", "x", bytes.NewReader([]byte("x")), PutOptions{Size: 1})
	if !errors.Is(err, ErrQuorum) {
		t.Fatalf("small PUT with 2 of 4 drives: %v", err)
	}
	if _, err := ts.read("warm", 0, -1); err != nil {
		t.Fatalf("read with parity drives gone: %v", err)
	}
}

// failingAppends is a drive whose pack appends fail.
type failingAppends struct{ drive }

func (failingAppends) Append([]byte) (PackLoc, error) { return PackLoc{}, errors.New("append refused") }

// TestCompactionCountsSkippedRecords: a live record compaction cannot carry
// forward keeps its segment and counts as a scrub error (not silently).
func TestCompactionCountsSkippedRecords(t *testing.T) {
	ts := newTestStore(t, 4)
	live := map[string][]byte{}
	for i := 0; i < 8; i++ {
		k := fmt.Sprintf("k%d", i)
		live[k] = randBytes(uint64(i), 2000)
		ts.put(k, live[k])
	}
	ts.reopen() // the next records go to new segments
	for i := 1; i < 8; i++ {
		k := fmt.Sprintf("k%d", i)
		live[k] = randBytes(uint64(100+i), 2000)
		ts.put(k, live[k]) // the first segments keep only k0 alive
	}
	before := len(packFiles(t, ts.drives[0]))
	ts.Store.drives[0] = failingAppends{ts.Store.drives[0]}
	st, err := ts.Scrub(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors == 0 {
		t.Fatalf("scrub with drive 0's appends failing: %+v, want errors counted", st)
	}
	if after := len(packFiles(t, ts.drives[0])); after != before {
		t.Fatalf("drive 0 went from %d to %d segments although its live record could not move", before, after)
	}
	ts.checkAll(t, live)
}

// A segment is created at its full size, sparse, so appends never change
// its size; rotation cuts it to its records, and a segment a crash left
// sparse is scanned to its last record and sized by what it holds.
func TestPackSegmentSparseTail(t *testing.T) {
	dir := t.TempDir()
	p := newPackSegments(dir, nil)
	p.rotateAt = 1 << 20
	var locs []PackLoc
	for i := range 5 {
		loc, err := p.append(randBytes(uint64(i), 3000), false)
		must(t, err)
		locs = append(locs, loc)
	}
	seg := locs[0].Seg
	path := filepath.Join(dir, packDir, segName(seg))
	st, err := os.Stat(path)
	must(t, err)
	if st.Size() != p.rotateAt {
		t.Fatalf("active segment is %d bytes, want its rotation size %d", st.Size(), p.rotateAt)
	}
	end := locs[4].Off + locs[4].frameBytes()
	// As a crash leaves it: the scan finds every record and stops at the zeros.
	var n int
	must(t, p.scan(seg, func(loc PackLoc, rec []byte) error {
		if loc != locs[n] || !bytes.Equal(rec, randBytes(uint64(n), 3000)) {
			t.Fatalf("record %d: %+v, want %+v", n, loc, locs[n])
		}
		n++
		return nil
	}))
	if n != 5 {
		t.Fatalf("scan found %d records, want 5", n)
	}
	if got := p.segSize(seg); got < end || got >= p.rotateAt {
		t.Fatalf("segSize of a sparse segment = %d, want its %d written bytes (rounded to blocks)", got, end)
	}
	// Rotation (drop) cuts the tail.
	p.close()
	st, err = os.Stat(path)
	must(t, err)
	if st.Size() != end || p.segSize(seg) != end {
		t.Fatalf("after rotation the segment is %d bytes (segSize %d), want %d", st.Size(), p.segSize(seg), end)
	}
}
