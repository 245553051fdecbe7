package s3api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cofferstore/coffer/storage"
)

// FuzzObjectAttributes: the x-amz-object-attributes parser never panics,
// fails only with InvalidArgument, and accepts a list only if every name
// is one of AWS's five; the parts page headers stay within their bounds.
func FuzzObjectAttributes(f *testing.F) {
	for _, s := range []string{"ETag", "ETag,ObjectSize", " Checksum , ObjectParts ", "", ",", "Owner", "ETag,,ETag", strings.Repeat("ETag,", 100)} {
		f.Add(s, "")
	}
	f.Add("ETag", "StorageClass")
	f.Add("2", "9999999999")
	f.Add("-1", "0")
	f.Fuzz(func(t *testing.T, a, b string) {
		// The same strings as x-amz-max-parts and x-amz-part-number-marker.
		h := http.Header{"X-Amz-Max-Parts": {a}, "X-Amz-Part-Number-Marker": {b}}
		if maxParts, marker, err := parsePartsPage(h); err != nil {
			if ae := toAPIError(err); ae.Code != "InvalidArgument" {
				t.Fatalf("parts page %q %q: %v", a, b, err)
			}
		} else if maxParts < 0 || maxParts > maxListKeys || marker < 0 {
			t.Fatalf("parts page %q %q: max %d marker %d", a, b, maxParts, marker)
		}
		got, err := parseObjectAttributes([]string{a, b})
		if err != nil {
			if ae := toAPIError(err); ae.Code != "InvalidArgument" || ae.Status != 400 {
				t.Fatalf("%q %q: %v", a, b, err)
			}
			return
		}
		if got == (objectAttributes{}) {
			t.Fatalf("%q %q accepted with nothing asked", a, b)
		}
		for _, v := range []string{a, b} {
			for name := range strings.SplitSeq(v, ",") {
				switch strings.TrimSpace(name) {
				case "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize":
				default:
					t.Fatalf("%q %q accepted with name %q", a, b, name)
				}
			}
		}
	})
}

// FuzzPartNumber: partNumber parsing accepts exactly the decimal integers
// 1..10000 and selectPart never serves bytes outside the object.
func FuzzPartNumber(f *testing.F) {
	for _, s := range []string{"1", "10000", "10001", "0", "-1", "+1", "01", "1e3", " 1", "99999999999999999999"} {
		f.Add(s, int64(5<<20), int64(1000), int64(3))
	}
	f.Fuzz(func(t *testing.T, v string, partSize, last, count int64) {
		n, err := parsePartNumber(v)
		want, aerr := strconv.Atoi(v)
		valid := aerr == nil && want >= 1 && want <= storage.MaxPartNumber && v[0] != '+' && v[0] != '-'
		if (err == nil) != valid || (err == nil && n != want) {
			t.Fatalf("parsePartNumber(%q) = %d, %v; want valid=%v", v, n, err, valid)
		}
		if err != nil {
			return
		}
		count = 1 + abs64(count)%20
		partSize, last = 1+abs64(partSize)%(1<<30), abs64(last)%(1<<30)
		info := storage.ObjectInfo{PartsCount: int(count)}
		for i := int64(0); i < count; i++ {
			size := partSize
			if i == count-1 {
				size = last
			}
			info.Parts = append(info.Parts, storage.ObjectPart{Size: size})
			info.Size += size
		}
		ps, err := selectPart(info, n)
		if n > int(count) {
			if !errors.Is(err, errInvalidPartForObject) {
				t.Fatalf("part %d of %d: %v", n, count, err)
			}
			return
		}
		if err != nil || ps.start < 0 || ps.length < 0 || ps.start+ps.length > info.Size {
			t.Fatalf("part %d of %d: %+v %v (size %d)", n, count, ps, err, info.Size)
		}
	})
}

func abs64(v int64) int64 {
	if v < 0 {
		if v == -v { // math.MinInt64
			return 0
		}
		return -v
	}
	return v
}

// FuzzListBucketsOptions: ListBuckets' query never panics the parser,
// fails only with InvalidArgument, and a page size is always 1..10000.
func FuzzListBucketsOptions(f *testing.F) {
	for _, s := range []string{"max-buckets=2", "max-buckets=abc", "bucket-region=us-east-1", "bucket-region=zz",
		"continuation-token=" + encodeBucketToken("b"), "continuation-token=", "prefix=x&max-buckets=10000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		o, err := parseListBucketsOptions(q, "us-east-1")
		if err != nil {
			if ae := toAPIError(err); ae.Code != "InvalidArgument" || ae.Status != http.StatusBadRequest {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		if o.maxBuckets < 1 || o.maxBuckets > maxBucketsPage {
			t.Fatalf("%q: page of %d", raw, o.maxBuckets)
		}
		if o.after != "" {
			if back, err := decodeBucketToken(encodeBucketToken(o.after)); err != nil || back != o.after {
				t.Fatalf("%q: token for %q does not round-trip", raw, o.after)
			}
		}
	})
}

// FuzzMetaValue: a received x-amz-meta-* value decodes without panic, what
// is sent back is always plain ASCII header text, and a stored UTF-8
// value survives encode then decode.
func FuzzMetaValue(f *testing.F) {
	for _, s := range []string{"plain", "Ωmega", "=?UTF-8?B?w6k=?=", "=?utf-8?q?caf=C3=A9?=", "=?x?B?@@?=", "a\r\nb", "=?UTF-8?B?", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		stored := decodeMetaValue(v)
		sent := encodeMetaValue(stored)
		for i := 0; i < len(sent); i++ {
			if c := sent[i]; c >= 0x7f || (c < 0x20 && c != '\t') {
				t.Fatalf("%q: sends byte %#x in %q", v, c, sent)
			}
		}
		if utf8.ValidString(stored) && sent != stored {
			if back := decodeMetaValue(sent); back != stored {
				t.Fatalf("%q: stored %q, sent %q, decodes to %q", v, stored, sent, back)
			}
		}
	})
}
