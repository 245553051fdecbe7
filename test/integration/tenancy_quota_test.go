package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/internal/testutil"
)

type tnUsage struct {
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
	Quota   struct {
		Objects int64 `json:"objects"`
		Bytes   int64 `json:"bytes"`
	} `json:"quota"`
}

// concurrentPuts starts n writers at once, each putting its own key of size
// bytes, and returns how many succeeded and the errors of the rest.
func tnConcurrentPuts(t *testing.T, c *s3.Client, bucket, prefix string, n, size int) (ok int, errs []error) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body := bytes.Repeat([]byte{byte('a' + i%26)}, size)
			_, err := c.PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("%s%03d", prefix, i)),
				Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(size)),
			})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else {
				errs = append(errs, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return ok, errs
}

func tnWantQuotaExceeded(t *testing.T, errs []error) {
	t.Helper()
	for _, err := range errs {
		if testutil.S3ErrorCode(err) != "QuotaExceeded" {
			t.Fatalf("refused write: %v, want QuotaExceeded", err)
		}
		if msg := testutil.S3ErrorMessage(err); !strings.Contains(msg, "used") || !strings.Contains(msg, "limit") {
			t.Fatalf("QuotaExceeded message %q does not name used and limit", msg)
		}
	}
}

func TestObjectQuotaConcurrentWriters(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	c, cl := s.s3Tenant("counted", 5, 0, "quota-box")
	ok, errs := tnConcurrentPuts(t, cl, "quota-box", "obj", 16, 100)
	if ok != 5 || len(errs) != 11 {
		t.Fatalf("%d writes succeeded, %d failed; want exactly 5 and 11", ok, len(errs))
	}
	tnWantQuotaExceeded(t, errs)
	var u tnUsage
	c.must(http.StatusOK, "GET", "/api/usage", nil, &u)
	if u.Objects != 5 || u.Bytes != 500 || u.Quota.Objects != 5 {
		t.Fatalf("usage %+v, want 5 objects, 500 bytes, quota 5", u)
	}
	// Overwriting an existing key adds no object, so it is allowed at the limit.
	lo, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("quota-box")})
	if err != nil || len(lo.Contents) != 5 {
		t.Fatalf("listing: %d objects, %v", len(lo.Contents), err)
	}
	first := aws.ToString(lo.Contents[0].Key)
	// CopyObject to a new key would add an object: refused at the limit.
	_, err = cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("quota-box"), Key: aws.String("copy"), CopySource: aws.String("quota-box/" + first)})
	tnWantQuotaExceeded(t, []error{err})
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("quota-box"), Key: &first, Body: strings.NewReader("new")}); err != nil {
		t.Fatalf("overwrite at the object limit: %v", err)
	}
	// A delete frees one slot, exactly one.
	if _, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("quota-box"), Key: &first}); err != nil {
		t.Fatal(err)
	}
	ok, errs = tnConcurrentPuts(t, cl, "quota-box", "again", 4, 10)
	if ok != 1 {
		t.Fatalf("after one delete %d writes succeeded, want 1", ok)
	}
	tnWantQuotaExceeded(t, errs)
}

func TestByteQuotaConcurrentWriters(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	c, cl := s.s3Tenant("sized", 0, 10_000, "quota-box")
	ok, errs := tnConcurrentPuts(t, cl, "quota-box", "blob", 16, 1000)
	if ok != 10 || len(errs) != 6 {
		t.Fatalf("%d writes succeeded, %d failed; want exactly 10 and 6", ok, len(errs))
	}
	tnWantQuotaExceeded(t, errs)
	var u tnUsage
	c.must(http.StatusOK, "GET", "/api/usage", nil, &u)
	if u.Bytes != 10_000 || u.Objects != 10 {
		t.Fatalf("usage %+v, want 10000 bytes in 10 objects", u)
	}
	// One byte over is refused; a delete frees room for exactly its size.
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("quota-box"), Key: aws.String("one"), Body: strings.NewReader("1")}); testutil.S3ErrorCode(err) != "QuotaExceeded" {
		t.Fatalf("1 byte over quota: %v", err)
	}
	// Which ten writers won is up to the race: delete one that did.
	lo, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("quota-box")})
	if err != nil || len(lo.Contents) != 10 {
		t.Fatalf("listing: %d objects, %v", len(lo.Contents), err)
	}
	if _, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("quota-box"), Key: lo.Contents[0].Key}); err != nil {
		t.Fatal(err)
	}
	ok, errs = tnConcurrentPuts(t, cl, "quota-box", "refill", 3, 600)
	if ok != 1 {
		t.Fatalf("after freeing 1000 bytes %d writes of 600 succeeded, want 1: %v", ok, errs)
	}
	tnWantQuotaExceeded(t, errs)
}

