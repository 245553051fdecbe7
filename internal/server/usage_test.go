package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/usagehist"
	"github.com/cofferstore/coffer/storage"
)

// TestUsageSampledAtStart: the server samples usage into DIR/usage.db at
// start, before the first interval ends: a tenant created in a first run,
// never sampled there, has its point right after the second start.
func TestUsageSampledAtStart(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{
		DataDir: filepath.Join(dir, "data"), DriveCount: 3, Parity: 1,
		S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0",
		AdminPassword: "operator-password", ScrubInterval: -1, LifecycleInterval: -1,
		UsageSampleInterval: time.Hour,
	}
	ctx := context.Background()
	srv, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.CreateTenant(ctx, "acme", storage.Quota{MaxBytes: 100}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "usage.db")); err != nil {
		t.Fatalf("usage.db: %v", err)
	}

	srv, err = Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, err := srv.Usage.History("acme", "", usagehist.Range48h)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 1 && ps[0].QuotaBytes == 100 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sample at start: %+v", ps)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
