package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/internal/testutil"
)

// TestOperatorOverviewLive drives a real server with real S3 traffic and
// checks the overview's numbers: tenants, top tenants by bytes, capacity
// arithmetic from the drives, and the request history counting every S3
// request and its 4xx answers.
func TestOperatorOverviewLive(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	_, small := s.s3Tenant("small", 0, 0, "s-box")
	_, big := s.s3Tenant("big", 0, 0, "b-box")
	s.tenant("empty", 0, 0)
	put := func(cl *s3.Client, bucket, key string, n int) {
		t.Helper()
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: strings.NewReader(strings.Repeat("x", n))}); err != nil {
			t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
		}
	}
	put(small, "s-box", "a", 1000)
	put(big, "b-box", "a", 5000)
	put(big, "b-box", "b", 7000)
	// Three 404s (NoSuchKey) for the error count.
	for range 3 {
		if _, err := big.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b-box"), Key: aws.String("missing")}); testutil.S3ErrorCode(err) != "NoSuchKey" {
			t.Fatalf("GetObject missing: %v", err)
		}
	}
	// 2 CreateBucket + 3 PutObject + 3 GetObject.
	const s3Requests, s3ClientErrors = 8, 3

	var ov console.OverviewJSON
	s.operator().must(http.StatusOK, "GET", "/api/admin/overview", nil, &ov)
	if ov.Tenants != 3 || ov.Objects != 3 || ov.Capacity.UsedBytes != 13000 {
		t.Fatalf("tenants %d objects %d used %d, want 3, 3, 13000", ov.Tenants, ov.Objects, ov.Capacity.UsedBytes)
	}
	if len(ov.TopTenants) != 3 || ov.TopTenants[0].Name != "big" || ov.TopTenants[0].Bytes != 12000 || ov.TopTenants[0].Objects != 2 ||
		ov.TopTenants[1].Name != "small" || ov.TopTenants[1].Bytes != 1000 || ov.TopTenants[2].Name != "empty" || ov.TopTenants[2].Bytes != 0 {
		t.Fatalf("top tenants %+v, want big 12000, small 1000, empty 0", ov.TopTenants)
	}
	if ov.Version == "" || ov.Started == nil || ov.UptimeSeconds < 0 || !ov.Ready {
		t.Fatalf("version %q started %v uptime %d ready %v", ov.Version, ov.Started, ov.UptimeSeconds, ov.Ready)
	}
	// Four drives on one file system, 2 data + 2 parity.
	if len(ov.Drives) != 4 || ov.Capacity.DataShards != 2 || ov.Capacity.ParityShards != 2 {
		t.Fatalf("drives %d layout %d+%d, want 4 drives, 2+2", len(ov.Drives), ov.Capacity.DataShards, ov.Capacity.ParityShards)
	}
	var raw uint64
	for _, d := range ov.Drives {
		if !d.Online || d.TotalBytes == 0 {
			t.Fatalf("drive %+v: want online with a size", d)
		}
		raw += d.TotalBytes
	}
	if ov.Capacity.RawBytes != raw || ov.Capacity.UsableBytes != raw/2 {
		t.Fatalf("capacity %+v: want raw %d (sum of drives), usable %d (raw x 2/4)", ov.Capacity, raw, raw/2)
	}
	if len(ov.Requests) != 60 {
		t.Fatalf("request history has %d minutes, want 60", len(ov.Requests))
	}
	var reqs, clientErrs, serverErrs uint64
	for _, m := range ov.Requests {
		reqs += m.Requests
		clientErrs += m.ClientErrors
		serverErrs += m.ServerErrors
	}
	if reqs != s3Requests || clientErrs != s3ClientErrors || serverErrs != 0 {
		t.Fatalf("last hour: %d requests, %d 4xx, %d 5xx; want %d, %d, 0", reqs, clientErrs, serverErrs, s3Requests, s3ClientErrors)
	}
	if last := ov.Requests[59]; last.Requests == 0 {
		t.Fatalf("current minute is empty: %+v", ov.Requests[57:])
	}

	// The per-tenant containers list has the sizes.
	var cs struct{ Containers []console.ContainerSizeJSON }
	s.operator().must(http.StatusOK, "GET", "/api/admin/tenants/big/containers", nil, &cs)
	if len(cs.Containers) != 1 || cs.Containers[0].Name != "b-box" || cs.Containers[0].Objects != 2 || cs.Containers[0].Bytes != 12000 {
		t.Fatalf("big's containers %+v", cs.Containers)
	}
	s.operator().must(http.StatusNotFound, "GET", "/api/admin/tenants/nobody/containers", nil, nil)
}

// TestS3BucketChangesAudited: CreateBucket and DeleteBucket through S3 land
// in the audit log with tenant and bucket, and no credential.
func TestS3BucketChangesAudited(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	c, cl := s.s3Tenant("auditee", 0, 0, "made-by-s3")
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("short-lived")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("short-lived")}); err != nil {
		t.Fatal(err)
	}
	// A refused delete (not empty) is no event.
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("made-by-s3"), Key: aws.String("k"), Body: strings.NewReader("data")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("made-by-s3")}); testutil.S3ErrorCode(err) != "BucketNotEmpty" {
		t.Fatalf("DeleteBucket of a full bucket: %v", err)
	}
	var key tnKey
	c.must(http.StatusOK, "GET", "/api/credentials", nil, &key)

	var audit struct{ Events []console.AuditJSON }
	s.operator().must(http.StatusOK, "GET", "/api/admin/audit?tenant=auditee&limit=50", nil, &audit)
	var got []string
	for _, ev := range audit.Events {
		if strings.HasPrefix(ev.Action, "bucket.") {
			if key.AccessKey == "" || strings.Contains(ev.Actor+ev.Target+ev.Detail, key.AccessKey) {
				t.Fatalf("bucket event names the access key %q (or there is none to check): %+v", key.AccessKey, ev)
			}
			got = append(got, ev.Action+" "+ev.Target+" by "+ev.Actor+" from "+ev.RemoteIP+" tenant "+ev.Tenant)
		}
	}
	want := []string{ // newest first
		"bucket.delete short-lived by s3:auditee from 127.0.0.1 tenant auditee",
		"bucket.create short-lived by s3:auditee from 127.0.0.1 tenant auditee",
		"bucket.create made-by-s3 by s3:auditee from 127.0.0.1 tenant auditee",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("bucket audit events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
