package reliability

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSIGTERMWithStuckRequest: SIGTERM ends the process within the shutdown
// grace plus the bounded store close, even while a request is stuck. The
// stuck request is the one issue 12 found: ListMultipartUploads with a
// prefix ending in NUL spun forever inside an index read transaction, so
// closing the index (and the process's exit) waited forever. Where storage
// no longer hangs on it, the test still holds a trickling upload in flight
// across the SIGTERM. COFFER_SHUTDOWN_GRACE=2s is set through the
// environment, so an older binary (30 s grace) still starts.
func TestSIGTERMWithStuckRequest(t *testing.T) {
	const grace = 2 * time.Second
	srv := newCoffer(t, 4, 2, "--scrub-interval", "-1s")
	srv.Env = append(srv.Env, "COFFER_SHUTDOWN_GRACE="+grace.String())
	srv.start(true)
	keys := srv.newTenant("stuck")
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String("box"), Key: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	inFlight := func() float64 {
		v, _ := metricWith(srv.metrics(), "coffer_s3_requests_in_flight")
		return v
	}

	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	listed := make(chan error, 1)
	go func() {
		_, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("box"), Prefix: aws.String("a\x00")})
		listed <- err
	}()
	stuck := false
	deadline := time.Now().Add(5 * time.Second)
wait:
	for time.Now().Before(deadline) {
		select {
		case err := <-listed:
			t.Logf("the NUL-prefix listing answered (%v): holding a trickling upload in flight instead", err)
			break wait
		case <-time.After(200 * time.Millisecond):
		}
		stuck = inFlight() >= 1
	}
	if !stuck {
		conn := rawPresigned(t, c, "PUT", "box", "slow", "Content-Length: 1000000\r\n")
		done := make(chan struct{})
		defer close(done)
		go trickle(conn, 4<<10, 1000000, done)
		waitDeadline := time.Now().Add(10 * time.Second)
		for inFlight() < 1 {
			if time.Now().After(waitDeadline) {
				t.Fatal("the trickling upload never showed in flight")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Bound: grace, 5 s for the store close, and slack for a loaded machine.
	bound := grace + 5*time.Second + 15*time.Second
	start := time.Now()
	_ = srv.cmd.Process.Signal(syscall.SIGTERM) // fails only when it already exited, which waitDone reports
	select {
	case <-srv.waitDone:
		t.Logf("the process exited %v after SIGTERM (%v)", time.Since(start).Round(100*time.Millisecond), srv.waitErr)
	case <-time.After(bound):
		srv.kill()
		t.Fatalf("the process was still running %v after SIGTERM with a request in flight (stuck listing: %v)", bound, stuck)
	}
	if stuck && !strings.Contains(srv.logs.String(), "stuck") {
		t.Errorf("the exit does not say what was stuck; log:\n%s", tail(srv.logs.String(), 2000))
	}
}
