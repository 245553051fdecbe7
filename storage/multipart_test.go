package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/cofferstore/coffer/pkg/checksum"
)

func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
}

func TestMultipart(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	p1 := randBytes(1, MinPartSize)
	p2 := randBytes(2, MinPartSize+3)
	p3 := randBytes(3, 1000)
	id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "big", PutOptions{Meta: ObjectMeta{ContentType: "x/y"}})
	if err != nil {
		t.Fatal(err)
	}
	put := func(n int, b []byte) PartInfo {
		t.Helper()
		pi, err := ts.PutPart(ctx, "acme", "bkt", "big", id, n, bytes.NewReader(b), PutOptions{Size: int64(len(b))})
		if err != nil {
			t.Fatalf("PutPart %d: %v", n, err)
		}
		return pi
	}
	i1 := put(1, p1)
	put(2, p3) // replaced below
	i2 := put(2, p2)
	i3 := put(3, p3)
	i4 := put(4, []byte("unused part"))
	if _, err := ts.PutPart(ctx, "acme", "bkt", "big", id, 0, bytes.NewReader(nil), PutOptions{Size: 0}); !errors.Is(err, ErrInvalidPartNumber) {
		t.Fatalf("part 0: %v", err)
	}
	if _, err := ts.PutPart(ctx, "acme", "bkt", "other", id, 1, bytes.NewReader(nil), PutOptions{Size: 0}); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("wrong key: %v", err)
	}
	u, _ := ts.TenantUsage(ctx, "acme")
	wantUp := int64(len(p1) + len(p2) + len(p3) + len("unused part"))
	if u.UploadBytes != wantUp || u.Bytes != wantUp || u.Objects != 0 {
		t.Fatalf("usage with parts: %+v want %d", u, wantUp)
	}
	lp, err := ts.ListParts(ctx, "acme", "bkt", "big", id, ListPartsOptions{MaxParts: 2})
	if err != nil || len(lp.Parts) != 2 || !lp.IsTruncated || lp.NextPartNumberMarker != 2 || lp.Parts[1].Size != int64(len(p2)) || lp.Upload.Meta.ContentType != "x/y" {
		t.Fatalf("ListParts = %+v, %v", lp, err)
	}
	lp, _ = ts.ListParts(ctx, "acme", "bkt", "big", id, ListPartsOptions{PartNumberMarker: 2})
	if len(lp.Parts) != 2 || lp.IsTruncated || lp.Parts[0].PartNumber != 3 {
		t.Fatalf("ListParts page 2 = %+v", lp)
	}
	ups, err := ts.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{})
	if err != nil || len(ups.Uploads) != 1 || ups.Uploads[0].UploadID != id {
		t.Fatalf("ListMultipartUploads = %+v, %v", ups, err)
	}
	cp := func(n int, etag string) CompletePart { return CompletePart{PartNumber: n, ETag: `"` + etag + `"`} }
	errTests := []struct {
		name  string
		parts []CompletePart
		want  error
	}{
		{"empty", nil, ErrInvalidPart},
		{"order", []CompletePart{cp(2, i2.ETag), cp(1, i1.ETag)}, ErrInvalidPartOrder},
		{"dup", []CompletePart{cp(1, i1.ETag), cp(1, i1.ETag)}, ErrInvalidPartOrder},
		{"etag", []CompletePart{cp(1, i2.ETag)}, ErrInvalidPart},
		{"missing", []CompletePart{cp(1, i1.ETag), cp(7, i1.ETag)}, ErrInvalidPart},
		{"small", []CompletePart{cp(3, i3.ETag), cp(4, i4.ETag)}, ErrEntityTooSmall},
	}
	for _, tt := range errTests {
		if _, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "big", id, tt.parts); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	ts.put("big", []byte("old version"))
	info, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "big", id, []CompletePart{cp(1, i1.ETag), cp(2, i2.ETag), cp(3, i3.ETag)})
	if err != nil {
		t.Fatal(err)
	}
	whole := append(append(append([]byte(nil), p1...), p2...), p3...)
	if info.ETag != multipartETag(p1, p2, p3) || info.Size != int64(len(whole)) || info.PartsCount != 3 || info.Meta.ContentType != "x/y" {
		t.Fatalf("complete info = %+v", info)
	}
	ts.mustRead("big", whole)
	for _, rg := range [][2]int64{{MinPartSize - 5, 10}, {int64(len(whole)) - 1003, 1003}, {1, int64(len(whole)) - 2}} {
		got, err := ts.read("big", rg[0], rg[1])
		if err != nil || !bytes.Equal(got, whole[rg[0]:rg[0]+rg[1]]) {
			t.Fatalf("range %v: %v", rg, err)
		}
	}
	u, _ = ts.TenantUsage(ctx, "acme")
	if u.UploadBytes != 0 || u.Bytes != int64(len(whole)) || u.Objects != 1 {
		t.Fatalf("usage after complete: %+v", u)
	}
	if _, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "big", id, []CompletePart{cp(1, i1.ETag)}); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("complete twice: %v", err)
	}
	if ups, _ := ts.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{}); len(ups.Uploads) != 0 {
		t.Fatalf("uploads after complete: %+v", ups)
	}
	// Nothing orphaned: unused part and old version are gone.
	st, _ := ts.Scrub(ctx)
	if st.OrphansRemoved != 0 || st.Errors != 0 {
		t.Fatalf("scrub after complete: %+v", st)
	}
	// Abort.
	id2, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "gone", PutOptions{})
	must(t, err)
	_, err = ts.PutPart(ctx, "acme", "bkt", "gone", id2, 1, bytes.NewReader(p3), PutOptions{Size: int64(len(p3))})
	must(t, err)
	if err := ts.AbortMultipartUpload(ctx, "acme", "bkt", "gone", id2); err != nil {
		t.Fatal(err)
	}
	if err := ts.AbortMultipartUpload(ctx, "acme", "bkt", "gone", id2); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("abort twice: %v", err)
	}
	u, _ = ts.TenantUsage(ctx, "acme")
	if u.UploadBytes != 0 || u.Bytes != int64(len(whole)) {
		t.Fatalf("usage after abort: %+v", u)
	}
	// Delete removes all parts' data.
	must(t, errOf(ts.DeleteObject(ctx, "acme", "bkt", "big", DeleteOptions{})))
	if n := countDataFiles(t, ts); n != 0 {
		t.Fatalf("%d data files remain", n)
	}
}

