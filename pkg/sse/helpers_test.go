package sse

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

var testCtx = Context{Bucket: "tenant-a/photos", Key: "2026/cat.jpg", Version: "v1"}

// payload returns n reproducible pseudo-random bytes.
func payload(n int, seed uint64) []byte {
	b := make([]byte, n)
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	rand.NewChaCha8(s).Read(b)
	return b
}

func mustMaster(t testing.TB, fill byte) *MasterKey {
	t.Helper()
	k, err := NewMasterKey(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mustCipher returns a fresh SSE-S3 cipher for ctx.
func mustCipher(t testing.TB, ctx Context) (*Record, *Cipher) {
	t.Helper()
	r, c, err := NewS3(mustMaster(t, 1), ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

// encrypt writes plain through the cipher in writes of step bytes.
func encrypt(t testing.TB, c *Cipher, plain []byte, step int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := rewritable(c).NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	for p := plain; len(p) > 0; {
		k := min(step, len(p))
		if n, err := w.Write(p[:k]); err != nil || n != k {
			t.Fatalf("Write: %d, %v", n, err)
		}
		p = p[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// encryptFrom encrypts plain through the writer's ReadFrom (what io.Copy
// uses) from a reader that returns what it likes per Read.
func encryptFrom(t testing.TB, c *Cipher, src io.Reader) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := rewritable(c).NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// decryptCopy decrypts through the reader's WriteTo (what io.Copy uses).
func decryptCopy(c *Cipher, ct []byte) ([]byte, error) {
	var out bytes.Buffer
	_, err := io.Copy(&out, c.NewReader(bytes.NewReader(ct)))
	return out.Bytes(), err
}

// rewritable returns c able to write one more stream. Tests encrypt many
// plaintexts under one key to compare them; production code never may.
func rewritable(c *Cipher) *Cipher {
	d := *c
	d.unwritten = newUnwritten()
	return &d
}

func decryptAll(c *Cipher, ct []byte) ([]byte, error) {
	return io.ReadAll(c.NewReader(bytes.NewReader(ct)))
}

// wantAuthFail asserts err is ErrAuthentication and no wrong bytes came out:
// got must be a prefix of the true plaintext (whole earlier chunks at most).
func wantAuthFail(t *testing.T, got, plain []byte, err error) {
	t.Helper()
	if !errors.Is(err, ErrAuthentication) {
		t.Fatalf("err = %v, want ErrAuthentication", err)
	}
	if !bytes.HasPrefix(plain, got) {
		t.Fatalf("returned %d bytes that are not a prefix of the plaintext", len(got))
	}
}
