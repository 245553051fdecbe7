package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/cofferstore/coffer/pkg/sse"
)

// partSource reads the shard streams of one dataRef. Shard streams come
// from open files (pinned: an unlink does not disturb them) or from the
// inline part of .meta records (files, or pack log records). Reads and
// heal decode through it alike (decodeBlock).
type partSource struct {
	s     *Store
	ref   dataRef
	codec *codec

	once []sync.Once // per shard: open/read once, even with concurrent Ranges
	// mu guards the per-shard state below against close and the open's
	// checks, which may run while a load left running (loadAll does not
	// wait for a slow node) still sets it; a shard's reader sees it
	// through once.
	mu     sync.Mutex
	closed bool
	loaded []bool
	files  []ShardFile
	inline [][]byte
	heads  []*metaHeader // inline streams: each drive's checked record header
	raws   [][]byte      // a record whose header is decoded when asked (decodeCopy)
	errs   []error
}

func (s *Store) newPartSource(ref dataRef) (*partSource, error) {
	c, err := getCodec(ref.Data, ref.Parity, ref.BlockSize, ref.Align)
	if err != nil {
		return nil, err
	}
	n := ref.Data + ref.Parity
	return &partSource{s: s, ref: ref, codec: c, once: make([]sync.Once, n), loaded: make([]bool, n),
		files: make([]ShardFile, n), inline: make([][]byte, n), heads: make([]*metaHeader, n), raws: make([][]byte, n), errs: make([]error, n)}, nil
}

// load opens (or reads) shard i once.
func (p *partSource) load(i int) { p.once[i].Do(func() { p.open(i) }) }

func (p *partSource) open(i int) {
	d := p.s.drives[i]
	var (
		f   ShardFile
		h   *metaHeader
		inl []byte
		err error
	)
	if p.ref.Inline {
		var raw []byte
		if p.ref.Packed != nil {
			raw, err = p.s.packs.read(i, p.ref.Packed[i])
		} else {
			raw, err = d.ReadFile(p.ref.ID + ".meta")
		}
		if err == nil {
			h, inl, err = p.decodeCopy(i, raw)
		}
	} else {
		f, err = d.Open(p.ref.ID + ".shard")
		if err == nil && f.Size() != p.codec.streamSize(p.ref.Size) {
			_ = f.Close() // read only
			f, err = nil, fmt.Errorf("storage: shard %d of %s has size %d", i, p.ref.ID, f.Size())
		}
	}
	d.noteError(err)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed && f != nil { // a load left running outlived its reader
		_ = f.Close() // read only
		f = nil
	}
	p.loaded[i], p.files[i], p.heads[i], p.inline[i], p.errs[i] = true, f, h, inl, err
}

// decodeCopy checks drive i's record of the inline stream and returns its
// header and inline stream. A record of the form PutObject writes is not
// parsed (objectMetaInline): its header stays nil here and header decodes
// it when asked (heal), from raw, which the header check then keeps.
func (p *partSource) decodeCopy(i int, raw []byte) (*metaHeader, []byte, error) {
	want := p.codec.streamSize(p.ref.Size)
	inl, ok, err := objectMetaInline(raw, i, p.ref.ID)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		if int64(len(inl)) != want {
			return nil, nil, fmt.Errorf("%w: drive %d: inline length", errBadMeta, i)
		}
		p.mu.Lock()
		p.raws[i] = raw
		p.mu.Unlock()
		return nil, inl, nil
	}
	h, inl, err := decodeMeta(raw)
	if err == nil && (h.Shard != i || h.id() != p.ref.ID || int64(len(inl)) != want) {
		err = fmt.Errorf("%w: shard %d on drive %d", errBadMeta, h.Shard, i)
	}
	if err != nil {
		return nil, nil, err
	}
	return h, inl, nil
}

// state is shard i's load state: whether its load ended, and its error.
func (p *partSource) state(i int) (loaded bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.loaded[i], p.errs[i]
}

// header returns drive i's record header of an inline stream (nil when
// missing or bad), after loading it.
func (p *partSource) header(i int) *metaHeader {
	p.load(i)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.heads[i] == nil && p.raws[i] != nil {
		if h, _, err := decodeMeta(p.raws[i]); err == nil && h.Shard == i && h.id() == p.ref.ID {
			p.heads[i] = h
		}
		p.raws[i] = nil
	}
	return p.heads[i]
}

