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

// TestSlowBodiesAreCut: a stalled body and a trickling body both end in a
// deadline error the handler can answer; a body at a normal pace reads whole.
func TestSlowBodiesAreCut(t *testing.T) {
	type result struct {
		n   int64
		err error
	}
	results := make(chan result, 1)
	h := guardRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		results <- result{n, err}
		if err != nil {
			http.Error(w, "timeout", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, n)
	}), bodyLimits{idle: 400 * time.Millisecond, window: 600 * time.Millisecond, minBytes: 100}, 0)
	srv := httptest.NewServer(h)
	defer srv.Close()

	tests := []struct {
		name     string
		send     func(w io.Writer)
		length   int
		wantErr  bool
		wantRead int64
	}{
		{"whole body at once", func(w io.Writer) { _, _ = io.WriteString(w, strings.Repeat("a", 1000)) }, 1000, false, 1000},
		{"stalls after a few bytes", func(w io.Writer) { _, _ = io.WriteString(w, "abc"); time.Sleep(1500 * time.Millisecond) }, 1000, true, 3},
		{"trickles one byte per 100 ms", func(w io.Writer) {
			for i := 0; i < 20; i++ {
				if _, err := io.WriteString(w, "x"); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}, 1000, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "PUT /x HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n", tt.length)
			tt.send(conn)
			var got result
			select {
			case got = <-results:
			case <-time.After(10 * time.Second):
				t.Fatal("the handler never finished reading the body")
			}
			if tt.wantErr {
				if !errors.Is(got.err, os.ErrDeadlineExceeded) {
					t.Fatalf("read %d bytes, err %v; want a deadline error", got.n, got.err)
				}
				if tt.wantRead >= 0 && got.n != tt.wantRead {
					t.Fatalf("read %d bytes before the cut, want %d", got.n, tt.wantRead)
				}
				if got.n >= int64(tt.length) {
					t.Fatalf("read the whole body (%d bytes) despite the cut", got.n)
				}
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatalf("no response after the cut: %v", err)
				}
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d after the cut, want 400", resp.StatusCode)
				}
				return
			}
			if got.err != nil || got.n != tt.wantRead {
				t.Fatalf("read %d bytes, err %v; want %d, nil", got.n, got.err, tt.wantRead)
			}
		})
	}
}
