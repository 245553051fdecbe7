package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zeebo/xxh3"
	"golang.org/x/sys/unix"
)

// Small objects do not get files of their own: their per-drive .meta
// record (header plus inline shards) is appended to the drive's active pack
// segment, root/packs/<seq>.pack. Appends from concurrent writers are group
// committed: one write and one fdatasync per batch per drive, instead of a
// file creation, rename and two fsyncs per object. The index records where
// each drive's copy lives (dataRef.Packed); the scrubber compacts segments
// whose live bytes fell under half and removes dead ones.

// packLoc is where one record lives in a drive's pack segments. Len 0
// means the drive holds no copy.
type packLoc struct {
	Seg uint32 `json:"s"`
	Off int64  `json:"o"`
	Len int32  `json:"n"`
}

// packFrameHead is a record's frame: u32 payload length, u64 xxh3 of it.
const packFrameHead = 12

// packSegmentSize is when the active segment is rotated, unless the
// store's config sets a smaller size for tests (Config.testPackSegmentSize).
const packSegmentSize int64 = 64 << 20

const packDir = "packs"

func segName(seg uint32) string { return fmt.Sprintf("%08x.pack", seg) }

// packs is one drive's pack segments and its group-committing appender.
type packs struct {
	dir string

	appends batcher[*packReq] // group commit: one write and fdatasync per batch

	// The active segment; changed only by the leader, under segMu.
	segMu  sync.Mutex
	active *os.File
	seg    uint32
	size   int64

	buf []byte // the leader's batch buffer, reused up to maxPackBuf

	fdMu sync.Mutex
	fds  map[uint32]*os.File

	rotateAt int64 // rotation size: packSegmentSize, or smaller in tests
}

type packReq struct {
	rec  []byte
	done chan struct{}
	loc  packLoc
	err  error
}

// maxPackBuf is the largest batch buffer a pack log keeps for reuse.
const maxPackBuf = 1 << 20

func newPacks(root string) *packs {
	p := &packs{dir: filepath.Join(root, packDir), fds: map[uint32]*os.File{}, rotateAt: packSegmentSize}
	p.appends.run = p.runBatch
	return p
}

// append durably appends rec and returns its location.
func (p *packs) append(rec []byte) (packLoc, error) {
	r := &packReq{rec: rec, done: make(chan struct{})}
	p.appends.add(r)
	<-r.done
	return r.loc, r.err
}

// runBatch writes a batch of queued records (in the batcher's leader
// goroutine). A batch starts only after its members queued, so one
// fdatasync covers them all.
func (p *packs) runBatch(batch []*packReq) {
	err := p.writeBatch(batch)
	for _, r := range batch {
		if err != nil {
			r.err = err
		}
		close(r.done)
	}
}

// writeBatch runs only in the leader goroutine.
func (p *packs) writeBatch(batch []*packReq) error {
	var n int64
	for _, r := range batch {
		n += int64(packFrameHead + len(r.rec))
	}
	if p.active != nil {
		// A drive directory removed under us must fail the write, not
		// append to an unlinked file.
		if _, err := os.Stat(filepath.Join(p.dir, segName(p.seg))); err != nil {
			p.drop()
		}
	}
	if p.active == nil || p.size+n > p.rotateAt && p.size > 0 {
		if err := p.rotate(); err != nil {
			return err
		}
	}
	buf := p.buf[:0]
	if int64(cap(buf)) < n {
		buf = make([]byte, 0, n)
	}
	if n <= maxPackBuf {
		p.buf = buf // reused by the next batch (the leader is the only user)
	}
	for _, r := range batch {
		r.loc = packLoc{Seg: p.seg, Off: p.size + int64(len(buf)), Len: int32(len(r.rec))}
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(r.rec)))
		buf = binary.BigEndian.AppendUint64(buf, xxh3.Hash(r.rec))
		buf = append(buf, r.rec...)
	}
	if _, err := p.active.WriteAt(buf, p.size); err != nil {
		p.drop()
		return mapIOError(err)
	}
	if err := unix.Fdatasync(int(p.active.Fd())); err != nil {
		p.drop()
		return mapIOError(err)
	}
	p.size += int64(len(buf))
	return nil
}

// drop abandons the active segment after an error; the next batch starts
// a new one, so a torn tail is never appended to.
func (p *packs) drop() {
	p.segMu.Lock()
	defer p.segMu.Unlock()
	if p.active != nil {
		p.active.Close()
		p.active = nil
	}
}