// loadAll opens every shard concurrently (pins single-part objects). It
// waits for the local drives, and for other nodes' drives (Store.hedge)
// up to Config.HedgeAfter: a load still running then is left to finish on
// its own (a reader of that shard waits for it through its sync.Once, and
// readHedged passes it over), so a slow node does not hold up an open;
// its drive is marked slow. Heal (wait) waits for every load.
func (p *partSource) loadAll(wait bool) {
	n := len(p.once)
	done := make(chan int, n) // buffered: a load left running never blocks
	pendingLocal, pendingRemote := 0, 0
	for i := range n {
		if p.s.hedge[i] && !wait {
			pendingRemote++
		} else {
			pendingLocal++
		}
		go func() { p.load(i); done <- i }()
	}
	var hedge <-chan time.Time
	if pendingRemote > 0 {
		t := time.NewTimer(p.s.cfg.HedgeAfter)
		defer t.Stop()
		hedge = t.C
	}
	finished := make([]bool, n)
	for pendingLocal > 0 || hedge != nil && pendingRemote > 0 {
		select {
		case i := <-done:
			finished[i] = true
			if p.s.hedge[i] && !wait {
				pendingRemote--
			} else {
				pendingLocal--
			}
		case <-hedge:
			hedge = nil
			for i := range n {
				if !finished[i] && p.s.hedge[i] {
					p.s.markSlow(i)
				}
			}
		}
	}
}

// frame reads block b's framed shard i into dst.
func (p *partSource) frame(i int, b int64, dst []byte) error {
	p.load(i)
	if p.errs[i] != nil {
		return p.errs[i]
	}
	off := p.codec.frameOffset(b)
	if p.ref.Inline {
		if off+int64(len(dst)) > int64(len(p.inline[i])) {
			return io.ErrUnexpectedEOF
		}
		copy(dst, p.inline[i][off:])
		return nil
	}
	_, err := p.files[i].ReadAt(dst, off)
	return err
}

// readBlock decodes block b into dst (len = block length). It reads data
// shards first and parity only to replace missing or corrupt ones. bad
// reports whether any shard needed repair.
func (p *partSource) readBlock(b int64, dst []byte, buf *codecBuf) (bad bool, err error) {
	blk, err := p.decodeBlock(b, buf, false)
	if err != nil {
		return true, err
	}
	ss := p.codec.shardSize(blk.n)
	out := dst[:0]
	for i := 0; i < p.codec.data && len(out) < blk.n; i++ {
		out = append(out, blk.shards[i][:min(ss, blk.n-len(out))]...)
	}
	return blk.damaged(), nil
}

// decodedBlock is one block decoded by decodeBlock.
type decodedBlock struct {
	// shards are the data shards (every shard with all), unframed and
	// aliasing the codecBuf; the block's n bytes are the data shards
	// concatenated, the last ones zero padded.
	shards [][]byte
	n      int
	bad    []bool // per shard read: missing, unreadable or failing its hash
	dirty  []bool // with all: a good frame whose padding is not zero
}

// damaged reports whether any shard read was bad or dirty.
func (d decodedBlock) damaged() bool {
	for i := range d.bad {
		if d.bad[i] || d.dirty != nil && d.dirty[i] {
			return true
		}
	}
	return false
}

// decodeBlock is the one shard decoder, of reads and heal alike: it reads
// block b's framed shards into buf, verifies each frame's hash, and
// reconstructs the shards that are missing or corrupt. Reads (all false)
// read the data shards and parity only to replace bad ones, and get the
// data shards back. Heal (all true) reads every shard with its frame
// padding (a flipped bit there is rot as well) and gets every shard back.
// A block with fewer than data good shards fails with ErrQuorum, never
// wrong bytes.
func (p *partSource) decodeBlock(b int64, buf *codecBuf, all bool) (decodedBlock, error) {
	c := p.codec
	n := c.blockLen(p.ref.Size, b)
	ss := c.shardSize(n)
	total := c.data + c.parity
	d := decodedBlock{n: n, shards: make([][]byte, total), bad: make([]bool, total)}
	flen := hashSize + ss
	if all {
		d.dirty = make([]bool, total)
		flen = c.frameLen(ss)
	}
	read := func(i int) {
		f := buf.frames[i][:flen]
		if p.frame(i, b, f) != nil || !verifyFrame(f[:hashSize+ss]) {
			d.bad[i] = true
			return
		}
		d.shards[i] = f[hashSize : hashSize+ss]
		if all && !allZero(f[hashSize+ss:]) {
			d.dirty[i] = true
		}
	}
	var good int
	var bad bool
	if !all && p.s.hedgeable(c.data) {
		good, bad = p.readHedged(b, buf, &d, ss, flen)
	} else {
		good, bad = p.readShards(read, d.bad, all)
	}
	if good < c.data {
		return d, fmt.Errorf("%w: block %d of %s: only %d of %d shards readable", ErrQuorum, b, p.ref.ID, good, c.data)
	}
	if bad {
		// Reconstruct fills the zero-length entries (their capacity is
		// buf's) and leaves nil ones (parity not needed by a read) alone.
		for i := range d.shards {
			if d.shards[i] == nil && (all || i < c.data) {
				d.shards[i] = buf.frames[i][hashSize:hashSize]
			}
		}
		if err := c.reconstruct(d.shards, !all); err != nil {
			return d, err
		}
	}
	if !all {
		d.shards = d.shards[:c.data]
	}
	return d, nil
}

