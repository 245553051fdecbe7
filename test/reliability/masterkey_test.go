package reliability

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/internal/masterkey"
)

// TestMasterKeyRotationSIGKILL kills the server with SIGKILL in the middle
// of a master-key rotation of a few hundred SSE-S3 objects (after a random
// number of re-sealed records), restarts it and checks: every object and
// the tenant's key pair work at once, the restarted server finishes the
// rotation by itself, and afterwards only the new key is left.
// COFFER_RELIABILITY_ITER sets the kills (default 3).
func TestMasterKeyRotationSIGKILL(t *testing.T) {
	iters := envInt("COFFER_RELIABILITY_ITER", 3)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d kills", seed, iters)
	rng := rand.New(rand.NewPCG(seed, 11))

	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s")
	keys := srv.newTenant("mkrot")
	c := srv.s3(keys)
	const bucket, objects = "mkrot", 300
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	body := func(i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("object %d;", i)), 1+i*7%900) }
	for i := range objects {
		if _, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("o%03d", i)),
			Body: bytes.NewReader(body(i)), ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
			t.Fatal(err)
		}
	}
	readAll := func(when string) {
		t.Helper()
		c := srv.s3(keys) // also proves the tenant's secret opens
		for i := range objects {
			out, err := c.GetObject(bg, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("o%03d", i))})
			if err != nil {
				t.Fatalf("%s: o%03d: %v", when, i, err)
			}
			got, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil || !bytes.Equal(got, body(i)) {
				t.Fatalf("%s: o%03d reads %d bytes: %v", when, i, len(got), err)
			}
		}
	}
	status := func() masterkey.Status {
		t.Helper()
		var st masterkey.Status
		if code, raw := srv.admin("GET", "/api/admin/master-key", nil, &st); code != http.StatusOK {
			t.Fatalf("master-key status: %d %s", code, raw)
		}
		return st
	}
	// waitDone polls (bounded) until no rotation runs and none is left.
	waitDone := func() masterkey.Status {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			st := status()
			if !st.Running && len(st.Retiring) == 0 {
				return st
			}
			if !st.Running && st.Phase == "failed" {
				t.Fatalf("rotation failed: %s", st.Error)
			}
			if time.Now().After(deadline) {
				t.Fatalf("rotation not done after 2 minutes: %+v", st)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	current := status().Current
	for it := range iters {
		if code, raw := srv.admin("POST", "/api/admin/master-key/rotate", nil, nil); code != http.StatusAccepted {
			t.Fatalf("rotate: %d %s", code, raw)
		}
		killAt := 1 + rng.IntN(objects)
		var st masterkey.Status
		for st = status(); st.Running && st.Objects < killAt; st = status() {
			time.Sleep(2 * time.Millisecond)
		}
		srv.kill()
		t.Logf("kill %d: phase %q, %d of %d records re-sealed (target %d)", it, st.Phase, st.Objects, objects, killAt)
		srv.start(true)
		readAll(fmt.Sprintf("after kill %d", it))
		done := waitDone()
		if done.Current == current {
			t.Fatalf("kill %d: the current key did not change (%s)", it, current)
		}
		current = done.Current
		readAll(fmt.Sprintf("after the rotation of kill %d", it))
	}
	srv.kill()
	srv.start(true)
	if st := status(); st.Current != current || len(st.Retiring) != 0 {
		t.Fatalf("after the last restart: %+v", st)
	}
	readAll("at the end")
}
