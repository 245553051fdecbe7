package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Drive is the per-drive I/O seam: everything the engine does to one drive
// goes through it. OpenLocalDrive is a local directory;
// internal/driveproto serves one to other nodes and dials remote ones.
// Names are data file names ("<id>.meta", "<id>.shard") made of hex ids;
// they never derive from object keys. Bytes read back are trusted only
// through the checksums the engine verifies (shard frames, .meta and pack
// records carry xxh3), so a Drive need not verify them itself.
type Drive interface {
	// Path names the drive in logs and DriveInfo (a directory, or a URL).
	Path() string
	// Present reports whether the drive's directory itself exists. A
	// drive whose directory vanished (a disk unmounted with its
	// mountpoint) is not re-created at run time: that would put its shards
	// on whatever disk holds the parent.
	Present() bool
	// ReadFormat returns the drive's format record (fs.ErrNotExist when unformatted).
	ReadFormat() (DriveFormat, error)
	// Format creates the drive's directories and writes its format record.
	Format(f DriveFormat) error
	// Create opens a temporary file that Commit later renames to name.
	Create(name string) (TempFile, error)
	// CreateShard is Create for shard streams, whose writes are whole
	// frames padded to frameAlign from aligned buffers: the drive may
	// write them with direct I/O, bypassing the page cache.
	CreateShard(name string) (TempFile, error)
	// SyncDir fsyncs the directory holding name, making renames into it
	// durable.
	SyncDir(name string) error
	// Open opens a committed data file for reading.
	Open(name string) (ShardFile, error)
	// ReadFile reads a whole committed data file.
	ReadFile(name string) ([]byte, error)
	// Remove deletes data files; missing files are not an error.
	Remove(names ...string) error
	// Walk calls fn for each committed data file name with its modification time.
	Walk(fn func(name string, mod time.Time) error) error
	// CleanTemp removes temporary files older than age.
	CleanTemp(age time.Duration) (int, error)
	// Usage reports the file system's total and free bytes.
	Usage() (total, free uint64, err error)

	// Pack log segments (packsegment.go): small objects' records
	// appended to segments. Used by packLog (packlog.go), and by
	// RebuildIndex to scan them.
	Append(rec []byte) (PackLoc, error)
	ReadPacked(loc PackLoc) ([]byte, error)
	PackSegments() ([]uint32, error)
	ActivePack() uint32
	PackSize(seg uint32) int64
	ScanPack(seg uint32, fn func(loc PackLoc, rec []byte) error) error
	RemovePack(seg uint32) error
	Close()
}

// drive is a Drive as the store holds it: with the count of I/O errors
// the store saw on it (DriveInfo.Errors), which include checksum failures
// only the store can detect.
type drive interface {
	Drive
	// Errors counts I/O errors seen on the drive.
	Errors() uint64
	noteError(err error)
}

// countedDrive is the store's drive: a Drive and its error count.
type countedDrive struct {
	Drive
	errors atomic.Uint64
}

func (d *countedDrive) Errors() uint64 { return d.errors.Load() }

func (d *countedDrive) noteError(err error) {
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.errors.Add(1)
	}
}

// TempFile is a data file being written. Sync fsyncs it; Commit renames it
// into place (durable after SyncDir); Abort removes it.
type TempFile interface {
	io.Writer
	Sync() error
	Commit() error
	Abort()
}

// ShardFile is an open committed data file.
type ShardFile interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

const (
	formatFile = "format.json"
	tmpDir     = "tmp" // format.json is written here first
	dataDir    = "data"
	tempPrefix = ".tmp." // files being written, beside their final names

	// dirMode and fileMode keep every byte on the drives and in the data
	// directory to the server's own user: shards, .meta files and pack
	// segments are tenants' data, and a drive may be a mountpoint other
	// local users can reach.
	dirMode  = 0o700
	fileMode = 0o600
)