func TestMultipartChecksums(t *testing.T) {
	ts := newTestStore(t, 4)
	ctx := context.Background()
	p1 := randBytes(1, MinPartSize)
	p2 := randBytes(2, 777)
	for _, typ := range []string{"COMPOSITE", "FULL_OBJECT"} {
		id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", "c", PutOptions{Checksum: checksum.CRC32, ChecksumType: typ})
		if err != nil {
			t.Fatal(err)
		}
		var cps []CompletePart
		var raw []byte
		for i, p := range [][]byte{p1, p2} {
			pi, err := ts.PutPart(ctx, "acme", "bkt", "c", id, i+1, bytes.NewReader(p), PutOptions{Size: int64(len(p)), Checksum: checksum.CRC32})
			if err != nil {
				t.Fatal(err)
			}
			if pi.Checksums[checksum.CRC32] != checksum.CRC32.Sum(p) {
				t.Fatalf("part checksum %v", pi.Checksums)
			}
			c := crc32.ChecksumIEEE(p)
			raw = append(raw, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
			cps = append(cps, CompletePart{PartNumber: i + 1, ETag: pi.ETag, Checksums: pi.Checksums})
		}
		info, err := ts.CompleteMultipartUpload(ctx, "acme", "bkt", "c", id, cps)
		if err != nil {
			t.Fatal(err)
		}
		want := checksum.CRC32.Sum(raw) + "-2"
		if typ == "FULL_OBJECT" {
			want = checksum.CRC32.Sum(append(append([]byte(nil), p1...), p2...))
		}
		if info.Checksums[checksum.CRC32] != want || info.ChecksumType != typ {
			t.Fatalf("%s: checksums %v type %s, want %s", typ, info.Checksums, info.ChecksumType, want)
		}
	}
}

func TestCRCCombine(t *testing.T) {
	a, b := randBytes(1, 1234), randBytes(2, 98765)
	for _, algo := range []checksum.Algorithm{checksum.CRC32, checksum.CRC32C, checksum.CRC64NVME} {
		got, err := combineFullCRC(algo, []string{algo.Sum(a), algo.Sum(b), algo.Sum(nil)}, []int64{int64(len(a)), int64(len(b)), 0})
		want := algo.Sum(append(append([]byte(nil), a...), b...))
		if err != nil || got != want {
			t.Errorf("%s: combined %s, want %s (%v)", algo, got, want, err)
		}
	}
}

func TestListMultipartUploads(t *testing.T) {
	ts := newTestStore(t, 2)
	ctx := context.Background()
	ids := map[string][]string{}
	for _, k := range []string{"a/1", "a/2", "b", "b", "c/x/y", "d"} {
		id, err := ts.CreateMultipartUpload(ctx, "acme", "bkt", k, PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = append(ids[k], id)
	}
	keysOf := func(r ListUploadsResult) []string {
		var out []string
		for _, u := range r.Uploads {
			out = append(out, u.Key)
		}
		return out
	}
	all, _ := ts.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{})
	if got := keysOf(all); fmt.Sprint(got) != "[a/1 a/2 b b c/x/y d]" || all.IsTruncated {
		t.Fatalf("all = %v", got)
	}
	res, _ := ts.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{Delimiter: "/"})
	if fmt.Sprint(keysOf(res)) != "[b b d]" || fmt.Sprint(res.CommonPrefixes) != "[a/ c/]" {
		t.Fatalf("delimiter: %v %v", keysOf(res), res.CommonPrefixes)
	}
	res, _ = ts.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{Prefix: "a/"})
	if fmt.Sprint(keysOf(res)) != "[a/1 a/2]" {
		t.Fatalf("prefix: %v", keysOf(res))
	}
	// Paging with markers visits every upload once.
	var seen []string
	o := ListUploadsOptions{MaxUploads: 2}
	for page := 0; page < 10; page++ {
		res, err := ts.ListMultipartUploads(ctx, "acme", "bkt", o)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Uploads {
			seen = append(seen, u.Key+"/"+u.UploadID)
		}
		if !res.IsTruncated {
			break
		}
		o.KeyMarker, o.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	if len(seen) != 6 {
		t.Fatalf("paging saw %d uploads: %v", len(seen), seen)
	}
	// A key marker alone skips every upload of that key.
	res, _ = ts.ListMultipartUploads(ctx, "acme", "bkt", ListUploadsOptions{KeyMarker: "b"})
	if fmt.Sprint(keysOf(res)) != "[c/x/y d]" {
		t.Fatalf("key marker: %v", keysOf(res))
	}
	if _, err := ts.ListMultipartUploads(ctx, "acme", "nope", ListUploadsOptions{}); !errors.Is(err, ErrBucketNotFound) {
		t.Fatalf("missing bucket: %v", err)
	}
}