// rotate starts a new segment numbered after every existing one.
func (p *packs) rotate() error {
	p.drop()
	segs, err := p.segments()
	if err != nil {
		return err
	}
	// Segment numbers only grow, also across restarts and re-formats (they
	// start at the clock), so a stale location never names a newer segment.
	next := max(p.seg+1, uint32(time.Now().Unix()))
	if len(segs) > 0 && segs[len(segs)-1] >= next {
		next = segs[len(segs)-1] + 1
	}
	if err := os.Mkdir(p.dir, dirMode); err != nil && !errors.Is(err, os.ErrExist) {
		return mapIOError(err)
	}
	f, err := os.OpenFile(filepath.Join(p.dir, segName(next)), os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return mapIOError(err)
	}
	if err := syncDir(p.dir); err != nil {
		f.Close()
		return err
	}
	p.segMu.Lock()
	p.active, p.seg, p.size = f, next, 0
	p.segMu.Unlock()
	return nil
}

// activeSeg is the segment being appended to (0 before the first append).
func (p *packs) activeSeg() uint32 {
	p.segMu.Lock()
	defer p.segMu.Unlock()
	if p.active == nil {
		return 0
	}
	return p.seg
}

func (p *packs) segments() ([]uint32, error) {
	entries, err := os.ReadDir(p.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []uint32
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".pack")
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(name, 16, 32); err == nil {
			out = append(out, uint32(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func (p *packs) fd(seg uint32) (*os.File, error) {
	p.fdMu.Lock()
	defer p.fdMu.Unlock()
	path := filepath.Join(p.dir, segName(seg))
	if f := p.fds[seg]; f != nil {
		// A segment unlinked under us (drive removed or wiped) is gone, and
		// one whose path now names another file (the drive directory was
		// renamed away and replaced) must not be read through the old disk.
		fst, ferr := f.Stat()
		pst, perr := os.Stat(path)
		if ferr == nil && perr == nil && fst.Sys().(*syscall.Stat_t).Nlink > 0 && os.SameFile(fst, pst) {
			return f, nil
		}
		f.Close()
		delete(p.fds, seg)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	p.fds[seg] = f
	return f, nil
}

// read returns the record at loc after checking its frame.
func (p *packs) read(loc packLoc) ([]byte, error) {
	if loc.Len <= 0 {
		return nil, fmt.Errorf("storage: no packed copy: %w", os.ErrNotExist)
	}
	f, err := p.fd(loc.Seg)
	if err != nil {
		return nil, err
	}
	b := make([]byte, packFrameHead+int(loc.Len))
	if _, err := f.ReadAt(b, loc.Off); err != nil {
		return nil, err
	}
	if int32(binary.BigEndian.Uint32(b)) != loc.Len || binary.BigEndian.Uint64(b[4:]) != xxh3.Hash(b[packFrameHead:]) {
		return nil, fmt.Errorf("%w: packed record %d/%d", errBadMeta, loc.Seg, loc.Off)
	}
	return b[packFrameHead:], nil
}

// scan calls fn for every intact record of a segment, stopping at the first
// torn or corrupt frame.
func (p *packs) scan(seg uint32, fn func(loc packLoc, rec []byte) error) error {
	f, err := os.Open(filepath.Join(p.dir, segName(seg)))
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	head := make([]byte, packFrameHead)
	for {
		if _, err := io.ReadFull(r, head); err != nil {
			return nil
		}
		n := binary.BigEndian.Uint32(head)
		if n == 0 || n > maxMetaHeader+inlineMax {
			return nil
		}
		rec := make([]byte, n)
		if _, err := io.ReadFull(r, rec); err != nil || binary.BigEndian.Uint64(head[4:]) != xxh3.Hash(rec) {
			return nil
		}
		if err := fn(packLoc{Seg: seg, Off: off, Len: int32(n)}, rec); err != nil {
			return err
		}
		off += int64(packFrameHead + n)
	}
}

func (p *packs) segSize(seg uint32) int64 {
	st, err := os.Stat(filepath.Join(p.dir, segName(seg)))
	if err != nil {
		return 0
	}
	return st.Size()
}

func (p *packs) remove(seg uint32) error {
	p.fdMu.Lock()
	if f := p.fds[seg]; f != nil {
		f.Close()
		delete(p.fds, seg)
	}
	p.fdMu.Unlock()
	err := os.Remove(filepath.Join(p.dir, segName(seg)))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (p *packs) close() {
	p.drop()
	p.fdMu.Lock()
	for seg, f := range p.fds {
		f.Close()
		delete(p.fds, seg)
	}
	p.fdMu.Unlock()
}
