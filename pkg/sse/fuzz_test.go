package sse

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"testing"
)

// fuzzChunk is small so fuzzed inputs of a few hundred bytes span many
// chunks; the code paths are the same at every chunk size.
const fuzzChunk = 64

func fuzzCipher(t testing.TB) *Cipher {
	c, err := newCipher(bytes.Repeat([]byte{7}, 32), []byte{1, 2, 3, 4, 5}, fuzzChunk, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pattern is the plaintext every fuzz seed encrypts: byte i depends on i, so
// a chunk returned at the wrong position shows.
func pattern(i int64) byte { return byte(i*31 + i>>6 + 3) }

func patternBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = pattern(int64(i))
	}
	return b
}

// checkPattern fails if any returned byte is not the plaintext at its offset:
// with no key, no input can make the decoder produce other bytes.
func checkPattern(t *testing.T, got []byte, off int64) {
	t.Helper()
	for i, b := range got {
		if b != pattern(off+int64(i)) {
			t.Fatalf("byte %d of output (offset %d) is %#x, not the authenticated plaintext %#x", i, off+int64(i), b, pattern(off+int64(i)))
		}
	}
}

// FuzzDecryptStream feeds arbitrary ciphertext to the stream reader and the
// ranged reader: they never panic, return only authenticated bytes at their
// true offsets, and succeed only on a stream whose size is a valid
// EncryptedSize.
func FuzzDecryptStream(f *testing.F) {
	c := fuzzCipher(f)
	for _, n := range []int{0, 1, fuzzChunk - 1, fuzzChunk, fuzzChunk + 1, 3*fuzzChunk + 5} {
		ct := encrypt(f, c, patternBytes(n), 1<<20)
		f.Add(ct, uint16(0), uint16(n))
		f.Add(ct, uint16(n/2), uint16(fuzzChunk))
		if len(ct) > 20 {
			bad := bytes.Clone(ct)
			bad[len(bad)/2] ^= 1
			f.Add(bad, uint16(1), uint16(2))
			f.Add(ct[:len(ct)-1], uint16(0), uint16(1))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, off16, len16 uint16) {
		r := c.NewReader(bytes.NewReader(data))
		got, err := io.ReadAll(r)
		checkPattern(t, got, 0)
		var copied bytes.Buffer
		_, cerr := io.Copy(&copied, c.NewReader(bytes.NewReader(data)))
		checkPattern(t, copied.Bytes(), 0)
		if (cerr == nil) != (err == nil) || !bytes.Equal(copied.Bytes(), got) {
			t.Fatalf("WriteTo and Read disagree: %v / %v", cerr, err)
		}
		plainSize, sizeOK := PlaintextSize(int64(len(data)), fuzzChunk)
		if err == nil && (!sizeOK || int64(len(got)) != plainSize) {
			t.Fatalf("accepted %d ciphertext bytes as %d plaintext bytes (valid size %v %d)", len(data), len(got), sizeOK, plainSize)
		}
		if err != nil && !errors.Is(err, ErrAuthentication) {
			t.Fatalf("unexpected error %v", err)
		}
		if !sizeOK {
			return
		}
		off := int64(off16) % (plainSize + 1)
		length := int64(len16) % (plainSize - off + 1)
		rc, err := c.DecryptRange(FetchFrom(bytes.NewReader(data)), plainSize, off, length)
		if err != nil {
			t.Fatal(err)
		}
		got, err = io.ReadAll(rc)
		checkPattern(t, got, off)
		if err == nil && int64(len(got)) != length {
			t.Fatalf("range %d+%d returned %d bytes", off, length, len(got))
		}
		if err != nil && !errors.Is(err, ErrAuthentication) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzRecord decodes arbitrary records and, when one validates, opens it and
// decrypts with it: nothing panics, and a record made by no key never opens.
func FuzzRecord(f *testing.F) {
	master := mustMaster(f, 1)
	ck, _ := NewCustomerKey(bytes.Repeat([]byte{2}, 32))
	rs, cs3, _ := NewS3(master, testCtx)
	rc, _, _ := NewCustomer(ck, testCtx)
	ct := encrypt(f, cs3, patternBytes(100), 1<<20)
	for _, r := range []*Record{rs, rc} {
		b, _ := r.Marshal()
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(`{"format":1,"alg":"SSE-S3","kid":"0000000000000000","sealed":"","nonce":"","chunk":4096}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Unmarshal(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("Unmarshal error %v is not ErrInvalidRecord", err)
			}
			return
		}
		if b, err := r.Marshal(); err != nil {
			t.Fatalf("valid record does not marshal: %v", err)
		} else if r2, err := Unmarshal(b); err != nil || r2.Validate() != nil {
			t.Fatalf("re-marshalled record invalid: %v", err)
		}
		c, err := r.Open(testCtx, master)
		if err != nil {
			c, err = r.OpenCustomer(testCtx, ck)
		}
		if err != nil {
			return
		}
		rd := c.NewReader(bytes.NewReader(ct))
		got, err := io.ReadAll(rd)
		if err == nil && !bytes.Equal(got, patternBytes(100)) {
			t.Fatal("decrypted to wrong bytes")
		}
		if err != nil && !errors.Is(err, ErrAuthentication) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzSSECHeaders: the SSE header parsers never panic; a key they accept is
// 32 bytes whose MD5 is the one sent, and every rejection is a HeaderError.
func FuzzSSECHeaders(f *testing.F) {
	key := bytes.Repeat([]byte{3}, 32)
	sum := md5.Sum(key)
	k64, m64 := base64.StdEncoding.EncodeToString(key), base64.StdEncoding.EncodeToString(sum[:])
	f.Add("AES256", k64, m64, "", false)
	f.Add("AES256", k64, m64, "AES256", true)
	f.Add("", k64, "", "aws:kms", false)
	f.Add("AES256", k64[:10], m64, "", false)
	f.Add("AES256", k64, m64[:4], "x", false)
	f.Fuzz(func(t *testing.T, alg, k, m, sse string, copySource bool) {
		h := http.Header{}
		if copySource {
			h[HeaderCopyCustomerAlgorithm] = []string{alg}
			h[HeaderCopyCustomerKey] = []string{k}
			h[HeaderCopyCustomerKeyMD5] = []string{m}
		} else {
			h[HeaderCustomerAlgorithm] = []string{alg}
			h[HeaderCustomerKey] = []string{k}
			h[HeaderCustomerKeyMD5] = []string{m}
		}
		h[HeaderSSE] = []string{sse}
		ck, err := ParseCustomerKey(h, copySource)
		var he *HeaderError
		switch {
		case err != nil:
			if !errors.As(err, &he) || he.Code == "" || he.Message == "" || he.Status != 400 || ck != nil {
				t.Fatalf("rejection %v (%T), key %v", err, err, ck)
			}
		case ck != nil:
			raw, derr := base64.StdEncoding.DecodeString(k)
			if derr != nil || len(raw) != 32 || alg != "AES256" || ck.KeyMD5() != base64.StdEncoding.EncodeToString(md5Sum(raw)) {
				t.Fatalf("accepted alg %q key %q md5 %q", alg, k, m)
			}
			want, _ := base64.StdEncoding.DecodeString(m)
			if !bytes.Equal(want, md5Sum(raw)) {
				t.Fatalf("accepted a key whose MD5 is not %q", m)
			}
		default:
			if alg != "" || k != "" || m != "" {
				t.Fatalf("headers %q %q %q ignored", alg, k, m)
			}
		}
		if _, _, err := ParseMethod(h); err != nil && !errors.As(err, &he) {
			t.Fatalf("ParseMethod error %v is not a HeaderError", err)
		}
	})
}
