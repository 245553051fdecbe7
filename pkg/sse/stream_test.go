package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

const cs = DefaultChunkSize

var sizes = []int{0, 1, cs - 1, cs, cs + 1, 2*cs - 1, 2 * cs, 2*cs + 1, 5*cs + 12345}

func TestRoundTripSizes(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	for _, n := range sizes {
		for _, step := range []int{1 << 20, 1000, cs} {
			if n > 3*cs && step == 1000 {
				continue
			}
			t.Run(fmt.Sprintf("n=%d/step=%d", n, step), func(t *testing.T) {
				plain := payload(n, uint64(n))
				ct := encrypt(t, c, plain, step)
				if int64(len(ct)) != EncryptedSize(int64(n)) || int64(len(ct)) != c.EncryptedSize(int64(n)) {
					t.Fatalf("ciphertext %d bytes, EncryptedSize %d", len(ct), EncryptedSize(int64(n)))
				}
				if got, ok := PlaintextSize(int64(len(ct)), cs); !ok || got != int64(n) {
					t.Fatalf("PlaintextSize = %d, %v", got, ok)
				}
				if n > 16 && bytes.Contains(ct, plain[:16]) {
					t.Fatal("plaintext visible in ciphertext")
				}
				got, err := decryptAll(c, ct)
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("decrypt: %d bytes, %v", len(got), err)
				}
				got, err = decryptCopy(c, ct)
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("decrypt by WriteTo: %d bytes, %v", len(got), err)
				}
				// ReadFrom, fed in odd pieces, makes the same stream.
				src := io.Reader(iotest.HalfReader(bytes.NewReader(plain)))
				if n < 3*cs {
					src = iotest.OneByteReader(bytes.NewReader(plain))
				}
				if got := encryptFrom(t, c, struct{ io.Reader }{src}); !bytes.Equal(got, ct) {
					t.Fatalf("ReadFrom made another ciphertext (%d bytes)", len(got))
				}
				rc, err := c.DecryptRange(FetchFrom(bytes.NewReader(ct)), int64(n), 0, int64(n))
				if err != nil {
					t.Fatal(err)
				}
				got, err = io.ReadAll(rc)
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("DecryptRange whole: %d bytes, %v", len(got), err)
				}
			})
		}
	}
}

