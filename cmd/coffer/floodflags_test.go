package main

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/cofferstore/coffer/internal/server"
)

// TestFloodFlags: the limits have their defaults, environment variables,
// and command-line flags that override them; the memory limit takes a
// size, auto or off, and refuses a size the server cannot run in.
func TestFloodFlags(t *testing.T) {
	cfg, proc, err := parseServerFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConnections != server.DefaultMaxConnections || cfg.MaxConnectionsPerIP != server.DefaultMaxConnectionsPerIP ||
		cfg.MaxInflightWrites != server.DefaultMaxInflightWrites || cfg.MaxInflightWritesPerTenant != server.DefaultMaxInflightWritesPerTenant ||
		cfg.StallTimeout != server.DefaultStallTimeout || proc.shutdownGrace != defaultShutdownGrace ||
		proc.memoryLimit.bytes != server.MemoryLimitAuto {
		t.Fatalf("defaults: %+v %+v", cfg, proc)
	}

	t.Setenv("COFFER_MAX_CONNECTIONS", "100")
	t.Setenv("COFFER_MAX_CONNECTIONS_PER_IP", "10")
	t.Setenv("COFFER_MAX_INFLIGHT_WRITES", "20")
	t.Setenv("COFFER_MAX_INFLIGHT_WRITES_PER_TENANT", "5")
	t.Setenv("COFFER_STALL_TIMEOUT", "7s")
	t.Setenv("COFFER_SHUTDOWN_GRACE", "3s")
	t.Setenv("COFFER_MEMORY_LIMIT", "off")
	cfg, proc, err = parseServerFlags([]string{"--max-inflight-writes-per-tenant", "6", "--memory-limit", "2GiB"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConnections != 100 || cfg.MaxConnectionsPerIP != 10 || cfg.MaxInflightWrites != 20 ||
		cfg.MaxInflightWritesPerTenant != 6 || cfg.StallTimeout != 7*time.Second || proc.shutdownGrace != 3*time.Second ||
		proc.memoryLimit.bytes != 2<<30 {
		t.Fatalf("env and flags: %+v %+v", cfg, proc)
	}
	_, proc, err = parseServerFlags(nil, &bytes.Buffer{})
	if err != nil || proc.memoryLimit.bytes != 0 {
		t.Fatalf("COFFER_MEMORY_LIMIT=off: %d %v", proc.memoryLimit.bytes, err)
	}

	var ue *usageError
	for _, bad := range []string{"12MB", "lots", "-1"} {
		if _, _, err := parseServerFlags([]string{"--memory-limit", bad}, &bytes.Buffer{}); !errors.As(err, &ue) {
			t.Errorf("--memory-limit %s: %v, want a usage error", bad, err)
		}
	}
}
