package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
)

func TestConcurrentWriters(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	writers, rounds := 8, 6
	// Every body is recorded so any read can be checked against its ETag.
	var mu sync.Mutex
	bodies := map[string][]byte{}
	body := func(w, r int) []byte {
		size := []int{10, 5000, inlineMax + 100, 3*ts.cfg.BlockSize + 1}[(w+r)%4]
		b := randBytes(uint64(w*1000+r), size)
		sum := md5.Sum(b)
		mu.Lock()
		bodies[hex.EncodeToString(sum[:])] = b
		mu.Unlock()
		return b
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				for _, key := range []string{"shared", fmt.Sprintf("own-%d", w)} {
					b := body(w, r)
					if _, err := ts.PutObject(ctx, "acme", "bkt", key, bytes.NewReader(b), PutOptions{Size: int64(len(b))}); err != nil {
						t.Errorf("put %s: %v", key, err)
						return
					}
				}
				if r%2 == 1 {
					if err := errOf(ts.DeleteObject(ctx, "acme", "bkt", fmt.Sprintf("own-%d", w), DeleteOptions{})); err != nil {
						t.Errorf("delete: %v", err)
					}
				}
			}
		}()
	}
	// Readers of the shared key always see one whole version.
	stop := make(chan struct{})
	var rg sync.WaitGroup
	for i := 0; i < 2; i++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := ts.OpenObject(ctx, "acme", "bkt", "shared")
				if err != nil {
					continue
				}
				rc, err := r.Range(ctx, 0, r.Info().Size)
				if err != nil {
					t.Errorf("range: %v", err)
					r.Close()
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				r.Close()
				sum := md5.Sum(got)
				if err != nil || hex.EncodeToString(sum[:]) != r.Info().ETag {
					t.Errorf("reader saw a torn version: %v", err)
					return
				}
			}
		}()
	}
	// The scrubber runs meanwhile and must not take in-flight data for orphans.
	rg.Add(1)
	go func() {
		defer rg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := ts.Scrub(ctx); err != nil {
				t.Errorf("scrub: %v", err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	rg.Wait()

	res, err := ts.ListObjects(ctx, "acme", "bkt", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, o := range res.Objects {
		want := bodies[o.ETag]
		ts.mustRead(o.Key, want)
		total += o.Size
	}
	u, _ := ts.TenantUsage(ctx, "acme")
	bi, _ := ts.GetBucket(ctx, "acme", "bkt")
	if u.Objects != int64(len(res.Objects)) || u.Bytes != total || bi.Objects != u.Objects || bi.Bytes != total {
		t.Fatalf("usage %+v bucket %+v, listed %d objects %d bytes", u, bi, len(res.Objects), total)
	}
	if _, err := ts.Scrub(ctx); err != nil { // may remove leftovers of heals that raced deletes
		t.Fatal(err)
	}
	before := ts.ScrubStats()
	if before.Errors != 0 {
		t.Fatalf("scrubs during writes reported errors: %+v", before)
	}
	st, err := ts.Scrub(ctx)
	if err != nil || st.OrphansRemoved != before.OrphansRemoved || st.Errors != 0 {
		t.Fatalf("scrub: %+v %v", st, err)
	}
}

// TestConcurrentRanges reads one open handle from several goroutines, with
// shards missing so that parity shards are opened lazily.
func TestConcurrentRanges(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	data := randBytes(3, 4*ts.cfg.BlockSize+7)
	ts.put("k", data)
	small := randBytes(4, 1000)
	ts.put("s", small)
	os.RemoveAll(ts.drives[0])
	for _, tc := range []struct {
		key  string
		want []byte
	}{{"k", data}, {"s", small}} {
		r, err := ts.OpenObject(ctx, "acme", "bkt", tc.key)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := 0; g < 6; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				off := int64(g) * int64(len(tc.want)) / 7
				rc, err := r.Range(ctx, off, int64(len(tc.want))-off)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, tc.want[off:]) {
					t.Errorf("%s from %d: %v", tc.key, off, err)
				}
			}()
		}
		wg.Wait()
		r.Close()
	}
}

// TestPreconditionIsAtomic: PutOptions.Precondition runs inside the commit,
// so of writers racing to create one key only one sees it absent.
func TestPreconditionIsAtomic(t *testing.T) {
	ts := newTestStore(t, 4)
	errExists := errors.New("exists")
	mustBeAbsent := func(cur *ObjectInfo) error {
		if cur != nil {
			return errExists
		}
		return nil
	}
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := randBytes(uint64(w), 200<<10)
			_, errs[w] = ts.PutObject(context.Background(), "acme", "bkt", "once", bytes.NewReader(body),
				PutOptions{Size: int64(len(body)), Precondition: mustBeAbsent})
		}()
	}
	wg.Wait()
	won := -1
	for w, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("writers %d and %d both created the key", won, w)
		case err == nil:
			won = w
		case !errors.Is(err, errExists):
			t.Fatalf("writer %d: %v, want the precondition's error", w, err)
		}
	}
	if won < 0 {
		t.Fatal("no writer created the key")
	}
	ts.mustRead("once", randBytes(uint64(won), 200<<10))
	// The losers' data is gone: only the winner's shard files remain.
	if n := countDataFiles(t, ts); n != 2*4 {
		t.Fatalf("%d data files, want the winner's 8 (.shard and .meta on 4 drives)", n)
	}
}