func TestEncryptedSize(t *testing.T) {
	for _, tc := range []struct{ n, want int64 }{
		{0, 16}, {1, 17}, {cs - 1, cs + 15}, {cs, cs + 16}, {cs + 1, cs + 33}, {5 << 30, 5<<30 + 16*(5<<30)/cs},
	} {
		if got := EncryptedSize(tc.n); got != tc.want {
			t.Errorf("EncryptedSize(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	for _, c := range []int64{0, 15, cs + 16 + 16, cs + 16 + 5} {
		if n, ok := PlaintextSize(c, cs); ok {
			t.Errorf("PlaintextSize(%d) = %d, want invalid", c, n)
		}
	}
}

// TestDecryptRange checks ranges starting and ending on, just before and just
// after chunk boundaries against the plaintext, and that only the needed
// ciphertext is fetched.
func TestDecryptRange(t *testing.T) {
	_, obj := mustCipher(t, testCtx)
	c, err := obj.Part(3, newPartSalt()) // a part's stream reads the same way
	if err != nil {
		t.Fatal(err)
	}
	n := 4*cs + 100
	plain := payload(n, 7)
	ct := encrypt(t, c, plain, 1<<20)
	var offs []int64
	for _, b := range []int64{0, cs, 2 * cs, 4 * cs} {
		for _, d := range []int64{-1, 0, 1} {
			if b+d >= 0 && b+d <= int64(n) {
				offs = append(offs, b+d)
			}
		}
	}
	offs = append(offs, int64(n))
	for _, off := range offs {
		for _, length := range []int64{0, 1, cs - 1, cs, cs + 1, 3 * cs, int64(n)} {
			length = min(length, int64(n)-off)
			var fetched int64
			fetch := func(start, end int64) (io.ReadCloser, error) {
				fetched += end - start
				return io.NopCloser(io.NewSectionReader(bytes.NewReader(ct), start, end-start)), nil
			}
			rc, err := c.DecryptRange(fetch, int64(n), off, length)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			if length%2 == 0 {
				got, err = io.ReadAll(rc)
			} else { // io.Copy: through WriteTo
				var b bytes.Buffer
				_, err = io.Copy(&b, rc)
				got = b.Bytes()
			}
			rc.Close()
			if err != nil || !bytes.Equal(got, plain[off:off+length]) {
				t.Fatalf("range %d+%d: %d bytes, %v", off, length, len(got), err)
			}
			if length > 0 {
				chunks := (off+length-1)/cs - off/cs + 1
				if fetched > chunks*(cs+TagSize) {
					t.Fatalf("range %d+%d fetched %d bytes for %d chunks", off, length, fetched, chunks)
				}
			} else if fetched != 0 {
				t.Fatalf("empty range fetched %d bytes", fetched)
			}
		}
	}
	for _, bad := range [][2]int64{{-1, 1}, {0, int64(n) + 1}, {int64(n), 1}, {1, -1}} {
		if _, err := c.DecryptRange(FetchFrom(bytes.NewReader(ct)), int64(n), bad[0], bad[1]); !errors.Is(err, ErrInvalidRange) {
			t.Errorf("range %v: err = %v, want ErrInvalidRange", bad, err)
		}
	}
}

// TestRangeWrongSize: a ranged read of the last chunk with a recorded size
// that is not the stream's fails to authenticate.
func TestRangeWrongSize(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	n := 2*cs + 10
	ct := encrypt(t, c, payload(n, 1), 1<<20)
	for _, size := range []int64{int64(n) - 1, 2 * cs} {
		rc, err := c.DecryptRange(FetchFrom(bytes.NewReader(ct)), size, size-1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(rc); !errors.Is(err, ErrAuthentication) {
			t.Fatalf("size %d: err = %v, want ErrAuthentication", size, err)
		}
	}
}

func TestTamper(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	n := 3*cs + 500
	plain := payload(n, 3)
	ct := encrypt(t, c, plain, 1<<20)
	full := cs + TagSize
	mutate := func(f func([]byte) []byte) []byte { return f(bytes.Clone(ct)) }
	cases := map[string][]byte{
		"flip first byte":       mutate(func(b []byte) []byte { b[0] ^= 1; return b }),
		"flip tag of chunk 1":   mutate(func(b []byte) []byte { b[2*full-1] ^= 0x80; return b }),
		"flip last byte":        mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }),
		"truncate last chunk":   ct[:3*full],
		"truncate mid chunk":    ct[:len(ct)-100],
		"drop to one tag short": ct[:len(ct)-1],
		"empty":                 nil,
		"extend":                append(bytes.Clone(ct), 0),
		"swap chunks 0 and 1": mutate(func(b []byte) []byte {
			tmp := bytes.Clone(b[:full])
			copy(b[:full], b[full:2*full])
			copy(b[full:2*full], tmp)
			return b
		}),
		"duplicate chunk 0": append(append(bytes.Clone(ct[:full]), ct[:full]...), ct[full:]...),
		"drop chunk 1":      append(bytes.Clone(ct[:full]), ct[2*full:]...),
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := decryptAll(c, bad)
			wantAuthFail(t, got, plain, err)
			got, err = decryptCopy(c, bad)
			wantAuthFail(t, got, plain, err)
		})
	}
	t.Run("ranged read of a flipped chunk", func(t *testing.T) {
		bad := cases["flip tag of chunk 1"]
		rc, err := c.DecryptRange(FetchFrom(bytes.NewReader(bad)), int64(n), cs+5, 10)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if !errors.Is(err, ErrAuthentication) || len(got) != 0 {
			t.Fatalf("got %d bytes, err %v", len(got), err)
		}
	})
	t.Run("read as a part", func(t *testing.T) {
		pc, err := c.Part(1, newPartSalt())
		if err != nil {
			t.Fatal(err)
		}
		got, err := decryptAll(pc, ct)
		wantAuthFail(t, got, plain, err)
	})
	t.Run("empty stream truncated to nothing", func(t *testing.T) {
		e := encrypt(t, c, nil, 1)
		if len(e) != TagSize {
			t.Fatalf("empty stream is %d bytes", len(e))
		}
		if got, err := decryptAll(c, e); err != nil || len(got) != 0 {
			t.Fatalf("empty: %v", err)
		}
		got, err := decryptAll(c, e[:0])
		wantAuthFail(t, got, nil, err)
	})
}

