package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cofferstore/coffer/internal/kv"
	bolt "go.etcd.io/bbolt"
)

// Config configures a Store.
type Config struct {
	DataDir       string        // server state: DataDir/index.db
	Drives        []string      // drive directories, 2..16
	Parity        int           // 0 = len(Drives)/2
	BlockSize     int           // 0 = DefaultBlockSize
	ScrubInterval time.Duration // 0 = DefaultScrubInterval; < 0 disables the background scanner
	SlowTxBound   time.Duration // 0 = DefaultSlowTxBound: an index transaction open longer makes Stalled report
	// HedgeAfter is how long a read waits for a data shard from another
	// node's drive (DriveSet, not a local directory) before it reads a
	// parity shard in its place (0 = DefaultHedgeAfter; < 0: never).
	HedgeAfter time.Duration
	Logger     *slog.Logger
	// DefaultMaxBuckets and DefaultMaxUploads limit every tenant whose
	// quota does not set its own (Quota.MaxBuckets, Quota.MaxUploads);
	// 0 = no limit.
	DefaultMaxBuckets int64
	DefaultMaxUploads int64
	// PackFiles is how many pack segment descriptors are kept open for
	// reads, over all drives; 0 = DefaultPackFiles.
	PackFiles int
	// Keys are the master keys of server-side encryption (nil: none, and
	// SSE-S3 writes fail with ErrSSENoMasterKey).
	Keys KeyRing
	// SSEDefault encrypts every new object and upload with SSE-S3 unless
	// its write asks for SSE-C (the operator's --sse-default).
	SSEDefault bool
	// Index, when non-nil, is where the index lives (cluster mode: etcd,
	// kv.NewEtcd); DataDir/index.db is then not opened, and Close leaves
	// Index open (its owner closes it).
	Index kv.DB

	// DriveSet, when non-nil, is the set's drives already opened (local
	// ones by OpenLocalDrive, remote ones by internal/driveproto), in set
	// order; it replaces Drives. They stay the caller's: Close leaves them open.
	DriveSet []Drive
	// SetID, when set, names the erasure set: Open formats empty drives
	// as its members and refuses a drive formatted for another set.
	SetID string
	// Shared means other processes (cluster nodes) use this index and
	// write to these drives too. Index side: Open rebuilds nothing global
	// (no recount of upload counters, no purge of trashed buckets: the
	// cluster leader's jobs); it still finishes the cleanup journal, whose
	// removals are of committed deletions, idempotent whoever runs them.
	// Drive side: Open removes no temporary files on remote drives and
	// only those older than SharedGrace on local ones, and the scrubber
	// keeps temporary files, orphans and pack segments younger than
	// SharedGrace (other nodes' writes in flight, which this store cannot
	// see pinned).
	Shared bool

	// FastPut acknowledges small unconditional PUTs after their pack-log
	// fdatasync and commits them to the index behind it (fastput.go).
	// Off by default: on the bench machine it has not yet been measured
	// faster than the synced commit (docs/benchmarks.md, "Eighth session").
	// Ignored with Index or Shared.
	FastPut bool

	// Test hooks: unexported, so only this package's tests set them.
	testWrapDrive       func(i int, d Drive) Drive // wraps every drive the store opens (the power-loss layer)
	testUnaligned       bool                       // write shard streams unpadded (Align 0), as versions before frame alignment did
	testPackSegmentSize int64                      // rotate pack segments at this size instead of packSegmentSize
	testPackGatherWait  time.Duration              // a pack batch waits this long for announced appends instead of packGatherWait
	// testIndexDurable runs after every index commit, once it is durable
	// (the power-loss layer snapshots index.db there); its error fails the
	// commit's callers, as a power cut during the commit would.
	testIndexDurable func(db *bolt.DB) error
	// testCrashAfterCommit makes every write skip what follows its index
	// commit (removing what it replaced), as if the process died there.
	testCrashAfterCommit bool
	// testBeforeRewrite runs before each rewrite of a version's drive
	// copies after its commit (to hold one back while another runs).
	testBeforeRewrite func()
	// testNow is the clock of Object Lock retention (nil: time.Now).
	testNow func() time.Time
	// testReplayCrashAt makes Open's replay of the fast log stop with
	// errReplayCrash after applying this many records, as a crash would.
	testReplayCrashAt int
	// testFastHold, when set, holds the fast log's applier until it is
	// closed (records stay acknowledged and unapplied).
	testFastHold chan struct{}
}

