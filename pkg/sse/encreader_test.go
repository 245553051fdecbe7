package sse

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// The encrypting reader yields exactly the writer's stream, for every
// size around chunk boundaries and however src splits its reads, and the
// stream decrypts back.
func TestEncryptingReaderMatchesWriter(t *testing.T) {
	for _, n := range []int{0, 1, DefaultChunkSize - 1, DefaultChunkSize, DefaultChunkSize + 1, 2 * DefaultChunkSize, 3*DefaultChunkSize + 5} {
		plain := payload(n, uint64(n))
		rec, c := mustCipher(t, testCtx)
		want := encrypt(t, c, plain, 1000)
		for name, src := range map[string]io.Reader{
			"whole":    bytes.NewReader(plain),
			"one-byte": iotest.OneByteReader(bytes.NewReader(plain)),
			"half":     iotest.HalfReader(bytes.NewReader(plain)),
		} {
			er, err := rewritable(c).NewEncryptingReader(src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(iotest.OneByteReader(er))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%d bytes, %s: %d bytes (want %d), %v", n, name, len(got), len(want), err)
			}
		}
		oc, err := rec.Open(testCtx, mustMaster(t, 1))
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(oc.NewReader(bytes.NewReader(want)))
		if err != nil || !bytes.Equal(back, plain) {
			t.Fatalf("%d bytes: decrypt: %v", n, err)
		}
	}
}

// A stream is encrypted once; src's errors come out as they are.
func TestEncryptingReaderOnceAndErrors(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	if _, err := c.NewEncryptingReader(bytes.NewReader(nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NewEncryptingReader(bytes.NewReader(nil)); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("second reader: %v", err)
	}
	boom := errors.New("boom")
	er, err := rewritable(c).NewEncryptingReader(io.MultiReader(bytes.NewReader(payload(100000, 1)), iotest.ErrReader(boom)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(er); !errors.Is(err, boom) {
		t.Fatalf("src error: %v", err)
	}
}
