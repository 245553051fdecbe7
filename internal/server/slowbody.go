package server

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Request bodies stream without an overall deadline (a 5 GiB part over a slow
// link is legitimate), but a body that stalls or trickles must not hold a
// connection and an upload slot forever. These limits cut both.
const (
	// bodyIdleTimeout cuts a body that sends nothing at all for this long.
	bodyIdleTimeout = 30 * time.Second
	// bodyRateWindow and bodyMinBytes cut a body that trickles: fewer than
	// bodyMinBytes arriving within a whole window (about 2 KiB/s).
	bodyRateWindow = 30 * time.Second
	bodyMinBytes   = 64 << 10
)

// errSlowBody is returned by a guarded body that arrives too slowly. It
// matches os.ErrDeadlineExceeded, which s3api answers with 400 RequestTimeout.
var errSlowBody = fmt.Errorf("request body arrived slower than %d bytes per %v: %w", bodyMinBytes, bodyRateWindow, os.ErrDeadlineExceeded)

// cutSlowBodies wraps request bodies so that each read has an idle deadline
// on the connection and a trickling body fails once a window passes with too
// few bytes.
func cutSlowBodies(next http.Handler) http.Handler {
	return guardBodies(next, bodyIdleTimeout, bodyRateWindow, bodyMinBytes)
}

// guardBodies is cutSlowBodies with its limits as parameters (tests shrink them).
func guardBodies(next http.Handler, idle, window time.Duration, minBytes int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// Guard a shallow copy: net/http inspects the original request's
			// Body after the handler to decide whether the connection can be
			// reused, and must keep seeing its own type there.
			r = r.WithContext(r.Context())
			r.Body = &slowBodyGuard{
				ReadCloser: r.Body,
				rc:         http.NewResponseController(w),
				idle:       idle,
				window:     window,
				minBytes:   minBytes,
			}
		}
		next.ServeHTTP(w, r)
	})
}

// slowBodyGuard enforces the idle deadline and the minimum rate on one body.
type slowBodyGuard struct {
	io.ReadCloser
	rc          *http.ResponseController
	idle        time.Duration
	window      time.Duration
	minBytes    int
	windowStart time.Time
	inWindow    int
}

func (g *slowBodyGuard) Read(p []byte) (int, error) {
	now := time.Now()
	if g.windowStart.IsZero() {
		g.windowStart = now
	}
	// Not every connection supports deadlines (HTTP/2); the rate check still holds.
	_ = g.rc.SetReadDeadline(now.Add(g.idle))
	n, err := g.ReadCloser.Read(p)
	g.inWindow += n
	if err == nil && time.Since(g.windowStart) >= g.window {
		if g.inWindow < g.minBytes {
			return n, errSlowBody
		}
		g.windowStart, g.inWindow = time.Now(), 0
	}
	return n, err
}