// Defaults chosen by benchmark (see docs/benchmarks.md).
const (
	DefaultBlockSize     = 1 << 20
	DefaultScrubInterval = 24 * time.Hour
	// inlineMax is the largest object whose shards are kept inside the
	// per-drive .meta file instead of a separate .shard file.
	inlineMax = 128 << 10
	// maxObjectSize is the S3 limit of 5 TiB.
	maxObjectSize = 5 << 40
	// SharedGrace is how old a file on shared drives (Config.Shared) must
	// be before the scrubber may take it for an interrupted write: another
	// node's write in flight is pinned only in that node's memory. It is
	// far above any write's time from first byte to index commit at the
	// drive protocol's deadlines, and short enough that leftovers go the
	// same day.
	SharedGrace = 15 * time.Minute
)

// Store is the erasure-coded object store. It implements ObjectStore.
type Store struct {
	cfg Config
	log *slog.Logger
	idx index // raw, behind the fast log's barrier when there is one
	raw *kvIndex
	// fast acknowledges small PUTs before their index commit (fastput.go);
	// nil for a shared index or drives of other nodes.
	fast *fastLog
	// remote is set when some drive is another node's.
	remote bool
	// fastReplayed counts the records Open's replay applied (tests).
	fastReplayed int
	drives       []drive // by position in the set: drive i holds shard i
	// hedge marks the drives of other nodes, whose reads readHedged does
	// not wait for past Config.HedgeAfter; slowUntil (unix ns) is until
	// when a drive that kept a read waiting is read only when no other
	// will do.
	hedge     []bool
	slowUntil []atomic.Int64
	packs     *packLog
	segFDs    *segCache // pack segment read descriptors of all drives
	cleanups  cleanupJournal
	rewriteMu [64]sync.Mutex // serialise rewrites of one version's drive copies (cleanup.go)
	data      int
	parity    int
	blockSize int
	setID     string
	// shardAlign is the Align of new shard streams: frameAlign, or 0 (the
	// unpadded layout of earlier data) under Config.testUnaligned.
	shardAlign int

	// inflight counts, per data id, writes not yet recorded in the index
	// (new data, or rewritten packed copies); see pinID.
	inflightMu sync.Mutex
	inflight   map[string]int
	// needHeal is set when Open re-formatted a drive of an existing set.
	needHeal bool

	// lastStamp is the last version stamp handed out (newStamp).
	lastStamp atomic.Uint64
	// bucketCfgMu serializes changes of bucket configuration (versioning,
	// Object Lock), which write the drives' bucket files, then the index.
	bucketCfgMu sync.Mutex

	txs       *txWatch // open index transactions, for Stalled
	scrub     scrubState
	healQueue chan *objRecord
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

var _ ObjectStore = (*Store)(nil)

// Open opens (or creates) a store: it checks the drives' format files,
// formats new or wiped drives, finishes interrupted bucket deletions and
// starts the background scrubber.
func Open(cfg Config) (*Store, error) {
	n := len(cfg.Drives)
	if cfg.DriveSet != nil {
		n = len(cfg.DriveSet)
	}
	if err := CheckLayout(n, cfg.Parity); err != nil {
		return nil, err
	}
	if cfg.Parity == 0 {
		cfg.Parity = n / 2
	}
	if cfg.BlockSize == 0 {
		cfg.BlockSize = DefaultBlockSize
	}
	if cfg.BlockSize < 4096 || cfg.BlockSize > 64<<20 {
		return nil, fmt.Errorf("storage: block size %d out of range 4 KiB..64 MiB", cfg.BlockSize)
	}
	if cfg.ScrubInterval == 0 {
		cfg.ScrubInterval = DefaultScrubInterval
	}
	if cfg.SlowTxBound <= 0 {
		cfg.SlowTxBound = DefaultSlowTxBound
	}
	if cfg.HedgeAfter == 0 {
		cfg.HedgeAfter = DefaultHedgeAfter
	}
	if cfg.PackFiles <= 0 {
		cfg.PackFiles = DefaultPackFiles
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("storage: DataDir is required")
	}
	if err := os.MkdirAll(cfg.DataDir, dirMode); err != nil {
		return nil, err
	}
	// A data directory made by an older version, or by hand, may let other
	// local users in; the index it holds is every tenant's metadata.
	if err := restrictMode(cfg.DataDir); err != nil {
		cfg.Logger.Warn("storage: cannot restrict the data directory to its owner", "dir", cfg.DataDir, "err", err)
	}
	s := &Store{
		cfg:        cfg,
		log:        cfg.Logger,
		data:       n - cfg.Parity,
		parity:     cfg.Parity,
		blockSize:  cfg.BlockSize,
		shardAlign: frameAlign,
		healQueue:  make(chan *objRecord, 256),
		inflight:   map[string]int{},
		stop:       make(chan struct{}),
		txs:        newTxWatch(),
		segFDs:     newSegCache(cfg.PackFiles),
	}
	if cfg.testUnaligned {
		s.shardAlign = 0
	}
	if err := s.openDrives(); err != nil {
		return nil, err
	}
	var idx *kvIndex
	var err error
	if cfg.Index != nil {
		idx, err = openKVIndex(cfg.Index, s.txs)
	} else {
		idx, err = openBoltIndex(filepath.Join(cfg.DataDir, "index.db"), s.txs, cfg.testIndexDurable)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open index: %w", err)
	}
	s.idx, s.raw = idx, idx
	s.packs = newPackLog(s.drives, idx, s)
	s.packs.shared = cfg.Shared
	s.cleanTempAtOpen()
	if err := s.finishCleanups(); err != nil {
		return nil, errors.Join(fmt.Errorf("storage: finish removals a crash interrupted: %w", err), idx.Close())
	}
	if cfg.FastPut && cfg.Index == nil && !cfg.Shared && !s.remote {
		applied, err := s.replayFast()
		if err != nil {
			return nil, errors.Join(err, idx.Close())
		}
		s.fast = newFastLog(s, applied)
		s.idx = barrierIndex{kvIndex: idx, f: s.fast}
	}
	if !cfg.Shared {
		if err := s.finishTrash(context.Background()); err != nil {
			s.log.Warn("storage: finishing interrupted bucket deletions", "err", err)
		}
		if err := s.recountUploads(); err != nil {
			return nil, errors.Join(fmt.Errorf("storage: count unfinished uploads: %w", err), s.closeFast(), idx.Close())
		}
	}
	s.wg.Add(2)
	go s.healer()
	go s.txWatchdog()
	if cfg.ScrubInterval > 0 {
		s.wg.Add(1)
		go s.scrubLoop(cfg.ScrubInterval, s.needHeal)
	}
	return s, nil
}

// openDrives reads every drive's format file and puts drives in set order.
// Unformatted (new or wiped) drives take the free positions (their own
// first) and are formatted; the scrubber heals their shards back. A drive
// that cannot be reached (ErrDriveOffline) keeps its own position
// unformatted: the scrubber formats it when it is back and empty.
func (s *Store) openDrives() error {
	given := s.cfg.DriveSet
	if given == nil {
		for _, p := range s.cfg.Drives {
			given = append(given, newCachedDrive(p, s.segFDs))
		}
	}
	n := len(given)
	formats := make([]*DriveFormat, n)
	offline := make([]bool, n)
	var ref *DriveFormat
	existing := false
	for i, d := range given {
		f, err := d.ReadFormat()
		switch {
		case err == nil:
			formats[i] = &f
			if ref == nil || f.SetID == s.cfg.SetID && ref.SetID != s.cfg.SetID {
				ref = &f
				existing = true
			}
		case errors.Is(err, ErrDriveOffline):
			s.log.Warn("storage: drive offline at open; it joins when it is back", "drive", d.Path(), "err", err)
			offline[i] = true
		case !errors.Is(err, fs.ErrNotExist):
			s.log.Warn("storage: unreadable drive format, treating drive as wiped", "drive", d.Path(), "err", err)
		}
	}
	setID := s.cfg.SetID
	if setID == "" {
		setID = newID()
	}
	if ref == nil {
		ref = &DriveFormat{Version: formatVersion, SetID: setID, Drives: n, Data: s.data, Parity: s.parity, BlockSize: s.blockSize}
	}
	if s.cfg.SetID != "" && ref.SetID != s.cfg.SetID {
		return fmt.Errorf("storage: drive %s belongs to another set (%s, want %s)", given[0].Path(), ref.SetID, s.cfg.SetID)
	}
	if ref.Drives != n {
		return fmt.Errorf("storage: drives belong to a set of %d, configured %d", ref.Drives, n)
	}
	if ref.Data != s.data || ref.Parity != s.parity || ref.BlockSize != s.blockSize {
		s.log.Info("storage: using the layout recorded on the drives", "data", ref.Data, "parity", ref.Parity, "blockSize", ref.BlockSize)
		s.data, s.parity, s.blockSize = ref.Data, ref.Parity, ref.BlockSize
	}
	s.setID = ref.SetID
	placed := make([]int, n) // position -> index into given, -1 while free
	for pos := range placed {
		placed[pos] = -1
	}
	var unplaced []int
	for i, d := range given {
		f := formats[i]
		switch {
		case f == nil:
			unplaced = append(unplaced, i)
		case f.SetID != s.setID:
			return fmt.Errorf("storage: drive %s belongs to another set (%s)", d.Path(), f.SetID)
		case placed[f.Index] >= 0:
			return fmt.Errorf("storage: drives %s and %s both claim position %d", given[placed[f.Index]].Path(), d.Path(), f.Index)
		default:
			if f.Index != i {
				s.log.Warn("storage: drive found at another position; using its recorded position", "drive", d.Path(), "position", f.Index)
			}
			placed[f.Index] = i
		}
	}
	// Unformatted drives take their own position when it is free, then
	// the free ones in order.
	var rest []int
	for _, i := range unplaced {
		if placed[i] < 0 {
			placed[i] = i
		} else {
			rest = append(rest, i)
		}
	}
	for pos := range placed {
		if placed[pos] < 0 {
			placed[pos], rest = rest[0], rest[1:]
		}
	}
	s.drives = make([]drive, n) // formatDrive records their number
	s.hedge = make([]bool, n)
	s.slowUntil = make([]atomic.Int64, n)
	for pos, i := range placed {
		if formats[i] != nil || offline[i] {
			continue
		}
		d := given[i]
		if err := s.formatDrive(d, pos); err != nil {
			return fmt.Errorf("storage: format drive %s: %w", d.Path(), err)
		}
		if existing {
			s.log.Warn("storage: drive was new or wiped; formatted it, the scrubber heals its shards", "drive", d.Path(), "position", pos)
			s.needHeal = true
		}
	}
	for pos, i := range placed {
		d := given[i]
		if ld, ok := d.(*localDrive); ok {
			if err := ld.restrictModes(); err != nil {
				s.log.Warn("storage: cannot restrict a drive's directories and files to their owner", "drive", ld.root, "err", err)
			}
			if s.cfg.testPackSegmentSize > 0 {
				ld.packs.rotateAt = s.cfg.testPackSegmentSize
			}
			if s.cfg.testPackGatherWait > 0 {
				ld.packs.appends.MaxWait = s.cfg.testPackGatherWait
			}
		}
		_, local := d.(*localDrive)
		s.hedge[pos] = !local && s.cfg.HedgeAfter >= 0 // another node's drive (read.go: readHedged)
		s.remote = s.remote || !local
		if s.cfg.testWrapDrive != nil {
			d = s.cfg.testWrapDrive(pos, d)
		}
		s.drives[pos] = &countedDrive{Drive: d}
	}
	return nil
}

// cleanTempAtOpen removes temporary files that interrupted writes left.
// Leftovers only cost space (scrub retries hourly), so a drive that
// cannot list them is reported, not fatal. With Config.Shared other
// nodes write to the drives too: remote drives are their owners' to
// clean, and on local ones only files older than SharedGrace go.
func (s *Store) cleanTempAtOpen() {
	for _, d := range s.drives {
		age := time.Duration(0)
		if s.cfg.Shared {
			if !isLocal(d) {
				continue
			}
			age = SharedGrace
		}
		if _, err := d.CleanTemp(age); err != nil {
			s.log.Warn("storage: removing leftover temporary files", "drive", d.Path(), "err", err)
		}
	}
}

// isLocal reports whether d (under the store's wrappers) is a local
// directory of this process.
func isLocal(d Drive) bool {
	for {
		switch v := d.(type) {
		case *localDrive:
			return true
		case *countedDrive:
			d = v.Drive
		default:
			return false
		}
	}
}

func (s *Store) formatDrive(d Drive, i int) error {
	return d.Format(DriveFormat{
		Version: formatVersion, SetID: s.setID, DriveID: newID(), Index: i,
		Drives: len(s.drives), Data: s.data, Parity: s.parity, BlockSize: s.blockSize,
		Created: time.Now().UTC(),
	})
}

// Close stops background work and closes the index.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		_ = s.closeFast()
		close(s.stop)
		s.wg.Wait()
		if ferr := s.flushCleanups(); ferr != nil {
			s.log.Warn("storage: dropping finished cleanup journal entries", "err", ferr)
		}
		err = s.idx.Close()
		if s.cfg.DriveSet == nil { // drives of DriveSet are the caller's
			for _, d := range s.drives {
				d.Close()
			}
		}
	})
	return err
}

