package sse

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestMultipart: parts encrypted as separate streams under one record and
// concatenated read back whole and in ranges across part and chunk
// boundaries; a part moved to another part number or swapped fails.
func TestMultipart(t *testing.T) {
	ctx := Context{Bucket: "t/b", Key: "big", Version: "upload-123"}
	_, c := mustCipher(t, ctx)
	parts := []Part{{1, 2*cs + 7}, {2, cs}, {3, 0}, {7, 1}, {8, cs - 1}}
	var plain, ct []byte
	var cts [][]byte
	for i, p := range parts {
		pp := payload(int(p.Size), uint64(100+i))
		pc := encrypt(t, c, p.Number, pp, 1<<20)
		plain = append(plain, pp...)
		ct = append(ct, pc...)
		cts = append(cts, pc)
	}
	if int64(len(ct)) != c.PartsEncryptedSize(parts) {
		t.Fatalf("ciphertext %d, PartsEncryptedSize %d", len(ct), c.PartsEncryptedSize(parts))
	}
	total := int64(len(plain))
	opened := 0
	fetch := func(start, end int64) (io.ReadCloser, error) {
		opened++
		return io.NopCloser(io.NewSectionReader(bytes.NewReader(ct), start, end-start)), nil
	}
	for _, r := range [][2]int64{{0, total}, {0, 1}, {2*cs + 6, 2}, {2*cs + 7, cs}, {2*cs + 6, cs + 3}, {3*cs + 7, 2}, {cs, total - cs - 1}, {total - 1, 1}, {total, 0}} {
		opened = 0
		rc, err := c.DecryptParts(fetch, parts, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, plain[r[0]:r[0]+r[1]]) {
			t.Fatalf("range %v: %d bytes, %v", r, len(got), err)
		}
		if r == [2]int64{2*cs + 6, 2} && opened != 2 {
			t.Fatalf("range across parts 1-2 fetched %d parts", opened)
		}
	}
	if _, err := c.DecryptParts(fetch, parts, 1, total); !errors.Is(err, ErrInvalidRange) {
		t.Fatalf("range past end: %v", err)
	}
	// Parts 1 and 2 listed in swapped order (their ciphertext not moved):
	// the fetch hands each stream the other's bytes.
	swapped := []Part{{2, cs}, {1, 2*cs + 7}}
	rc, _ := c.DecryptParts(FetchFrom(bytes.NewReader(append(bytes.Clone(cts[0]), cts[1]...))), swapped, 0, 3*cs+7)
	got, err := io.ReadAll(rc)
	wantAuthFail(t, got, nil, err)
	// Part 7's ciphertext presented as part 3's.
	if got, err := decryptAll(c, 8, cts[3]); !errors.Is(err, ErrAuthentication) || len(got) != 0 {
		t.Fatalf("part 7 as part 8: %d bytes, %v", len(got), err)
	}
}

// TestPartsNeverShareKeystream: the parts of a multipart object share one
// data key, so their nonces must differ (the AAD alone would not stop GCM's
// keystream from repeating). Equal plaintext in two parts, or in two chunks
// of one part, must not give equal ciphertext.
func TestPartsNeverShareKeystream(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	plain := make([]byte, 2*cs) // zeros: ciphertext is the keystream itself
	a := encrypt(t, c, 1, plain, 1<<20)
	b := encrypt(t, c, 2, plain, 1<<20)
	if bytes.Equal(a[:64], b[:64]) {
		t.Fatal("parts 1 and 2 share a keystream")
	}
	if bytes.Equal(a[:64], a[cs+TagSize:cs+TagSize+64]) {
		t.Fatal("chunks 0 and 1 share a keystream")
	}
}
