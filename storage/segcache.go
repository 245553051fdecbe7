package storage

import (
	"container/list"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// segCache is the store's cache of open pack segment descriptors for
// reads, shared by every drive. A read takes a reference for the length of
// its pread and gives it back; a descriptor is closed only when it is
// unreferenced, so no read ever meets a file closed under it. At most
// capacity descriptors stay open between reads (least recently used go
// first); while more are in use at once, the extra ones close as their
// reads end, so open descriptors never exceed capacity plus the reads in
// flight.
//
// A cached descriptor may outlive what its path names. A segment removed
// (a wiped or removed drive) must read as gone at once, like any data file
// of that drive: each use checks the descriptor's link count (one fstat on
// the open descriptor, no path lookup). A path that comes to name another
// file (a drive directory swapped for another disk while the old one is
// still reachable) is caught without a path lookup per read:
//   - re-formatting a drive drops all of its descriptors (dropDir), and
//     the scrubber re-formats a swapped-in empty disk before it heals;
//   - a read that fails or meets a bad frame is retried once on a fresh
//     descriptor (packSegments.read);
//   - a descriptor is checked against its path (os.SameFile) when used
//     segRecheck after its last check: at most one stat per segment per
//     interval, which bounds how long any other swap goes unnoticed.
type segCache struct {
	mu       sync.Mutex
	capacity int
	items    map[segKey]*segFD
	idle     list.List // unreferenced cached descriptors, most recent first
}

// segRecheck is how often a cached descriptor is checked against its path.
const segRecheck = time.Second

// segKey names a segment: its drive's pack directory and number.
type segKey struct {
	dir string
	seg uint32
}

func (k segKey) path() string { return filepath.Join(k.dir, segName(k.seg)) }

// segFD is an open segment descriptor. refs, gone, checked and elem are
// guarded by segCache.mu.
type segFD struct {
	key     segKey
	f       *os.File
	sysfd   int // f's descriptor, for the link check
	refs    int
	gone    bool          // no longer in items: closed by the last release
	checked time.Time     // last check against the path (or the open)
	elem    *list.Element // in idle while refs == 0 and cached
}

func newSegCache(capacity int) *segCache {
	return &segCache{capacity: max(capacity, 1), items: map[segKey]*segFD{}}
}

// acquire returns a referenced descriptor of the segment key; release it
// with release. It opens the file when no valid descriptor is cached.
func (c *segCache) acquire(key segKey) (*segFD, error) {
	c.mu.Lock()
	if fd := c.items[key]; fd != nil {
		c.ref(fd)
		check := time.Since(fd.checked) > segRecheck
		if check {
			fd.checked = time.Now() // one checker at a time
		}
		c.mu.Unlock()
		if linked(fd.sysfd) && (!check || sameFile(fd.f, key.path())) {
			return fd, nil
		}
		c.drop(key, fd)
		c.release(fd)
	} else {
		c.mu.Unlock()
	}
	f, err := os.Open(key.path())
	if err != nil {
		return nil, err
	}
	fd := &segFD{key: key, f: f, sysfd: int(f.Fd()), refs: 1, checked: time.Now()}
	c.mu.Lock()
	if old := c.items[key]; old != nil {
		// Another read opened it meanwhile: use that one.
		c.ref(old)
		c.mu.Unlock()
		_ = f.Close() // a read descriptor: nothing to lose
		return old, nil
	}
	c.items[key] = fd
	c.mu.Unlock()
	return fd, nil
}

// ref takes a reference (c.mu held).
func (c *segCache) ref(fd *segFD) {
	if fd.refs == 0 && fd.elem != nil {
		c.idle.Remove(fd.elem)
		fd.elem = nil
	}
	fd.refs++
}

// release gives a reference back. The last reference closes a dropped
// descriptor, or parks a cached one on the idle list, evicting the least
// recently used idle descriptors beyond capacity.
func (c *segCache) release(fd *segFD) {
	c.mu.Lock()
	fd.refs--
	var closing []*os.File
	if fd.refs == 0 {
		if fd.gone {
			closing = append(closing, fd.f)
		} else {
			fd.elem = c.idle.PushFront(fd)
		}
	}
	for len(c.items) > c.capacity && c.idle.Len() > 0 {
		old := c.idle.Remove(c.idle.Back()).(*segFD)
		old.elem, old.gone = nil, true
		delete(c.items, old.key)
		closing = append(closing, old.f)
	}
	c.mu.Unlock()
	for _, f := range closing {
		_ = f.Close() // read descriptors: nothing to lose
	}
}

// drop forgets key's descriptor fd (if it is still the cached one); it is
// closed at once when unreferenced, else by its last release.
func (c *segCache) drop(key segKey, fd *segFD) {
	c.mu.Lock()
	var f *os.File
	if cur := c.items[key]; cur != nil && (fd == nil || cur == fd) {
		delete(c.items, key)
		cur.gone = true
		if cur.refs == 0 {
			if cur.elem != nil {
				c.idle.Remove(cur.elem)
				cur.elem = nil
			}
			f = cur.f
		}
	}
	c.mu.Unlock()
	if f != nil {
		_ = f.Close() // a read descriptor: nothing to lose
	}
}

// dropDir forgets every descriptor of one drive's pack directory.
func (c *segCache) dropDir(dir string) {
	c.mu.Lock()
	var keys []segKey
	for k := range c.items {
		if k.dir == dir {
			keys = append(keys, k)
		}
	}
	c.mu.Unlock()
	for _, k := range keys {
		c.drop(k, nil)
	}
}

// linked reports whether the open file fd still has a name (an unlinked
// segment is a removed or wiped drive's).
func linked(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Nlink > 0
}

// sameFile reports whether f is still linked and path still names it.
func sameFile(f *os.File, path string) bool {
	fst, err := f.Stat()
	if err != nil {
		return false
	}
	pst, err := os.Stat(path)
	if err != nil {
		return false
	}
	st, ok := fst.Sys().(*syscall.Stat_t)
	return ok && st.Nlink > 0 && os.SameFile(fst, pst)
}
