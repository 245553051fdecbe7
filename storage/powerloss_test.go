package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The power-loss test runs the store on drives wrapped by powerDrive, a
// fault-injecting layer over the real drive that remembers what a power
// cut would keep: a file's bytes only up to its last Sync, and a rename
// only once the directory holding it was synced (SyncDir) after it. At a
// random drive operation the power goes: that and every later drive
// operation fails. The drives are then rolled back to what was durable
// (unsynced tails cut off, unsynced renames undone) and the store is
// reopened. Every acknowledged write must read back; an operation cut
// in flight may show its old or its new state, never a mix.
//
// The bbolt index is not on the drives, but the power goes for it too:
// every index commit counts as an operation, the layer copies index.db
// (a consistent snapshot) each time a commit is durable
// (Config.testIndexDurable), a commit at or after the cut fails its callers
// (it is never acknowledged), and at the roll-back index.db is replaced by
// the last copy taken before the cut. So the index a reopened store sees
// is exactly what was durable; a commit that lands in the live file after
// the cut is lost, as it would be.
//
// What the layer takes on trust: pack log appends (Append returns after its
// own group fdatasync, tested in pack_test.go) and removals (an unsynced
// removal that comes back is an orphan the scrubber removes).

var errPowerCut = fmt.Errorf("power cut: %w", syscall.EIO)

type powerFile struct {
	written, synced int64 // bytes written; bytes covered by a Sync
	durable         bool  // the rename into place was followed by SyncDir
}

// powerLog is the shared state of one test's drives.
type powerLog struct {
	mu    sync.Mutex
	files map[string]*powerFile // final path -> state, once renamed
	ops   atomic.Int64          // mutating drive operations so far
	cutAt int64                 // the operation that fails first (0: never)
	cut   atomic.Bool

	indexMu     sync.Mutex // orders snapshots against the cut
	indexCopy   string     // the last durable index.db, copied by indexDurable
	indexCopies int        // how many were taken
}

// indexDurable is Config.testIndexDurable: an index commit is an operation
// that the cut can fail; a commit made before the cut is copied as the
// durable index (bbolt fsyncs on commit, so any snapshot taken now is
// durable state). Taking the lock first means no copy is taken after the
// cut.
func (l *powerLog) indexDurable(db *bolt.DB) error {
	l.indexMu.Lock()
	defer l.indexMu.Unlock()
	if err := l.step(); err != nil {
		return err
	}
	tmp := l.indexCopy + ".tmp"
	if err := db.View(func(tx *bolt.Tx) error { return tx.CopyFile(tmp, 0o600) }); err != nil {
		return err
	}
	l.indexCopies++
	return os.Rename(tmp, l.indexCopy)
}