// closeFast applies what the fast log holds and stops its applier.
func (s *Store) closeFast() error {
	if s.fast != nil {
		s.fast.close()
	}
	return nil
}

// writeQuorum is how many drives must hold a write: data shards, plus one
// when data == parity so that two halves can never both commit.
func (s *Store) writeQuorum() int {
	if s.data == s.parity {
		return s.data + 1
	}
	return s.data
}

// driveOnline reports whether a drive has its format file of this set.
func (s *Store) driveOnline(i int) bool {
	f, err := s.drives[i].ReadFormat()
	return err == nil && f.SetID == s.setID && f.Index == i
}

// Ready reports whether enough drives are online for write quorum.
func (s *Store) Ready() bool {
	n := 0
	for i := range s.drives {
		if s.driveOnline(i) {
			n++
		}
	}
	return n >= s.writeQuorum()
}

// Drives reports the health of every drive.
func (s *Store) Drives(ctx context.Context) []DriveInfo {
	out := make([]DriveInfo, len(s.drives))
	for i, d := range s.drives {
		info := DriveInfo{Index: i, Path: d.Path(), Errors: d.Errors()}
		if f, err := d.ReadFormat(); err == nil && f.SetID == s.setID {
			info.ID = f.DriveID
			info.Online = f.Index == i
		}
		if total, free, err := d.Usage(); err == nil {
			info.TotalBytes, info.FreeBytes = total, free
		}
		out[i] = info
	}
	return out
}

