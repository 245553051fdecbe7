package driveproto

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cofferstore/coffer/storage"
)

// Options tunes a remote drive. Zero values take the defaults.
type Options struct {
	// DialTimeout bounds connecting to the node (default 2 s).
	DialTimeout time.Duration
	// CallTimeout bounds a unary call from its start to its whole
	// response, and the wait for a stream's answer after its end (default 30 s).
	CallTimeout time.Duration
	// IdleTimeout bounds how long a stream (a temporary file's writes, a
	// walk or a scan) may make no progress (default 30 s).
	IdleTimeout time.Duration
	// ProbeInterval is how often an offline drive is probed (default 1 s).
	ProbeInterval time.Duration
	// Transport carries the requests (nil: plain HTTP with DialTimeout;
	// pass one to use TLS).
	Transport http.RoundTripper
	// Logger receives offline and online transitions.
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Second
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Transport == nil {
		o.Transport = &http.Transport{
			DialContext:         (&net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		}
	}
}

// remote is a drive of another node, reached over the drive protocol.
type remote struct {
	base   string // baseURL + PathPrefix + drive + "/"
	secret []byte
	opt    Options
	client *http.Client

	offline atomic.Bool
	closed  chan struct{}
	close   sync.Once
}

var _ storage.Drive = (*remote)(nil)

// Dial returns drive (a decimal drive index) of the node at baseURL
// ("http://host:port") as a storage.Drive. Nothing is sent until the
// drive is used. A drive whose node cannot be reached fails every call at
// once with an error wrapping storage.ErrDriveOffline until a probe every
// Options.ProbeInterval finds it back.
func Dial(baseURL, drive string, secret []byte, opt Options) storage.Drive {
	opt.defaults()
	return &remote{
		base:   strings.TrimRight(baseURL, "/") + PathPrefix + url.PathEscape(drive) + "/",
		secret: append([]byte(nil), secret...),
		opt:    opt,
		client: &http.Client{Transport: opt.Transport},
		closed: make(chan struct{}),
	}
}

func (d *remote) Path() string { return strings.TrimSuffix(d.base, "/") }

// call is one unary request.
type call struct {
	method, op string
	query      url.Values
	body       []byte // nil: none
	// idempotent calls are retried once after a connection error.
	idempotent bool
}

// reply is a unary response that passed its checksum.
type reply struct {
	body []byte
	hdr  http.Header
}

// errConn marks errors of the connection (not of the remote drive): they
// take the drive offline.
type errConn struct{ err error }

func (e errConn) Error() string { return e.err.Error() }
func (e errConn) Unwrap() error { return e.err }

func (d *remote) offlineErr(cause error) error {
	if cause == nil {
		return fmt.Errorf("%w: %s", storage.ErrDriveOffline, d.Path())
	}
	return fmt.Errorf("%w: %s: %v", storage.ErrDriveOffline, d.Path(), cause)
}

// do runs a unary call through attempt.
func (d *remote) do(c call) (reply, error) {
	var r reply
	err := d.attempt(c.idempotent, func() (err error) {
		r, err = d.once(c)
		return err
	})
	return r, err
}

// attempt runs one request (try): at once ErrDriveOffline while the drive
// is offline; a connection error (errConn, tried twice when idempotent)
// takes it offline.
func (d *remote) attempt(idempotent bool, try func() error) error {
	if d.offline.Load() {
		return d.offlineErr(nil)
	}
	attempts := 1
	if idempotent {
		attempts = 2
	}
	var err error
	for range attempts {
		err = try()
		var ce errConn
		if !errors.As(err, &ce) {
			return err
		}
	}
	d.markOffline(err)
	return d.offlineErr(err)
}

func (d *remote) newRequest(ctx context.Context, method, op string, query url.Values, body io.Reader) (*http.Request, error) {
	u := d.base + op
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	sign(req, d.secret, time.Now())
	return req, nil
}

func (d *remote) once(c call) (reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.opt.CallTimeout)
	defer cancel()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := d.newRequest(ctx, c.method, c.op, c.query, body)
	if err != nil {
		return reply{}, err
	}
	if c.body != nil {
		req.Header.Set(hdrSum, sumHex(c.body))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return reply{}, errConn{err}
	}
	defer func() { _ = resp.Body.Close() }() // read fully below
	b, err := readLimited(resp.Body, maxRead+4096)
	if err != nil {
		return reply{}, errConn{err}
	}
	if err := checkSum(b, resp.Header.Get(hdrSum)); err != nil {
		return reply{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return reply{}, decodeError(resp.StatusCode, b)
	}
	return reply{body: b, hdr: resp.Header}, nil
}

func decodeError(status int, b []byte) error {
	var eb errBody
	if json.Unmarshal(b, &eb) != nil {
		eb = errBody{Kind: kindOther, Msg: http.StatusText(status)}
	}
	return remoteError(status, eb)
}

// doJSON runs a call and decodes its JSON answer into out.
func (d *remote) doJSON(c call, out any) error {
	r, err := d.do(c)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		return fmt.Errorf("driveproto: %s: bad answer: %w", c.op, err)
	}
	return nil
}

