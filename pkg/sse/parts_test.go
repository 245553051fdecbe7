package sse

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// uploadParts encrypts each part as UploadPart would: its own salt, its own
// stream. It returns the parts, the whole plaintext and each part's ciphertext.
func uploadParts(t *testing.T, c *Cipher, numbers []int, sizes []int64) ([]Part, []byte, [][]byte) {
	t.Helper()
	var parts []Part
	var plain []byte
	var cts [][]byte
	for i, n := range numbers {
		pc, salt, err := c.NewPart(n)
		if err != nil {
			t.Fatal(err)
		}
		p := Part{Number: n, Size: sizes[i], Salt: salt}
		pp := payload(int(p.Size), uint64(100+i))
		parts = append(parts, p)
		plain = append(plain, pp...)
		cts = append(cts, encrypt(t, pc, pp, 1<<20))
	}
	return parts, plain, cts
}

// TestMultipart: parts encrypted as separate streams under one record and
// concatenated read back whole and in ranges across part and chunk
// boundaries; parts listed out of order, renumbered or with another salt fail.
func TestMultipart(t *testing.T) {
	ctx := Context{Bucket: "t/b", Key: "big", Version: "upload-123"}
	_, c := mustCipher(t, ctx)
	parts, plain, cts := uploadParts(t, c, []int{1, 2, 3, 7, 8}, []int64{2*cs + 7, cs, 0, 1, cs - 1})
	ct := bytes.Join(cts, nil)
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
		rc, _ = c.DecryptParts(fetch, parts, r[0], r[1])
		var copied bytes.Buffer
		if _, err := io.Copy(&copied, rc); err != nil || !bytes.Equal(copied.Bytes(), plain[r[0]:r[0]+r[1]]) {
			t.Fatalf("range %v by WriteTo: %d bytes, %v", r, copied.Len(), err)
		}
	}
	if _, err := c.DecryptParts(fetch, parts, 1, total); !errors.Is(err, ErrInvalidRange) {
		t.Fatalf("range past end: %v", err)
	}
	bad := func(name string, parts []Part, ct []byte) {
		t.Helper()
		rc, err := c.DecryptParts(FetchFrom(bytes.NewReader(ct)), parts, 0, c.partsPlainSize(parts))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(rc)
		if !errors.Is(err, ErrAuthentication) || len(got) != 0 {
			t.Fatalf("%s: %d bytes, %v", name, len(got), err)
		}
	}
	two := append(bytes.Clone(cts[0]), cts[1]...)
	bad("parts listed in swapped order", []Part{parts[1], parts[0]}, two)
	bad("part 7 read as part 8", []Part{{8, 1, parts[3].Salt}}, cts[3])
	bad("part 7 with part 8's salt", []Part{{7, 1, parts[4].Salt}}, cts[3])
	if _, err := c.Part(0, newPartSalt()); !errors.Is(err, ErrInvalidRange) {
		t.Fatalf("part 0: %v", err)
	}
	if _, err := c.Part(MaxPartNumber+1, newPartSalt()); !errors.Is(err, ErrInvalidRange) {
		t.Fatalf("part 10001: %v", err)
	}
	if _, err := c.Part(1, make([]byte, 3)); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("short salt: %v", err)
	}
	pc, _ := c.Part(1, newPartSalt())
	if _, err := pc.Part(2, newPartSalt()); err == nil {
		t.Fatal("a part's cipher made parts")
	}
}

func (c *Cipher) partsPlainSize(parts []Part) int64 {
	var n int64
	for _, p := range parts {
		n += p.Size
	}
	return n
}

// TestPartsNeverShareKeystream: the parts of a multipart object share one
// data key, so their streams must not share a keystream: not two part
// numbers, not the same part number uploaded twice (S3 allows re-uploading a
// part; the replaced part's ciphertext may still be on a drive), not two
// chunks of one part.
func TestPartsNeverShareKeystream(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	plain := make([]byte, 2*cs) // zeros: the ciphertext is the keystream itself
	salt := newPartSalt()
	stream := func(n int, salt []byte) []byte {
		pc, err := c.Part(n, salt)
		if err != nil {
			t.Fatal(err)
		}
		return encrypt(t, pc, plain, 1<<20)
	}
	a, b, again := stream(1, salt), stream(2, salt), stream(1, newPartSalt())
	if bytes.Equal(a[:64], b[:64]) {
		t.Fatal("parts 1 and 2 share a keystream")
	}
	if bytes.Equal(a[:64], again[:64]) {
		t.Fatal("part 1 uploaded twice shares a keystream")
	}
	if bytes.Equal(a[:64], a[cs+TagSize:cs+TagSize+64]) {
		t.Fatal("chunks 0 and 1 share a keystream")
	}
	obj := encrypt(t, c, plain, 1<<20)
	if bytes.Equal(a[:64], obj[:64]) {
		t.Fatal("a part shares the object stream's keystream")
	}
}

// TestMultipartRandomRanges compares 300 random ranges of a multipart object
// (parts of awkward sizes, one empty) with the plaintext.
func TestMultipartRandomRanges(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	parts, plain, cts := uploadParts(t, c, []int{1, 2, 3, 4}, []int64{cs + 1, 3, 0, 2*cs - 1})
	ct := bytes.Join(cts, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	total := int64(len(plain))
	for range 300 {
		off := rng.Int64N(total + 1)
		length := rng.Int64N(total - off + 1)
		rc, err := c.DecryptParts(FetchFrom(bytes.NewReader(ct)), parts, off, length)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, plain[off:off+length]) {
			t.Fatalf("range %d+%d: %d bytes, %v", off, length, len(got), err)
		}
	}
}
