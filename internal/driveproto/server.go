package driveproto

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cofferstore/coffer/storage"
	"github.com/zeebo/xxh3"
)

// Server-side bounds.
const (
	// serverIdle is how long a unary body or a response stream may make no
	// progress (a body read, a frame written) before the server gives up.
	serverIdle = 30 * time.Second
	// uploadIdle is the same for a temporary file's stream, which waits
	// between writes while its writer reads its own client's body (the S3
	// listener lets a client send 64 KiB per 30 s; a 1 MiB block at the
	// slowest whole-body rate it allows, 32 KiB/s, takes 32 s).
	uploadIdle = 2 * time.Minute
	// maxPerPeer bounds one peer's requests in progress; more get 503. A
	// peer's 128 writes in flight (the S3 listener's default cap) on two
	// drives of this node take 256 streams, leaving as many for reads.
	maxPerPeer = 512
	// maxPending bounds synced temporary files waiting for Commit or Abort.
	maxPending = 8192
	// pendingTTL is how long a synced temporary file waits for its Commit
	// or Abort before it is aborted (its writer died).
	pendingTTL = 2 * time.Minute
	// streamBuf is the size of the buffer a temporary file's stream is
	// written through: a multiple of 4 KiB, so shard frames (padded to
	// 4 KiB) reach the drive in aligned writes it can take with direct I/O.
	streamBuf = 256 << 10
)

// handler serves a node's local drives (see doc.go).
type handler struct {
	drives map[string]storage.Drive
	auth   verifier
	log    *slog.Logger
	peers  peerLimit
	temps  pendingTemps
	bufs   sync.Pool
	now    func() time.Time
}

// NewHandler serves drives (by name: the node's drive index as a decimal
// string) under PathPrefix to nodes that sign their requests with secret.
// A request that is not authenticated gets 403 before anything else
// happens. A secret shorter than MinSecretLen refuses every request.
func NewHandler(drives map[string]storage.Drive, secret []byte, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(secret) < MinSecretLen {
		log.Error("driveproto: cluster secret too short; refusing every drive request", "min", MinSecretLen)
	}
	h := &handler{
		drives: make(map[string]storage.Drive, len(drives)),
		auth:   verifier{secret: append([]byte(nil), secret...), nonces: newNonceCache(nonceCapacity)},
		log:    log,
		peers:  peerLimit{n: map[string]int{}},
		temps:  pendingTemps{m: map[string]*pendingTemp{}},
		now:    time.Now,
	}
	for k, v := range drives {
		h.drives[k] = v
	}
	h.bufs.New = func() any { return new([streamBuf]byte) }
	return h
}

type route struct {
	method string
	serve  func(h *handler, w http.ResponseWriter, r *http.Request, d storage.Drive) error
}

var routes = map[string]route{
	opPing:       {http.MethodGet, (*handler).ping},
	opPresent:    {http.MethodGet, (*handler).present},
	opFormat:     {"", (*handler).format}, // GET or PUT
	opCreate:     {http.MethodPost, (*handler).create},
	opCommit:     {http.MethodPost, (*handler).commit},
	opAbort:      {http.MethodPost, (*handler).abort},
	opSyncDir:    {http.MethodPost, (*handler).syncDir},
	opStat:       {http.MethodGet, (*handler).stat},
	opRead:       {http.MethodGet, (*handler).read},
	opFile:       {http.MethodGet, (*handler).file},
	opRemove:     {http.MethodPost, (*handler).remove},
	opWalk:       {http.MethodGet, (*handler).walk},
	opCleanTemp:  {http.MethodPost, (*handler).cleanTemp},
	opUsage:      {http.MethodGet, (*handler).usage},
	opAppend:     {http.MethodPost, (*handler).append},
	opPacked:     {http.MethodGet, (*handler).packed},
	opSegments:   {http.MethodGet, (*handler).segments},
	opActive:     {http.MethodGet, (*handler).active},
	opPackSize:   {http.MethodGet, (*handler).packSize},
	opScan:       {http.MethodGet, (*handler).scan},
	opRemovePack: {http.MethodPost, (*handler).removePack},
}

