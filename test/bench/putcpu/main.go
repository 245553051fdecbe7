// Command putcpu measures a running server's CPU time per MiB moved: it
// PUTs (or GETs) objects with aws-sdk-go-v2's default client, reads the
// server's utime+stime from /proc/PID/stat before and after the timed
// requests, and prints CPU per request and per MiB. CPU time, unlike
// throughput, barely moves with other load on the machine, so runs of two
// builds can be compared on a busy machine (alternate them, take medians).
//
// Over https the SDK sends its default checksum as an aws-chunked CRC32
// trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER); over http it sends the
// payload's SHA-256 and an x-amz-checksum-crc32 header. -unsigned sends
// UNSIGNED-PAYLOAD and no checksum, as test/bench/s3load does.
//
//	putcpu -endpoint https://127.0.0.1:9000 -pid 1234 -op put -size 16777216 -c 8 -n 64
//
// Keys come from S3LOAD_ACCESS_KEY and S3LOAD_SECRET_KEY. The server's
// certificate is not verified (loopback test servers only).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTicks = 100

// procCPU returns a process's user + system CPU time.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("putcpu: bad /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is the state (field 3); utime is field 14
	if len(f) < 13 {
		return 0, fmt.Errorf("putcpu: bad /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("putcpu: bad /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

func main() {
	endpoint := flag.String("endpoint", "", "S3 endpoint URL")
	pid := flag.Int("pid", 0, "server process id")
	n := flag.Int("n", 64, "timed requests")
	conc := flag.Int("c", 1, "concurrent requests")
	size := flag.Int("size", 16<<20, "object size in bytes")
	op := flag.String("op", "put", "put or get")
	bucket := flag.String("bucket", "putcpu", "bucket (created if missing)")
	unsigned := flag.Bool("unsigned", false, "UNSIGNED-PAYLOAD and no checksum (like s3load)")
	flag.Parse()
	if err := run(*endpoint, *pid, *n, *conc, *size, *op, *bucket, *unsigned); err != nil {
		fmt.Fprintln(os.Stderr, "putcpu:", err)
		os.Exit(1)
	}
}

func run(endpoint string, pid, n, conc, size int, op, bucket string, unsigned bool) error {
	if endpoint == "" || pid <= 0 || n < 1 || conc < 1 || size < 1 || (op != "put" && op != "get") {
		return fmt.Errorf("need -endpoint, -pid, -n >= 1, -c >= 1, -size >= 1, -op put|get")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // loopback test server
	tr.MaxIdleConnsPerHost = conc
	c := s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(os.Getenv("S3LOAD_ACCESS_KEY"), os.Getenv("S3LOAD_SECRET_KEY"), ""),
		HTTPClient:       &http.Client{Transport: tr, Timeout: 5 * time.Minute},
		RetryMaxAttempts: 1,
	}, func(o *s3.Options) {
		if unsigned {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		}
	})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil &&
		!strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		return err
	}
	body := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(body)
	if op == "get" {
		for i := range conc {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket),
				Key: aws.String(fmt.Sprint("get-", i)), Body: bytes.NewReader(body)}); err != nil {
				return err
			}
		}
	}
	one := func(i int64, buf []byte) error {
		if op == "put" {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket),
				Key: aws.String(fmt.Sprint("put-", i%32)), Body: bytes.NewReader(body)})
			return err
		}
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprint("get-", i%int64(conc)))})
		if err != nil {
			return err
		}
		defer g.Body.Close()
		m, err := io.CopyBuffer(io.Discard, g.Body, buf)
		if err == nil && m != int64(size) {
			err = fmt.Errorf("GET returned %d of %d bytes", m, size)
		}
		return err
	}
	batch := func(total int64) error {
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, conc)
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 256<<10)
				for i := next.Add(1); i <= total; i = next.Add(1) {
					if err := one(i, buf); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	// One untimed request per worker opens the connections.
	if err := batch(int64(conc)); err != nil {
		return err
	}
	c0, err := procCPU(pid)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := batch(int64(n)); err != nil {
		return err
	}
	wall := time.Since(t0)
	c1, err := procCPU(pid)
	if err != nil {
		return err
	}
	cpu := c1 - c0
	mib := float64(n) * float64(size) / (1 << 20)
	fmt.Printf("%s size=%d c=%d n=%d server-cpu=%v cpu-us/op=%.0f cpu-us/MiB=%.0f wall=%v MiB/s=%.0f\n",
		op, size, conc, n, cpu, float64(cpu.Microseconds())/float64(n), float64(cpu.Microseconds())/mib,
		wall.Round(time.Millisecond), mib/wall.Seconds())
	return nil
}
