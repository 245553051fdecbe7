package server

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cofferstore/coffer/pkg/slots"
)

// Connection caps. Every open connection costs a descriptor and a goroutine
// with its buffers, so anyone who can connect could otherwise exhaust both.
const (
	// DefaultMaxConnections caps open connections per listener.
	DefaultMaxConnections = 4096
	// DefaultMaxConnectionsPerIP caps open connections per client address
	// (per /64 for IPv6, which one host usually owns whole) and listener.
	// Above s5cmd's default of 256 workers plus their idle connections: a
	// busy legitimate client must not meet it, a flood from one address
	// still holds at most a quarter of the listener.
	DefaultMaxConnectionsPerIP = 1024
	// rejectLogEvery spaces the warnings about refused connections, so a
	// flood does not also flood the log.
	rejectLogEvery = 10 * time.Second
)

// limitListener caps open connections in total and per client address.
// Over-limit connections are closed as soon as they are accepted: writing
// even a short 503 to them would need a write deadline and a goroutine,
// which is what the cap exists to save.
type limitListener struct {
	net.Listener
	name     string
	total    int // <= 0: no cap
	perAddr  int // <= 0: no cap
	logger   *slog.Logger
	slots    *slots.Counter[netip.Addr]
	rejected atomic.Int64
	mu       sync.Mutex // guards lastLog
	lastLog  time.Time
}

// limitConnections wraps ln; name labels the log lines ("s3", "console").
func limitConnections(ln net.Listener, name string, total, perAddr int, logger *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, name: name, total: total, perAddr: perAddr,
		logger: logger, slots: slots.New[netip.Addr](total, perAddr)}
}

// Accept returns the next connection within the caps; over-limit ones are
// closed here and never reach the HTTP server.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if release, ok := l.slots.TryTake(clientKey(c.RemoteAddr())); ok {
			return &limitedConn{Conn: c, release: release}, nil
		}
		_ = c.Close() // over the cap: the client sees the close, nothing was read or written
		l.noteRejected()
	}
}

// counts returns the open connections in total and for key (tests).
func (l *limitListener) counts(key netip.Addr) (total, forKey int) {
	return l.slots.Counts(key)
}

func (l *limitListener) noteRejected() {
	n := l.rejected.Add(1)
	l.mu.Lock()
	now := time.Now()
	due := now.Sub(l.lastLog) >= rejectLogEvery
	if due {
		l.lastLog = now
	}
	l.mu.Unlock()
	if due && l.logger != nil {
		l.logger.Warn("connection limit reached: refusing connections", "listener", l.name,
			"maxConnections", l.total, "maxConnectionsPerIP", l.perAddr, "refusedSoFar", n)
	}
}

// clientKey is the address a connection counts against: the IP, unmapped
// from IPv4-in-IPv6, and for IPv6 its /64 prefix.
func clientKey(a net.Addr) netip.Addr {
	var ip netip.Addr
	if tcp, ok := a.(*net.TCPAddr); ok {
		ip = tcp.AddrPort().Addr().Unmap()
	} else if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip = ap.Addr().Unmap()
	}
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	return ip
}

// limitedConn gives its slot back when closed; the release is idempotent,
// as net/http and TLS may both close it.
type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// CloseWrite passes a half-close through, so net/http can still let a client
// read an error answer before the connection goes (its RST avoidance).
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