// parsePath splits PathPrefix<drive>/<op>.
func parsePath(p string) (drive, op string, ok bool) {
	rest, ok := strings.CutPrefix(p, PathPrefix)
	if !ok {
		return "", "", false
	}
	drive, op, ok = strings.Cut(rest, "/")
	if !ok || drive == "" || len(drive) > 8 || strings.Contains(op, "/") {
		return "", "", false
	}
	return drive, op, true
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.auth.verify(r, h.now()); err != nil {
		h.log.Debug("driveproto: refused an unauthenticated request", "peer", r.RemoteAddr)
		writeError(w, http.StatusForbidden, errBody{Kind: kindBad, Msg: "forbidden"})
		return
	}
	name, op, ok := parsePath(r.URL.Path)
	rt, known := routes[op]
	d := h.drives[name]
	if !ok || !known || d == nil {
		writeError(w, http.StatusNotFound, errBody{Kind: kindBad, Msg: "no such drive or operation"})
		return
	}
	if rt.method != "" && r.Method != rt.method {
		writeError(w, http.StatusMethodNotAllowed, errBody{Kind: kindBad, Msg: "method not allowed"})
		return
	}
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	if !h.peers.acquire(peer) {
		writeError(w, http.StatusServiceUnavailable, errBody{Kind: kindBusy, Msg: "too many requests from this peer"})
		return
	}
	defer h.peers.release(peer)
	// Deadlines set for this request's body and stream must not outlive
	// it on a kept-alive connection (the server resets only those it sets).
	rc := http.NewResponseController(w)
	defer func() { _ = rc.SetReadDeadline(time.Time{}); _ = rc.SetWriteDeadline(time.Time{}) }()
	r.SetPathValue("drive", name)
	if err := rt.serve(h, w, r, d); err != nil {
		kind, status := errKind(err)
		writeError(w, status, errBody{Kind: kind, Msg: err.Error()})
	}
}

func writeError(w http.ResponseWriter, status int, b errBody) {
	body := marshal(b)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(hdrSum, sumHex(body))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // the peer may be gone; nothing else to tell it
}

// writeBytes sends a unary response body with its checksum. It returns
// nil: a write that fails means the peer is gone, with no one to tell.
func writeBytes(w http.ResponseWriter, b []byte) error {
	w.Header().Set(hdrSum, sumHex(b))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
	return nil
}

// ack answers a call whose drive method returns only an error.
func ack(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	return writeJSON(w, true)
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return writeBytes(w, marshal(v))
}

// readBody reads a unary request body (at most maxUnaryBody, within the
// idle deadline) and checks its checksum.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(serverIdle)) // unsupported writers have the server's own timeouts
	b, err := readLimited(r.Body, maxUnaryBody)
	if err != nil {
		return nil, err
	}
	if err := checkSum(b, r.Header.Get(hdrSum)); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	return b, nil
}

func queryName(r *http.Request) (string, error) {
	name := r.URL.Query().Get("name")
	if !validName(name) {
		return "", fmt.Errorf("%w: data file name", errBadRequest)
	}
	return name, nil
}

func querySeg(r *http.Request) (uint32, error) {
	v, err := parseUint(r.URL.Query().Get("seg"), 32)
	return uint32(v), err
}

func (h *handler) ping(w http.ResponseWriter, _ *http.Request, _ storage.Drive) error {
	return writeBytes(w, []byte("ok"))
}

func (h *handler) present(w http.ResponseWriter, _ *http.Request, d storage.Drive) error {
	return writeJSON(w, d.Present())
}

func (h *handler) format(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	switch r.Method {
	case http.MethodGet:
		f, err := d.ReadFormat()
		if err != nil {
			return err
		}
		return writeJSON(w, f)
	case http.MethodPut:
		b, err := readBody(w, r)
		if err != nil {
			return err
		}
		var f storage.DriveFormat
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("%w: format: %v", errBadRequest, err)
		}
		return ack(w, d.Format(f))
	}
	return fmt.Errorf("%w: method", errBadRequest)
}

