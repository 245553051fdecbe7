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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cofferstore/coffer/internal/batcher"
	"github.com/zeebo/xxh3"
	"golang.org/x/sys/unix"
)

// packSegments is one drive's pack log: its segment files
// (root/packs/<seq>.pack), the active segment and its group-committing
// appender, and reads through the store's descriptor cache. It is the
// local drive's implementation of the drive seam's pack methods, which
// packLog (packlog.go) calls (and, to read every segment, RebuildIndex).
type packSegments struct {
	dir string
	fds *segCache // read descriptors, shared by the store's drives

	// appends is the group commit: one write and fdatasync per batch. Small
	// PUTs announce their appends (announce.go), so a batch waits for them.
	appends batcher.Batcher[*packReq]

	// The active segment; changed only by the leader, under segMu.
	segMu  sync.Mutex
	active *os.File
	seg    uint32
	size   int64

	buf []byte // the leader's batch buffer, reused up to maxPackBuf

	rotateAt int64 // rotation size: packSegmentSize, or smaller in tests

	batches atomic.Int64 // batches written (each one write and fdatasync)
}

// packSegmentSize is when the active segment is rotated, unless the
// store's config sets a smaller size for tests (Config.testPackSegmentSize).
const packSegmentSize int64 = 64 << 20

const packDir = "packs"

func segName(seg uint32) string { return fmt.Sprintf("%08x.pack", seg) }

type packReq struct {
	rec  []byte
	done chan struct{}
	loc  PackLoc
	err  error
}

// packGatherWait bounds how long a batch waits for appends that writers
// announced (announce.go).
const packGatherWait = 2 * time.Millisecond

// maxPackBuf is the largest batch buffer a pack log keeps for reuse.
const maxPackBuf = 1 << 20

// newPackSegments opens (lazily) the pack log of the drive at root; reads
// go through fds (a private cache of one descriptor when nil).
func newPackSegments(root string, fds *segCache) *packSegments {
	if fds == nil {
		fds = newSegCache(1)
	}
	p := &packSegments{dir: filepath.Join(root, packDir), fds: fds, rotateAt: packSegmentSize}
	p.appends.Run = p.runBatch
	p.appends.MaxWait = packGatherWait
	return p
}

// append durably appends rec and returns its location; expected says the
// append was announced (announce.go).
func (p *packSegments) append(rec []byte, expected bool) (PackLoc, error) {
	r := &packReq{rec: rec, done: make(chan struct{})}
	if expected {
		p.appends.AddExpected(r)
	} else {
		p.appends.Add(r)
	}
	<-r.done
	return r.loc, r.err
}

// runBatch writes a batch of queued records (in the batcher's leader
// goroutine). A batch starts only after its members queued, so one
// fdatasync covers them all.
func (p *packSegments) runBatch(batch []*packReq) {
	p.batches.Add(1)
	err := p.writeBatch(batch)
	for _, r := range batch {
		if err != nil {
			r.err = err
		}
		close(r.done)
	}
}

// writeBatch runs only in the leader goroutine.
func (p *packSegments) writeBatch(batch []*packReq) error {
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
		r.loc = PackLoc{Seg: p.seg, Off: p.size + int64(len(buf)), Len: int32(len(r.rec))}
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
func (p *packSegments) drop() {
	p.segMu.Lock()
	defer p.segMu.Unlock()
	if p.active != nil {
		// Cut the sparse tail rotate gave it (and any torn write): best
		// effort, a tail of zeros ends a scan as the end of the file does.
		_ = p.active.Truncate(p.size)
		_ = p.active.Close() // abandoned after a failed write; what was synced stays readable
		p.active = nil
	}
}

// rotate starts a new segment numbered after every existing one.
func (p *packSegments) rotate() error {
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
	// The segment starts at its full size, sparse (no blocks): appends then
	// never change the file's size, so a batch's fdatasync writes the data
	// and its block allocation but not the inode's size (measured: a fifth
	// less CPU and wall time per 74 KiB append and fdatasync). Zeros end a
	// scan as the end of the file does; drop cuts the tail at rotation.
	if err := f.Truncate(p.rotateAt); err != nil {
		return errors.Join(mapIOError(err), f.Close())
	}
	if err := syncDir(p.dir); err != nil {
		return errors.Join(err, f.Close())
	}
	p.segMu.Lock()
	p.active, p.seg, p.size = f, next, 0
	p.segMu.Unlock()
	return nil
}

// activeSeg is the segment being appended to (0 before the first append).
func (p *packSegments) activeSeg() uint32 {
	p.segMu.Lock()
	defer p.segMu.Unlock()
	if p.active == nil {
		return 0
	}
	return p.seg
}

func (p *packSegments) segments() ([]uint32, error) {
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

// read returns the record at loc after checking its frame. A read that
// fails on a cached descriptor is retried once on a fresh one: the cached
// file may be one the segment path no longer names (see segCache).
func (p *packSegments) read(loc PackLoc) ([]byte, error) {
	if loc.Len <= 0 {
		return nil, fmt.Errorf("storage: no packed copy: %w", os.ErrNotExist)
	}
	key := segKey{dir: p.dir, seg: loc.Seg}
	var rec []byte
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var fd *segFD
		if fd, err = p.fds.acquire(key); err != nil {
			return nil, err
		}
		rec, err = readFrame(fd.f, loc)
		if err != nil {
			p.fds.drop(key, fd)
		}
		p.fds.release(fd)
		if err == nil {
			return rec, nil
		}
	}
	return nil, err
}

// readFrame reads and checks the frame of the record at loc.
func readFrame(f *os.File, loc PackLoc) ([]byte, error) {
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
func (p *packSegments) scan(seg uint32, fn func(loc PackLoc, rec []byte) error) error {
	f, err := os.Open(filepath.Join(p.dir, segName(seg)))
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read only
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
		if err := fn(PackLoc{Seg: seg, Off: off, Len: int32(n)}, rec); err != nil {
			return err
		}
		off += int64(packFrameHead + n)
	}
}

// segSize is the bytes a segment holds: its size, or for a segment left
// sparse by a crash (rotate's tail never cut), the bytes allocated to it.
func (p *packSegments) segSize(seg uint32) int64 {
	st, err := os.Stat(filepath.Join(p.dir, segName(seg)))
	if err != nil {
		return 0
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Blocks*512 < st.Size() {
		return sys.Blocks * 512
	}
	return st.Size()
}

func (p *packSegments) remove(seg uint32) error {
	p.fds.drop(segKey{dir: p.dir, seg: seg}, nil)
	err := os.Remove(filepath.Join(p.dir, segName(seg)))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// forget drops the cached read descriptors of every segment: the
// directory may now be another disk's (a re-formatted drive).
func (p *packSegments) forget() { p.fds.dropDir(p.dir) }

func (p *packSegments) close() {
	p.drop()
	p.forget()
}
