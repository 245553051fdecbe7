package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/cofferstore/coffer/storage"
)

// TestSSEMasterKeyAndDefault: with SSEDefault every new object is SSE-S3
// under a key derived from the master key file, so it reads back after a
// restart; a server started with another master key file cannot read it.
func TestSSEMasterKeyAndDefault(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := Config{DataDir: dir, S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0",
		AdminPassword: "operator-password", ScrubInterval: -1, SSEDefault: true}
	srv, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("secret "), 40000)
	if err := srv.Store.CreateTenant(ctx, "acme", storage.Quota{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.CreateBucket(ctx, "acme", "bkt", storage.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := srv.Store.PutObject(ctx, "acme", "bkt", "k", bytes.NewReader(data), storage.PutOptions{Size: int64(len(data))})
	if err != nil || info.Encryption != storage.SSES3 {
		t.Fatalf("PutObject under SSEDefault: %v %q", err, info.Encryption)
	}
	srv.Shutdown(ctx)

	read := func(cfg Config) ([]byte, error) {
		srv, err := Start(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Shutdown(ctx)
		r, err := srv.Store.OpenObject(ctx, "acme", "bkt", "k")
		if err != nil {
			return nil, err
		}
		defer r.Close()
		rc, err := r.Range(ctx, 0, r.Info().Size)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	cfg.SSEDefault = false
	if got, err := read(cfg); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after restart: %d bytes, %v", len(got), err)
	}
	cfg.MasterKeyFile = filepath.Join(t.TempDir(), "other.key")
	if _, err := read(cfg); !errors.Is(err, storage.ErrSSENoMasterKey) {
		t.Fatalf("with another master key: %v", err)
	}
}