// markOffline takes the drive offline and starts probing for it.
func (d *remote) markOffline(cause error) {
	if !d.offline.CompareAndSwap(false, true) {
		return
	}
	d.opt.Logger.Warn("driveproto: drive offline", "drive", d.Path(), "err", cause)
	go d.probe()
}

// probe pings the drive every ProbeInterval (each ping within that
// interval) until it answers, then brings it back online.
func (d *remote) probe() {
	t := time.NewTicker(d.opt.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-d.closed:
			return
		case <-t.C:
		}
		if d.ping() == nil {
			d.offline.Store(false)
			d.opt.Logger.Info("driveproto: drive back online", "drive", d.Path())
			return
		}
	}
}

func (d *remote) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), max(d.opt.ProbeInterval, d.opt.DialTimeout))
	defer cancel()
	req, err := d.newRequest(ctx, http.MethodGet, opPing, nil, nil)
	if err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64)) // let the connection be reused
	_ = resp.Body.Close()                                     // read
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("driveproto: ping: status %d", resp.StatusCode)
	}
	return nil
}

func (d *remote) Present() bool {
	var ok bool
	return d.doJSON(call{method: http.MethodGet, op: opPresent, idempotent: true}, &ok) == nil && ok
}

func (d *remote) ReadFormat() (storage.DriveFormat, error) {
	var f storage.DriveFormat
	err := d.doJSON(call{method: http.MethodGet, op: opFormat, idempotent: true}, &f)
	return f, err
}

func (d *remote) Format(f storage.DriveFormat) error {
	_, err := d.do(call{method: http.MethodPut, op: opFormat, body: marshal(f)})
	return err
}

func (d *remote) Create(name string) (storage.TempFile, error) { return d.create(name, false) }

func (d *remote) CreateShard(name string) (storage.TempFile, error) { return d.create(name, true) }

func (d *remote) SyncDir(name string) error {
	_, err := d.do(call{method: http.MethodPost, op: opSyncDir, query: url.Values{"name": {name}}})
	return err
}

func (d *remote) Open(name string) (storage.ShardFile, error) {
	var size int64
	if err := d.doJSON(call{method: http.MethodGet, op: opStat, query: url.Values{"name": {name}}, idempotent: true}, &size); err != nil {
		return nil, err
	}
	return &remoteFile{d: d, name: name, size: size}, nil
}

// remoteFile is a committed data file of a remote drive: every ReadAt is
// one ranged request.
type remoteFile struct {
	d    *remote
	name string
	size int64
}

func (f *remoteFile) Size() int64  { return f.size }
func (f *remoteFile) Close() error { return nil }

