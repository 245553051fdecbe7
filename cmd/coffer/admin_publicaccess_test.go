package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// TestAdminTenantPublicAccess sets the operator's PublicAccessBlock default
// of a tenant through `coffer admin tenant public-access` against a real
// server and reads what storage keeps (the document s3api merges with each
// bucket's flags).
func TestAdminTenantPublicAccess(t *testing.T) {
	srv := startTestServer(t)
	c := cli{t: t, srv: srv}
	ctx := context.Background()
	c.ok("tenant", "create", "acme")
	stored := func() policy.PublicAccessBlock {
		t.Helper()
		var b policy.PublicAccessBlock
		doc, err := srv.Store.GetTenantConfig(ctx, "acme", storage.ConfigPublicAccessBlock)
		if errors.Is(err, storage.ErrNoSuchBucketConfig) {
			return b
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(doc, &b); err != nil {
			t.Fatal(err)
		}
		return b
	}

	contains(t, c.ok("tenant", "public-access", "acme"), "no default public access block", "unset")
	contains(t, c.ok("tenant", "public-access", "acme", "--block-public-policy", "--restrict-public-buckets"),
		"BlockPublicPolicy, RestrictPublicBuckets", "two flags")
	if b := stored(); b != (policy.PublicAccessBlock{BlockPublicPolicy: true, RestrictPublicBuckets: true}) {
		t.Fatalf("stored %+v", b)
	}
	c.ok("tenant", "public-access", "acme", "--block-all")
	if b := stored(); !b.BlockPublicAcls || !b.IgnorePublicAcls || !b.BlockPublicPolicy || !b.RestrictPublicBuckets {
		t.Fatalf("--block-all stored %+v", b)
	}
	var got policy.PublicAccessBlock
	if err := json.Unmarshal([]byte(c.ok("tenant", "public-access", "acme", "--json")), &got); err != nil || got != stored() {
		t.Fatalf("--json %+v, %v", got, err)
	}
	contains(t, c.ok("tenant", "public-access", "acme", "--none"), "no default", "cleared")
	if _, err := srv.Store.GetTenantConfig(ctx, "acme", storage.ConfigPublicAccessBlock); !errors.Is(err, storage.ErrNoSuchBucketConfig) {
		t.Fatalf("--none left a document: %v", err)
	}
	c.fails(2, "tenant", "public-access", "acme", "--none", "--block-all")
	contains(t, c.fails(1, "tenant", "public-access", "nobody", "--block-all"), "404", "unknown tenant")
}
