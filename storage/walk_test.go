package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hangLimit bounds how long a listing call may take before the test calls
// it hung. It is a bound on termination, not a speed assertion: a correct
// call on a handful of records finishes in microseconds.
const hangLimit = 10 * time.Second

// wedgeableStore is a Store on t.TempDir() drives that is closed at the end
// of the test unless a call hung: bbolt's Close waits for every open read
// transaction, so closing behind a stuck listing would hang the test binary
// instead of failing the test.
type wedgeableStore struct {
	*Store
	wedged atomic.Bool
}

func openWedgeable(t testing.TB, mod ...func(*Config)) *wedgeableStore {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{DataDir: filepath.Join(dir, "state"), BlockSize: 64 << 10, ScrubInterval: -1,
		Drives: []string{filepath.Join(dir, "d1"), filepath.Join(dir, "d2")}}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ws := &wedgeableStore{Store: s}
	t.Cleanup(func() {
		if !ws.wedged.Load() {
			ws.Store.Close()
		}
	})
	if err := s.CreateTenant(context.Background(), "acme", Quota{}); err != nil {
		t.Fatal(err)
	}
	return ws
}

// call runs fn with a context that ends after hangLimit, in its own
// goroutine, and fails the test (marking the store wedged) when fn has not
// returned shortly after: a loop that ignores its context fails the test
// instead of hanging it.
func call[T any](t testing.TB, ws *wedgeableStore, what string, fn func(ctx context.Context) (T, error)) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if ctx.Err() != nil {
			t.Fatalf("%s ran into its %s deadline (err %v): a loop did not terminate", what, hangLimit, r.err)
		}
		return r.v, r.err
	case <-time.After(hangLimit + 5*time.Second):
		ws.wedged.Store(true)
		t.Fatalf("%s did not return within %s, nor observe its context: a loop does not terminate", what, hangLimit+5*time.Second)
		panic("unreachable")
	}
}

// TestListUploadsPrefixWithNUL is the issue 12 wedge: upload "a" exists and
// the prefix "a\x00" sorts between the key and its index entry "a\x00<id>",
// which made the listing re-seek to the same entry forever.
func TestListUploadsPrefixWithNUL(t *testing.T) {
	ws := openWedgeable(t)
	ctx := context.Background()
	if err := ws.CreateBucket(ctx, "acme", "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range []string{"a", "a", "a/b", "ab", "b"} {
		id, err := ws.CreateMultipartUpload(ctx, "acme", "bkt", k, PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	first := min(ids[0], ids[1]) // uploads of one key list in id order
	cases := []struct {
		name string
		opts ListUploadsOptions
		want string // keys, then common prefixes
	}{
		{"NUL prefix", ListUploadsOptions{Prefix: "a\x00"}, "[] []"},
		{"NUL prefix, delimiter", ListUploadsOptions{Prefix: "a\x00", Delimiter: "/"}, "[] []"},
		{"NUL prefix, marker", ListUploadsOptions{Prefix: "a\x00", KeyMarker: "a"}, "[] []"},
		{"NUL prefix, both markers", ListUploadsOptions{Prefix: "a\x00", KeyMarker: "a", UploadIDMarker: first}, "[] []"},
		{"marker equal to NUL prefix", ListUploadsOptions{Prefix: "a\x00", KeyMarker: "a\x00"}, "[] []"},
		{"NUL only", ListUploadsOptions{Prefix: "\x00"}, "[] []"},
		{"0xFF prefix", ListUploadsOptions{Prefix: "a\xff"}, "[] []"},
		{"0xFF only", ListUploadsOptions{Prefix: "\xff"}, "[] []"},
		{"0xFF delimiter", ListUploadsOptions{Delimiter: "\xff"}, "[a a a/b ab b] []"},
		{"NUL delimiter", ListUploadsOptions{Delimiter: "\x00"}, "[a a a/b ab b] []"},
		{"marker equal to prefix", ListUploadsOptions{Prefix: "a", KeyMarker: "a"}, "[a/b ab] []"},
		{"NUL in key marker", ListUploadsOptions{KeyMarker: "a\x000"}, "[a/b ab b] []"},
		{"NUL in key marker with id", ListUploadsOptions{KeyMarker: "a\x000", UploadIDMarker: "0"}, "[a/b ab b] []"},
		{"upload-id marker", ListUploadsOptions{KeyMarker: "a", UploadIDMarker: first}, "[a a/b ab b] []"},
		{"delimiter, marker is the prefix", ListUploadsOptions{Prefix: "a", Delimiter: "/", KeyMarker: "a/"}, "[ab] []"},
		{"delimiter folds", ListUploadsOptions{Delimiter: "/"}, "[a a ab b] [a/]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := call(t, ws, fmt.Sprintf("ListMultipartUploads(%#v)", c.opts), func(ctx context.Context) (ListUploadsResult, error) {
				return ws.ListMultipartUploads(ctx, "acme", "bkt", c.opts)
			})
			if err != nil {
				t.Fatal(err)
			}
			keys := []string{}
			for _, u := range res.Uploads {
				keys = append(keys, u.Key)
			}
			if got := fmt.Sprint(keys) + " " + fmt.Sprint(res.CommonPrefixes); got != c.want {
				t.Fatalf("got %v %v, want %s", keys, res.CommonPrefixes, c.want)
			}
			if res.IsTruncated {
				t.Fatal("truncated")
			}
		})
	}
}