// localDrive is a drive backed by a local directory:
//
//	root/format.json                    drive identity and set layout
//	root/tmp/                           format.json being written
//	root/data/<id[0:2]>/<name>          committed data files (prefix dirs made on first use)
//	root/data/<id[0:2]>/.tmp.<name>.<r> data files being written
//	root/packs/<seq>.pack               pack log segments of small objects
type localDrive struct {
	root string
	// durable holds prefix directories known to be synced into data/.
	durable sync.Map
	packs   *packSegments
	// formatMu serialises Format: in a cluster a wiped drive can be
	// formatted by its own node's store and, over the drive protocol, by
	// the leader's heal at once (both for the same set position).
	formatMu sync.Mutex
}

// newLocalDrive is a drive whose pack segment reads have a descriptor
// cache of their own; newCachedDrive shares the store's.
func newLocalDrive(root string) *localDrive { return newCachedDrive(root, nil) }

// localDrivePackFiles is the size of the pack segment descriptor cache of
// a drive opened by OpenLocalDrive (each such drive has its own).
const localDrivePackFiles = 64

// OpenLocalDrive is the drive at directory path, for a caller that opens
// its drives itself (Config.DriveSet) or serves them to other nodes
// (internal/driveproto). One process must open a directory once and share
// the Drive: its pack log has one appender. Nothing is read or created
// until the drive is used.
func OpenLocalDrive(path string) (Drive, error) {
	if path == "" {
		return nil, errors.New("storage: empty drive path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return newCachedDrive(abs, newSegCache(localDrivePackFiles)), nil
}

func newCachedDrive(root string, fds *segCache) *localDrive {
	return &localDrive{root: root, packs: newPackSegments(root, fds)}
}

func (d *localDrive) Append(rec []byte) (PackLoc, error)     { return d.packs.append(rec, false) }
func (d *localDrive) ReadPacked(loc PackLoc) ([]byte, error) { return d.packs.read(loc) }
func (d *localDrive) PackSegments() ([]uint32, error)        { return d.packs.segments() }
func (d *localDrive) ActivePack() uint32                     { return d.packs.activeSeg() }
func (d *localDrive) PackSize(seg uint32) int64              { return d.packs.segSize(seg) }
func (d *localDrive) RemovePack(seg uint32) error            { return d.packs.remove(seg) }
func (d *localDrive) Close()                                 { d.packs.close() }
func (d *localDrive) ScanPack(seg uint32, fn func(PackLoc, []byte) error) error {
	return d.packs.scan(seg, fn)
}

// The local drive is an appendGatherer (announce.go).
func (d *localDrive) expectAppends(n int) { d.packs.appends.Expect(n) }
func (d *localDrive) appendExpected(rec []byte) (PackLoc, error) {
	return d.packs.append(rec, true)
}

func (d *localDrive) Path() string { return d.root }

func (d *localDrive) Present() bool {
	st, err := os.Stat(d.root)
	return err == nil && st.IsDir()
}

// dataPath maps a data file name to its path. Names are checked so that no
// name can leave the data directory.
func (d *localDrive) dataPath(name string) (string, error) {
	if len(name) < 3 || strings.ContainsAny(name, "/\\\x00") || strings.Contains(name, "..") {
		return "", fmt.Errorf("storage: bad data file name %q", name)
	}
	return filepath.Join(d.root, dataDir, name[:2], name), nil
}

func (d *localDrive) Format(f DriveFormat) error {
	d.formatMu.Lock()
	defer d.formatMu.Unlock()
	// A drive formatted while the store runs is a new or wiped disk: no
	// segment descriptor cached before may be read through again.
	d.packs.forget()
	for _, dir := range []string{dataDir, tmpDir, packDir} {
		if err := os.MkdirAll(filepath.Join(d.root, dir), dirMode); err != nil {
			return mapIOError(err)
		}
	}
	b, err := f.encode()
	if err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(d.root, tmpDir, formatFile), b); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(d.root, tmpDir, formatFile), filepath.Join(d.root, formatFile)); err != nil {
		return mapIOError(err)
	}
	for _, dir := range []string{filepath.Join(d.root, dataDir), d.root} {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

func (d *localDrive) ReadFormat() (DriveFormat, error) {
	b, err := os.ReadFile(filepath.Join(d.root, formatFile))
	if err != nil {
		return DriveFormat{}, err
	}
	return decodeFormat(b)
}

type localTemp struct {
	f      *os.File
	final  string
	direct bool // opened with O_DIRECT
}

func (t *localTemp) Write(p []byte) (int, error) {
	n, err := t.f.Write(p)
	if t.direct && n == 0 && errors.Is(err, syscall.EINVAL) {
		// A write direct I/O cannot take (unaligned, or a file system
		// that refuses it late): go on through the page cache.
		if t.direct, err = false, setDirect(t.f, false); err == nil {
			n, err = t.f.Write(p)
		}
	}
	return n, mapIOError(err)
}

func (t *localTemp) Sync() error { return mapIOError(t.f.Sync()) }

// setDirect turns O_DIRECT on or off for f (F_SETFL).
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			serr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, serr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	if err != nil {
		return err
	}
	return serr
}

func (t *localTemp) Commit() error {
	if err := t.f.Close(); err != nil {
		_ = os.Remove(t.f.Name()) // a temp file left behind is removed by CleanTemp
		return mapIOError(err)
	}
	err := os.Rename(t.f.Name(), t.final)
	if errors.Is(err, fs.ErrNotExist) {
		// First file under this prefix: create data/<xx> and retry.
		dir := filepath.Dir(t.final)
		if err = os.Mkdir(dir, dirMode); err == nil || errors.Is(err, fs.ErrExist) {
			err = os.Rename(t.f.Name(), t.final)
		}
	}
	if err != nil {
		_ = os.Remove(t.f.Name()) // a temp file left behind is removed by CleanTemp
		return mapIOError(err)
	}
	return nil
}

// Abort drops the temporary file; one it cannot remove is left to CleanTemp.
func (t *localTemp) Abort() {
	_ = t.f.Close()
	_ = os.Remove(t.f.Name())
}

// CreateShard opens the temporary file with O_DIRECT where the file system
// allows it. Shard frames are large aligned writes; through the page cache
// each byte is copied once more and costs the kernel about six times the
// CPU (measured: 16 writers of 200 MiB, 3.1 s of system time buffered,
// 0.48 s direct). Durability is unchanged: Sync still fdatasyncs (file
// size, extents, the device's write cache) before the rename.
func (d *localDrive) CreateShard(name string) (TempFile, error) {
	t, err := d.create(name)
	if err != nil {
		return nil, err
	}
	t.direct = setDirect(t.f, true) == nil
	return t, nil
}

func (d *localDrive) Create(name string) (TempFile, error) {
	t, err := d.create(name)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return t, nil
}

func (d *localDrive) create(name string) (*localTemp, error) {
	final, err := d.dataPath(name)
	if err != nil {
		return nil, err
	}
	// The temporary file sits beside its final name: the rename stays in
	// one directory and writers spread over 256 directories.
	f, err := os.CreateTemp(filepath.Dir(final), tempPrefix+name+".*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.Mkdir(filepath.Dir(final), dirMode); err == nil || errors.Is(err, fs.ErrExist) {
			f, err = os.CreateTemp(filepath.Dir(final), tempPrefix+name+".*")
		}
	}
	if err != nil {
		return nil, mapIOError(err)
	}
	return &localTemp{f: f, final: final}, nil
}

