package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// localPacks returns the pack logs of the store's local drives.
func localPacks(s *Store) []*packSegments {
	var out []*packSegments
	for _, d := range s.drives {
		if ld, ok := d.(*countedDrive).Drive.(*localDrive); ok {
			out = append(out, ld.packs)
		}
	}
	return out
}

// announced is how many announced appends and index commits the store's
// batches still wait for, and how many one small PUT announces.
func announced(s *Store) (n, perPut int) {
	for _, p := range localPacks(s) {
		n += p.appends.Coming()
		perPut++
	}
	if x := s.raw; x != nil && x.commit != nil {
		n += x.commit.batch.Coming()
		perPut++
	}
	return n, perPut
}

func announcedLeft(s *Store) int {
	n, _ := announced(s)
	return n
}

// gatedBody is a body whose first Read waits for open, then reads data
// (or fails with err).
type gatedBody struct {
	open chan struct{}
	r    io.Reader
	err  error
}

func newGatedBody(data []byte, err error) *gatedBody {
	return &gatedBody{open: make(chan struct{}), r: bytes.NewReader(data), err: err}
}

func (b *gatedBody) Read(p []byte) (int, error) {
	<-b.open
	if b.err != nil {
		return 0, b.err
	}
	return b.r.Read(p)
}

// A small PUT announces its pack appends (and index commit, off the fast
// path) before it reads
// its body, and a batch waits for announced appends: a PUT whose body is
// still arriving holds the batch of a PUT that is ready, and both share one
// fdatasync.
func TestAnnouncedAppendsShareABatch(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.testPackGatherWait = time.Minute })
	ctx := context.Background()
	a, b := randBytes(1, 3000), randBytes(2, 3000)
	before := localPacks(ts.Store)[0].batches.Load()

	slow := newGatedBody(a, nil)
	slowDone := make(chan error, 1)
	go func() {
		_, err := ts.PutObject(ctx, "acme", "bkt", "slow", slow, PutOptions{Size: int64(len(a))})
		slowDone <- err
	}()
	waitFor(t, "the slow PUT's announcements", func() bool {
		n, perPut := announced(ts.Store)
		if ts.fast != nil {
			perPut-- // its index commit is the fast log applier's: not announced
		}
		return n == perPut // every drive's append and the index commit
	})

	readyDone := make(chan error, 1)
	go func() {
		_, err := ts.PutObject(ctx, "acme", "bkt", "ready", bytes.NewReader(b), PutOptions{Size: int64(len(b))})
		readyDone <- err
	}()
	select {
	case err := <-readyDone:
		t.Fatalf("the ready PUT returned (%v) while an announced append was on its way", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(slow.open)
	must(t, <-slowDone)
	must(t, <-readyDone)
	if n := localPacks(ts.Store)[0].batches.Load() - before; n != 1 {
		t.Fatalf("drive 0 wrote %d batches for the two PUTs, want 1", n)
	}
	ts.mustRead("slow", a)
	ts.mustRead("ready", b)
	if n := announcedLeft(ts.Store); n != 0 {
		t.Fatalf("%d announcements left", n)
	}
}

// Every way a PUT ends withdraws what it announced: a stray announcement
// would make every later batch wait its full MaxWait (here a minute).
func TestAnnouncementsAreWithdrawn(t *testing.T) {
	ts := newTestStore(t, 4, func(c *Config) { c.testPackGatherWait = time.Minute })
	ctx := context.Background()
	small := randBytes(3, 2000)
	errBody := errors.New("client went away")
	cases := []struct {
		name   string
		bucket string
		body   io.Reader
		opts   PutOptions
		fails  bool
	}{
		{"small", "bkt", bytes.NewReader(small), PutOptions{Size: 2000}, false},
		{"no such bucket", "nope", bytes.NewReader(small), PutOptions{Size: 2000}, true},
		{"body ends early", "bkt", bytes.NewReader(small[:100]), PutOptions{Size: 2000}, true},
		{"body fails", "bkt", &gatedBody{open: closedChan(), err: errBody}, PutOptions{Size: 2000}, true},
		{"body runs long", "bkt", bytes.NewReader(small), PutOptions{Size: 1000}, true},
		{"precondition fails", "bkt", bytes.NewReader(small), PutOptions{Size: 2000, Precondition: func(*ObjectInfo) error { return errRefused }}, true},
		{"size unknown", "bkt", bytes.NewReader(small), PutOptions{Size: -1}, false},
		{"large", "bkt", bytes.NewReader(randBytes(4, inlineMax+1)), PutOptions{Size: inlineMax + 1}, false},
		{"Content-MD5 mismatch", "bkt", bytes.NewReader(small), PutOptions{Size: 2000, ContentMD5: make([]byte, 16)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := ts.PutObject(ctx, "acme", c.bucket, "k", c.body, c.opts)
				done <- err
			}()
			select {
			case err := <-done:
				if (err != nil) != c.fails {
					t.Fatalf("err = %v, want failure %v", err, c.fails)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the PUT waited for an announcement")
			}
			if n := announcedLeft(ts.Store); n != 0 {
				t.Fatalf("%d announcements left", n)
			}
		})
	}
	// And a lone PUT still commits without waiting.
	start := time.Now()
	ts.put("after", small)
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("a lone PUT took %v", d)
	}
}

var errRefused = errors.New("refused")

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
