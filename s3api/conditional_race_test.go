package s3api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// TestConditionalCreateRace: of many writers racing to create one key with
// If-None-Match: *, exactly one wins; the others get 412 and the stored
// object is the winner's, byte for byte. (The precondition is checked again
// inside the storage commit, not only before the body is read.)
func TestConditionalCreateRace(t *testing.T) {
	e := newEnv(t, "alpha")
	c := e.client("alpha", sdkWhenRequired)
	mkBucket(t, c, "race")
	const writers = 8
	for round := 0; round < 3; round++ {
		key := fmt.Sprintf("lock-%d", round)
		bodies := make([][]byte, writers)
		errs := make([]error, writers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			bodies[w] = bytes.Repeat([]byte{byte('a' + w)}, 300<<10) // shard files: the write takes a while
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[w] = c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("race"), Key: &key,
					Body: bytes.NewReader(bodies[w]), IfNoneMatch: aws.String("*")})
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range errs {
			var ae smithy.APIError
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both created %s", round, winner, w, key)
			case err == nil:
				winner = w
			case !errors.As(err, &ae) || ae.ErrorCode() != "PreconditionFailed":
				t.Fatalf("round %d: writer %d: %v, want PreconditionFailed", round, w, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody created %s", round, key)
		}
		if got := get(t, c, "race", key); !bytes.Equal(got, bodies[winner]) {
			t.Fatalf("round %d: %s holds other bytes than the winner's", round, key)
		}
	}
}
