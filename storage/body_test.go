package storage

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	md5simd "github.com/minio/md5-simd"

	"github.com/cofferstore/coffer/pkg/checksum"
)

// TestNewMD5Choice checks which MD5 a body gets: crypto/md5 for small
// bodies and while fewer than simdMD5From large ones hash at once, the
// multi-stream server from then on and for a while after, and that every
// large body is counted until its reader is closed.
func TestNewMD5Choice(t *testing.T) {
	if n := largeBodies.Load(); n != 0 {
		t.Fatalf("largeBodies = %d before the test", n)
	}
	simdBusyUntil.Store(0)
	defer simdBusyUntil.Store(0)
	stdType := fmt.Sprintf("%T", md5simd.StdlibHasher())
	if h, counted := newMD5(inlineMax); counted || fmt.Sprintf("%T", h) != stdType {
		t.Fatalf("small body: %T counted=%v, want crypto/md5 uncounted", h, counted)
	}
	var open []*bodyReader
	for i := 1; i <= simdMD5From+1; i++ {
		br, err := newBodyReader(nil, PutOptions{Size: -1})
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, br)
		isStd := fmt.Sprintf("%T", br.md5) == stdType
		if want := i < simdMD5From; isStd != want {
			t.Fatalf("large body %d: crypto/md5 = %v, want %v", i, isStd, want)
		}
		if n := largeBodies.Load(); n != int32(i) {
			t.Fatalf("largeBodies = %d with %d open, want %d", n, i, i)
		}
	}
	for _, br := range open {
		br.close()
		br.close() // idempotent
	}
	if n := largeBodies.Load(); n != 0 {
		t.Fatalf("largeBodies = %d after close, want 0", n)
	}
	// Right after a busy spell a lone body still joins the server ...
	br, err := newBodyReader(nil, PutOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%T", br.md5) == stdType {
		t.Fatal("lone body right after simdMD5From concurrent ones got crypto/md5")
	}
	br.close()
	// ... and once the spell has passed it hashes in line again.
	simdBusyUntil.Store(time.Now().Add(-time.Millisecond).UnixNano())
	br, err = newBodyReader(nil, PutOptions{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%T", br.md5) != stdType {
		t.Fatal("lone body after the busy spell did not get crypto/md5")
	}
	br.close()
	// A reader that fails to start releases its count.
	if _, err := newBodyReader(nil, PutOptions{Size: 1 << 20, Checksum: checksum.Algorithm("NOPE")}); err == nil {
		t.Fatal("unknown checksum accepted")
	}
	if n := largeBodies.Load(); n != 0 {
		t.Fatalf("largeBodies = %d after a failed newBodyReader, want 0", n)
	}
}

// TestPutETagBothMD5Paths streams simdMD5From+1 large bodies at once, so
// the first ones hash with crypto/md5 and the last with md5-simd's
// server, and checks every ETag and body.
func TestPutETagBothMD5Paths(t *testing.T) {
	simdBusyUntil.Store(0)
	defer simdBusyUntil.Store(0)
	ts := newTestStore(t, 4)
	n := simdMD5From + 1
	size := inlineMax + 300<<10 + 17
	type result struct {
		info ObjectInfo
		err  error
	}
	results := make([]chan result, n)
	pipes := make([]*io.PipeWriter, n)
	datas := make([][]byte, n)
	for i := range n {
		datas[i] = randBytes(uint64(100+i), size)
		pr, pw := io.Pipe()
		pipes[i] = pw
		results[i] = make(chan result, 1)
		go func() {
			info, err := ts.PutObject(context.Background(), "acme", "bkt", fmt.Sprint("k", i), pr, PutOptions{Size: int64(size)})
			pr.CloseWithError(err)
			results[i] <- result{info, err}
		}()
		// The first bytes start the body's hash; wait until it is counted
		// so the next body sees it.
		if _, err := pipes[i].Write(datas[i][:1000]); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for largeBodies.Load() != int32(i+1) {
			if time.Now().After(deadline) {
				t.Fatalf("largeBodies = %d, want %d", largeBodies.Load(), i+1)
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i, pw := range pipes {
		go func() {
			_, err := pw.Write(datas[i][1000:])
			pw.CloseWithError(err)
		}()
	}
	for i := range n {
		r := <-results[i]
		if r.err != nil {
			t.Fatalf("PutObject %d: %v", i, r.err)
		}
		if want := md5hex(datas[i]); r.info.ETag != want {
			t.Errorf("PutObject %d: ETag %s, want %s", i, r.info.ETag, want)
		}
		ts.mustRead(fmt.Sprint("k", i), datas[i])
	}
	if got := largeBodies.Load(); got != 0 {
		t.Fatalf("largeBodies = %d after the uploads, want 0", got)
	}
}