func (f *remoteFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("driveproto: negative offset")
	}
	n := 0
	for n < len(p) {
		chunk := min(len(p)-n, maxRange)
		k, eof, err := f.d.readRange(f.name, off+int64(n), p[n:n+chunk])
		n += k
		if err != nil {
			return n, err
		}
		if eof {
			if n < len(p) {
				return n, io.EOF
			}
			break
		}
	}
	return n, nil
}

// readRange reads up to len(p) bytes of name at off straight into p (no
// copy of the body is held); eof reports the file ended first. Shard
// streams carry their own checksums, which the store verifies.
func (d *remote) readRange(name string, off int64, p []byte) (n int, eof bool, err error) {
	q := url.Values{"name": {name}, "off": {strconv.FormatInt(off, 10)}, "len": {strconv.Itoa(len(p))}}
	err = d.attempt(true, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), d.opt.CallTimeout)
		defer cancel()
		req, err := d.newRequest(ctx, http.MethodGet, opRead, q, nil)
		if err != nil {
			return err
		}
		resp, err := d.client.Do(req)
		if err != nil {
			return errConn{err}
		}
		defer func() { _ = resp.Body.Close() }() // read below
		if resp.StatusCode != http.StatusOK {
			b, err := readLimited(resp.Body, 1<<20)
			if err != nil {
				return errConn{err}
			}
			if err := checkSum(b, resp.Header.Get(hdrSum)); err != nil {
				return err
			}
			return decodeError(resp.StatusCode, b)
		}
		if resp.ContentLength < 0 || resp.ContentLength > int64(len(p)) {
			return fmt.Errorf("driveproto: read answered %d bytes for %d", resp.ContentLength, len(p))
		}
		n, err = io.ReadFull(resp.Body, p[:resp.ContentLength])
		if err != nil {
			return fmt.Errorf("driveproto: read of %s cut after %d bytes: %w", name, n, err)
		}
		eof = resp.Header.Get(hdrEOF) != ""
		return nil
	})
	return n, eof, err
}

func (d *remote) ReadFile(name string) ([]byte, error) {
	r, err := d.do(call{method: http.MethodGet, op: opFile, query: url.Values{"name": {name}}, idempotent: true})
	return r.body, err
}

func (d *remote) Remove(names ...string) error {
	for len(names) > 0 {
		batch := names[:min(len(names), maxNames)]
		names = names[len(batch):]
		if _, err := d.do(call{method: http.MethodPost, op: opRemove, body: marshal(batch), idempotent: true}); err != nil {
			return err
		}
	}
	return nil
}