func (d *localDrive) SyncDir(name string) error {
	p, err := d.dataPath(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if _, ok := d.durable.Load(dir); !ok {
		// The prefix directory may be new (made by any writer): make its
		// entry in data/ durable once per process.
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return err
		}
		d.durable.Store(dir, true)
	}
	return syncDir(dir)
}

type localFile struct {
	*os.File
	size int64
}

func (f localFile) Size() int64 { return f.size }

func (d *localDrive) Open(name string) (ShardFile, error) {
	p, err := d.dataPath(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close() // opened read-only: nothing to lose
		return nil, err
	}
	return localFile{File: f, size: st.Size()}, nil
}

func (d *localDrive) ReadFile(name string) ([]byte, error) {
	p, err := d.dataPath(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

func (d *localDrive) Remove(names ...string) error {
	var first error
	for _, n := range names {
		p, err := d.dataPath(n)
		if err != nil {
			return err
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

func (d *localDrive) Walk(fn func(name string, mod time.Time) error) error {
	base := filepath.Join(d.root, dataDir)
	dirs, err := os.ReadDir(base)
	if err != nil {
		return err
	}
	// A directory that cannot be read is skipped, and reported at the end
	// (joined), so one bad directory neither hides the rest nor passes
	// silently.
	var skipped []error
	for _, dir := range dirs {
		if !dir.IsDir() {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(base, dir.Name()))
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tempPrefix) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) { // removed meanwhile
					skipped = append(skipped, err)
				}
				continue
			}
			if err := fn(e.Name(), info.ModTime()); err != nil {
				return err
			}
		}
	}
	return errors.Join(skipped...)
}

func (d *localDrive) CleanTemp(age time.Duration) (int, error) {
	base := filepath.Join(d.root, dataDir)
	dirs, err := os.ReadDir(base)
	if err != nil {
		return 0, err
	}
	n := 0
	cutoff := time.Now().Add(-age)
	for _, dir := range dirs {
		entries, err := os.ReadDir(filepath.Join(base, dir.Name()))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), tempPrefix) {
				continue
			}
			info, err := e.Info()
			if err != nil || info.ModTime().After(cutoff) {
				continue
			}
			if os.Remove(filepath.Join(base, dir.Name(), e.Name())) == nil {
				n++
			}
		}
	}
	return n, nil
}

