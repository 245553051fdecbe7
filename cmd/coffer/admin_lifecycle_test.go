package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/cofferstore/coffer/internal/lifecycle"
	rules "github.com/cofferstore/coffer/pkg/lifecycle"
	"github.com/cofferstore/coffer/storage"
)

// TestAdminLifecycleRun runs a pass through `coffer admin lifecycle run`
// against a real server: the expired object goes, the others stay, and
// the counts are printed (table and --json).
func TestAdminLifecycleRun(t *testing.T) {
	srv := startTestServer(t)
	c := cli{t: t, srv: srv}
	ctx := context.Background()
	c.ok("tenant", "create", "acme")
	st := srv.Store
	if err := st.CreateBucket(ctx, "acme", "logs", storage.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := rules.ParseBytes([]byte(`<LifecycleConfiguration><Rule><ID>old</ID><Filter><Prefix>old/</Prefix></Filter><Status>Enabled</Status>` +
		`<Expiration><Date>2020-01-01T00:00:00Z</Date></Expiration></Rule></LifecycleConfiguration>`))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := rules.Marshal(cfg)
	if err := st.SetBucketConfig(ctx, "acme", "logs", storage.ConfigLifecycle, doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"old/a", "new/b"} {
		if _, err := st.PutObject(ctx, "acme", "logs", k, bytes.NewReader([]byte("12345")), storage.PutOptions{Size: 5}); err != nil {
			t.Fatal(err)
		}
	}

	out := c.ok("lifecycle", "run", "--tenant", "acme")
	contains(t, out, "Lifecycle pass done: 1 expired (5 B)", "lifecycle run")
	contains(t, out, "acme", "lifecycle run table")
	if _, err := st.GetObjectInfo(ctx, "acme", "logs", "old/a"); !errors.Is(err, storage.ErrObjectNotFound) {
		t.Fatalf("old/a after the pass: %v", err)
	}
	if _, err := st.GetObjectInfo(ctx, "acme", "logs", "new/b"); err != nil {
		t.Fatalf("new/b after the pass: %v", err)
	}
	var res lifecycle.Result
	if err := json.Unmarshal([]byte(c.ok("lifecycle", "run", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if tot := res.Total(); tot != (lifecycle.Stats{}) || res.Tenants["acme"] != (lifecycle.Stats{}) {
		t.Fatalf("second pass: %+v", res)
	}
	contains(t, c.fails(1, "lifecycle", "run", "--tenant", "nobody"), "404", "unknown tenant")

	// The tenant default for aborting unfinished uploads: 7 days, settable, 0 = off.
	contains(t, c.ok("lifecycle", "default", "acme"), "aborted 7 days after", "default")
	contains(t, c.ok("lifecycle", "default", "acme", "--abort-days", "0"), "not aborted by default", "set 0")
	if d, err := lifecycle.TenantDefaultDays(ctx, st, "acme"); err != nil || d != 0 {
		t.Fatalf("stored default %d, %v", d, err)
	}
	contains(t, c.ok("lifecycle", "default", "acme", "--abort-days", "30"), "aborted 30 days after", "set 30")
	if d, err := lifecycle.TenantDefaultDays(ctx, st, "acme"); err != nil || d != 30 {
		t.Fatalf("stored default %d, %v", d, err)
	}
	c.fails(2, "lifecycle", "default", "acme", "--abort-days", "-4")
	contains(t, c.fails(1, "lifecycle", "default", "nobody"), "404", "unknown tenant")
}