// TestListObjectsHostileBounds lists objects with the same hostile bounds.
func TestListObjectsHostileBounds(t *testing.T) {
	ws := openWedgeable(t)
	ctx := context.Background()
	if err := ws.CreateBucket(ctx, "acme", "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "a/b", "ab", "b"} {
		if _, err := ws.PutObject(ctx, "acme", "bkt", k, bytes.NewReader(nil), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		opts ListOptions
		want string
	}{
		{ListOptions{Prefix: "a\x00"}, "[] []"},
		{ListOptions{Prefix: "a\x00", After: "a"}, "[] []"},
		{ListOptions{Prefix: "a\xff"}, "[] []"},
		{ListOptions{After: "\xff"}, "[] []"},
		{ListOptions{After: "a\x00"}, "[a/b ab b] []"},
		{ListOptions{Prefix: "a", After: "a"}, "[a/b ab] []"},
		{ListOptions{Delimiter: "\xff"}, "[a a/b ab b] []"},
		{ListOptions{Delimiter: "/", After: "a/"}, "[ab b] []"},
		{ListOptions{Prefix: "a", Delimiter: "/"}, "[a ab] [a/]"},
	}
	for _, c := range cases {
		res, err := call(t, ws, fmt.Sprintf("ListObjects(%#v)", c.opts), func(ctx context.Context) (ListResult, error) {
			return ws.ListObjects(ctx, "acme", "bkt", c.opts)
		})
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{}
		for _, o := range res.Objects {
			keys = append(keys, o.Key)
		}
		if got := fmt.Sprint(keys) + " " + fmt.Sprint(res.CommonPrefixes); got != c.want {
			t.Errorf("ListObjects(%#v) = %s, want %s", c.opts, got, c.want)
		}
	}
}

// TestListPartsHostileMarkers lists parts past every part number: a marker
// beyond 2^32-1 must not wrap around to the first part.
func TestListPartsHostileMarkers(t *testing.T) {
	ws := openWedgeable(t)
	ctx := context.Background()
	if err := ws.CreateBucket(ctx, "acme", "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	id, err := ws.CreateMultipartUpload(ctx, "acme", "bkt", "k", PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 10000} {
		if _, err := ws.PutPart(ctx, "acme", "bkt", "k", id, n, bytes.NewReader(nil), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		marker int
		want   string
	}{
		{0, "[1 2 10000]"}, {-5, "[1 2 10000]"}, {2, "[10000]"}, {10000, "[]"},
		{1<<32 - 1, "[]"}, {1 << 32, "[]"}, {1<<32 + 1, "[]"}, {1<<63 - 1, "[]"},
	} {
		res, err := call(t, ws, fmt.Sprintf("ListParts(marker %d)", c.marker), func(ctx context.Context) (ListPartsResult, error) {
			return ws.ListParts(ctx, "acme", "bkt", "k", id, ListPartsOptions{PartNumberMarker: c.marker})
		})
		if err != nil {
			t.Fatal(err)
		}
		nums := []int{}
		for _, p := range res.Parts {
			nums = append(nums, p.PartNumber)
		}
		if got := fmt.Sprint(nums); got != c.want || res.IsTruncated {
			t.Errorf("marker %d: parts %s truncated %v, want %s", c.marker, got, res.IsTruncated, c.want)
		}
	}
}

// sliceCursor is a cursor over sorted keys; stuck makes Next stay put, as
// a broken backend might.
type sliceCursor struct {
	keys   []string
	i      int
	stuck  bool
	fail   error // returned by Err once the cursor passes failAt keys
	failAt int
}

func (c *sliceCursor) Err() error {
	if c.fail != nil && c.i >= c.failAt {
		return c.fail
	}
	return nil
}

func (c *sliceCursor) at() ([]byte, []byte) {
	if c.i >= len(c.keys) || (c.fail != nil && c.i >= c.failAt) {
		return nil, nil
	}
	return []byte(c.keys[c.i]), []byte("v")
}
func (c *sliceCursor) Seek(k []byte) ([]byte, []byte) {
	c.i = sort.SearchStrings(c.keys, string(k))
	return c.at()
}
func (c *sliceCursor) Next() ([]byte, []byte) {
	if !c.stuck {
		c.i++
	}
	return c.at()
}

// TestWalkerReportsCursorError: a backend cursor that fails mid-walk (a
// remote store's page read) ends the walk with its error, not as the end.
func TestWalkerReportsCursorError(t *testing.T) {
	boom := errors.New("page read failed")
	w := walk(context.Background(), &sliceCursor{keys: []string{"a", "b", "c"}, fail: boom, failAt: 2})
	var got []string
	for k, _ := w.Next(); k != nil; k, _ = w.Next() {
		got = append(got, string(k))
	}
	if len(got) != 2 || !errors.Is(w.Err(), boom) {
		t.Fatalf("walked %q, err %v; want [a b] and the cursor's error", got, w.Err())
	}
}

func TestWalkerMovesForward(t *testing.T) {
	keys := []string{"a", "a\x00x", "b", "c"}
	w := walk(context.Background(), &sliceCursor{keys: keys})
	var got []string
	// A loop that always seeks back to "a" would spin on a raw cursor; on a
	// walker each seek that is not forward becomes Next.
	for k, _ := w.Seek([]byte("a")); k != nil; k, _ = w.Seek([]byte("a\x00")) {
		got = append(got, string(k))
	}
	if w.Err() != nil || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", keys) {
		t.Fatalf("walk = %q, %v; want %q", got, w.Err(), keys)
	}
	// At the end the walk stays at the end, even when asked to seek back.
	if k, _ := w.Seek(nil); k != nil {
		t.Fatalf("seek after the end = %q", k)
	}
	if k, _ := w.Next(); k != nil {
		t.Fatalf("next after the end = %q", k)
	}

	// A cursor that does not move is an error, not a loop.
	w = walk(context.Background(), &sliceCursor{keys: keys, stuck: true})
	n := 0
	for k, _ := w.Next(); k != nil; k, _ = w.Next() {
		if n++; n > len(keys) {
			t.Fatal("walk over a stuck cursor did not end")
		}
	}
	if w.Err() == nil || !strings.Contains(w.Err().Error(), "did not move forward") {
		t.Fatalf("stuck cursor: err %v", w.Err())
	}

	// A nil cursor is an empty keyspace.
	if k, _ := walk(context.Background(), nil).Seek([]byte("a")); k != nil {
		t.Fatalf("empty walk = %q", k)
	}
}

func TestWalkerStopsWithContext(t *testing.T) {
	keys := make([]string, 10*walkCheckEvery)
	for i := range keys {
		keys[i] = fmt.Sprintf("%06d", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := walk(ctx, &sliceCursor{keys: keys})
	n := 0
	for k, _ := w.Next(); k != nil; k, _ = w.Next() {
		if n++; n == 3*walkCheckEvery {
			cancel()
		}
	}
	if !errors.Is(w.Err(), context.Canceled) || n > 4*walkCheckEvery {
		t.Fatalf("walk went %d steps after a cancel at %d, err %v", n, 3*walkCheckEvery, w.Err())
	}
}

// TestListingObservesContext: a listing whose request is gone ends with
// the context's error instead of finishing its page.
func TestListingObservesContext(t *testing.T) {
	ws := openWedgeable(t)
	if err := ws.CreateBucket(context.Background(), "acme", "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := ws.lookupBucket("acme", "bkt")
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.idx.Update(func(tx indexTx) error {
		for i := 0; i < 500; i++ {
			if err := tx.(*kvTx).putObjectRaw(b.ID, fmt.Sprintf("k%04d", i), []byte("x")); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.CreateMultipartUpload(context.Background(), "acme", "bkt", "u", PutOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ws.ListObjects(ctx, "acme", "bkt", ListOptions{Delimiter: "/"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ListObjects with a cancelled context: %v", err)
	}
	if _, err := ws.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ListMultipartUploads with a cancelled context: %v", err)
	}
}