// rollBackIndex puts the last durable copy of the index in place.
func (l *powerLog) rollBackIndex(t *testing.T, path string) {
	l.indexMu.Lock()
	defer l.indexMu.Unlock()
	raw, err := os.ReadFile(l.indexCopy)
	if err != nil {
		t.Fatalf("no durable index copy: %v", err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// step counts a mutating operation and reports whether the power is gone.
func (l *powerLog) step() error {
	if l.cut.Load() {
		return errPowerCut
	}
	if n := l.ops.Add(1); l.cutAt > 0 && n >= l.cutAt {
		l.cut.Store(true)
		return errPowerCut
	}
	return nil
}

// rollBack makes every file what a power cut would have left.
func (l *powerLog) rollBack(t *testing.T) (undone, cut int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for p, f := range l.files {
		switch {
		case !f.durable:
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			undone++
		case f.synced < f.written:
			if err := os.Truncate(p, f.synced); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			cut++
		}
	}
	return undone, cut
}

type powerDrive struct {
	Drive
	local *localDrive
	log   *powerLog
}

type powerTemp struct {
	TempFile
	d       *powerDrive
	final   string
	written int64
	synced  int64
}

func (d *powerDrive) wrapTemp(name string, tf TempFile, err error) (TempFile, error) {
	if err != nil {
		return nil, err
	}
	final, err := d.local.dataPath(name)
	if err != nil {
		tf.Abort()
		return nil, err
	}
	return &powerTemp{TempFile: tf, d: d, final: final}, nil
}

func (d *powerDrive) Create(name string) (TempFile, error) {
	if err := d.log.step(); err != nil {
		return nil, err
	}
	tf, err := d.Drive.Create(name)
	return d.wrapTemp(name, tf, err)
}

func (d *powerDrive) CreateShard(name string) (TempFile, error) {
	if err := d.log.step(); err != nil {
		return nil, err
	}
	tf, err := d.Drive.CreateShard(name)
	return d.wrapTemp(name, tf, err)
}

func (t *powerTemp) Write(p []byte) (int, error) {
	if err := t.d.log.step(); err != nil {
		return 0, err
	}
	n, err := t.TempFile.Write(p)
	t.written += int64(n)
	return n, err
}

func (t *powerTemp) Sync() error {
	if err := t.d.log.step(); err != nil {
		return err
	}
	err := t.TempFile.Sync()
	if err == nil {
		t.synced = t.written
	}
	return err
}

func (t *powerTemp) Commit() error {
	if err := t.d.log.step(); err != nil {
		t.TempFile.Abort()
		return err
	}
	if err := t.TempFile.Commit(); err != nil {
		return err
	}
	l := t.d.log
	l.mu.Lock()
	l.files[t.final] = &powerFile{written: t.written, synced: t.synced}
	l.mu.Unlock()
	return nil
}

func (d *powerDrive) SyncDir(name string) error {
	if err := d.log.step(); err != nil {
		return err
	}
	if err := d.Drive.SyncDir(name); err != nil {
		return err
	}
	p, err := d.local.dataPath(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	l := d.log
	l.mu.Lock()
	for fp, f := range l.files {
		if filepath.Dir(fp) == dir {
			f.durable = true
		}
	}
	l.mu.Unlock()
	return nil
}

func (d *powerDrive) Append(rec []byte) (PackLoc, error) {
	if err := d.log.step(); err != nil {
		return PackLoc{}, err
	}
	return d.Drive.Append(rec)
}

// The layer is an appendGatherer when its drive is (a local one), so the
// power-loss runs take small PUTs' announced appends (announce.go).
func (d *powerDrive) expectAppends(n int) { d.Drive.(appendGatherer).expectAppends(n) }

func (d *powerDrive) appendExpected(rec []byte) (PackLoc, error) {
	g := d.Drive.(appendGatherer)
	if err := d.log.step(); err != nil {
		g.expectAppends(-1) // the announced append will not come
		return PackLoc{}, err
	}
	return g.appendExpected(rec)
}

func (d *powerDrive) Remove(names ...string) error {
	if err := d.log.step(); err != nil {
		return err
	}
	return d.Drive.Remove(names...)
}

func (d *powerDrive) RemovePack(seg uint32) error {
	if err := d.log.step(); err != nil {
		return err
	}
	return d.Drive.RemovePack(seg)
}

func (d *powerDrive) Open(name string) (ShardFile, error) {
	if d.log.cut.Load() {
		return nil, errPowerCut
	}
	return d.Drive.Open(name)
}

func (d *powerDrive) ReadFile(name string) ([]byte, error) {
	if d.log.cut.Load() {
		return nil, errPowerCut
	}
	return d.Drive.ReadFile(name)
}

func (d *powerDrive) ReadPacked(loc PackLoc) ([]byte, error) {
	if d.log.cut.Load() {
		return nil, errPowerCut
	}
	return d.Drive.ReadPacked(loc)
}

// powerOutcome is what a key may hold after the cut: its last acknowledged
// state and, if an operation on it was cut in flight, that one's state.
// seed 0 means "no object".
type powerOutcome struct {
	acked    uint64
	inflight uint64
	flying   bool
	sizes    map[uint64]int
	// versions holds the seed of every acknowledged version by id (a
	// versioned bucket keeps them all).
	versions map[string]uint64
}

func TestPowerLoss(t *testing.T) { powerLossRun(t, testSize(3, 12, 60), false) }

// TestPowerLossVersioned runs the power-loss workload on a bucket with
// versioning Enabled: puts make versions, deletes make delete markers, and
// every acknowledged version must survive the cut with its exact bytes.
func TestPowerLossVersioned(t *testing.T) { powerLossRun(t, testSize(2, 6, 30), true) }

func powerLossRun(t *testing.T, iterations int, versioned bool) {
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var acked, undone, trunc, cutOps int64
	var replayed int
	var indexCopies int
	for it := 0; it < iterations; it++ {
		dir := t.TempDir()
		log := &powerLog{files: map[string]*powerFile{}, indexCopy: filepath.Join(dir, "index.durable")}
		cfg := crashConfig(dir)
		cfg.testWrapDrive = func(_ int, d Drive) Drive {
			return &powerDrive{Drive: d, local: d.(*localDrive), log: log}
		}
		cfg.testIndexDurable = log.indexDurable
		s, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := s.CreateTenant(ctx, "acme", Quota{}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateBucket(ctx, "acme", "bkt", BucketOptions{}); err != nil {
			t.Fatal(err)
		}
		if versioned {
			if err := s.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled); err != nil {
				t.Fatal(err)
			}
		}
		// The cut comes somewhere in the first ~2,500 drive operations.
		log.cutAt = log.ops.Load() + 20 + r.Int64N(2500)
		cutOps += log.cutAt - log.ops.Load()
		const writers, keysEach = 4, 5
		outcomes := make([]map[string]*powerOutcome, writers)
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			outcomes[w] = map[string]*powerOutcome{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				powerWorkload(s, uint64(it*writers+w+1), w*keysEach, keysEach, outcomes[w], &log.cut)
			}()
		}
		wg.Wait()
		s.Close()
		u, c := log.rollBack(t)
		undone, trunc = undone+int64(u), trunc+int64(c)
		log.rollBackIndex(t, filepath.Join(cfg.DataDir, "index.db"))
		indexCopies += log.indexCopies

		s, err = Open(crashConfig(dir))
		if err != nil {
			t.Fatalf("iteration %d: reopen after the cut: %v", it, err)
		}
		replayed += s.fastReplayed
		for w := range outcomes {
			for key, o := range outcomes[w] {
				if o.acked != 0 {
					acked++
				}
				checkPowerOutcome(t, s, it, key, o)
			}
		}
		s.Close()
		verifyAfterCrash(t, dir, it) // listing = readable set, usage = recount, no orphans
	}
	t.Logf("%d iterations, cut after %d drive operations on average; %d acknowledged objects verified; "+
		"%d unsynced renames undone, %d unsynced tails cut; index.db rolled back to its last durable copy each time (%d copies taken); "+
		"%d small PUTs replayed from the pack logs at reopen",
		iterations, cutOps/int64(iterations), acked, undone, trunc, indexCopies, replayed)
}

// powerWorkload runs puts (packed, inline and direct-I/O shard sizes),
// deletes and multipart completes on keys k<first>..k<first+n-1> until the
// power is cut, recording what each key may hold.
func powerWorkload(s *Store, seed uint64, first, n int, out map[string]*powerOutcome, cut *atomic.Bool) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 11))
	meta := func(sd uint64, size int) ObjectMeta {
		return ObjectMeta{UserMeta: map[string]string{"seed": strconv.FormatUint(sd, 10), "size": strconv.Itoa(size)}}
	}
	for i := 0; i < n; i++ {
		out[fmt.Sprintf("k%02d", first+i)] = &powerOutcome{sizes: map[uint64]int{}, versions: map[string]uint64{}}
	}
	for op := uint64(1); !cut.Load() && op < 10_000; op++ {
		sd := seed*1_000_000 + op
		key := fmt.Sprintf("k%02d", first+r.IntN(n))
		o := out[key]
		var (
			err  error
			info ObjectInfo
		)
		switch k := r.IntN(10); {
		case k < 7:
			size := []int{1, 100, 70 << 10, 200 << 10, 300<<10 + 7}[r.IntN(5)]
			o.sizes[sd], o.inflight, o.flying = size, sd, true
			info, err = s.PutObject(ctx, "acme", "bkt", key, bytes.NewReader(randBytes(sd, size)), PutOptions{Size: int64(size), Meta: meta(sd, size)})
		case k < 9:
			o.inflight, o.flying = 0, true
			err = errOf(s.DeleteObject(ctx, "acme", "bkt", key, DeleteOptions{}))
		default:
			size := MinPartSize + 10
			o.sizes[sd] = size
			var id string
			id, err = s.CreateMultipartUpload(ctx, "acme", "bkt", key, PutOptions{Meta: meta(sd, size)})
			if err != nil {
				break
			}
			body := randBytes(sd, size)
			var p1, p2 PartInfo
			if p1, err = s.PutPart(ctx, "acme", "bkt", key, id, 1, bytes.NewReader(body[:MinPartSize]), PutOptions{Size: MinPartSize}); err != nil {
				break
			}
			if p2, err = s.PutPart(ctx, "acme", "bkt", key, id, 2, bytes.NewReader(body[MinPartSize:]), PutOptions{Size: 10}); err != nil {
				break
			}
			o.inflight, o.flying = sd, true
			info, err = s.CompleteMultipartUpload(ctx, "acme", "bkt", key, id, []CompletePart{{PartNumber: 1, ETag: p1.ETag}, {PartNumber: 2, ETag: p2.ETag}})
		}
		if err == nil && o.flying {
			o.acked, o.flying = o.inflight, false
			if o.acked != 0 && info.VersionID != NullVersion {
				o.versions[info.VersionID] = o.acked
			}
		} else if err != nil && !cut.Load() {
			panic(fmt.Sprintf("%s: %v before the power cut", key, err))
		}
		if err != nil {
			return // the op that met the cut stays in flight
		}
	}
}