// create streams a request body into a temporary file: written through an
// aligned buffer, checked against the trailer's length and checksum,
// fsynced, then held under the client's token for Commit or Abort.
func (h *handler) create(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	name, err := queryName(r)
	if err != nil {
		return err
	}
	token := r.URL.Query().Get("token")
	if len(token) != 32 || !isLowerHex(token) {
		return fmt.Errorf("%w: token", errBadRequest)
	}
	if h.temps.full() {
		return fmt.Errorf("%w: too many temporary files pending", errBusy)
	}
	var tf storage.TempFile
	if r.URL.Query().Get("shard") == "1" {
		tf, err = d.CreateShard(name)
	} else {
		tf, err = d.Create(name)
	}
	if err != nil {
		return err
	}
	n, sum, err := h.receive(w, r, tf)
	if err == nil {
		switch {
		case r.Trailer.Get(hdrLen) != strconv.FormatInt(n, 10):
			err = fmt.Errorf("%w: stream ended after %d bytes, sender says %q", errBadRequest, n, r.Trailer.Get(hdrLen))
		case r.Trailer.Get(hdrSum) != sum:
			err = fmt.Errorf("%w: stream checksum mismatch", errBadRequest)
		default:
			err = tf.Sync()
		}
	}
	if err != nil {
		tf.Abort()
		return err
	}
	if err := h.temps.put(r.PathValue("drive")+token, tf); err != nil {
		tf.Abort()
		return err
	}
	return writeJSON(w, n)
}

// receive copies the request body to tf, with an idle deadline per read.
func (h *handler) receive(w http.ResponseWriter, r *http.Request, tf storage.TempFile) (int64, string, error) {
	rc := http.NewResponseController(w)
	buf := h.bufs.Get().(*[streamBuf]byte)
	defer h.bufs.Put(buf)
	hash := xxh3.New()
	var n int64
	for {
		k, err := fill(r.Body, buf[:], func() {
			_ = rc.SetReadDeadline(time.Now().Add(uploadIdle)) // unsupported writers have the server's own timeouts
		})
		if k > 0 {
			_, _ = hash.Write(buf[:k]) // never fails
			if _, werr := tf.Write(buf[:k]); werr != nil {
				return n, "", werr
			}
			n += int64(k)
		}
		if err == io.EOF {
			var s [8]byte
			binary.BigEndian.PutUint64(s[:], hash.Sum64())
			return n, fmt.Sprintf("%x", s[:]), nil
		}
		if err != nil {
			return n, "", fmt.Errorf("driveproto: receiving %d bytes in: %w", n, err)
		}
	}
}

