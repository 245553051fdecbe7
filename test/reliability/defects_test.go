package reliability

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Regression tests for defects this suite found (all three are fixed; see
// docs/reliability.md). The quick ones run by default; the slow-body one
// waits out the server's 30 s body deadline, so it runs with COFFER_DEFECTS=1
// (which `make reliability` sets).

func needDefects(t *testing.T) {
	if os.Getenv("COFFER_DEFECTS") == "" {
		t.Skip("slow regression test (30 s); set COFFER_DEFECTS=1 to run")
	}
}

// TestDefectInvalidUTF8KeyErrorCode: a 2-byte key that is not UTF-8 is
// answered "KeyTooLongError" (s3api/errors.go maps every
// storage.ErrInvalidObjectName to it). S3 answers 400 InvalidURI ("Couldn't
// parse the specified URI.") for keys it cannot decode; KeyTooLongError is
// only for keys over 1024 bytes.
func TestDefectInvalidUTF8KeyErrorCode(t *testing.T) {
	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s")
	keys := srv.newTenant("utf8")
	if _, err := srv.s3(keys).CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/box/%FF%FE", "/box/a%C0%AFb"} {
		r := srv.rawS3(t, keys, "PUT", p, "", nil, []byte("x"))
		if r.Status != 400 || r.Code != "InvalidURI" && r.Code != "InvalidArgument" {
			t.Errorf("PUT %s: %d %s, want 400 InvalidURI (or InvalidArgument), not a key-length error", p, r.Status, r.Code)
		}
	}
	// A key over 1024 bytes keeps KeyTooLongError.
	long := "/box/" + fmt.Sprintf("%01025d", 0)
	if r := srv.rawS3(t, keys, "PUT", long, "", nil, []byte("x")); r.Status != 400 || r.Code != "KeyTooLongError" {
		t.Errorf("PUT 1025-byte key: %d %s", r.Status, r.Code)
	}
}

// TestSlowBodyIsCut: a client that sends headers and then trickles the body
// (one byte every 5 s) must not hold a connection and a request goroutine
// forever. internal/server/server.go sets only ReadHeaderTimeout and
// IdleTimeout (no read deadline for bodies, by design for slow big uploads)
// and nothing in s3api extends a per-read deadline, so the trickle is never
// cut. S3 answers 400 RequestTimeout when the socket is idle for ~20 s.
// COFFER_SLOW_BODY_LIMIT (default 90s) bounds the wait.
func TestSlowBodyIsCut(t *testing.T) {
	needDefects(t)
	limit := envDuration("COFFER_SLOW_BODY_LIMIT", 90*time.Second)
	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s")
	keys := srv.newTenant("slowbody")
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatal(err)
	}
	conn := rawPresigned(t, c, "PUT", "box", "slow", "Content-Length: 1000000\r\n")
	start := time.Now()
	br := bufio.NewReader(conn)
	for {
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := conn.Write([]byte("x")); err != nil {
			break
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if resp, err := http.ReadResponse(br, nil); err == nil {
			t.Logf("slow body answered %d after %v", resp.StatusCode, time.Since(start).Round(time.Second))
			if resp.StatusCode != 400 {
				t.Errorf("slow body: status %d, want 400 RequestTimeout", resp.StatusCode)
			}
			break
		} else if !isTimeout(err) {
			break
		}
		if time.Since(start) > limit {
			t.Fatalf("the server kept a trickled body (1 byte / 5 s) open for %v without a timeout", time.Since(start).Round(time.Second))
		}
	}
	t.Logf("slow body connection cut after %v", time.Since(start).Round(time.Second))
	srv.healthy()
}

// TestDefectPackReadsFollowReplacedDrive: a drive directory replaced by an
// empty one while the server runs (a hot swap: the old file system is still
// reachable, e.g. lazily unmounted or renamed) keeps being read through
// storage's cached pack segment descriptors. As found, the cache
// revalidated a cached fd only by Nlink > 0, which a renamed (not unlinked)
// segment passes, so the scrubber read the old disk's records, found
// packed objects healthy and never rewrote them on the new drive; after a
// restart the new drive lacked them, and losing parity other drives made
// small objects unreadable (503) although a heal pass ran. Fixed: the
// scrubber re-formats the swapped-in empty drive, which drops its cached
// descriptors (storage/segcache.go) before the heal reads.
func TestDefectPackReadsFollowReplacedDrive(t *testing.T) {
	srv := startCoffer(t, 6, 2, "--scrub-interval", "1s")
	keys := srv.newTenant("hotswap")
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatal(err)
	}
	led := newLedger()
	r := rngFor(t)
	for i := 0; i < 8; i++ {
		body, v := makeBody(r, 100+r.IntN(60<<10)) // small: packed
		if err := led.putObject(c, "box", fmt.Sprintf("o%d", i), body, v); err != nil {
			t.Fatal(err)
		}
	}
	srv.waitScrubAfter(time.Now(), time.Minute) // every segment has been read (fds cached)
	if err := os.Rename(srv.Drives[3], srv.Drives[3]+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(srv.Drives[3], 0o755); err != nil {
		t.Fatal(err)
	}
	srv.waitScrubAfter(time.Now(), time.Minute)
	srv.waitScrubAfter(time.Now(), time.Minute)
	srv.stop()
	srv.restartWithout(4, 5)
	c = srv.s3(keys)
	for i := 0; i < 8; i++ {
		if _, err := led.verifyKey(c, "box", fmt.Sprintf("o%d", i)); err != nil {
			t.Errorf("after hot-swapping drive 3, two heal passes and losing drives 4, 5: %v", err)
		}
	}
}
