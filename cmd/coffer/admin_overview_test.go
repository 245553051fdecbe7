package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/storage"
)

// TestAdminOverviewCLI: `overview`, `tenant buckets` and `scrub now`
// against a real server with stored objects, as text and --json.
func TestAdminOverviewCLI(t *testing.T) {
	srv := startTestServer(t)
	c := cli{t: t, srv: srv}
	ctx := context.Background()
	c.ok("tenant", "create", "alpha")
	c.ok("tenant", "create", "bravo", "--quota-bytes", "1MiB")
	st := srv.Store
	put := func(tenant, bucket, key string, n int) {
		t.Helper()
		if _, err := st.PutObject(ctx, tenant, bucket, key, bytes.NewReader(bytes.Repeat([]byte("q"), n)), storage.PutOptions{Size: int64(n)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []struct{ tenant, bucket string }{{"alpha", "small"}, {"bravo", "large"}, {"bravo", "versioned"}} {
		if err := st.CreateBucket(ctx, b.tenant, b.bucket, storage.BucketOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetBucketVersioning(ctx, "bravo", "versioned", storage.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	put("alpha", "small", "a", 10)
	put("bravo", "large", "b", 3000)
	put("bravo", "versioned", "v", 100)
	put("bravo", "versioned", "v", 200) // the first becomes noncurrent

	out := c.ok("overview")
	for _, want := range []string{"Version:   unknown", "Tenants:   2 (0 suspended), 4 objects", "Drives:    4 of 4 online, write quorum yes",
		"with 2 data + 2 parity shards; tenants store 3.2 KiB", "Requests:  0 S3 requests in the last hour"} {
		contains(t, out, want, "overview")
	}
	if i, j := strings.Index(out, "bravo"), strings.Index(out, "alpha"); i < 0 || j < 0 || i > j {
		t.Errorf("overview: bravo (3300 B) must rank above alpha (10 B):\n%s", out)
	}
	contains(t, out, "1 MiB", "overview shows bravo's byte quota")
	var ov console.OverviewJSON
	if err := json.Unmarshal([]byte(c.ok("overview", "--json")), &ov); err != nil {
		t.Fatal(err)
	}
	if ov.Tenants != 2 || len(ov.TopTenants) != 2 || ov.TopTenants[0].Name != "bravo" || ov.TopTenants[0].Bytes != 3300 ||
		ov.Capacity.UsableBytes != ov.Capacity.RawBytes/2 || ov.Capacity.RawBytes == 0 {
		t.Fatalf("overview --json %+v", ov)
	}

	out = c.ok("tenant", "buckets", "bravo")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "CONTAINER") {
		t.Fatalf("tenant buckets bravo:\n%s", out)
	}
	if f := strings.Fields(lines[1]); len(f) < 6 || f[0] != "large" || f[1] != "1" || f[2]+" "+f[3] != "2.9 KiB" || f[6] != "off" {
		t.Errorf("large row %q", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) < 8 || f[0] != "versioned" || f[1] != "2" || f[2]+f[3] != "300B" || f[4]+f[5] != "100B" || f[6] != "Enabled" {
		t.Errorf("versioned row %q", lines[2])
	}
	var cs struct{ Containers []console.ContainerSizeJSON }
	if err := json.Unmarshal([]byte(c.ok("tenant", "buckets", "alpha", "--json")), &cs); err != nil || len(cs.Containers) != 1 || cs.Containers[0].Bytes != 10 {
		t.Fatalf("tenant buckets alpha --json %+v %v", cs, err)
	}
	contains(t, c.fails(1, "tenant", "buckets", "nobody"), "404", "unknown tenant")
	c.fails(2, "tenant", "buckets")

	out = c.ok("scrub", "now")
	contains(t, out, "Scrub pass done: idle", "scrub now")
	contains(t, out, "objects scanned 4", "scrub now counts the 4 versions")
	var sc console.ScrubJSON
	if err := json.Unmarshal([]byte(c.ok("scrub", "now", "--json")), &sc); err != nil || sc.ObjectsScanned != 8 || sc.LastScrubDone == nil {
		t.Fatalf("scrub now --json (second pass: 8 scanned since start) %+v %v", sc, err)
	}
	contains(t, c.ok("--help"), "scrub now", "admin --help lists scrub now")
}

// TestAdminScrubNowBusy: a 409 from the server (a pass already running)
// is told as such, not as a failure of the pass.
func TestAdminScrubNowBusy(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/admin/scrub" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"error":"a scrub pass is already running; try again when it is done","progress":0.4}`))
	}))
	defer ts.Close()
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"admin", "--server", ts.URL, "--token", "t", "scrub", "now"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "already running") || !strings.Contains(err.Error(), "coffer admin drives") {
		t.Fatalf("scrub now against a busy server: %v", err)
	}
}