func (d *localDrive) Usage() (total, free uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(d.root, &st); err != nil {
		return 0, 0, err
	}
	return st.Blocks * uint64(st.Bsize), st.Bavail * uint64(st.Bsize), nil
}

// restrictModes takes group and other permissions off what older
// versions created 0755 and 0644: the drive's directories (data/ with its
// prefix directories, tmp/, packs/), format.json and pack segments. Data
// files were always 0600 (os.CreateTemp), and their 0700 directories close
// them anyway. It costs a stat per directory and segment, not per file.
// The drive root is the operator's (often a mountpoint) and is left alone.
func (d *localDrive) restrictModes() error {
	var first error
	restrict := func(path string) {
		if err := restrictMode(path); err != nil && first == nil {
			first = err
		}
	}
	restrict(filepath.Join(d.root, formatFile))
	for _, dir := range []string{tmpDir, dataDir, packDir} {
		p := filepath.Join(d.root, dir)
		restrict(p)
		entries, err := os.ReadDir(p)
		if err != nil || dir == tmpDir {
			continue
		}
		for _, e := range entries {
			if e.IsDir() == (dir == dataDir) {
				restrict(filepath.Join(p, e.Name()))
			}
		}
	}
	return first
}

// restrictMode clears the group and other bits of path, if it exists.
func restrictMode(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if st.Mode()&fs.ModeSymlink != 0 || st.Mode().Perm()&0o077 == 0 {
		return nil
	}
	return os.Chmod(path, st.Mode().Perm()&^0o077)
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return mapIOError(err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close() // the write error is the one to report
		return mapIOError(err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close() // the sync error is the one to report
		return mapIOError(err)
	}
	return mapIOError(f.Close())
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return mapIOError(err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return mapIOError(err)
}

// mapIOError turns ENOSPC into ErrDiskFull so callers can tell a full drive
// from a broken one.
func mapIOError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: %v", ErrDiskFull, err)
	}
	return err
}