func checkPowerOutcome(t *testing.T, s *Store, it int, key string, o *powerOutcome) {
	t.Helper()
	ctx := context.Background()
	allowed := func(sd uint64) bool { return sd == o.acked || (o.flying && sd == o.inflight) }
	info, err := s.GetObjectInfo(ctx, "acme", "bkt", key)
	if errors.Is(err, ErrObjectNotFound) {
		if !allowed(0) {
			t.Fatalf("iteration %d: %s is gone; its acknowledged version (seed %d) was lost", it, key, o.acked)
		}
		checkPowerVersions(t, s, it, key, o)
		return
	}
	if err != nil {
		t.Fatalf("iteration %d: %s: %v", it, key, err)
	}
	sd, _ := strconv.ParseUint(info.Meta.UserMeta["seed"], 10, 64)
	if !allowed(sd) {
		t.Fatalf("iteration %d: %s holds seed %d; acknowledged %d, in flight %d (%v)", it, key, sd, o.acked, o.inflight, o.flying)
	}
	got, err := readObject(s, key, 0, -1)
	if err != nil || !bytes.Equal(got, randBytes(sd, o.sizes[sd])) {
		t.Fatalf("iteration %d: %s (seed %d) reads %d bytes, err %v; want %d exact bytes", it, key, sd, len(got), err, o.sizes[sd])
	}
	checkPowerVersions(t, s, it, key, o)
}

// checkPowerVersions checks that every acknowledged version survived.
func checkPowerVersions(t *testing.T, s *Store, it int, key string, o *powerOutcome) {
	t.Helper()
	for id, sd := range o.versions {
		if got := readVersionOf(t, s, "bkt", key, id); !bytes.Equal(got, randBytes(sd, o.sizes[sd])) {
			t.Fatalf("iteration %d: %s version %s (seed %d) reads %d bytes; want %d exact bytes", it, key, id, sd, len(got), o.sizes[sd])
		}
	}
}