// TestMoveToOtherContext: the same record and ciphertext under another
// bucket, key or version do not open (the record is bound to its context),
// and a cipher for another context does not decrypt the chunks.
func TestMoveToOtherContext(t *testing.T) {
	master := mustMaster(t, 1)
	rec, c, err := NewS3(master, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	plain := payload(cs+10, 4)
	ct := encrypt(t, c, plain, 1<<20)
	others := []Context{
		{Bucket: "tenant-b/photos", Key: testCtx.Key, Version: testCtx.Version},
		{Bucket: testCtx.Bucket, Key: "2026/dog.jpg", Version: testCtx.Version},
		{Bucket: testCtx.Bucket, Key: testCtx.Key, Version: "v2"},
		{Bucket: testCtx.Bucket + "2026/", Key: "cat.jpg", Version: testCtx.Version}, // field boundary shift
	}
	for _, other := range others {
		if _, err := rec.Open(other, master); !errors.Is(err, ErrAuthentication) {
			t.Errorf("record opened under %+v: %v", other, err)
		}
		// A cipher with the same data key under another context: the chunks
		// themselves are bound too.
		moved, err := newCipher(c.dataKey, c.prefix[:], c.chunkSize, other)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decryptAll(moved, ct)
		wantAuthFail(t, got, plain, err)
	}
	c2, err := rec.Open(testCtx, master)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decryptAll(c2, ct); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("reopened: %v", err)
	}
}

// TestWriterBoundedMemory: each Write on dst carries at most one chunk, and
// Write after Close fails.
func TestWriterChunks(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	var sizes []int
	w, _ := c.NewWriter(writerFunc(func(p []byte) (int, error) { sizes = append(sizes, len(p)); return len(p), nil }))
	_, _ = w.Write(payload(3*cs, 1))
	if len(sizes) != 2 {
		t.Fatalf("%d chunks before Close, want 2 (the last full one may be final)", len(sizes))
	}
	w.Close()
	if len(sizes) != 3 || sizes[2] != cs+TagSize {
		t.Fatalf("chunk writes %v", sizes)
	}
	if _, err := w.Write([]byte{1}); err == nil {
		t.Fatal("Write after Close succeeded")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestWriterError: a failing destination fails the writer for good.
func TestWriterError(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	boom := errors.New("disk gone")
	w, _ := c.NewWriter(writerFunc(func([]byte) (int, error) { return 0, boom }))
	_, _ = w.Write(payload(cs+1, 1))
	if err := w.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close = %v, want %v", err, boom)
	}
}

// TestWriteOnce: a stream is written once. A second writer on a new cipher,
// or a writer on a cipher opened from a record or for reading a part, would
// reuse the stream's nonces under its key.
func TestWriteOnce(t *testing.T) {
	master := mustMaster(t, 1)
	rec, c, err := NewS3(master, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.NewWriter(io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NewWriter(io.Discard); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("second writer: %v", err)
	}
	opened, err := rec.Open(testCtx, master)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := opened.NewWriter(io.Discard); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("writer on an opened cipher: %v", err)
	}
	pc, salt, err := opened.NewPart(4) // UploadPart: the upload's record, opened
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.NewWriter(io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.NewWriter(io.Discard); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("second writer of a part: %v", err)
	}
	reread, _ := opened.Part(4, salt)
	if _, err := reread.NewWriter(io.Discard); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("writer on a part opened for reading: %v", err)
	}
	ck, _ := NewCustomerKey(make([]byte, 32))
	_, cc, _ := NewCustomer(ck, testCtx)
	if _, err := cc.NewWriter(io.Discard); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentReads: one Cipher serves many readers at once (GET requests
// of one object share the opened record's cipher).
func TestConcurrentReads(t *testing.T) {
	_, c := mustCipher(t, testCtx)
	n := 3*cs + 9
	plain := payload(n, 8)
	ct := encrypt(t, c, plain, 1<<20)
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			off := int64(g * cs / 3)
			rc, err := c.DecryptRange(FetchFrom(bytes.NewReader(ct)), int64(n), off, int64(n)-off)
			if err == nil {
				var got []byte
				got, err = io.ReadAll(rc)
				if err == nil && !bytes.Equal(got, plain[off:]) {
					err = fmt.Errorf("reader %d: wrong bytes", g)
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
