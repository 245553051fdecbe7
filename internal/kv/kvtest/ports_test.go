package kvtest

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// A member whose port another socket holds fails with EADDRINUSE, which
// is what retryPorts retries on.
func TestTakenPortIsEADDRINUSE(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	taken := "http://" + l.Addr().String()
	pu, err := FreeURL()
	if err != nil {
		t.Fatal(err)
	}
	_, err = StartEtcd(t.TempDir(), "m", taken, pu)
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("start on a taken port: %v, want EADDRINUSE", err)
	}
	calls := 0
	if err := retryPorts(func() error { calls++; return err }); calls != 5 || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("retryPorts ran %d times (%v), want 5", calls, err)
	}
}