// parallel runs fn(i) for every drive concurrently and waits.
func (s *Store) parallel(fn func(i int)) {
	var wg sync.WaitGroup
	for i := range s.drives {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

// removeData deletes the files of data ids on every drive.
func (s *Store) removeData(ids []string) {
	if len(ids) == 0 {
		return
	}
	names := make([]string, 0, 2*len(ids))
	for _, id := range ids {
		names = append(names, id+".meta", id+".shard")
	}
	s.parallel(func(i int) {
		if err := s.drives[i].Remove(names...); err != nil {
			s.drives[i].noteError(err)
		}
	})
}

// pinID marks data of id as being written: the scrubber neither removes its
// files as orphans nor drops its packed records. A writer pins before its
// first byte reaches a drive and unpins after its index commit.
func (s *Store) pinID(id string) {
	s.inflightMu.Lock()
	s.inflight[id]++
	s.inflightMu.Unlock()
}

func (s *Store) unpinID(id string) {
	s.inflightMu.Lock()
	if s.inflight[id]--; s.inflight[id] <= 0 {
		delete(s.inflight, id)
	}
	s.inflightMu.Unlock()
}

func (s *Store) pinned(id string) bool {
	s.inflightMu.Lock()
	defer s.inflightMu.Unlock()
	return s.inflight[id] > 0
}