func (d *remote) Walk(fn func(name string, mod time.Time) error) error {
	return d.stream(opWalk, nil, func(payload []byte) error {
		var page []walkEntry
		if err := json.Unmarshal(payload, &page); err != nil {
			return fmt.Errorf("driveproto: bad walk page: %w", err)
		}
		for _, e := range page {
			if err := fn(e.Name, time.Unix(0, e.Mod)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *remote) ScanPack(seg uint32, fn func(loc storage.PackLoc, rec []byte) error) error {
	q := url.Values{"seg": {strconv.FormatUint(uint64(seg), 10)}}
	return d.stream(opScan, q, func(payload []byte) error {
		if len(payload) < 9 {
			return errors.New("driveproto: bad scan frame")
		}
		off := int64(binary.BigEndian.Uint64(payload))
		rec := append([]byte(nil), payload[8:]...) // fn may keep it; the frame buffer is reused
		return fn(storage.PackLoc{Seg: seg, Off: off, Len: int32(len(rec))}, rec)
	})
}

// stream runs a streamed GET, calling each for every data frame; a frame
// must arrive within IdleTimeout of the previous one.
func (d *remote) stream(op string, query url.Values, each func(payload []byte) error) error {
	if d.offline.Load() {
		return d.offlineErr(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	idle := time.AfterFunc(d.opt.IdleTimeout, cancel)
	defer idle.Stop()
	req, err := d.newRequest(ctx, http.MethodGet, op, query, nil)
	if err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		d.markOffline(err)
		return d.offlineErr(err)
	}
	defer func() { _ = resp.Body.Close() }() // read only
	if resp.StatusCode != http.StatusOK {
		b, err := readLimited(resp.Body, 1<<20)
		if err != nil {
			return err
		}
		if err := checkSum(b, resp.Header.Get(hdrSum)); err != nil {
			return err
		}
		return decodeError(resp.StatusCode, b)
	}
	var buf []byte
	for {
		idle.Reset(d.opt.IdleTimeout)
		typ, payload, err := readFrame(resp.Body, buf)
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("driveproto: %s: no progress for %v: %w", op, d.opt.IdleTimeout, err)
			}
			return err
		}
		buf = payload[:0:cap(payload)]
		switch typ {
		case frameEnd:
			return nil
		case frameError:
			var eb errBody
			if json.Unmarshal(payload, &eb) != nil {
				return errors.New("driveproto: bad error frame")
			}
			return remoteError(http.StatusOK, eb)
		}
		idle.Stop() // the caller's function may take its time
		if err := each(payload); err != nil {
			return err
		}
	}
}

func (d *remote) CleanTemp(age time.Duration) (int, error) {
	var n int
	err := d.doJSON(call{method: http.MethodPost, op: opCleanTemp, idempotent: true,
		query: url.Values{"age": {strconv.FormatInt(int64(max(age, 0)), 10)}}}, &n)
	return n, err
}

func (d *remote) Usage() (total, free uint64, err error) {
	var u usageBody
	err = d.doJSON(call{method: http.MethodGet, op: opUsage, idempotent: true}, &u)
	return u.Total, u.Free, err
}

func (d *remote) Append(rec []byte) (storage.PackLoc, error) {
	var loc storage.PackLoc
	err := d.doJSON(call{method: http.MethodPost, op: opAppend, body: rec}, &loc)
	return loc, err
}

func (d *remote) ReadPacked(loc storage.PackLoc) ([]byte, error) {
	r, err := d.do(call{method: http.MethodGet, op: opPacked, idempotent: true, query: url.Values{
		"seg": {strconv.FormatUint(uint64(loc.Seg), 10)}, "off": {strconv.FormatInt(loc.Off, 10)},
		"len": {strconv.FormatInt(int64(loc.Len), 10)}}})
	return r.body, err
}

func (d *remote) PackSegments() ([]uint32, error) {
	var segs []uint32
	err := d.doJSON(call{method: http.MethodGet, op: opSegments, idempotent: true}, &segs)
	return segs, err
}

// ActivePack is 0 (none) when the drive cannot be asked; compaction also
// skips the newest segment, which is the active one.
func (d *remote) ActivePack() uint32 {
	var seg uint32
	_ = d.doJSON(call{method: http.MethodGet, op: opActive, idempotent: true}, &seg) // 0 on error, as documented
	return seg
}

// PackSize is 0 when the drive cannot be asked (as for a missing segment).
func (d *remote) PackSize(seg uint32) int64 {
	var n int64
	_ = d.doJSON(call{method: http.MethodGet, op: opPackSize, idempotent: true, // 0 on error, as documented
		query: url.Values{"seg": {strconv.FormatUint(uint64(seg), 10)}}}, &n)
	return n
}

func (d *remote) RemovePack(seg uint32) error {
	_, err := d.do(call{method: http.MethodPost, op: opRemovePack, idempotent: true,
		query: url.Values{"seg": {strconv.FormatUint(uint64(seg), 10)}}})
	return err
}

// Close stops the offline probe and drops idle connections.
func (d *remote) Close() {
	d.close.Do(func() {
		close(d.closed)
		d.client.CloseIdleConnections()
	})
}

func newToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}
