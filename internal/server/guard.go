package server

import (
	"net/http"
	"time"
)

const (
	// unreadBodyGrace is how long net/http may go on reading a body the
	// handler left unread (it drains up to 256 KiB to reuse the connection).
	// A client that already sent its body is drained well within it; one
	// that declared a body and never sends it is cut when it passes, instead
	// of holding the connection forever.
	unreadBodyGrace = 2 * time.Second
	// writeChunk is the most one write may send under one deadline: the
	// slowest reader that is never cut gets writeChunk per stall timeout.
	writeChunk = 128 << 10
)

// guardRequests puts the listener's deadlines on every request: the body
// limits while the handler reads, a short deadline for a body it leaves
// unread, and a write-progress deadline (stall) while it answers; stall 0
// leaves writes without a deadline.
func guardRequests(next http.Handler, lim bodyLimits, stall time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		// A write deadline set while answering the previous request on this
		// connection must not cut this one before it writes anything.
		_ = rc.SetWriteDeadline(time.Time{})
		var body *slowBodyGuard
		if r.Body != nil && r.Body != http.NoBody {
			// Guard a shallow copy: net/http inspects the original request's
			// Body after the handler to decide whether the connection can be
			// reused, and must keep seeing its own type there.
			r = r.WithContext(r.Context())
			body = lim.guard(r.Body, rc, r.ContentLength)
			r.Body = body
		}
		pw := &progressWriter{ResponseWriter: w, rc: rc, stall: stall}
		pw.beforeHeader = func() {
			if body != nil && !body.sawEOF {
				_ = rc.SetReadDeadline(time.Now().Add(unreadBodyGrace))
			}
		}
		next.ServeHTTP(pw, r)
		if !pw.wroteHeader {
			pw.beforeHeader() // net/http writes the 200 and drains the body next
		}
	})
}

// progressWriter gives every write its own deadline, so a response of any
// size streams to a client that keeps reading, and one that stops reading is
// cut within the stall timeout.
type progressWriter struct {
	http.ResponseWriter
	rc           *http.ResponseController
	stall        time.Duration
	beforeHeader func()
	wroteHeader  bool
	extended     time.Time // when the write deadline was last moved
}

func (p *progressWriter) WriteHeader(code int) {
	if !p.wroteHeader && code >= 200 {
		p.wroteHeader = true
		p.beforeHeader()
	}
	p.extend()
	p.ResponseWriter.WriteHeader(code)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if !p.wroteHeader {
		p.wroteHeader = true
		p.beforeHeader()
	}
	written := 0
	for len(b) > 0 {
		chunk := b
		if p.stall > 0 && len(chunk) > writeChunk {
			chunk = chunk[:writeChunk]
		}
		p.extend()
		n, err := p.ResponseWriter.Write(chunk)
		written += n
		if err != nil {
			return written, err
		}
		b = b[n:]
	}
	return written, nil
}

// extend moves the write deadline to now+stall. Moving it costs a timer
// update, so small writes in quick succession share one: the bound a
// stalled reader gets is between 15/16 of stall and stall.
func (p *progressWriter) extend() {
	if p.stall <= 0 {
		return
	}
	now := time.Now()
	if now.Sub(p.extended) < p.stall/16 {
		return
	}
	p.extended = now
	_ = p.rc.SetWriteDeadline(now.Add(p.stall))
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (p *progressWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }
