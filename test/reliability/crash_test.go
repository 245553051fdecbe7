package reliability

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/testutil"
)

// crashStats are the figures of a crash run, logged for docs/reliability.md.
type crashStats struct {
	iterations, acked, forceDeletes, killedInFlight int64
}

// TestCrashSIGKILL kills the server with SIGKILL at a random moment while
// clients PUT, overwrite, delete, complete multipart uploads and force
// delete buckets, restarts it, and checks: every acknowledged object reads
// back with its ETag and checksum, nothing unacknowledged is half-visible,
// every listing equals the readable set, and the operator's usage counters
// equal a recount. COFFER_RELIABILITY_ITER sets the iterations (default 3).
func TestCrashSIGKILL(t *testing.T) {
	iters := envInt("COFFER_RELIABILITY_ITER", 3)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d iterations", seed, iters)
	rng := rand.New(rand.NewPCG(seed, 7))

	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s")
	keys := srv.newTenant("crash")
	if st, raw := srv.admin("POST", "/api/admin/tenants/crash/users", map[string]string{"username": "crashuser", "password": "crash-user-password-1"}, nil); st != 201 {
		t.Fatalf("create console user: %d %s", st, raw)
	}
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("crash")}); err != nil {
		t.Fatal(err)
	}
	led := newLedger()
	fdBuckets := map[string]string{} // bucket -> "live" | "pending" | "deleted"
	var st crashStats

	for it := 0; it < iters; it++ {
		c = srv.s3(keys)
		sess := srv.login("crashuser", "crash-user-password-1")
		// A bucket to force delete during this iteration, filled first.
		fdb := fmt.Sprintf("fd-%d", it)
		if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String(fdb)}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			body, v := makeBody(rng, 1000+rng.IntN(200<<10))
			if err := led.putObject(c, fdb, fmt.Sprintf("o%d", i), body, v); err != nil {
				t.Fatal(err)
			}
		}
		fdBuckets[fdb] = "live"

		var killed atomic.Bool
		var mu sync.Mutex
		var liveErrs []error
		fail := func(err error) {
			if err != nil && !killed.Load() {
				mu.Lock()
				liveErrs = append(liveErrs, err)
				mu.Unlock()
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var acked atomic.Int64
		for w := 0; w < 4; w++ {
			wr := rand.New(rand.NewPCG(seed+uint64(it*100+w), 11))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					key := fmt.Sprintf("w%d/k%d", w, wr.IntN(6))
					var err error
					switch op := wr.IntN(10); {
					case op < 5: // PUT or overwrite: inline or multi-block bodies
						size := 1 + wr.IntN(128<<10)
						if wr.IntN(3) == 0 {
							size = 1<<20 + wr.IntN(2<<20)
						}
						body, v := makeBody(wr, size)
						err = led.putObject(c, "crash", key, body, v)
					case op < 7:
						err = led.deleteObject(c, "crash", key)
					case op < 8 && w == 0: // multipart complete (5 MiB + tail)
						body, v := makeBody(wr, 5<<20+wr.IntN(64<<10))
						err = led.multipartPut(c, "crash", fmt.Sprintf("mp/k%d", wr.IntN(3)), body, v, 5<<20)
					default:
						body, v := makeBody(wr, wr.IntN(4<<10))
						err = led.putObject(c, "crash", key, body, v)
					}
					if err == nil {
						acked.Add(1)
					}
					fail(err)
				}
			}()
		}
		fdDone := make(chan struct{})
		go func() { // the force delete, at a random moment of the run
			defer close(fdDone)
			time.Sleep(time.Duration(rng.IntN(600)) * time.Millisecond)
			fdBuckets[fdb] = "pending"
			code, raw, err := sess.call("DELETE", "/api/containers/"+fdb+"?force=true&confirm="+fdb, nil)
			if err == nil && code == http.StatusNoContent {
				fdBuckets[fdb] = "deleted"
			} else if err == nil && !killed.Load() {
				fail(fmt.Errorf("force delete %s: %d %s", fdb, code, raw))
			}
		}()
		time.Sleep(time.Duration(250+rng.IntN(1250)) * time.Millisecond)
		killed.Store(true)
		srv.kill()
		close(stop)
		wg.Wait()
		<-fdDone
		if fdBuckets[fdb] == "pending" {
			st.killedInFlight++
		}
		for _, err := range liveErrs {
			t.Errorf("iteration %d: error while the server ran: %v", it, err)
		}
		if t.Failed() {
			return
		}
		st.acked += acked.Load()

		srv.start(true)
		c = srv.s3(keys)
		total, totalBytes := int64(0), int64(0)
		n, b, err := led.verifyBucket(c, "crash")
		if err != nil {
			t.Fatalf("iteration %d after SIGKILL: %v", it, err)
		}
		total, totalBytes = total+int64(n), totalBytes+b
		for name, state := range fdBuckets {
			_, herr := c.HeadBucket(bg, &s3.HeadBucketInput{Bucket: aws.String(name)})
			exists := herr == nil
			if herr != nil && testutil.S3ErrorCode(herr) != "NotFound" && testutil.S3ErrorCode(herr) != "NoSuchBucket" {
				t.Fatalf("iteration %d: HeadBucket %s: %v", it, name, herr)
			}
			switch {
			case state == "deleted" && exists:
				t.Fatalf("iteration %d: force-deleted bucket %s (acknowledged) exists after restart", it, name)
			case state == "live" && !exists:
				t.Fatalf("iteration %d: bucket %s vanished without a delete", it, name)
			}
			if !exists {
				led.dropBucket(name)
				delete(fdBuckets, name)
				continue
			}
			// Present (never deleted, or the delete was cut before its commit):
			// whole, not half-deleted.
			want := led.ackedIn(name)
			n, b, err := led.verifyBucket(c, name)
			if err != nil {
				t.Fatalf("iteration %d: bucket %s: %v", it, name, err)
			}
			if n != len(want) {
				t.Fatalf("iteration %d: bucket %s (force delete %s) holds %d of its %d objects: half-deleted", it, name, state, n, len(want))
			}
			fdBuckets[name] = "live"
			total, totalBytes = total+int64(n), totalBytes+b
		}
		// Usage counters equal the recount from listings.
		var tenants struct {
			Tenants []struct {
				Name  string
				Usage struct{ Objects, Bytes, UploadBytes int64 }
			}
		}
		uploadBytes := int64(0)
		for _, name := range append([]string{"crash"}, mapKeys(fdBuckets)...) {
			n, err := partBytes(c, name)
			if err != nil {
				t.Fatalf("iteration %d: %v", it, err)
			}
			uploadBytes += n
		}
		if code, raw := srv.admin("GET", "/api/admin/tenants", nil, &tenants); code != 200 {
			t.Fatalf("GET /api/admin/tenants: %d %s", code, raw)
		}
		for _, tn := range tenants.Tenants {
			// Bytes counts unfinished uploads' parts too (quota), UploadBytes only them.
			if tn.Name == "crash" && (tn.Usage.Objects != total || tn.Usage.Bytes != totalBytes+uploadBytes || tn.Usage.UploadBytes != uploadBytes) {
				t.Fatalf("iteration %d: usage says %d objects / %d bytes (%d in uploads), listing recounts %d / %d + %d in parts",
					it, tn.Usage.Objects, tn.Usage.Bytes, tn.Usage.UploadBytes, total, totalBytes, uploadBytes)
			}
		}
		st.iterations++
		if st.forceDeletes += 1; it%10 == 9 {
			t.Logf("iteration %d: %d objects checked, %d bytes verified", it+1, led.objectsChecked.Load(), led.bytesVerified.Load())
		}
	}
	t.Logf("FIGURES crash: iterations=%d acknowledged-ops=%d objects-checked=%d bytes-verified=%d force-deletes=%d force-deletes-cut-by-kill=%d",
		st.iterations, st.acked, led.objectsChecked.Load(), led.bytesVerified.Load(), st.forceDeletes, st.killedInFlight)
}