// readShards reads a block's shards with read: every shard for heal
// (all), else the data shards at once and parity one by one while shards
// are missing or bad. It reports how many good shards it read and whether
// any was bad.
func (p *partSource) readShards(read func(i int), bad []bool, all bool) (good int, anyBad bool) {
	c := p.codec
	total := c.data + c.parity
	first := c.data // read at once; the rest one by one while needed
	if all {
		first = total
	}
	var wg sync.WaitGroup
	for i := 0; i < first; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); read(i) }()
	}
	wg.Wait()
	for i := 0; i < first; i++ {
		if bad[i] {
			anyBad = true
		} else {
			good++
		}
	}
	for i := first; i < total && good < c.data; i++ {
		if read(i); bad[i] {
			anyBad = true
		} else {
			good++
		}
	}
	return good, anyBad
}

// allZero reports whether b is all zero bytes (frame padding).
func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func (p *partSource) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, f := range p.files {
		if f != nil {
			_ = f.Close() // read only: nothing to lose
		}
	}
}

// objectReader is an open, pinned object version.
type objectReader struct {
	s       *Store
	rec     *objRecord
	latest  bool    // rec was the current version when opened
	offsets []int64 // start offset of each part

	mu      sync.Mutex
	sources []*partSource
	healed  bool
	cipher  *sse.Cipher // an encrypted version's, opened on first Range
}

// OpenObject's bounds on re-opening a version found short of shards.
const (
	openRetries  = 3  // of one version: a damaged object fails its reads
	openAttempts = 32 // in all, while the key keeps being overwritten
)

// OpenObject pins the current version of an object. Single-part objects
// have all their shard files opened at once, so an overwrite or delete
// that unlinks them does not disturb the reader. Parts of multipart objects
// are opened on first use.
func (s *Store) OpenObject(ctx context.Context, tenant, bucket, key string) (ObjectReader, error) {
	return s.openVersion(ctx, tenant, bucket, key, "")
}

// openVersion is OpenObject of one version ("" is the current one).
func (s *Store) openVersion(ctx context.Context, tenant, bucket, key, versionID string) (ObjectReader, error) {
	if err := ValidObjectKey(key); err != nil {
		return nil, err
	}
	// A version found short of shards is retried: it was probably replaced
	// between the index read and the opens. Retrying the same version (a
	// damaged object) is bounded by openRetries; a key that keeps being
	// overwritten meanwhile, by openAttempts in all.
	retries, lastID := 0, ""
	for attempt := 0; ; attempt++ {
		rec, latest, err := s.getVersion(tenant, bucket, key, versionID)
		if err != nil {
			return nil, err
		}
		if rec.ID == lastID {
			retries++
		}
		lastID = rec.ID
		r := &objectReader{s: s, rec: rec, latest: latest, sources: make([]*partSource, len(rec.Parts))}
		var off int64
		for _, p := range rec.Parts {
			r.offsets = append(r.offsets, off)
			off += p.Size
		}
		if len(rec.Parts) != 1 {
			return r, nil
		}
		src, err := s.newPartSource(rec.Parts[0])
		if err != nil {
			return nil, err
		}
		if rec.packed() {
			src.loadAll(false) // small; pins every copy against compaction
		} else if rec.Parts[0].Inline {
			for i := 0; i < src.ref.Data; i++ {
				src.load(i)
			}
			for i := 0; i < src.ref.Data; i++ {
				if _, err := src.state(i); err != nil {
					src.loadAll(false) // degraded: pin the parity copies too
					break
				}
			}
		} else {
			src.loadAll(false)
		}
		missing := 0
		for i := range src.errs {
			if loaded, err := src.state(i); loaded && err != nil {
				missing++
			}
		}
		if missing > src.ref.Parity && retries < openRetries && attempt < openAttempts {
			src.close()
			continue
		}
		r.sources[0] = src
		return r, nil
	}
}

