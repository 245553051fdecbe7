package s3api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestWriteLimiterCaps: a tenant gets at most PerTenant slots, all tenants
// together at most Total; a release gives back exactly one slot, however
// often called, and a refused acquire holds none.
func TestWriteLimiterCaps(t *testing.T) {
	l := newWriteLimiter(WriteLimits{Total: 3, PerTenant: 2})
	a1, err := l.acquire("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire("a"); err != errSlowDown {
		t.Fatalf("third write of tenant a: %v, want SlowDown (per-tenant cap 2)", err)
	}
	b1, err := l.acquire("b")
	if err != nil {
		t.Fatalf("tenant b while a is at its cap: %v", err)
	}
	if _, err := l.acquire("c"); err != errSlowDown {
		t.Fatalf("tenant c at the total cap: %v, want SlowDown", err)
	}
	if total, a := l.inFlight("a"); total != 3 || a != 2 {
		t.Fatalf("in flight %d total, %d for a; want 3, 2", total, a)
	}
	a1()
	a1() // idempotent
	b1()
	if total, a := l.inFlight("a"); total != 1 || a != 1 {
		t.Fatalf("after releases: %d total, %d for a; want 1, 1", total, a)
	}
	if _, err := l.acquire("c"); err != nil {
		t.Fatalf("tenant c after releases: %v", err)
	}

	unlimited := newWriteLimiter(WriteLimits{})
	for i := 0; i < 1000; i++ {
		if _, err := unlimited.acquire("a"); err != nil {
			t.Fatalf("zero limits must not cap: %v", err)
		}
	}
}

// TestLimitWritesReleases: the slot of a write handler is released when it
// returns, with an error or by panicking; a refused write never runs the
// handler and renders as 503 SlowDown; reads take no slot.
func TestLimitWritesReleases(t *testing.T) {
	s := &server{writes: newWriteLimiter(WriteLimits{Total: 1, PerTenant: 1})}
	rq := &request{tenant: "a"}
	req := httptest.NewRequest("PUT", "/b/k", nil)
	w := httptest.NewRecorder()
	boom := errors.New("storage failed")

	ran := 0
	failing := s.limitWrites("PutObject", func(http.ResponseWriter, *http.Request, *request) error {
		ran++
		if total, _ := s.writes.inFlight("a"); total != 1 {
			t.Errorf("inside the handler %d writes in flight, want 1", total)
		}
		return boom
	})
	if err := failing(w, req, rq); err != boom {
		t.Fatalf("handler error: %v", err)
	}
	panicking := s.limitWrites("UploadPart", func(http.ResponseWriter, *http.Request, *request) error {
		ran++
		panic(http.ErrAbortHandler)
	})
	func() {
		defer func() { recover() }()
		_ = panicking(w, req, rq) // panics before it returns
	}()
	if total, _ := s.writes.inFlight("a"); total != 0 || ran != 2 {
		t.Fatalf("after error and panic: %d in flight, %d runs; want 0, 2", total, ran)
	}

	// Hold the only slot: the next write is refused without running.
	hold, _ := s.writes.acquire("a")
	if err := failing(w, req, rq); err != errSlowDown || ran != 2 {
		t.Fatalf("write at the cap: %v (ran %d), want SlowDown without running", err, ran)
	}
	read := s.limitWrites("GetObject", func(http.ResponseWriter, *http.Request, *request) error { return nil })
	if err := read(w, req, rq); err != nil {
		t.Fatalf("a read at the write cap: %v", err)
	}
	hold()

	ae := toAPIError(errSlowDown)
	if ae.Code != "SlowDown" || ae.Status != http.StatusServiceUnavailable || ae.Message != "Please reduce your request rate." {
		t.Fatalf("SlowDown renders as %+v", ae)
	}
}

// TestWriteLimiterWaits: a write beyond a cap waits for a slot: it gets the
// one a release frees, is refused with SlowDown once the wait is over, and
// gives up at once when its request ends.
func TestWriteLimiterWaits(t *testing.T) {
	l := newWriteLimiter(WriteLimits{Total: 1, PerTenant: 1, Wait: time.Minute})
	held, err := l.acquire("a")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		release, err := l.acquireWait(context.Background(), "a")
		if err == nil {
			release()
		}
		got <- err
	}()
	held() // the waiter takes the freed slot
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("waiting write after a release: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a released slot did not reach the waiting write")
	}

	held, _ = l.acquire("a")
	defer held()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, err := l.acquireWait(ctx, "a"); got <- err }()
	cancel()
	select {
	case err := <-got:
		if err != errSlowDown {
			t.Fatalf("cancelled wait: %v, want SlowDown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a cancelled request kept waiting for a slot")
	}

	short := newWriteLimiter(WriteLimits{Total: 1, Wait: 20 * time.Millisecond})
	hold, _ := short.acquire("a")
	defer hold()
	if _, err := short.acquireWait(context.Background(), "b"); err != errSlowDown {
		t.Fatalf("after the wait: %v, want SlowDown", err)
	}
	if total, _ := short.inFlight("b"); total != 1 {
		t.Fatalf("a refused wait took a slot: %d in flight", total)
	}
}

// TestWriteBurstQueues: more concurrent writers of one tenant than its
// slots all succeed through the SDK: the writes beyond the cap wait for a
// slot instead of failing, and the cap holds meanwhile.
func TestWriteBurstQueues(t *testing.T) {
	e := newEnvWith(t, envOptions{writes: WriteLimits{Total: 8, PerTenant: 2, Wait: 30 * time.Second}})
	c := e.client("alpha", sdkDefault)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("burst")}); err != nil {
		t.Fatal(err)
	}
	const writers = 16
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			body := bytes.Repeat([]byte{byte(i)}, 256<<10)
			// No SDK retry: a SlowDown must not be hidden by one.
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("burst"), Key: aws.String(fmt.Sprintf("k%02d", i)), Body: bytes.NewReader(body)},
				func(o *s3.Options) { o.RetryMaxAttempts = 1 })
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Errorf("write in a burst of %d over 2 slots: %v", writers, err)
		}
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("burst")})
	if err != nil || len(list.Contents) != writers {
		t.Fatalf("after the burst: %d objects, %v", len(list.Contents), err)
	}
}
