package server

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Request bodies stream without a fixed overall deadline (a 5 GiB part over a
// slow link is legitimate), but a body that stalls or trickles must not hold a
// connection and an upload slot forever. These limits cut both.
const (
	// DefaultStallTimeout cuts a body that sends nothing at all, and a client
	// that reads nothing of its response, for this long.
	DefaultStallTimeout = 30 * time.Second
	// bodyRateWindow and bodyMinBytes cut a body that trickles: fewer than
	// bodyMinBytes arriving within a whole window (about 2 KiB/s).
	bodyRateWindow = 30 * time.Second
	bodyMinBytes   = 64 << 10
	// bodyGrace and bodyMinRate bound a body of declared length as a whole:
	// it must arrive within bodyGrace + length/bodyMinRate. 32 KiB/s is 30
	// times slower than a 1 MB/s link, yet a 1 MiB body trickled at 2 KB/s
	// (8.5 minutes) is cut after 62 s instead of holding its buffers.
	bodyGrace   = 30 * time.Second
	bodyMinRate = 32 << 10
)

// bodyLimits are the limits one listener puts on request bodies.
type bodyLimits struct {
	idle     time.Duration // each read waits at most this long; 0: the listener's ReadTimeout rules
	window   time.Duration // with minBytes: the trickle check; 0 disables it
	minBytes int
	grace    time.Duration // with minRate: the whole-body deadline of a declared length
	minRate  int64         // bytes per second; 0 disables the whole-body deadline
}

// s3BodyLimits are the S3 listener's limits for a stall timeout.
func s3BodyLimits(stall time.Duration) bodyLimits {
	return bodyLimits{idle: stall, window: bodyRateWindow, minBytes: bodyMinBytes, grace: bodyGrace, minRate: bodyMinRate}
}

// errSlowBody is returned by a guarded body that arrives too slowly. It
// matches os.ErrDeadlineExceeded, which s3api answers with 400 RequestTimeout.
var errSlowBody = fmt.Errorf("request body arrived too slowly: %w", os.ErrDeadlineExceeded)

// guard wraps body, declared to be length bytes (-1: unknown), in the limits.
func (lim bodyLimits) guard(body io.ReadCloser, rc *http.ResponseController, length int64) *slowBodyGuard {
	g := &slowBodyGuard{ReadCloser: body, rc: rc, lim: lim}
	if lim.minRate > 0 && length > 0 {
		g.deadline = time.Now().Add(lim.grace + time.Duration(length/lim.minRate)*time.Second)
	}
	return g
}

// slowBodyGuard enforces the idle deadline, the trickle check and the
// whole-body deadline on one body, and remembers whether it was read to the end.
type slowBodyGuard struct {
	io.ReadCloser
	rc          *http.ResponseController
	lim         bodyLimits
	deadline    time.Time // zero: none
	windowStart time.Time
	inWindow    int
	sawEOF      bool
}

func (g *slowBodyGuard) Read(p []byte) (int, error) {
	now := time.Now()
	if !g.deadline.IsZero() && !now.Before(g.deadline) {
		return 0, errSlowBody
	}
	if g.windowStart.IsZero() {
		g.windowStart = now
	}
	if g.lim.idle > 0 {
		d := now.Add(g.lim.idle)
		if !g.deadline.IsZero() && g.deadline.Before(d) {
			d = g.deadline
		}
		// Not every connection supports deadlines (HTTP/2); the checks here still hold.
		_ = g.rc.SetReadDeadline(d)
	}
	n, err := g.ReadCloser.Read(p)
	if err == io.EOF {
		g.sawEOF = true
	}
	g.inWindow += n
	if err == nil && g.lim.window > 0 && time.Since(g.windowStart) >= g.lim.window {
		if g.inWindow < g.lim.minBytes {
			return n, errSlowBody
		}
		g.windowStart, g.inWindow = time.Now(), 0
	}
	return n, err
}
