package server

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestConnectionCaps: connections beyond the per-address cap and beyond the
// total cap are closed on accept, other addresses still get in, and a
// closed connection gives its slot back exactly once, however often closed.
func TestConnectionCaps(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitConnections(raw, "test", 3, 2, nil)
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	addr := ln.Addr().String()
	dialFrom := func(ip string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial from %s: %v", ip, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// mustAccept waits for the server side of the next admitted connection.
	mustAccept := func(what string) net.Conn {
		t.Helper()
		select {
		case c := <-accepted:
			return c
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: not accepted", what)
			return nil
		}
	}
	// mustBeRefused checks the server closed the client's connection.
	mustBeRefused := func(c net.Conn, what string) {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if err == nil || errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("%s: connection still open (read err %v), want it closed by the server", what, err)
		}
		select {
		case <-accepted:
			t.Fatalf("%s: reached the server over the cap", what)
		default:
		}
	}
	one := netip.MustParseAddr("127.0.0.1")

	dialFrom("127.0.0.1")
	s1 := mustAccept("first from 127.0.0.1")
	dialFrom("127.0.0.1")
	mustAccept("second from 127.0.0.1")
	mustBeRefused(dialFrom("127.0.0.1"), "third from 127.0.0.1 (per-address cap 2)")
	dialFrom("127.0.0.2")
	mustAccept("first from 127.0.0.2")
	mustBeRefused(dialFrom("127.0.0.3"), "127.0.0.3 (total cap 3)")
	if total, forOne := ln.counts(one); total != 3 || forOne != 2 {
		t.Fatalf("counts %d total, %d for 127.0.0.1; want 3, 2", total, forOne)
	}

	// Closing twice releases once: net/http and TLS may both close a conn.
	s1.Close()
	s1.Close()
	if total, forOne := ln.counts(one); total != 2 || forOne != 1 {
		t.Fatalf("after close: %d total, %d for 127.0.0.1; want 2, 1", total, forOne)
	}
	c := dialFrom("127.0.0.1")
	s4 := mustAccept("127.0.0.1 after a slot was released")
	// The admitted connection works end to end.
	go func() { _, _ = s4.Write([]byte("ok")) }() // a failed write shows in the ReadFull below
	buf := make([]byte, 2)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ok" {
		t.Fatalf("admitted connection: %q %v", buf, err)
	}
}

// TestClientKey: IPv4-mapped addresses count as IPv4, IPv6 per /64.
func TestClientKey(t *testing.T) {
	for _, tt := range []struct{ addr, want string }{
		{"127.0.0.1:80", "127.0.0.1"},
		{"[::ffff:10.0.0.7]:80", "10.0.0.7"},
		{"[2001:db8:1:2:aaaa::1]:80", "2001:db8:1:2::"},
		{"[2001:db8:1:2:bbbb::9]:443", "2001:db8:1:2::"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := clientKey(a).String(); got != tt.want {
			t.Errorf("clientKey(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}