// TestQuotaCountsMultipart: parts in progress count toward the byte quota;
// over-quota bodies are kept small so the refusal is read before the client
// finishes sending (a server that answers early closes the connection).
func TestQuotaCountsMultipart(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	const mib = 1 << 20
	c, cl := s.s3Tenant("multi", 0, 10*mib+100, "multipart-box")
	up, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("multipart-box"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	part := func(n int32, size int) (*s3.UploadPartOutput, error) {
		return cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("multipart-box"), Key: aws.String("big"), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(bytes.Repeat([]byte{byte(n)}, size)), ContentLength: aws.Int64(int64(size))})
	}
	p1, err := part(1, 5*mib)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := part(2, 5*mib)
	if err != nil {
		t.Fatal(err)
	}
	// 10 MiB held by the unfinished upload; only 100 bytes of quota remain.
	var u tnUsage
	c.must(http.StatusOK, "GET", "/api/usage", nil, &u)
	if u.Bytes != 10*mib || u.Objects != 0 {
		t.Fatalf("usage with 2 parts uploaded = %+v, want %d bytes, 0 objects", u, 10*mib)
	}
	_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("multipart-box"), Key: aws.String("small"),
		Body: bytes.NewReader(make([]byte, 101)), ContentLength: aws.Int64(101)})
	if testutil.S3ErrorCode(err) != "QuotaExceeded" {
		t.Fatalf("PutObject past quota with parts in progress: %v", err)
	}
	if _, err := part(3, 101); testutil.S3ErrorCode(err) != "QuotaExceeded" {
		t.Fatalf("UploadPart past quota: %v", err)
	}
	p3, err := part(3, 100)
	if err != nil {
		t.Fatalf("last part exactly filling the quota: %v", err)
	}
	_, err = cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("multipart-box"), Key: aws.String("big"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: p1.ETag}, {PartNumber: aws.Int32(2), ETag: p2.ETag}, {PartNumber: aws.Int32(3), ETag: p3.ETag}}}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload within quota: %v", err)
	}
	c.must(http.StatusOK, "GET", "/api/usage", nil, &u)
	if u.Bytes != 10*mib+100 || u.Objects != 1 {
		t.Fatalf("usage after complete %+v, want 1 object of 10 MiB + 100", u)
	}
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("multipart-box"), Key: aws.String("small"),
		Body: strings.NewReader("x")}); testutil.S3ErrorCode(err) != "QuotaExceeded" {
		t.Fatalf("PutObject with the quota full: %v", err)
	}
	// Deleting the object frees its bytes.
	if _, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("multipart-box"), Key: aws.String("big")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("multipart-box"), Key: aws.String("small"),
		Body: bytes.NewReader(make([]byte, 3*mib)), ContentLength: aws.Int64(3 * mib)}); err != nil {
		t.Fatalf("PutObject after freeing quota: %v", err)
	}
}

func TestLoweringQuotaBelowUsage(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	_, cl := s.s3Tenant("shrink", 0, 0, "quota-box")
	for i := range 4 {
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("quota-box"), Key: aws.String(fmt.Sprint("k", i)), Body: strings.NewReader("0123456789")}); err != nil {
			t.Fatal(err)
		}
	}
	s.operator().must(http.StatusOK, "PUT", "/api/admin/tenants/shrink/quota", map[string]int64{"objects": 2, "bytes": 15}, nil)
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("quota-box"), Key: aws.String("more"), Body: strings.NewReader("x")}); testutil.S3ErrorCode(err) != "QuotaExceeded" {
		t.Fatalf("write over a lowered quota: %v", err)
	}
	for i := range 3 {
		if _, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("quota-box"), Key: aws.String(fmt.Sprint("k", i))}); err != nil {
			t.Fatalf("delete over quota: %v", err)
		}
	}
	// 1 object of 10 bytes left: one 5-byte object fits, a second does not.
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("quota-box"), Key: aws.String("fits"), Body: strings.NewReader("12345")}); err != nil {
		t.Fatalf("write within the lowered quota: %v", err)
	}
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("quota-box"), Key: aws.String("over"), Body: strings.NewReader("1")}); testutil.S3ErrorCode(err) != "QuotaExceeded" {
		t.Fatalf("write past the lowered object quota: %v", err)
	}
	// Clearing the quota (0 = no limit) lets writes through again.
	s.operator().must(http.StatusOK, "PUT", "/api/admin/tenants/shrink/quota", map[string]int64{"objects": 0, "bytes": 0}, nil)
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("quota-box"), Key: aws.String("over"), Body: strings.NewReader("1")}); err != nil {
		t.Fatalf("write after clearing quota: %v", err)
	}
}
