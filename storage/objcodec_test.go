package storage

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/cofferstore/coffer/pkg/checksum"
)

func sampleRecord() *objRecord {
	return &objRecord{ID: "0123456789abcdef0123456789abcdef", Tenant: "acme", Bucket: "bkt", BucketID: "b1",
		Key: "dir/obj", Size: 123456, ETag: "d41d8cd98f00b204e9800998ecf8427e-2",
		ModTime: time.Date(2026, 11, 26, 23, 1, 2, 345678901, time.UTC),
		Meta: ObjectMeta{ContentType: "text/plain", ContentEncoding: "gzip", ContentDisposition: "inline",
			ContentLanguage: "en", CacheControl: "no-cache", Expires: "never",
			UserMeta: map[string]string{"a": "b", "c": ""}, Tags: map[string]string{"t": "1"}},
		Checksums: map[checksum.Algorithm]string{
			checksum.Algorithm("CRC32C"): "AAAAAA==", checksum.Algorithm("SHA256"): "x"},
		ChecksumType: "COMPOSITE", PartsCount: 2,
		Parts: []dataRef{{ID: "p1", Size: 100, Data: 2, Parity: 2, BlockSize: 1 << 20, Inline: true,
			Packed: []PackLoc{{1, 2, 3}, {4, 5, 6}}}, {ID: "p2", Size: 123356, Data: 2, Parity: 2, BlockSize: 1 << 20}},
		PartETags: []string{"e1", "e2"}}
}

func TestObjValueRoundTrip(t *testing.T) {
	want := sampleRecord()
	raw, err := encodeObjValue(want)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] != objValueV1 {
		t.Fatalf("value starts with %#x, want the v1 header", raw[0])
	}
	legacy, _ := json.Marshal(want)
	for name, v := range map[string][]byte{"v1": raw, "legacy JSON": legacy} {
		var got objRecord
		if err := decodeObjValue(v, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(&got, want) {
			t.Fatalf("%s: decoded %+v, want %+v", name, got, *want)
		}
		info, err := listedObject("bkt", "dir/obj", v)
		if err != nil {
			t.Fatalf("%s: listing: %v", name, err)
		}
		exp := want.info()
		if !reflect.DeepEqual(info, exp) {
			t.Fatalf("%s: listing %+v, want %+v", name, info, exp)
		}
	}
	// No checksums: the listing has a nil map, like the record.
	plain := &objRecord{Key: "k", Size: 0, ETag: "e", ModTime: time.Unix(5, 0).UTC()}
	raw, _ = encodeObjValue(plain)
	info, err := listedObject("b", "k", raw)
	if err != nil || info.Checksums != nil || info.Size != 0 || info.ETag != "e" || !info.ModTime.Equal(plain.ModTime) {
		t.Fatalf("plain listing %+v, %v", info, err)
	}
}

// Versioned records (a version id, or a delete marker) carry the V2
// header, whose listing reports the version id and the marker; lock fields
// are in the JSON record only.
func TestObjValueV2RoundTrip(t *testing.T) {
	for _, r := range []*objRecord{
		{Key: "k", ETag: "e", ModTime: time.Unix(5, 0).UTC(), VersionID: newVersionID(42), Stamp: 42,
			Retention: &Retention{Mode: LockCompliance, Until: time.Unix(99, 0).UTC()}, LegalHold: true},
		{Key: "k", ETag: "e", ModTime: time.Unix(5, 0).UTC(), Stamp: 7, DeleteMarker: true},
		{Key: "k", ETag: "e", ModTime: time.Unix(5, 0).UTC(), VersionID: newVersionID(9), Stamp: 9, DeleteMarker: true},
	} {
		raw, err := encodeObjValue(r)
		if err != nil {
			t.Fatal(err)
		}
		if raw[0] != objValueV2 {
			t.Fatalf("value starts with %#x, want the v2 header", raw[0])
		}
		var got objRecord
		if err := decodeObjValue(raw, &got); err != nil || !reflect.DeepEqual(&got, r) {
			t.Fatalf("decoded %+v (%v), want %+v", got, err, *r)
		}
		info, err := listedObject("b", "k", raw)
		if err != nil || info.VersionID != r.versionID() || info.DeleteMarker != r.DeleteMarker {
			t.Fatalf("listing %+v, %v", info, err)
		}
		for cut := 1; cut < len(raw)-len(`{}`); cut += 3 {
			if _, err := listedObject("b", "k", raw[:cut]); err == nil && cut < headerLen(raw) {
				t.Fatalf("listing of a v2 value cut at %d bytes succeeded", cut)
			}
		}
	}
	// A stamp alone (a null version) keeps the V1 bytes.
	raw, _ := encodeObjValue(&objRecord{Key: "k", Stamp: 3})
	if raw[0] != objValueV1 {
		t.Fatalf("null version value starts with %#x", raw[0])
	}
}

