package s3api

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/reqid"
)

// maxHeaderBytes caps the request header section (AWS allows 8 KB for PUT;
// we are more generous for long copy sources and presigned fields).
const maxHeaderBytes = 16 << 10

// request is what an operation handler needs about a verified request.
type request struct {
	ctx    context.Context
	id     string
	tenant string // the namespace addressed: the bucket's owner
	// principal is the signer's tenant, "" for an anonymous request; it
	// differs from tenant for a "tenant:bucket" address (address.go).
	principal string
	bucket    string
	key       string
	verified  *auth.Verified
	// allowKey authorizes one key of a DeleteObjects (authorize sets it;
	// nil allows every key).
	allowKey func(key string, version bool) bool
	// body is the decoded payload; size its exact length or -1.
	body io.Reader
	size int64
}

// reqState follows one request from arrival to the access log line.
type reqState struct {
	id          string
	start       time.Time
	op          string
	tenant      string
	bucket, key string
	hostStyle   bool // the bucket came from the Host header (route)
	bytesIn     atomic.Int64
}

// authTarget hands the routing decision to the verifier.
func (st *reqState) authTarget() auth.Target {
	if st.hostStyle {
		return auth.Target{HostBucket: st.bucket}
	}
	return auth.Target{}
}

func (st *reqState) level() level {
	switch {
	case st.bucket == "":
		return levelService
	case st.key == "":
		return levelBucket
	}
	return levelObject
}

type stateKey struct{}

func stateFrom(r *http.Request) *reqState {
	st, _ := r.Context().Value(stateKey{}).(*reqState)
	return st
}

// trackingWriter remembers the status and counts the bytes written.
type trackingWriter struct {
	http.ResponseWriter
	status  int
	written int64
}

func (t *trackingWriter) WriteHeader(code int) {
	if t.status == 0 && code >= http.StatusOK { // an interim 1xx is not the status
		t.status = code
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	n, err := t.ResponseWriter.Write(p)
	t.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// countingReader counts decoded body bytes for the access log and metrics.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// ServeHTTP stamps request ids, routes, and writes one access-log line.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := &reqState{id: reqid.New(), start: time.Now(), op: "Unknown"}
	var routeErr error
	st.bucket, st.key, st.hostStyle, routeErr = s.route(r)
	tw := &trackingWriter{ResponseWriter: w}
	h := w.Header()
	h.Set("X-Amz-Request-Id", st.id)
	h.Set("X-Amz-Id-2", hostID(st.id))
	h.Set("Server", "Coffer")
	if s.obs != nil {
		s.obs.S3InFlight(1)
		defer s.obs.S3InFlight(-1)
	}
	defer func() {
		rec := recover()
		if rec != nil && rec != http.ErrAbortHandler { //nolint:errorlint // sentinel value, not an error chain
			s.log.Error("s3 handler panic", "request_id", st.id, "op", st.op, "panic", rec, "stack", string(debug.Stack()))
			if tw.status == 0 {
				writeError(tw, r, st.id, errInternal)
			}
		}
		s.finish(r, st, tw)
		if rec == http.ErrAbortHandler { //nolint:errorlint
			panic(rec)
		}
	}()
	if routeErr != nil {
		writeError(tw, r, st.id, toAPIError(routeErr))
		return
	}
	s.router.ServeHTTP(tw, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
}

// wrap turns an operation handler into an http.Handler: it verifies the
// request, checks the tenant, runs the handler and renders its error.
func (s *server) wrap(op string, h handlerFunc) http.Handler {
	h = s.limitWrites(op, h) // after authentication: the cap is per tenant
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r)
		st.op = op
		rq, err := s.authenticate(r, st)
		s.addCORS(w, r, rq) // before the handler writes, errors included
		if err == nil {
			err = s.authorize(r, op, rq)
		}
		if err == nil {
			continueEmptyBody(w, r)
			err = h(w, r, rq)
		}
		if rq != nil && rq.verified != nil && rq.verified.Body != nil {
			_ = rq.verified.Body.Close()
		}
		if err != nil {
			s.fail(w, r, st, err)
		}
	})
}

// noLength reports a request that says nothing of its body's length:
// neither Content-Length nor Transfer-Encoding (HTTP reads that as no
// body). S3 answers a PUT of an object or part like that 411
// MissingContentLength rather than storing an empty one.
func noLength(r *http.Request) bool {
	return r.ContentLength == 0 && len(r.TransferEncoding) == 0 && r.Header.Get("Content-Length") == ""
}

// continueEmptyBody sends the interim "100 Continue" a client asked for
// with "Expect: 100-continue" on a request without a body, once the request
// is authenticated. net/http sends it only when a handler reads a body, so
// such a request would get its final answer without it; botocore takes that
// answer while waiting for the 100 and then misreads the connection: the
// next request on it stalls until the client's read timeout.
func continueEmptyBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 && r.ProtoAtLeast(1, 1) && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		w.WriteHeader(http.StatusContinue)
	}
}

// fail renders err, or, when the response has already started, cuts the
// connection so the client sees a truncated body rather than a wrong one.
func (s *server) fail(w http.ResponseWriter, r *http.Request, st *reqState, err error) {
	ae := toAPIError(err)
	if ae == errInternal {
		s.log.Error("s3 internal error", "request_id", st.id, "op", st.op, "err", err)
	}
	if tw, ok := w.(*trackingWriter); ok && tw.status != 0 {
		s.log.Warn("s3 response aborted", "request_id", st.id, "op", st.op, "err", err)
		panic(http.ErrAbortHandler)
	}
	writeError(w, r, st.id, ae)
}

// authenticate checks header size, the signature and the tenant's state.
func (s *server) authenticate(r *http.Request, st *reqState) (*request, error) {
	if headerSize(r.Header) > maxHeaderBytes {
		return nil, errHeaderTooLarge
	}
	if s.verifier == nil {
		return nil, auth.ErrMissingAuth
	}
	ns, bucket, named := splitBucketAddress(st.bucket)
	v, err := s.verifier.Verify(r, st.authTarget())
	if err != nil && !(named && errors.Is(err, auth.ErrMissingAuth)) {
		s.authFailed(toAPIError(err).Code)
		return nil, err
	}
	rq := newRequest(r, st, v, ns, bucket, named)
	return rq, s.checkTenants(r, rq)
}

func (s *server) authFailed(reason string) {
	if s.obs != nil {
		s.obs.S3AuthFailure(reason)
	}
}

// finish writes the access-log line and reports to the observer. It never
// logs headers or query strings, which may carry signatures.
func (s *server) finish(r *http.Request, st *reqState, tw *trackingWriter) {
	status := tw.status
	if status == 0 {
		status = http.StatusOK
	}
	d := time.Since(st.start)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "s3 request",
		slog.String("method", r.Method),
		slog.String("op", st.op),
		slog.String("tenant", st.tenant),
		slog.String("bucket", st.bucket),
		slog.Int("status", status),
		slog.Int64("bytes_in", st.bytesIn.Load()),
		slog.Int64("bytes_out", tw.written),
		slog.Duration("duration", d),
		slog.String("request_id", st.id),
	)
	if s.obs != nil {
		s.obs.S3Request(st.op, status, d, st.bytesIn.Load(), tw.written)
	}
}

// headerSize is the size of the header section as sent, roughly.
func headerSize(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// hostID derives the x-amz-id-2 value from the request id.
func hostID(id string) string {
	return base64.StdEncoding.EncodeToString([]byte("coffer/" + id))
}
