package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/cofferstore/coffer/pkg/checksum"
)

func TestRoundTripSizesAndRanges(t *testing.T) {
	for _, drives := range []int{2, 4, 5} {
		ts := newTestStore(t, drives)
		bs := ts.cfg.BlockSize
		sizes := []int{0, 1, 100, bs - 1, bs, bs + 1, 3*bs + 17, inlineMax, inlineMax + 1, 5 * bs}
		for i, size := range sizes {
			data := randBytes(uint64(i), size)
			key := strings.Repeat("k", i+1)
			info := ts.put(key, data)
			if info.Size != int64(size) || info.ETag != md5hex(data) {
				t.Fatalf("drives %d size %d: info %+v", drives, size, info)
			}
			ts.mustRead(key, data)
			n := int64(size)
			ranges := [][2]int64{{0, n}, {0, 0}, {n, 0}}
			if n > 0 {
				ranges = append(ranges, [2]int64{0, 1}, [2]int64{n - 1, 1}, [2]int64{n / 2, n - n/2}, [2]int64{n / 3, n / 3})
			}
			if n > int64(bs) {
				b := int64(bs)
				ranges = append(ranges, [2]int64{b - 1, 2}, [2]int64{b, min(b, n-b)}, [2]int64{b + 1, n - b - 1}, [2]int64{1, n - 2})
			}
			for _, rg := range ranges {
				got, err := ts.read(key, rg[0], rg[1])
				if err != nil {
					t.Fatalf("drives %d size %d range %v: %v", drives, size, rg, err)
				}
				if !bytes.Equal(got, data[rg[0]:rg[0]+rg[1]]) {
					t.Fatalf("drives %d size %d range %v: wrong bytes", drives, size, rg)
				}
			}
			if _, err := ts.read(key, n, 1); !errors.Is(err, ErrInvalidRange) {
				t.Fatalf("range past end: %v", err)
			}
		}
	}
}

