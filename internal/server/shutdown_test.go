package server

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferstore/coffer/auth"
)

// TestShutdownWithStuckRequest: a request stuck inside an auth-store write
// transaction (here: the store's clock, read inside the transaction, never
// returns) blocks closing the store forever, and with it Shutdown and the
// process's exit. Shutdown must still return within the grace plus
// storeCloseTimeout, and name what is stuck.
func TestShutdownWithStuckRequest(t *testing.T) {
	dir := t.TempDir()
	srv, err := Start(context.Background(), Config{
		DataDir: filepath.Join(dir, "data"), DriveCount: 2, Parity: 1,
		S3Address: "127.0.0.1:0", ConsoleAddress: "127.0.0.1:0",
		AdminPassword: "operator-password", ScrubInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	defer close(release) // lets the stuck transaction end after the test
	entered := make(chan struct{})
	var once sync.Once
	srv.Auth.SetClock(func() time.Time {
		once.Do(func() { close(entered) })
		<-release
		return time.Now()
	})
	go func() { _ = srv.Auth.CreateUser("", "stuck-operator", "a-long-enough-password", auth.RoleOperator) }() // held stuck; its result is not the point
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the stuck request never reached its transaction")
	}

	const grace = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "auth store") || !strings.Contains(err.Error(), "stuck") {
			t.Fatalf("Shutdown: %v; want an error naming the stuck auth store", err)
		}
	case <-time.After(grace + storeCloseTimeout + 20*time.Second):
		t.Fatal("Shutdown did not return: a stuck request blocks it")
	}
	// A second call returns the same answer at once.
	if err := srv.Shutdown(context.Background()); err == nil {
		t.Fatal("second Shutdown: nil, want the first one's error")
	}
}
