package driveproto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cofferstore/coffer/storage"
	"github.com/zeebo/xxh3"
)

// remoteTemp is a temporary file on a remote drive. Its writes stream
// over one chunked request body through a pipe (never buffered whole);
// Sync ends the body with a trailer of its length and xxh3 and waits for
// the node to check both and fsync; Commit and Abort are further calls
// naming the stream's token.
type remoteTemp struct {
	d       *remote
	token   string
	pw      *io.PipeWriter
	trailer http.Header
	hash    *xxh3.Hasher
	n       int64
	cancel  context.CancelFunc
	idle    *time.Timer
	done    chan streamResult // the stream request's outcome, once
	res     *streamResult     // received from done
	err     error             // sticky: the file failed
	synced  bool
	ended   bool // committed or aborted
}

type streamResult struct {
	n    int64 // bytes the node stored
	err  error
	conn bool // a connection error, not the node's answer
}

var errAborted = errors.New("driveproto: temporary file aborted")

func (d *remote) create(name string, shard bool) (storage.TempFile, error) {
	if d.offline.Load() {
		return nil, d.offlineErr(nil)
	}
	q := url.Values{"name": {name}, "token": {newToken()}}
	if shard {
		q.Set("shard", "1")
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	req, err := d.newRequest(ctx, http.MethodPost, opCreate, q, pr)
	if err != nil {
		cancel()
		return nil, err
	}
	req.ContentLength = -1 // chunked
	req.Trailer = http.Header{hdrLen: nil, hdrSum: nil}
	t := &remoteTemp{d: d, token: q.Get("token"), pw: pw, trailer: req.Trailer, hash: xxh3.New(),
		cancel: cancel, done: make(chan streamResult, 1)}
	t.idle = time.AfterFunc(d.opt.IdleTimeout, cancel)
	t.idle.Stop()
	go func() {
		resp, err := d.client.Do(req)
		// Writes still blocked on the pipe fail now: the request is over.
		_ = pr.CloseWithError(errStreamOver)
		if err != nil {
			t.done <- streamResult{err: err, conn: true}
			return
		}
		defer func() { _ = resp.Body.Close() }() // read fully below
		b, err := readLimited(resp.Body, 1<<20)
		switch {
		case err != nil:
			t.done <- streamResult{err: err, conn: true}
		case checkSum(b, resp.Header.Get(hdrSum)) != nil:
			t.done <- streamResult{err: checkSum(b, resp.Header.Get(hdrSum))}
		case resp.StatusCode != http.StatusOK:
			t.done <- streamResult{err: decodeError(resp.StatusCode, b)}
		default:
			var n int64
			if json.Unmarshal(b, &n) != nil {
				t.done <- streamResult{err: errors.New("driveproto: bad answer to a stream")}
				return
			}
			t.done <- streamResult{n: n}
		}
	}()
	return t, nil
}

var errStreamOver = errors.New("driveproto: stream request ended")

// result waits for the stream request's outcome (at most CallTimeout,
// then cancels it) and takes the drive offline after a connection error.
func (t *remoteTemp) result() streamResult {
	if t.res == nil {
		timer := time.AfterFunc(t.d.opt.CallTimeout, t.cancel)
		r := <-t.done
		timer.Stop()
		t.cancel()
		if r.conn {
			t.d.markOffline(r.err)
			r.err = t.d.offlineErr(r.err)
		}
		t.res = &r
	}
	return *t.res
}

func (t *remoteTemp) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	if t.synced || t.ended {
		return 0, errors.New("driveproto: write after Sync, Commit or Abort")
	}
	t.idle.Reset(t.d.opt.IdleTimeout)
	n, err := t.pw.Write(p)
	t.idle.Stop()
	_, _ = t.hash.Write(p[:n]) // never fails
	t.n += int64(n)
	if err != nil {
		// The request ended early: the node's answer says why.
		_ = t.pw.CloseWithError(errAborted)
		if r := t.result(); r.err != nil {
			err = r.err
		}
		t.err = fmt.Errorf("driveproto: write to %s: %w", t.d.Path(), err)
		return n, t.err
	}
	return n, nil
}

// Sync ends the stream: the node checks length and checksum, fsyncs the
// file and holds it for Commit.
func (t *remoteTemp) Sync() error {
	if t.err != nil || t.synced {
		return t.err
	}
	t.trailer.Set(hdrLen, strconv.FormatInt(t.n, 10))
	t.trailer.Set(hdrSum, fmt.Sprintf("%016x", t.hash.Sum64()))
	_ = t.pw.Close() // never fails
	r := t.result()
	if r.err == nil && r.n != t.n {
		r.err = fmt.Errorf("driveproto: node stored %d bytes, sent %d", r.n, t.n)
	}
	if r.err != nil {
		t.err = r.err
		return t.err
	}
	t.synced = true
	return nil
}

// Commit renames the synced file into place on the node (a Commit
// without Sync syncs first: the node never renames an unchecked stream).
func (t *remoteTemp) Commit() error {
	if err := t.Sync(); err != nil {
		return err
	}
	if t.ended {
		return errors.New("driveproto: temporary file already committed or aborted")
	}
	t.ended = true
	_, err := t.d.do(call{method: http.MethodPost, op: opCommit, query: url.Values{"token": {t.token}}})
	return err
}

// Abort drops the file: before Sync by breaking the stream (the node
// removes what it received), after it by a call (and, if that call is
// lost, the node aborts the file after pendingTTL).
func (t *remoteTemp) Abort() {
	if t.ended {
		return
	}
	t.ended = true
	if !t.synced {
		_ = t.pw.CloseWithError(errAborted)
		t.cancel()
		if t.res == nil {
			<-t.done // the request ends at once: its context is cancelled
		}
		return
	}
	if !t.d.offline.Load() {
		_, _ = t.d.do(call{method: http.MethodPost, op: opAbort, query: url.Values{"token": {t.token}}}) // best effort, see above
	}
}