func (r *objectReader) Info() ObjectInfo {
	info := r.rec.fullInfo()
	info.IsLatest = r.latest
	return info
}

func (r *objectReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.sources {
		if s != nil {
			s.close()
		}
	}
	return nil
}

func (r *objectReader) source(i int) (*partSource, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sources[i] == nil {
		src, err := r.s.newPartSource(r.rec.Parts[i])
		if err != nil {
			return nil, err
		}
		r.sources[i] = src
	}
	return r.sources[i], nil
}

// noteBad queues the object for healing once.
func (r *objectReader) noteBad() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.healed {
		r.healed = true
		r.s.queueHeal(r.rec)
	}
}

// Range returns a reader of length bytes from offset.
func (r *objectReader) Range(ctx context.Context, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 || length < 0 || offset+length > r.rec.Size {
		return nil, fmt.Errorf("%w: %d+%d of %d bytes", ErrInvalidRange, offset, length, r.rec.Size)
	}
	if r.rec.SSE != nil {
		return r.decryptRange(ctx, offset, length)
	}
	return r.rawRange(ctx, offset, length), nil
}

// rawRange reads the stored bytes (an encrypted version's ciphertext).
func (r *objectReader) rawRange(ctx context.Context, offset, length int64) io.ReadCloser {
	return &rangeReader{ctx: ctx, r: r, pos: offset, end: offset + length}
}

// storedSize is the size of the version's stored streams together.
func (r *objectReader) storedSize() int64 {
	if n := len(r.rec.Parts); n > 0 {
		return r.offsets[n-1] + r.rec.Parts[n-1].Size
	}
	return 0
}

// UseCustomerKey opens an SSE-C version's cipher with ck.
func (r *objectReader) UseCustomerKey(ck *sse.CustomerKey) error {
	if err := checkCustomerKey(r.rec.SSE, ck); err != nil {
		return err
	}
	if ck == nil {
		return nil
	}
	c, err := r.s.openSSE(r.rec.SSE, r.rec.sseContext(), ck)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.cipher = c
	r.mu.Unlock()
	return nil
}

// decryptRange reads plaintext [offset, offset+length) of an encrypted
// version: only the ciphertext chunks holding it are read (and verified
// and repaired by the erasure layer as any read), then authenticated and
// decrypted.
func (r *objectReader) decryptRange(ctx context.Context, offset, length int64) (io.ReadCloser, error) {
	r.mu.Lock()
	c := r.cipher
	r.mu.Unlock()
	if c == nil {
		var err error
		if c, err = r.s.openSSE(r.rec.SSE, r.rec.sseContext(), nil); err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.cipher = c
		r.mu.Unlock()
	}
	total := r.storedSize()
	fetch := func(start, end int64) (io.ReadCloser, error) {
		if start < 0 || end < start || end > total {
			return nil, fmt.Errorf("%w: ciphertext %d..%d of %d bytes", ErrSSECorrupt, start, end, total)
		}
		return r.rawRange(ctx, start, end-start), nil
	}
	var rc io.ReadCloser
	var err error
	if r.rec.PartsCount > 0 && len(r.rec.Parts) > 0 && r.rec.Parts[0].SSESalt != nil {
		parts := make([]sse.Part, len(r.rec.Parts))
		for i, p := range r.rec.Parts {
			parts[i] = sse.Part{Number: p.SSEPart, Size: p.plainSize(), Salt: p.SSESalt}
		}
		rc, err = c.DecryptParts(fetch, parts, offset, length)
	} else {
		rc, err = c.DecryptRange(fetch, r.rec.Size, offset, length)
	}
	if err != nil {
		return nil, sseError(err)
	}
	return &sseReadCloser{rc}, nil
}

// sseReadCloser maps a decrypting reader's errors to storage sentinels.
type sseReadCloser struct{ io.ReadCloser }

func (s *sseReadCloser) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = sseError(err)
	}
	return n, err
}

func (s *sseReadCloser) WriteTo(w io.Writer) (int64, error) {
	n, err := io.Copy(w, s.ReadCloser)
	return n, sseError(err)
}

