package sse

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRecordMarshal(t *testing.T) {
	master := mustMaster(t, 1)
	ck, _ := NewCustomerKey(bytes.Repeat([]byte{9}, 32))
	rs, _, err := NewS3(master, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := NewCustomer(ck, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Record{rs, rc} {
		data, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 400 {
			t.Errorf("%s record is %d bytes", r.Algorithm, len(data))
		}
		back, err := Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		if b2, _ := back.Marshal(); !bytes.Equal(b2, data) {
			t.Fatalf("round trip changed the record:\n%s\n%s", data, b2)
		}
	}
	if rs.KeyID != master.ID() || len(master.ID()) != 16 {
		t.Fatalf("KeyID %q, master ID %q", rs.KeyID, master.ID())
	}
	// The customer key appears nowhere in the record.
	data, _ := rc.Marshal()
	if bytes.Contains(data, []byte(ck.KeyMD5())) || bytes.Contains(data, bytes.Repeat([]byte{9}, 8)) {
		t.Fatal("record shows the customer key or its MD5")
	}
}

func TestUnmarshalRejects(t *testing.T) {
	r, _, _ := NewS3(mustMaster(t, 1), testCtx)
	good, _ := r.Marshal()
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		_ = json.Unmarshal(good, &m)
		f(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	cases := map[string]string{
		"empty":          "",
		"not json":       "{",
		"trailing":       string(good) + "{}",
		"unknown field":  edit(func(m map[string]any) { m["x"] = 1 }),
		"format 2":       edit(func(m map[string]any) { m["format"] = 2 }),
		"algorithm":      edit(func(m map[string]any) { m["alg"] = "SSE-KMS" }),
		"chunk 0":        edit(func(m map[string]any) { m["chunk"] = 0 }),
		"chunk huge":     edit(func(m map[string]any) { m["chunk"] = 1 << 30 }),
		"chunk not pow2": edit(func(m map[string]any) { m["chunk"] = 65535 }),
		"nonce size":     edit(func(m map[string]any) { m["nonce"] = "AAAA" }),
		"sealed size":    edit(func(m map[string]any) { m["sealed"] = "AAAA" }),
		"kid missing":    edit(func(m map[string]any) { delete(m, "kid") }),
		"S3 with salt":   edit(func(m map[string]any) { m["salt"] = strings.Repeat("A", 44) }),
		"too large":      `{"kid":"` + strings.Repeat("a", 5000) + `"}`,
	}
	for name, data := range cases {
		if _, err := Unmarshal([]byte(data)); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("%s: err = %v, want ErrInvalidRecord", name, err)
		}
	}
}

// TestRecordFieldsBound: changing the chunk size or nonce prefix of a record
// (within valid values) makes it fail to open.
func TestRecordFieldsBound(t *testing.T) {
	master := mustMaster(t, 1)
	r, _, _ := NewS3(master, testCtx)
	a := *r
	a.ChunkSize = 2 * DefaultChunkSize
	b := *r
	b.NoncePrefix = bytes.Clone(r.NoncePrefix)
	b.NoncePrefix[0] ^= 1
	for _, x := range []*Record{&a, &b} {
		if _, err := x.Open(testCtx, master); !errors.Is(err, ErrAuthentication) {
			t.Errorf("altered record opened: %v", err)
		}
	}
}

func TestRotation(t *testing.T) {
	old, newKey, other := mustMaster(t, 1), mustMaster(t, 2), mustMaster(t, 3)
	if old.ID() == newKey.ID() {
		t.Fatal("two secrets, one ID")
	}
	r, c, err := NewS3(old, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	plain := payload(2*cs+3, 5)
	ct := encrypt(t, c, plain, 1<<20)
	n, err := ReSeal(r, testCtx, old, newKey)
	if err != nil {
		t.Fatal(err)
	}
	if n.KeyID != newKey.ID() || !bytes.Equal(n.NoncePrefix, r.NoncePrefix) || bytes.Equal(n.SealedKey, r.SealedKey) || r.KeyID != old.ID() {
		t.Fatalf("resealed record %+v from %+v", n, r)
	}
	c2, err := n.Open(testCtx, other, newKey) // old key gone
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decryptAll(c2, ct); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypt after reseal: %v", err)
	}
	if _, err := n.Open(testCtx, old); !errors.Is(err, ErrUnknownMasterKey) {
		t.Fatalf("open with old key only: %v", err)
	}
	if again, err := ReSeal(n, testCtx, old, newKey); err != nil || again != n {
		t.Fatalf("second reseal: %v", err)
	}
	if _, err := ReSeal(r, testCtx, other, newKey); !errors.Is(err, ErrUnknownMasterKey) {
		t.Fatalf("reseal with the wrong old key: %v", err)
	}
	if _, err := ReSeal(r, Context{Bucket: "x"}, old, newKey); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("reseal under another context: %v", err)
	}
	if _, err := NewMasterKey(make([]byte, 31)); err == nil {
		t.Fatal("31-byte master key accepted")
	}
}

func TestCustomerKeyOpen(t *testing.T) {
	var k1, k2 [32]byte
	rand.Read(k1[:])
	rand.Read(k2[:])
	ck1, _ := NewCustomerKey(k1[:])
	ck2, _ := NewCustomerKey(k2[:])
	r, c, err := NewCustomer(ck1, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	plain := payload(cs+1, 6)
	ct := encrypt(t, c, plain, 1<<20)
	c1, err := r.OpenCustomer(testCtx, ck1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decryptAll(c1, ct); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypt: %v", err)
	}
	if _, err := r.OpenCustomer(testCtx, ck2); !errors.Is(err, ErrWrongCustomerKey) {
		t.Fatalf("wrong key: %v", err)
	}
	for _, tc := range []struct {
		ck   *CustomerKey
		want error
	}{{ck1, nil}, {ck2, ErrWrongCustomerKey}, {nil, ErrCustomerKeyRequired}} {
		if err := r.CheckCustomerKey(tc.ck); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("CheckCustomerKey(%v) = %v, want %v", tc.ck, err, tc.want)
		}
	}
	if _, err := r.Open(testCtx, mustMaster(t, 1)); !errors.Is(err, ErrCustomerKeyRequired) {
		t.Fatalf("SSE-C opened without key: %v", err)
	}
	if _, err := r.OpenCustomer(Context{Bucket: "other"}, ck1); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("SSE-C record under another context: %v", err)
	}
	s3, _, _ := NewS3(mustMaster(t, 1), testCtx)
	if _, err := s3.OpenCustomer(testCtx, ck1); !errors.Is(err, ErrNotCustomerEncrypted) {
		t.Fatalf("customer key on SSE-S3 object: %v", err)
	}
	if err := s3.CheckCustomerKey(ck1); !errors.Is(err, ErrNotCustomerEncrypted) {
		t.Fatalf("CheckCustomerKey on SSE-S3 object: %v", err)
	}
	// Same key, two objects: different salts, different hashes.
	r2, _, _ := NewCustomer(ck1, testCtx)
	if bytes.Equal(r.KeyHash, r2.KeyHash) || bytes.Equal(r.KeySalt, r2.KeySalt) {
		t.Fatal("key hash is not salted per object")
	}
	if strings.Contains(ck1.String(), string(k1[:])) {
		t.Fatal("String shows the key")
	}
	if _, ok := NewCustomerKey(k1[:31]); ok {
		t.Fatal("31-byte customer key accepted")
	}
}
