package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// refuseUnread answers 403 without reading the body, as s3api does for a
// request that fails authentication.
var refuseUnread = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "denied", http.StatusForbidden)
})

// TestUnreadBodyIsNotAwaited: a request that declares a body and never
// sends it, answered without reading, is answered and its connection
// closed within the unread-body grace (net/http alone drains it without a
// deadline, holding the connection forever). A client that did send its
// body keeps a reusable connection.
func TestUnreadBodyIsNotAwaited(t *testing.T) {
	srv := httptest.NewServer(guardRequests(refuseUnread, s3BodyLimits(DefaultStallTimeout), DefaultStallTimeout))
	defer srv.Close()

	t.Run("declared, never sent", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "PUT /b/k HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n")
		conn.SetReadDeadline(time.Now().Add(unreadBodyGrace + 10*time.Second))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("no answer while the body is missing: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the answer: %v, want the server to close the connection (EOF)", err)
		}
	})

	t.Run("sent in full, connection reused", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(conn)
		for i := 0; i < 2; i++ {
			fmt.Fprintf(conn, "PUT /b/k HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != http.StatusForbidden || resp.Close {
				t.Fatalf("request %d: status %d close %v, want 403 on a kept-alive connection", i, resp.StatusCode, resp.Close)
			}
		}
	})
}

// TestStalledReaderIsCut: a client that stops reading a large response is
// cut once no write progresses for the stall timeout (without the deadline
// the handler's Write blocks forever), while a slow client that keeps
// reading gets the whole response.
func TestStalledReaderIsCut(t *testing.T) {
	const stall = 500 * time.Millisecond
	const size = 64 << 20 // far beyond loopback socket buffers
	chunk := make([]byte, 256<<10)
	results := make(chan error, 1)
	h := guardRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		var err error
		for n := 0; n < size && err == nil; n += len(chunk) {
			_, err = w.Write(chunk)
		}
		results <- err
	}), s3BodyLimits(DefaultStallTimeout), stall)
	srv := httptest.NewServer(h)
	defer srv.Close()

	t.Run("stops reading", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET /big HTTP/1.1\r\nHost: test\r\n\r\n")
		select {
		case err := <-results:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("handler's write ended with %v, want a deadline error", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the handler is still writing to a client that reads nothing")
		}
	})

	t.Run("reads slowly but steadily", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET /big HTTP/1.1\r\nHost: test\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		// 1 MiB every 50 ms: slow for loopback, never a stall.
		var got int64
		buf := make([]byte, 1<<20)
		for {
			n, err := io.ReadFull(resp.Body, buf)
			got += int64(n)
			if err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got != size {
			t.Fatalf("read %d bytes, want %d", got, size)
		}
		if err := <-results; err != nil {
			t.Fatalf("handler: %v", err)
		}
	})
}

// TestDeclaredLengthBoundsTheBody: a body that never stalls but arrives
// slower than its declared length allows (grace + length/minRate) is cut;
// the same body at a sufficient pace reads whole.
func TestDeclaredLengthBoundsTheBody(t *testing.T) {
	lim := bodyLimits{idle: 5 * time.Second, grace: 300 * time.Millisecond, minRate: 1000}
	type result struct {
		n   int64
		err error
	}
	results := make(chan result, 1)
	srv := httptest.NewServer(guardRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		results <- result{n, err}
	}), lim, 0))
	defer srv.Close()

	send := func(perTick int, tick time.Duration) result {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "PUT /x HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n")
		go func() {
			for sent := 0; sent < 1000; sent += perTick {
				if _, err := io.WriteString(conn, strings.Repeat("x", perTick)); err != nil {
					return
				}
				time.Sleep(tick)
			}
		}()
		select {
		case r := <-results:
			return r
		case <-time.After(30 * time.Second):
			t.Fatal("the handler never finished reading")
			return result{}
		}
	}
	// 1,000 bytes allowed 1.3 s; 10 bytes per 100 ms would take 10 s.
	if r := send(10, 100*time.Millisecond); !errors.Is(r.err, os.ErrDeadlineExceeded) || r.n >= 1000 {
		t.Fatalf("trickled body: read %d, err %v; want a deadline error before the end", r.n, r.err)
	}
	if r := send(100, 10*time.Millisecond); r.err != nil || r.n != 1000 {
		t.Fatalf("paced body: read %d, err %v; want all 1000 bytes", r.n, r.err)
	}
}
