package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/s3api"
	"github.com/cofferstore/coffer/storage"
)

const region = "us-east-1"

// startServer runs Coffer's real S3 stack (storage on 4 drive directories,
// 2+2, the credential store, the SigV4 verifier and the S3 handler) on a
// loopback listener and returns its URL and a client with a fresh tenant's key.
// It wires the parts itself rather than through internal/server so the
// test depends on nothing but what it drives.
func startServer(t *testing.T) (string, *client) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	var drives []string
	for _, d := range []string{"drive1", "drive2", "drive3", "drive4"} {
		drives = append(drives, filepath.Join(dir, d))
		if err := os.MkdirAll(drives[len(drives)-1], 0o700); err != nil {
			t.Fatal(err)
		}
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := storage.Open(storage.Config{DataDir: dir, Drives: drives, Parity: 2, ScrubInterval: -1, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := auth.OpenStore(filepath.Join(dir, "auth.db"), key)
	if err != nil {
		t.Fatal(err)
	}
	h := s3api.New(s3api.Config{
		Store:    store,
		Verifier: auth.NewVerifier(creds, auth.VerifierOptions{Region: region}),
		Region:   region,
		Logger:   logger,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		creds.Close()
		store.Close()
	})
	if err := store.CreateTenant(ctx, "bench", storage.Quota{}); err != nil {
		t.Fatal(err)
	}
	cred, err := creds.GenerateKey("bench")
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, newClient(srv.URL, cred.AccessKey, cred.SecretKey, region, 64)
}

// TestWorkloads runs every workload for one second against a real server
// (with fewer prepared objects) and requires operations and no errors.
func TestWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server under load for ~10 s")
	}
	_, c := startServer(t)
	small := map[string]int{"get-4k": 200, "get-16m": 4, "mixed": 64, "list": 2500}
	for _, wl := range workloads {
		t.Run(wl.Name, func(t *testing.T) {
			if n, ok := small[wl.Name]; ok {
				wl.Objects = n
			}
			r, err := runWorkload(context.Background(), c, wl, "t-"+wl.Name, time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Errors != 0 || r.Ops == 0 {
				t.Fatalf("%d ops, %d errors (first: %s)", r.Ops, r.Errors, r.FirstError)
			}
			if r.Seconds < 1 || r.OpsPerSec <= 0 || r.Latency.P50 <= 0 || r.Latency.P99 < r.Latency.P50 {
				t.Fatalf("implausible result %+v", r)
			}
			switch wl.Kind {
			case "put", "get":
				if r.Bytes != r.Ops*wl.Size {
					t.Fatalf("moved %d bytes in %d ops of %d", r.Bytes, r.Ops, wl.Size)
				}
			case "list": // pages of 1000 keys but the last of each pass
				if r.Objects < r.Ops || r.Objects > 1000*r.Ops {
					t.Fatalf("listed %d keys in %d pages", r.Objects, r.Ops)
				}
			case "mixed":
				if len(r.PerOp) < 3 {
					t.Fatalf("mixed ran only %v", r.PerOp)
				}
			}
		})
	}
}

// TestWrongSecretFails checks that a rejected signature surfaces as an error.
func TestWrongSecretFails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	url, c := startServer(t)
	bad := newClient(url, c.creds.AccessKeyID, "not-the-secret", region, 4)
	_, err := runWorkload(context.Background(), bad, workloads[0], "t-bad", time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("err = %v, want HTTP 403", err)
	}
}

func TestLatencyOf(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	tests := []struct {
		in            []time.Duration
		p50, p90, p99 float64
	}{
		{nil, 0, 0, 0},
		{ms(7), 7, 7, 7},
		{ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 5, 9, 10},
	}
	for _, tc := range tests {
		got := latencyOf(tc.in)
		if got.P50 != tc.p50 || got.P90 != tc.p90 || got.P99 != tc.p99 {
			t.Errorf("latencyOf(%v) = %+v, want p50 %v p90 %v p99 %v", tc.in, got, tc.p50, tc.p90, tc.p99)
		}
	}
}

func TestTableMedianAndVerdict(t *testing.T) {
	run := func(objPerSec float64) Run {
		return Run{Machine: "test", Duration: "1s", Results: []Result{{Workload: "put-4k", Ops: 10, ObjPerSec: objPerSec, OpsPerSec: objPerSec}}}
	}
	var out bytes.Buffer
	writeTable(&out, []Run{run(700), run(100), run(3000)})
	s := out.String()
	for _, want := range []string{"**700 obj/s** [100-3,000]", "meets must", "500 obj/s"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
	if num(1234567) != "1,234,567" || num(12.34) != "12.3" {
		t.Errorf("num: %s %s", num(1234567), num(12.34))
	}
}

// TestExistingBucket runs PUT and LIST in one given bucket as bench-scale
// does: PUT keys carry the prefix, nothing is prepared, and a full LIST pass
// must see exactly the keys the PUTs wrote.
func TestExistingBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	_, c := startServer(t)
	ctx := context.Background()
	put, list := workloads[0], workloads[len(workloads)-1]
	if put.Name != "put-4k" || list.Name != "list" {
		t.Fatalf("workload order changed: %s, %s", put.Name, list.Name)
	}
	put.Existing, put.KeyPrefix, put.Concurrency = true, "p0/", 4
	r, err := runWorkload(ctx, c, put, "t-scale", time.Second, nil)
	if err != nil || r.Errors != 0 || r.Objects == 0 {
		t.Fatalf("put: %+v, %v", r, err)
	}
	var page bytes.Buffer
	n, _, err := c.listPage(ctx, "t-scale", "", &page)
	if err != nil || !strings.Contains(page.String(), "<Key>p0/w000/") {
		t.Fatalf("list: %d keys, %v:\n%.300s", n, err, page.String())
	}
	list.Existing, list.Objects, list.Concurrency = true, int(r.Objects), 1
	lr, err := runWorkload(ctx, c, list, "t-scale", time.Second, nil)
	if err != nil || lr.Errors != 0 || lr.Ops == 0 {
		t.Fatalf("list: %+v, %v", lr, err)
	}
	list.Objects++ // a pass that sees one key fewer than expected is an error
	lr, err = runWorkload(ctx, c, list, "t-scale", time.Second, nil)
	if err != nil || lr.Errors == 0 || !strings.Contains(lr.FirstError, "want") {
		t.Fatalf("list with a wrong count: %+v, %v", lr, err)
	}
}