// fill reads into buf until it is full or the reader ends; err is io.EOF
// only for a clean end of the body. Each read runs after progress() (which
// extends the idle deadline).
func fill(r io.Reader, buf []byte, progress func()) (int, error) {
	n := 0
	for n < len(buf) {
		progress()
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (h *handler) commit(w http.ResponseWriter, r *http.Request, _ storage.Drive) error {
	tf := h.temps.take(r.PathValue("drive") + r.URL.Query().Get("token"))
	if tf == nil {
		return fmt.Errorf("driveproto: no pending temporary file for this token (expired?): %w", errGone)
	}
	return ack(w, tf.Commit())
}

var errGone = fmt.Errorf("%w: gone", errBadRequest)

func (h *handler) abort(w http.ResponseWriter, r *http.Request, _ storage.Drive) error {
	if tf := h.temps.take(r.PathValue("drive") + r.URL.Query().Get("token")); tf != nil {
		tf.Abort()
	}
	return writeJSON(w, true)
}

func (h *handler) syncDir(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	name, err := queryName(r)
	if err != nil {
		return err
	}
	return ack(w, d.SyncDir(name))
}

func (h *handler) stat(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	name, err := queryName(r)
	if err != nil {
		return err
	}
	size, err := fileSize(d, name)
	if err != nil {
		return err
	}
	return writeJSON(w, size)
}

// fileSize is the size of a committed data file.
func fileSize(d storage.Drive, name string) (int64, error) {
	f, err := d.Open(name)
	if err != nil {
		return 0, err
	}
	size := f.Size()
	_ = f.Close() // read only
	return size, nil
}

// read answers a ranged read of a data file: at most len bytes from off,
// fewer at the end of the file (header X-Coffer-EOF), streamed from the
// file without a buffer of their size. Shard streams carry their own
// checksums; a read cut by an I/O error arrives short and fails.
func (h *handler) read(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	name, err := queryName(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	off, err := parseUint(q.Get("off"), 63)
	if err != nil {
		return err
	}
	n, err := parseUint(q.Get("len"), 32)
	if err != nil {
		return err
	}
	if n > maxRange {
		return fmt.Errorf("%w: read of %d bytes", errBadRequest, n)
	}
	f, err := d.Open(name)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read only
	k := max(0, min(int64(n), f.Size()-int64(off)))
	if k < int64(n) {
		w.Header().Set(hdrEOF, "1")
	}
	w.Header().Set("Content-Length", strconv.FormatInt(k, 10))
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(serverIdle)) // unsupported writers have the server's own timeouts
	_, _ = io.Copy(w, io.NewSectionReader(f, int64(off), k))                       // a short body tells the client
	return nil
}

func (h *handler) file(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	name, err := queryName(r)
	if err != nil {
		return err
	}
	size, err := fileSize(d, name)
	if err != nil {
		return err
	}
	if size > maxRead {
		return fmt.Errorf("%w: file of %d bytes is too large to read whole", errBadRequest, size)
	}
	b, err := d.ReadFile(name)
	if err != nil {
		return err
	}
	if len(b) > maxRead {
		return fmt.Errorf("%w: file grew past %d bytes", errBadRequest, maxRead)
	}
	return writeBytes(w, b)
}

func (h *handler) remove(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil || len(names) > maxNames {
		return fmt.Errorf("%w: names", errBadRequest)
	}
	for _, n := range names {
		if !validName(n) {
			return fmt.Errorf("%w: data file name", errBadRequest)
		}
	}
	return ack(w, d.Remove(names...))
}

// streamWriter writes frames with a write deadline each, flushing every
// frame so the client sees progress.
type streamWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
}

func newStreamWriter(w http.ResponseWriter) *streamWriter {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	return &streamWriter{w: w, rc: http.NewResponseController(w)}
}

func (s *streamWriter) frame(typ byte, payload []byte) error {
	s.buf = appendFrame(s.buf[:0], typ, payload)
	_ = s.rc.SetWriteDeadline(time.Now().Add(serverIdle)) // unsupported writers have the server's own timeouts
	if _, err := s.w.Write(s.buf); err != nil {
		return err
	}
	return s.rc.Flush()
}

// end closes a stream with an end frame, or an error frame for err.
func (s *streamWriter) end(err error) {
	if err == nil {
		_ = s.frame(frameEnd, nil) // a cut stream reads as cut on the other side
		return
	}
	kind, _ := errKind(err)
	_ = s.frame(frameError, marshal(errBody{Kind: kind, Msg: err.Error()})) // likewise
}

// errStreamWrite stops a drive's Walk or ScanPack when the client is gone.
var errStreamWrite = errors.New("driveproto: stream write failed")

func (h *handler) walk(w http.ResponseWriter, _ *http.Request, d storage.Drive) error {
	sw := newStreamWriter(w)
	page := make([]walkEntry, 0, walkPage)
	flush := func() error {
		if len(page) == 0 {
			return nil
		}
		if err := sw.frame(frameData, marshal(page)); err != nil {
			return errStreamWrite
		}
		page = page[:0]
		return nil
	}
	err := d.Walk(func(name string, mod time.Time) error {
		page = append(page, walkEntry{Name: name, Mod: mod.UnixNano()})
		if len(page) == walkPage {
			return flush()
		}
		return nil
	})
	if errors.Is(err, errStreamWrite) {
		return nil // the client went away; nothing to tell it
	}
	if ferr := flush(); ferr != nil {
		return nil
	}
	sw.end(err)
	return nil
}

func (h *handler) cleanTemp(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	age, err := parseUint(r.URL.Query().Get("age"), 63)
	if err != nil {
		return err
	}
	n, err := d.CleanTemp(time.Duration(age))
	if err != nil {
		return err
	}
	return writeJSON(w, n)
}

func (h *handler) usage(w http.ResponseWriter, _ *http.Request, d storage.Drive) error {
	total, free, err := d.Usage()
	if err != nil {
		return err
	}
	return writeJSON(w, usageBody{Total: total, Free: free})
}

func (h *handler) append(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	rec, err := readBody(w, r)
	if err != nil {
		return err
	}
	if len(rec) == 0 {
		return fmt.Errorf("%w: empty record", errBadRequest)
	}
	loc, err := d.Append(rec)
	if err != nil {
		return err
	}
	return writeJSON(w, loc)
}

func (h *handler) packed(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	seg, err := querySeg(r)
	if err != nil {
		return err
	}
	off, err := parseUint(r.URL.Query().Get("off"), 63)
	if err != nil {
		return err
	}
	n, err := parseUint(r.URL.Query().Get("len"), 31)
	if err != nil {
		return err
	}
	if n > maxRead {
		return fmt.Errorf("%w: record of %d bytes", errBadRequest, n)
	}
	rec, err := d.ReadPacked(storage.PackLoc{Seg: seg, Off: int64(off), Len: int32(n)})
	if err != nil {
		return err
	}
	return writeBytes(w, rec)
}

func (h *handler) segments(w http.ResponseWriter, _ *http.Request, d storage.Drive) error {
	segs, err := d.PackSegments()
	if err != nil {
		return err
	}
	if segs == nil {
		segs = []uint32{}
	}
	return writeJSON(w, segs)
}

func (h *handler) active(w http.ResponseWriter, _ *http.Request, d storage.Drive) error {
	return writeJSON(w, d.ActivePack())
}

func (h *handler) packSize(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	seg, err := querySeg(r)
	if err != nil {
		return err
	}
	return writeJSON(w, d.PackSize(seg))
}

// scan streams a segment's records, one frame each: the record's offset
// (u64) and the record.
func (h *handler) scan(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	seg, err := querySeg(r)
	if err != nil {
		return err
	}
	sw := newStreamWriter(w)
	var payload []byte
	err = d.ScanPack(seg, func(loc storage.PackLoc, rec []byte) error {
		payload = binary.BigEndian.AppendUint64(payload[:0], uint64(loc.Off))
		payload = append(payload, rec...)
		if err := sw.frame(frameData, payload); err != nil {
			return errStreamWrite
		}
		return nil
	})
	if errors.Is(err, errStreamWrite) {
		return nil
	}
	sw.end(err)
	return nil
}

func (h *handler) removePack(w http.ResponseWriter, r *http.Request, d storage.Drive) error {
	seg, err := querySeg(r)
	if err != nil {
		return err
	}
	return ack(w, d.RemovePack(seg))
}

// peerLimit bounds each peer's requests in progress.
type peerLimit struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *peerLimit) acquire(peer string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[peer] >= maxPerPeer {
		return false
	}
	p.n[peer]++
	return true
}