// headerLen is the length of a value's listing header.
func headerLen(v []byte) int {
	var h objListing
	n, _ := h.decode(v)
	return n
}

func TestObjValueMalformed(t *testing.T) {
	raw, _ := encodeObjValue(sampleRecord())
	for _, cut := range []int{1, 2, 5, 20, 40} {
		if _, err := listedObject("b", "k", raw[:cut]); err == nil {
			t.Errorf("listing of a value cut at %d bytes succeeded", cut)
		}
		var r objRecord
		if err := decodeObjValue(raw[:cut], &r); err == nil {
			t.Errorf("decode of a value cut at %d bytes succeeded", cut)
		}
	}
}

func FuzzObjValue(f *testing.F) {
	raw, _ := encodeObjValue(sampleRecord())
	f.Add(raw)
	f.Add([]byte{objValueV1, 0xff, 0xff})
	raw2, _ := encodeObjValue(&objRecord{Key: "k", VersionID: newVersionID(1), Stamp: 1, DeleteMarker: true})
	f.Add(raw2)
	f.Add([]byte{objValueV2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte(`{"key":"k"}`))
	f.Fuzz(func(t *testing.T, v []byte) {
		var r objRecord
		_ = decodeObjValue(v, &r)
		_, _ = listedObject("b", "k", v)
	})
}

// TestEncodeObjectMetas: the marshal-once .meta records of a packed PUT
// are byte for byte what encodeMeta makes of each shard's header.
func TestEncodeObjectMetas(t *testing.T) {
	rec := sampleRecord()
	inline := [][]byte{[]byte("shard0"), []byte("s1"), nil, []byte("parity-3")}
	got, err := encodeObjectMetas(rec, inline)
	if err != nil {
		t.Fatal(err)
	}
	for i := range inline {
		want, err := encodeMeta(&metaHeader{Kind: "object", Shard: i, Object: rec}, inline[i])
		if err != nil {
			t.Fatal(err)
		}
		if string(got[i]) != string(want) {
			t.Fatalf("shard %d: got\n%q\nwant\n%q", i, got[i], want)
		}
		h, inl, err := decodeMeta(got[i])
		if err != nil || h.Shard != i || string(inl) != string(inline[i]) || !reflect.DeepEqual(h.Object, rec) {
			t.Fatalf("shard %d does not decode back: %v", i, err)
		}
	}
}

// TestObjectMetaInline: the read path's shortcut takes exactly the records
// encodeObjectMetas (and encodeMeta) write for that drive and data id, and
// leaves every other record to decodeMeta.
func TestObjectMetaInline(t *testing.T) {
	rec := sampleRecord()
	inline := [][]byte{[]byte("shard0"), []byte("s1"), nil, []byte("parity-3")}
	raws, err := encodeObjectMetas(rec, inline)
	must(t, err)
	for i, raw := range raws {
		inl, ok, err := objectMetaInline(raw, i, rec.ID)
		if err != nil || !ok || string(inl) != string(inline[i]) {
			t.Fatalf("shard %d: ok %v err %v inline %q", i, ok, err, inl)
		}
		for _, other := range []struct {
			shard int
			id    string
		}{{i + 1, rec.ID}, {i + 10, rec.ID}, {i, rec.ID[:len(rec.ID)-1]}, {i, rec.ID + "0"}, {i, "x"}} {
			if _, ok, err := objectMetaInline(raw, other.shard, other.id); ok || err != nil {
				t.Fatalf("shard %d taken as shard %d of %q (ok %v, err %v)", i, other.shard, other.id, ok, err)
			}
		}
		bad := append([]byte(nil), raw...)
		bad[len(bad)/2] ^= 1
		if _, ok, err := objectMetaInline(bad, i, rec.ID); ok || err == nil {
			t.Fatalf("shard %d: a flipped bit passed (ok %v, err %v)", i, ok, err)
		}
	}
	part, err := encodeMeta(&metaHeader{Kind: "part", Shard: 0, Part: &partRecord{Ref: dataRef{ID: rec.ID}}}, []byte("p"))
	must(t, err)
	if _, ok, err := objectMetaInline(part, 0, rec.ID); ok || err != nil {
		t.Fatalf("a part record taken for an object's (ok %v, err %v)", ok, err)
	}
}
