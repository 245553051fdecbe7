package integration

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/internal/server"
)

// rotObject is the body of generation gen of key: self-describing, so a
// concurrent reader can check whatever generation it gets.
func rotObject(key string, gen int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%s#%d;", key, gen)), 20+gen%200)
}

// TestMasterKeyRotationOverS3 rotates the master key through the operator
// API while SSE-S3 PUTs and GETs of a few hundred objects go on over the S3
// listener: no request fails, every read returns a whole generation of its
// object, the key file ends with one new key, and after a restart the same
// key pair reads every object (and the SSE-C one with its key).
func TestMasterKeyRotationOverS3(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.SSECAllowHTTP = true }) // SSE-C over loopback HTTP
	ctx := context.Background()
	ts.createTenant("rot")
	ak, sk := ts.generateKey("rot")
	c := ts.s3Client(ak, sk)
	const bucket, objects = "rot", 400
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	latest := map[string]int{} // key -> last generation written
	put := func(key string, gen int) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader(rotObject(key, gen)), ServerSideEncryption: types.ServerSideEncryptionAes256})
		if err == nil {
			mu.Lock()
			latest[key] = max(latest[key], gen)
			mu.Unlock()
		}
		return err
	}
	for i := range objects {
		if err := put(fmt.Sprintf("o%04d", i), 0); err != nil {
			t.Fatal(err)
		}
	}
	// One SSE-C object: a rotation leaves it alone.
	ck := randomBytes(t, 32)
	sum := md5.Sum(ck)
	ssec := func(in *s3.GetObjectInput) *s3.GetObjectInput {
		in.SSECustomerAlgorithm = aws.String("AES256")
		in.SSECustomerKey = aws.String(base64.StdEncoding.EncodeToString(ck))
		in.SSECustomerKeyMD5 = aws.String(base64.StdEncoding.EncodeToString(sum[:]))
		return in
	}
	cbody := randomBytes(t, 100000)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("customer"),
		Body: bytes.NewReader(cbody), SSECustomerAlgorithm: aws.String("AES256"),
		SSECustomerKey: aws.String(base64.StdEncoding.EncodeToString(ck)), SSECustomerKeyMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:]))}); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	errs := make(chan error, 16)
	var ops atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 1; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("o%04d", (i*37+w*101)%objects)
				var err error
				if w%2 == 0 {
					err = put(key, i*4+w)
				} else {
					err = getGeneration(ctx, c, bucket, key)
				}
				if err != nil {
					errs <- err
					return
				}
				ops.Add(1)
			}
		})
	}
	before := ts.MasterKey.Status()
	opsBefore := ops.Load()
	if _, err := ts.MasterKey.Rotate(); err != nil {
		t.Fatal(err)
	}
	ts.MasterKey.Wait()
	opsDuring := ops.Load() - opsBefore
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("S3 request during the rotation: %v", err)
	}
	st := ts.MasterKey.Status()
	if st.Phase != "done" || st.Current == before.Current || len(st.Retiring) != 0 || st.Objects == 0 {
		t.Fatalf("status after the rotation: %+v", st)
	}
	if opsDuring == 0 {
		t.Fatal("no S3 request completed while the rotation ran")
	}
	t.Logf("%d S3 requests completed during the rotation of %d records", opsDuring, st.Objects)
	keyFile, err := os.ReadFile(st.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(string(keyFile))); n != 1 {
		t.Fatalf("key file holds %d keys after the rotation", n)
	}
	if strings.Contains(ts.Logs.String(), strings.TrimSpace(string(keyFile))[:16]) {
		t.Fatal("the new master key appears in the server's logs")
	}

	ts.restart()
	c = ts.s3Client(ak, sk)
	for key, gen := range latest {
		if got := getBytes(t, c, bucket, key); !bytes.Equal(got, rotObject(key, gen)) {
			t.Fatalf("%s after the restart: %d bytes, want generation %d", key, len(got), gen)
		}
	}
	out, err := c.GetObject(ctx, ssec(&s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("customer")}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, cbody) {
		t.Fatalf("SSE-C object after the rotation: %d bytes, %v", len(got), err)
	}
}

// getGeneration reads key and checks it is one whole generation.
func getGeneration(ctx context.Context, c *s3.Client, bucket, key string) error {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("GET %s: %w", key, err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", key, err)
	}
	unit, _, ok := bytes.Cut(got, []byte(";"))
	var gen int
	if !ok || !bytes.HasPrefix(unit, []byte(key+"#")) {
		return fmt.Errorf("GET %s: %d bytes of something else", key, len(got))
	}
	if _, err := fmt.Sscanf(string(unit[len(key)+1:]), "%d", &gen); err != nil || !bytes.Equal(got, rotObject(key, gen)) {
		return fmt.Errorf("GET %s: %d bytes, not a whole generation", key, len(got))
	}
	return nil
}