// rangeReader decodes one block at a time into a pooled buffer.
type rangeReader struct {
	ctx      context.Context
	r        *objectReader
	pos, end int64
	buf      *codecBuf
	codec    *codec
	block    []byte // undelivered bytes of the current block
	err      error
}

func (rr *rangeReader) Read(p []byte) (int, error) {
	if rr.err != nil {
		return 0, rr.err
	}
	if len(rr.block) == 0 {
		if rr.pos >= rr.end {
			return 0, io.EOF
		}
		if err := rr.fill(); err != nil {
			rr.err = err
			return 0, err
		}
	}
	n := copy(p, rr.block)
	rr.block = rr.block[n:]
	return n, nil
}

// locate finds the part holding rr.pos and its offset in that part, and
// makes rr.buf a buffer of the part's codec.
func (rr *rangeReader) locate() (*partSource, int64, error) {
	if err := rr.ctx.Err(); err != nil {
		return nil, 0, err
	}
	r := rr.r
	pi := sort.Search(len(r.offsets), func(i int) bool { return r.offsets[i] > rr.pos }) - 1
	for pi < len(r.rec.Parts)-1 && r.rec.Parts[pi].Size == 0 {
		pi++
	}
	src, err := r.source(pi)
	if err != nil {
		return nil, 0, err
	}
	if rr.codec != src.codec {
		if rr.buf != nil {
			rr.codec.putBuf(rr.buf)
		}
		rr.codec, rr.buf = src.codec, src.codec.getBufFor(r.storedSize()) // every block of a small object is small
	}
	return src, rr.pos - r.offsets[pi], nil
}

// fill decodes the block holding rr.pos.
func (rr *rangeReader) fill() error {
	r := rr.r
	src, inPart, err := rr.locate()
	if err != nil {
		return err
	}
	b := inPart / int64(src.ref.BlockSize)
	n := src.codec.blockLen(src.ref.Size, b)
	blk := rr.buf.block[:n]
	bad, err := src.readBlock(b, blk, rr.buf)
	if bad {
		r.noteBad()
	}
	if err != nil {
		return err
	}
	start := inPart - b*int64(src.ref.BlockSize)
	want := min(int64(n)-start, rr.end-rr.pos)
	rr.block = blk[start : start+want]
	rr.pos += want
	return nil
}

// WriteTo writes the rest of the range to w without joining shards: each
// verified (or reconstructed) data shard slice of a block goes to w as is,
// so io.Copy from a range costs no user-space copy. Bytes already decoded by
// Read are written first.
func (rr *rangeReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	write := func(p []byte) error {
		n, err := w.Write(p)
		total += int64(n)
		if err == nil && n < len(p) {
			err = io.ErrShortWrite
		}
		return err
	}
	if rr.err != nil {
		return 0, rr.err
	}
	if len(rr.block) > 0 {
		if err := write(rr.block); err != nil {
			return total, err
		}
		rr.block = nil
	}
	for rr.pos < rr.end {
		segs, err := rr.next()
		if err != nil {
			rr.err = err
			return total, err
		}
		for _, seg := range segs {
			if err := write(seg); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// next decodes the block holding rr.pos and returns the slices of its data
// shards that cover the range's bytes in it, advancing rr.pos past them.
func (rr *rangeReader) next() ([][]byte, error) {
	src, inPart, err := rr.locate()
	if err != nil {
		return nil, err
	}
	bs := int64(src.ref.BlockSize)
	b := inPart / bs
	blk, err := src.decodeBlock(b, rr.buf, false)
	if err != nil || blk.damaged() {
		rr.r.noteBad()
	}
	if err != nil {
		return nil, err
	}
	shards, n := blk.shards, blk.n
	start := inPart - b*bs
	end := start + min(int64(n)-start, rr.end-rr.pos)
	ss := int64(src.codec.shardSize(n))
	segs := make([][]byte, 0, len(shards))
	for i, sh := range shards {
		lo, hi := int64(i)*ss, int64(i+1)*ss
		lo, hi = max(lo, start), min(hi, end)
		if lo < hi {
			segs = append(segs, sh[lo-int64(i)*ss:hi-int64(i)*ss])
		}
	}
	rr.pos += end - start
	return segs, nil
}

func (rr *rangeReader) Close() error {
	if rr.buf != nil {
		rr.codec.putBuf(rr.buf)
		rr.buf = nil
	}
	if rr.err == nil {
		rr.err = errors.New("storage: read after close")
	}
	return nil
}
