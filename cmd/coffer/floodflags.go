package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/cofferstore/coffer/internal/server"
)

// defaultShutdownGrace is how long in-flight requests get to finish after SIGTERM.
const defaultShutdownGrace = 30 * time.Second

// processFlags are server flags that act on the process rather than on the
// server: the runtime's memory limit and the shutdown grace period.
type processFlags struct {
	memoryLimit   memoryLimitFlag
	shutdownGrace time.Duration
}

// registerFloodFlags adds the flags that keep one client or tenant from
// exhausting connections, memory or the process's exit.
func registerFloodFlags(c *command, cfg *server.Config) *processFlags {
	p := &processFlags{memoryLimit: memoryLimitFlag{bytes: server.MemoryLimitAuto}}
	fs := c.fs
	fs.IntVar(&cfg.MaxConnections, "max-connections", server.DefaultMaxConnections, "open connections per listener, at most `N` (negative: no cap)")
	fs.IntVar(&cfg.MaxConnectionsPerIP, "max-connections-per-ip", server.DefaultMaxConnectionsPerIP, "open connections per client address (IPv6: per /64) and listener, at most `N` (negative: no cap)")
	fs.DurationVar(&cfg.StallTimeout, "stall-timeout", server.DefaultStallTimeout, "cut a request body that sends nothing, and a response the client does not read, for this `DURATION`")
	fs.IntVar(&cfg.MaxInflightWrites, "max-inflight-writes", server.DefaultMaxInflightWrites, "concurrent S3 writes (PUT, part, copy, complete) of all tenants, at most `N`; beyond: 503 SlowDown (negative: no cap)")
	fs.IntVar(&cfg.MaxInflightWritesPerTenant, "max-inflight-writes-per-tenant", server.DefaultMaxInflightWritesPerTenant, "concurrent S3 writes of one tenant, at most `N` (negative: no cap)")
	fs.Var(&p.memoryLimit, "memory-limit", "soft memory `LIMIT` of the Go runtime: a size (2GiB), auto or off; GOMEMLIMIT in the environment wins")
	fs.DurationVar(&p.shutdownGrace, "shutdown-grace", defaultShutdownGrace, "on SIGTERM, in-flight requests get this `DURATION` to finish before they are cut")
	for _, name := range []string{"max-connections", "max-connections-per-ip", "stall-timeout",
		"max-inflight-writes", "max-inflight-writes-per-tenant", "memory-limit", "shutdown-grace"} {
		c.withEnv(name, envName(name))
	}
	c.defaults["memory-limit"] = "auto: half of the machine's or cgroup's memory"
	return p
}

// memoryLimitFlag is a byte count, "auto" (server.MemoryLimitAuto) or "off"/0.
type memoryLimitFlag struct{ bytes int64 }

func (m *memoryLimitFlag) String() string {
	switch {
	case m == nil || m.bytes == server.MemoryLimitAuto:
		return "auto"
	case m.bytes == 0:
		return "off"
	}
	return formatBytes(m.bytes)
}

func (m *memoryLimitFlag) Set(v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "auto":
		m.bytes = server.MemoryLimitAuto
		return nil
	case "off", "none", "0":
		m.bytes = 0
		return nil
	}
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	if n < 64<<20 {
		return fmt.Errorf("memory limit %s is below 64 MiB: the server could not run in it", formatBytes(n))
	}
	m.bytes = n
	return nil
}