func TestPutVerification(t *testing.T) {
	ts := newTestStore(t, 4)
	data := []byte("hello world")
	sum := md5.Sum(data)
	crc := checksum.CRC32C.Sum(data)
	big := randBytes(1, 300<<10)
	tests := []struct {
		name string
		body io.Reader
		opts PutOptions
		want error
	}{
		{"ok", bytes.NewReader(data), PutOptions{Size: 11, ContentMD5: sum[:]}, nil},
		{"unknown size", bytes.NewReader(data), PutOptions{Size: -1}, nil},
		{"bad md5", bytes.NewReader(data), PutOptions{Size: 11, ContentMD5: make([]byte, 16)}, ErrBadDigest},
		{"short", bytes.NewReader(data), PutOptions{Size: 12}, ErrIncompleteBody},
		{"long", bytes.NewReader(data), PutOptions{Size: 10}, ErrBodyTooLong},
		{"long big", bytes.NewReader(big), PutOptions{Size: int64(len(big)) - 1}, ErrBodyTooLong},
		{"short big", bytes.NewReader(big), PutOptions{Size: int64(len(big)) + 1}, ErrIncompleteBody},
		{"checksum ok", bytes.NewReader(data), PutOptions{Size: 11, Checksum: checksum.CRC32C, ExpectedChecksum: func() (string, error) { return crc, nil }}, nil},
		{"checksum bad", bytes.NewReader(data), PutOptions{Size: 11, Checksum: checksum.CRC32C, ExpectedChecksum: func() (string, error) { return "AAAAAA==", nil }}, ErrChecksumMismatch},
		{"too large", bytes.NewReader(data), PutOptions{Size: 6 << 40}, ErrEntityTooLarge},
		{"reader error", iotest.ErrReader(errors.New("boom")), PutOptions{Size: 5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ts.PutObject(context.Background(), "acme", "bkt", "obj-"+tt.name, tt.body, tt.opts)
			if tt.name == "reader error" {
				if err == nil || !strings.Contains(err.Error(), "boom") {
					t.Fatalf("err = %v, want boom", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				if _, gerr := ts.GetObjectInfo(context.Background(), "acme", "bkt", "obj-"+tt.name); !errors.Is(gerr, ErrObjectNotFound) {
					t.Fatalf("failed put left an object: %v", gerr)
				}
				return
			}
			if tt.opts.Checksum != "" && info.Checksums[tt.opts.Checksum] != crc {
				t.Fatalf("checksums = %v", info.Checksums)
			}
		})
	}
	// Nothing but the committed objects remains on the drives.
	st, err := ts.Scrub(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.OrphansRemoved != 0 {
		t.Fatalf("failed puts left %d orphans", st.OrphansRemoved)
	}
}

func TestObjectErrors(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	ts.put("a", []byte("x"))
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"get missing", func() error { _, err := ts.GetObjectInfo(ctx, "acme", "bkt", "nope"); return err }(), ErrObjectNotFound},
		{"open missing", func() error { _, err := ts.OpenObject(ctx, "acme", "bkt", "nope"); return err }(), ErrObjectNotFound},
		{"no bucket", func() error { _, err := ts.GetObjectInfo(ctx, "acme", "zzz", "a"); return err }(), ErrBucketNotFound},
		{"other tenant", func() error { _, err := ts.GetObjectInfo(ctx, "other", "bkt", "a"); return err }(), ErrBucketNotFound},
		{"empty key", func() error {
			_, err := ts.PutObject(ctx, "acme", "bkt", "", strings.NewReader(""), PutOptions{Size: 0})
			return err
		}(), ErrInvalidObjectName},
		{"long key", func() error {
			_, err := ts.PutObject(ctx, "acme", "bkt", strings.Repeat("a", 1025), strings.NewReader(""), PutOptions{Size: 0})
			return err
		}(), ErrInvalidObjectName},
		{"bad utf8", func() error {
			_, err := ts.PutObject(ctx, "acme", "bkt", "\xff", strings.NewReader(""), PutOptions{Size: 0})
			return err
		}(), ErrInvalidObjectName},
		{"nul", func() error {
			_, err := ts.PutObject(ctx, "acme", "bkt", "a\x00b", strings.NewReader(""), PutOptions{Size: 0})
			return err
		}(), ErrInvalidObjectName},
		{"delete missing ok", errOf(ts.DeleteObject(ctx, "acme", "bkt", "nope", DeleteOptions{})), nil},
		{"update missing", func() error { _, err := ts.UpdateObjectMeta(ctx, "acme", "bkt", "nope", ObjectMeta{}); return err }(), ErrObjectNotFound},
		{"tags missing", ts.SetObjectTags(ctx, "acme", "bkt", "nope", "", nil), ErrObjectNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) || (tt.want == nil && tt.err != nil) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

func TestHostileKeysStayInside(t *testing.T) {
	ts := newTestStore(t, 4)
	keys := []string{"../x", "../../../../etc/passwd", "/abs", "a/../../b", "..", ".", "a//b", "\\..\\x", strings.Repeat("é", 512)}
	for i, k := range keys {
		data := randBytes(uint64(i), 100+i)
		ts.put(k, data)
		ts.mustRead(k, data)
	}
	res, err := ts.ListObjects(context.Background(), "acme", "bkt", ListOptions{})
	if err != nil || len(res.Objects) != len(keys) {
		t.Fatalf("list: %v %d", err, len(res.Objects))
	}
}

func TestOverwriteDeleteMetaTags(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	big := randBytes(7, 300<<10)
	ts.put("k", big)
	r, err := ts.OpenObject(ctx, "acme", "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ts.put("k", []byte("small now"))
	ts.mustRead("k", []byte("small now"))
	// The pinned reader still sees the old version.
	rc, err := r.Range(ctx, 0, int64(len(big)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("pinned reader: %v, equal=%v", err, bytes.Equal(got, big))
	}
	info, err := ts.UpdateObjectMeta(ctx, "acme", "bkt", "k", ObjectMeta{ContentType: "text/plain", UserMeta: map[string]string{"a": "b"}})
	if err != nil || info.Meta.ContentType != "text/plain" || info.ETag != md5hex([]byte("small now")) {
		t.Fatalf("update: %v %+v", err, info)
	}
	if err := ts.SetObjectTags(ctx, "acme", "bkt", "k", "", map[string]string{"t": "1"}); err != nil {
		t.Fatal(err)
	}
	info, _ = ts.GetObjectInfo(ctx, "acme", "bkt", "k")
	if info.Meta.Tags["t"] != "1" || info.Meta.UserMeta["a"] != "b" {
		t.Fatalf("meta after tags: %+v", info.Meta)
	}
	ts.mustRead("k", []byte("small now"))
	if err := errOf(ts.DeleteObject(ctx, "acme", "bkt", "k", DeleteOptions{})); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.GetObjectInfo(ctx, "acme", "bkt", "k"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	u, _ := ts.TenantUsage(ctx, "acme")
	if u.Objects != 0 || u.Bytes != 0 {
		t.Fatalf("usage after delete: %+v", u)
	}
	// No data files remain.
	if n := countDataFiles(t, ts); n != 0 {
		t.Fatalf("%d data files remain", n)
	}
}

func countDataFiles(t testing.TB, ts *testStore) int {
	n := 0
	for _, d := range ts.Store.drives {
		must(t, d.Walk(func(name string, _ time.Time) error { n++; return nil }))
	}
	return n
}