func (p *peerLimit) release(peer string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[peer]--; p.n[peer] <= 0 {
		delete(p.n, peer)
	}
}

// pendingTemps holds synced temporary files until their Commit or Abort;
// one not claimed within pendingTTL is aborted.
type pendingTemps struct {
	mu sync.Mutex
	m  map[string]*pendingTemp
}

type pendingTemp struct {
	tf    storage.TempFile
	timer *time.Timer
}

func (p *pendingTemps) full() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m) >= maxPending
}

func (p *pendingTemps) put(key string, tf storage.TempFile) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, dup := p.m[key]; dup || len(p.m) >= maxPending {
		return fmt.Errorf("%w: temporary file token in use or too many pending", errBusy)
	}
	pt := &pendingTemp{tf: tf}
	pt.timer = time.AfterFunc(pendingTTL, func() {
		if tf := p.take(key); tf != nil {
			tf.Abort()
		}
	})
	p.m[key] = pt
	return nil
}

// take removes and returns the file pending under key (nil: none).
func (p *pendingTemps) take(key string) storage.TempFile {
	p.mu.Lock()
	defer p.mu.Unlock()
	pt := p.m[key]
	if pt == nil {
		return nil
	}
	delete(p.m, key)
	pt.timer.Stop()
	return pt.tf
}
