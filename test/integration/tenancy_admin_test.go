package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/testutil"
)

// TestSuspendAndDeleteTenantLiveS3: suspension stops S3 access and console
// changes until resume; deleting a tenant (typed confirmation) revokes its
// key at once and leaves nothing behind for a tenant of the same name.
func TestSuspendAndDeleteTenantLiveS3(t *testing.T) {
	s := tnStart(t)
	ctx := context.Background()
	c, cl := s.s3Tenant("doomed", 0, 0, "keep")
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("keep"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
	op := s.operator()
	op.must(http.StatusOK, "POST", "/api/admin/tenants/doomed/suspend", nil, nil)
	if _, err := cl.ListBuckets(ctx, &s3.ListBucketsInput{}); testutil.S3ErrorCode(err) != "AccessDenied" {
		t.Fatalf("S3 while suspended: %v, want AccessDenied", err)
	}
	if status, body := c.call("POST", "/api/containers", map[string]string{"name": "new-box"}); status != http.StatusForbidden {
		t.Fatalf("console create while suspended: %d %s", status, body)
	}
	op.must(http.StatusOK, "POST", "/api/admin/tenants/doomed/resume", nil, nil)
	if got := getBytes(t, cl, "keep", "k"); string(got) != "v" {
		t.Fatalf("after resume: %q", got)
	}

	op.must(http.StatusBadRequest, "DELETE", "/api/admin/tenants/doomed?confirm=Doomed", nil, nil)
	op.must(http.StatusNoContent, "DELETE", "/api/admin/tenants/doomed?confirm=doomed", nil, nil)
	if _, err := cl.ListBuckets(ctx, &s3.ListBucketsInput{}); testutil.S3ErrorCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("S3 after tenant delete: %v, want InvalidAccessKeyId", err)
	}
	if status, _ := c.call("GET", "/api/containers", nil); status != http.StatusUnauthorized {
		t.Fatalf("console session after tenant delete: %d, want 401", status)
	}
	// A new tenant of the same name starts empty, with no users and no key.
	op.must(http.StatusCreated, "POST", "/api/admin/tenants", map[string]any{"name": "doomed"}, nil)
	var td struct {
		Usage          struct{ Objects, Bytes, Containers int64 }
		HasCredentials bool
		Users          []any
	}
	op.must(http.StatusOK, "GET", "/api/admin/tenants/doomed", nil, &td)
	if td.Usage.Objects != 0 || td.Usage.Bytes != 0 || td.Usage.Containers != 0 || td.HasCredentials || len(td.Users) != 0 {
		t.Fatalf("recreated tenant %+v", td)
	}
	var k2 tnKey
	op.must(http.StatusCreated, "POST", "/api/admin/tenants/doomed/keys", nil, &k2)
	lb, err := s.s3(k2).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 0 {
		t.Fatalf("recreated tenant's buckets: %v %v", lb, err)
	}
	// The audit log kept the whole story.
	var audit struct {
		Events []struct{ Action, Tenant string }
	}
	op.must(http.StatusOK, "GET", "/api/admin/audit?tenant=doomed&limit=100", nil, &audit)
	seen := map[string]bool{}
	for _, ev := range audit.Events {
		seen[ev.Action] = true
	}
	for _, a := range []string{"tenant.create", "credentials.generate", "tenant.suspend", "tenant.resume", "tenant.delete"} {
		if !seen[a] {
			t.Errorf("audit lacks %s: %+v", a, audit.Events)
		}
	}
}
