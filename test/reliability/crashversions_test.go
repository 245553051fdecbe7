package reliability

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferstore/coffer/internal/testutil"
)

// TestCrashVersioned kills the server with SIGKILL at a random moment
// while clients write versions, add delete markers, delete versions by id
// (issue 14) in a versioned bucket and in one whose versioning is
// suspended every other iteration (writes replace the null version), and
// write GOVERNANCE-retained and legally held versions in an Object Lock
// bucket; then restarts it and
// checks that ListObjectVersions lists exactly the acknowledged versions and
// markers of every key, newest first with IsLatest on the newest, each
// version reading back byte for byte; that acknowledged permanent deletes
// stay deleted; that an unacknowledged operation is either wholly applied
// or not at all; that lock state survived; and that the tenant's usage
// equals the sum over the listed versions. Each iteration also force
// deletes (console) a versioned bucket at a random moment: after the
// restart it is gone if acknowledged, else whole.
//
// COFFER_VERSIONS_CRASH_ITER sets the iterations (else
// COFFER_RELIABILITY_ITER, as `make reliability` sets it; else 10).
func TestCrashVersioned(t *testing.T) {
	crashVersioned(t, envInt("COFFER_VERSIONS_CRASH_ITER", envInt("COFFER_RELIABILITY_ITER", 10)), false)
}

// TestCrashVersionedRebuild is TestCrashVersioned with `coffer
// rebuild-index` between the SIGKILL and the restart: over the index every
// other iteration, and after removing the index on the last one. Versions,
// delete markers, retention and legal holds must come back from the drives;
// acknowledged permanent deletes must not; an unacknowledged write may come
// back (its metadata was on the drives), whole, and a cut delete shown
// applied by a restart may be undone (its files were still on the drives).
// COFFER_VERSIONS_REBUILD_ITER sets the iterations (default 6).
func TestCrashVersionedRebuild(t *testing.T) {
	crashVersioned(t, envInt("COFFER_VERSIONS_REBUILD_ITER", 6), true)
}

// crashVersioned runs the versioned crash test for iters iterations, with
// index rebuilds when rebuild is set.
func crashVersioned(t *testing.T, iters int, rebuild bool) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d iterations", seed, iters)
	rng := rand.New(rand.NewPCG(seed, 14))

	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s")
	keys := srv.newTenant("vcrash")
	if st, raw := srv.admin("POST", "/api/admin/tenants/vcrash/users", map[string]string{"username": "vcrashuser", "password": "vcrash-user-password-1"}, nil); st != 201 {
		t.Fatalf("create console user: %d %s", st, raw)
	}
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("vers")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(bg, &s3.PutBucketVersioningInput{Bucket: aws.String("vers"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("vlock"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("vsusp")}); err != nil {
		t.Fatal(err)
	}
	// Workers 0-1 own three keys each of "vers", worker 2 three keys of
	// "vsusp" (versioning Enabled and Suspended in turn), worker 3 three keys
	// of "vlock".
	const workers, keysPerWorker = 4, 3
	led := &vLedger{}
	owned := make([][]*vKey, workers)
	for w := range workers {
		for i := range keysPerWorker {
			k := &vKey{bucket: "vers", key: fmt.Sprintf("w%d/k%d", w, i)}
			switch w {
			case 2:
				k.bucket = "vsusp"
			case 3:
				k.bucket, k.lock = "vlock", true
			}
			owned[w] = append(owned[w], k)
			led.keys = append(led.keys, k)
		}
	}

	var acked, cut, nulls, fdDone, fdCut, rebuilds, noncurrentChecks int64
	fdBuckets := map[string]string{} // versioned buckets to force delete -> "live" | "pending" | "deleted"
	for it := range iters {
		c = srv.s3(keys)
		sess := srv.login("vcrashuser", "vcrash-user-password-1")
		fdb := fmt.Sprintf("fdv-%d", it)
		if err := led.fillForceDeleteBucket(c, rng, fdb); err != nil {
			t.Fatalf("iteration %d: %v", it, err)
		}
		fdBuckets[fdb] = "live"
		state := types.BucketVersioningStatusEnabled
		if it%2 == 1 {
			state = types.BucketVersioningStatusSuspended
		}
		if _, err := c.PutBucketVersioning(bg, &s3.PutBucketVersioningInput{Bucket: aws.String("vsusp"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: state}}); err != nil {
			t.Fatalf("iteration %d: versioning %s on vsusp: %v", it, state, err)
		}
		for _, k := range owned[2] {
			k.suspended = state == types.BucketVersioningStatusSuspended
		}
		var killed atomic.Bool
		var mu sync.Mutex
		var liveErrs []error
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var n atomic.Int64
		for w := range workers {
			wr := rand.New(rand.NewPCG(seed+uint64(it*100+w), 15))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := versionedOp(c, wr, w, owned[w][wr.IntN(keysPerWorker)]); err != nil {
						if !killed.Load() {
							mu.Lock()
							liveErrs = append(liveErrs, fmt.Errorf("worker %d: %w", w, err))
							mu.Unlock()
						}
						return // after the kill every request fails; this key's operation stays pending
					}
					n.Add(1)
				}
			}()
		}
		fdWait := make(chan struct{})
		fdDelay := time.Duration(rng.IntN(600)) * time.Millisecond
		// Not before the rebuild after the index's loss: the index alone
		// knows a container is being deleted (its trash), so a force delete
		// cut by the kill cannot be finished from the drives.
		fresh := rebuild && it == iters-1
		go func() { // the force delete of a bucket full of versions, at a random moment
			defer close(fdWait)
			if fresh {
				return
			}
			time.Sleep(fdDelay)
			fdBuckets[fdb] = "pending"
			code, raw, err := sess.call("DELETE", "/api/containers/"+fdb+"?force=true&confirm="+fdb, nil)
			if err == nil && code == http.StatusNoContent {
				fdBuckets[fdb] = "deleted"
			} else if err == nil && !killed.Load() {
				mu.Lock()
				liveErrs = append(liveErrs, fmt.Errorf("force delete %s: %d %s", fdb, code, raw))
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(250+rng.IntN(750)) * time.Millisecond)
		killed.Store(true)
		srv.kill()
		close(stop)
		wg.Wait()
		<-fdWait
		for _, err := range liveErrs {
			t.Errorf("iteration %d: error while the server ran: %v", it, err)
		}
		if t.Failed() {
			return
		}
		acked += n.Load()
		for _, k := range led.keys {
			if k.pending != nil {
				cut++
			}
		}

		rebuiltNow := rebuild
		switch {
		case !rebuild:
		case it == iters-1:
			rebuilds++ // the index lost: everything comes back from the drives
			if err := srv.rebuildIndex(true); err != nil {
				t.Fatalf("iteration %d: %v", it, err)
			}
		case it%2 == 1:
			rebuilds++
			if err := srv.rebuildIndex(false); err != nil {
				t.Fatalf("iteration %d: %v", it, err)
			}
		default:
			rebuiltNow = false
		}
		srv.start(true)
		c = srv.s3(keys)
		var total vUsage
		buckets := []string{"vers", "vsusp", "vlock"}
		for _, name := range mapKeys(fdBuckets) {
			_, herr := c.HeadBucket(bg, &s3.HeadBucketInput{Bucket: aws.String(name)})
			if code := testutil.S3ErrorCode(herr); herr != nil && code != "NotFound" && code != "NoSuchBucket" {
				t.Fatalf("iteration %d: HeadBucket %s: %v", it, name, herr)
			}
			switch exists := herr == nil; {
			case exists && fdBuckets[name] == "deleted":
				t.Fatalf("iteration %d: force-deleted versioned bucket %s (acknowledged) exists after restart", it, name)
			case !exists && fdBuckets[name] == "live":
				t.Fatalf("iteration %d: versioned bucket %s vanished without a delete", it, name)
			case !exists:
				led.dropBucket(name)
				delete(fdBuckets, name)
				fdDone++
			default: // never deleted, or the delete was cut before its commit: whole (verifyBucket)
				if fdBuckets[name] == "pending" {
					fdCut++
				}
				fdBuckets[name] = "live"
				buckets = append(buckets, name)
			}
		}
		led.rebuilt = rebuiltNow
		lb, err := c.ListBuckets(bg, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatalf("iteration %d: ListBuckets: %v", it, err)
		}
		var listedBuckets []string
		for _, b := range lb.Buckets {
			listedBuckets = append(listedBuckets, aws.ToString(b.Name))
		}
		if want := slices.Sorted(slices.Values(buckets)); !slices.Equal(slices.Sorted(slices.Values(listedBuckets)), want) {
			t.Fatalf("iteration %d: ListBuckets %v, want %v (deleted buckets must stay deleted)", it, listedBuckets, want)
		}
		for _, b := range buckets {
			u, err := led.verifyBucket(c, b)
			if err != nil {
				t.Fatalf("iteration %d after SIGKILL: %v", it, err)
			}
			total = total.plus(u)
		}
		nc, err := srv.checkVersionedUsage(c, "vcrash", total, buckets...)
		noncurrentChecks += nc
		if err != nil {
			t.Fatalf("iteration %d after SIGKILL: %v", it, err)
		}
		if it%10 == 9 {
			t.Logf("iteration %d: %d versions and %d markers listed", it+1, total.objects-total.markers, total.markers)
		}
	}
	for _, k := range led.keys {
		nulls += int64(k.nullWrites)
	}
	t.Logf("FIGURES versioned crash: iterations=%d acknowledged-ops=%d null-version-writes=%d ops-cut-by-kill=%d index-rebuilds=%d force-deletes-done=%d force-deletes-cut-and-whole=%d versions-read=%d markers-checked=%d bytes-verified=%d permanent-deletes-rechecked=%d unacknowledged-writes-revived-by-rebuild=%d noncurrent-usage-checks=%d",
		iters, acked, nulls, cut, rebuilds, fdDone, fdCut, led.versionsChecked.Load(), led.markersChecked.Load(), led.bytesVerified.Load(), led.goneChecked.Load(), led.ghostsAdopted.Load(), noncurrentChecks)
}

// rebuildIndex runs `coffer rebuild-index` on the stopped server, over
// the index it has or (fresh) after removing it, as after its loss.
func (c *coffer) rebuildIndex(fresh bool) error {
	if fresh {
		if err := os.Remove(filepath.Join(c.DataDir, "index.db")); err != nil {
			return err
		}
	}
	args := append([]string{"rebuild-index", "--data", c.DataDir}, c.Args[:2]...) // --parity M
	for _, d := range c.Drives {
		args = append(args, "--drive", d)
	}
	out, err := exec.Command(cofferBin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("coffer rebuild-index (fresh %v): %v\n%s", fresh, err, out)
	}
	return nil
}

// fillForceDeleteBucket makes a versioned bucket with a few keys of two
// versions each and a delete marker on one, recorded in the ledger.
func (l *vLedger) fillForceDeleteBucket(c *s3.Client, r *rand.Rand, bucket string) error {
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return err
	}
	if _, err := c.PutBucketVersioning(bg, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		return err
	}
	for i := range 3 {
		k := &vKey{bucket: bucket, key: fmt.Sprintf("o%d", i)}
		l.keys = append(l.keys, k)
		for range 2 {
			if err := k.put(c, r, 1000+r.IntN(100<<10)); err != nil {
				return err
			}
		}
		if i == 0 {
			if err := k.mark(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropBucket forgets a deleted bucket's keys.
func (l *vLedger) dropBucket(bucket string) {
	l.keys = slices.DeleteFunc(l.keys, func(k *vKey) bool { return k.bucket == bucket })
}

// versionedOp runs one random operation of worker w on key k.
func versionedOp(c *s3.Client, r *rand.Rand, w int, k *vKey) error {
	op := r.IntN(20)
	switch {
	case len(k.live) > 0 && (len(k.live) >= 6 || op < 5):
		return k.deleteVersion(c, r)
	case op < 8:
		return k.mark(c)
	case op == 8 && w == 0:
		return k.multipart(c, r)
	case op == 9 && k.lock:
		return k.probeLocked(c, r)
	}
	size := 1 + r.IntN(64<<10)
	if r.IntN(5) == 0 {
		size = 1<<20 + r.IntN(1<<20) // several erasure blocks
	}
	return k.put(c, r, size)
}

// vUsage is a recount from listings.
type vUsage struct {
	objects, bytes, markers            int64
	noncurrentObjects, noncurrentBytes int64 // every entry but the current versions
}

func (u vUsage) plus(o vUsage) vUsage {
	return vUsage{u.objects + o.objects, u.bytes + o.bytes, u.markers + o.markers,
		u.noncurrentObjects + o.noncurrentObjects, u.noncurrentBytes + o.noncurrentBytes}
}

// verifyBucket lists a bucket's versions twice (one per page, so the order
// is the server's; and by full pages), checks every ledger key against
// them and the current view (GET, ListObjectsV2), and recounts its usage.
func (l *vLedger) verifyBucket(c *s3.Client, bucket string) (vUsage, error) {
	var u vUsage
	byOne, err := listByOne(c, bucket, 10000)
	if err != nil {
		return u, err
	}
	full, err := listAllVersions(c, bucket)
	if err != nil {
		return u, fmt.Errorf("ListObjectVersions %s: %w", bucket, err)
	}
	byKeyID := func(a, b listedEntry) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id)) }
	if a, b := slices.SortedFunc(slices.Values(byOne), byKeyID), slices.SortedFunc(slices.Values(full), byKeyID); !slices.Equal(a, b) {
		return u, fmt.Errorf("ListObjectVersions %s by pages of 1 (%d entries) and of 1000 (%d) differ", bucket, len(a), len(b))
	}
	listed := map[string][]listedEntry{}
	for i, e := range byOne {
		if i > 0 && e.key < byOne[i-1].key {
			return u, fmt.Errorf("ListObjectVersions %s: key %q listed after %q", bucket, e.key, byOne[i-1].key)
		}
		if i > 0 && e.key != byOne[i-1].key && len(listed[e.key]) > 0 {
			return u, fmt.Errorf("ListObjectVersions %s: versions of %q are not contiguous", bucket, e.key)
		}
		listed[e.key] = append(listed[e.key], e)
	}
	current := map[string]int64{}
	for _, k := range l.keys {
		if k.bucket != bucket {
			continue
		}
		ku, err := l.verifyKey(c, k, listed[k.key])
		if err != nil {
			return u, err
		}
		delete(listed, k.key)
		u = u.plus(ku)
		if n := len(k.live); n > 0 && !k.live[n-1].marker {
			current[k.key] = k.live[n-1].body.size
		}
	}
	for key, es := range listed {
		return u, fmt.Errorf("ListObjectVersions %s lists key %q that no client wrote: %v", bucket, key, es)
	}
	objs, err := listAll(c, bucket)
	if err != nil {
		return u, fmt.Errorf("ListObjectsV2 %s: %w", bucket, err)
	}
	for key, size := range objs {
		if want, ok := current[key]; !ok || want != size {
			return u, fmt.Errorf("ListObjectsV2 %s shows %q (%d bytes); its current version is %v/%d", bucket, key, size, ok, want)
		}
	}
	if len(objs) != len(current) {
		return u, fmt.Errorf("ListObjectsV2 %s lists %d keys, %d have a current version", bucket, len(objs), len(current))
	}
	return u, nil
}

// verifyKey resolves the key's pending operation from what is listed
// (newest first), then requires the listing to equal the acknowledged
// versions and markers in order, and reads each back.
func (l *vLedger) verifyKey(c *s3.Client, k *vKey, listed []listedEntry) (vUsage, error) {
	var u vUsage
	name := k.bucket + "/" + k.key
	got := slices.Clone(listed)
	slices.Reverse(got) // oldest first, as the ledger
	holdUnknown := (*vEntry)(nil)
	if op := k.pending; op != nil {
		k.pending = nil
		switch op.kind {
		case opPut, opMarker:
			n := len(got)
			applied := n > 0 && got[n-1].marker == (op.kind == opMarker) && !k.known(got[n-1].id)
			if op.null { // the new null version is the newest, with the bytes sent
				applied = n > 0 && got[n-1].marker == (op.kind == opMarker) && got[n-1].id == "null"
				if applied && op.kind == opPut {
					rv, _, err := readVersion(c, k.bucket, k.key, "null")
					applied = err == nil && matches(rv, op.entry.body)
				}
			}
			var rv *version
			if applied && op.kind == opPut {
				var err error
				if rv, _, err = readVersion(c, k.bucket, k.key, got[n-1].id); err != nil {
					return u, fmt.Errorf("%s: GET the version %s of the unacknowledged PUT: %w", name, got[n-1].id, err)
				}
				// After a rebuild the unknown newest version may be an
				// earlier unacknowledged write brought back (adoptGhosts),
				// this one not applied.
				if !matches(rv, op.entry.body) && l.rebuilt && slices.ContainsFunc(k.ghosts, func(h *vEntry) bool { return !h.marker && matches(rv, h.body) }) {
					applied = false
				}
			}
			if applied {
				newest := got[n-1]
				if op.kind == opPut {
					if !matches(rv, op.entry.body) {
						return u, fmt.Errorf("%s: unknown newest version %s holds %v; the unacknowledged PUT sent %v: partial or phantom", name, newest.id, rv, op.entry.body)
					}
					op.entry.body.etag, op.entry.body.checksum = rv.etag, rv.checksum
				}
				op.entry.id = newest.id
				if op.null {
					k.removeNull()
				}
				k.live = append(k.live, op.entry)
			} else {
				op.entry.null = op.null
				k.ghosts = append(k.ghosts, op.entry)
			}
		case opDelVersion:
			if !slices.ContainsFunc(got, func(e listedEntry) bool { return e.id == op.entry.id }) {
				k.forget(op.entry, "unacknowledged DELETE ?versionId= found applied after a restart")
				if k.undead == nil {
					k.undead = map[string]*vEntry{}
				}
				k.undead[op.entry.id] = op.entry
			}
		case opHoldOff:
			holdUnknown = op.entry
		}
	}
	if l.rebuilt {
		if err := l.adoptGhosts(c, k, got); err != nil {
			return u, err
		}
	}
	if err := compareVersions(name, got, k); err != nil {
		return u, err
	}
	for i, e := range k.live {
		le := got[i]
		if le.latest != (i == len(k.live)-1) {
			return u, fmt.Errorf("%s: %v listed IsLatest %v at %d of %d (oldest first)", name, e, le.latest, i+1, len(k.live))
		}
		u.objects++
		if i < len(k.live)-1 || e.marker {
			u.noncurrentObjects++
		}
		if e.marker {
			u.markers++
			_, _, err := readVersion(c, k.bucket, k.key, e.id)
			if code := testutil.S3ErrorCode(err); code != "MethodNotAllowed" {
				return u, fmt.Errorf("%s: GET ?versionId= of delete marker %s: %v, want MethodNotAllowed", name, e.id, err)
			}
			l.markersChecked.Add(1)
			continue
		}
		if le.size != e.body.size || (e.body.etag != "" && le.etag != e.body.etag) {
			return u, fmt.Errorf("%s: %v listed with %d bytes ETag %s", name, e, le.size, le.etag)
		}
		rv, _, err := readVersion(c, k.bucket, k.key, e.id)
		if err != nil {
			return u, fmt.Errorf("%s: GET ?versionId=%s: %w", name, e.id, err)
		}
		if !matches(rv, e.body) {
			return u, fmt.Errorf("%s: version %s reads %v ETag %s, acknowledged %v ETag %s", name, e.id, rv, rv.etag, e.body, e.body.etag)
		}
		l.versionsChecked.Add(1)
		l.bytesVerified.Add(rv.size)
		u.bytes += e.body.size
		if i < len(k.live)-1 {
			u.noncurrentBytes += e.body.size
		}
		if k.lock {
			if err := checkLock(c, k, e, e == holdUnknown); err != nil {
				return u, err
			}
		}
	}
	if err := checkCurrent(c, k); err != nil {
		return u, err
	}
	// Permanent deletes since the last check read as NoSuchVersion (older
	// ones are covered by the listing check above).
	for _, id := range k.gone[k.goneRead:] {
		_, _, err := readVersion(c, k.bucket, k.key, id)
		if code := testutil.S3ErrorCode(err); code != "NoSuchVersion" {
			return u, fmt.Errorf("%s: GET ?versionId=%s after its delete: %v, want NoSuchVersion", name, id, err)
		}
		l.goneChecked.Add(1)
	}
	k.goneRead = len(k.gone)
	return u, nil
}

// adoptGhosts takes into the ledger, after a rebuild of the index from the
// drives, the listed entries that are earlier unacknowledged writes found
// on the drives (a version must hold a ghost's bytes exactly), in the
// listed order, which must keep the acknowledged entries' order.
func (l *vLedger) adoptGhosts(c *s3.Client, k *vKey, got []listedEntry) error {
	name := k.bucket + "/" + k.key
	byID := map[string]*vEntry{}
	for _, e := range k.live {
		byID[e.id] = e
	}
	var live []*vEntry
	for _, g := range got {
		if e := byID[g.id]; e != nil {
			if g.id == "null" { // a ghost null write may have replaced it
				h, err := l.nullGhost(c, k, e, g)
				if err != nil {
					return err
				}
				if h != nil {
					k.live[slices.Index(k.live, e)] = h
					e = h
				}
			}
			live = append(live, e)
			continue
		}
		if e := k.undead[g.id]; e != nil && e.marker == g.marker {
			if !g.marker {
				rv, _, err := readVersion(c, k.bucket, k.key, g.id)
				if err != nil || !matches(rv, e.body) {
					return fmt.Errorf("%s: version %s, whose cut delete a restart showed applied, is back after the index rebuild reading %v (err %v), not %v", name, g.id, rv, err, e.body)
				}
			}
			delete(k.undead, g.id)
			k.gone = slices.DeleteFunc(k.gone, func(id string) bool { return id == g.id })
			live = append(live, e)
			l.ghostsAdopted.Add(1)
			continue
		}
		if slices.Contains(k.gone, g.id) {
			return fmt.Errorf("%s: %s, deleted for good (%s), is listed again after the index rebuild", name, g.id, k.goneHow[g.id])
		}
		i := -1
		var read string // what the unknown version reads, for the message
		if !g.marker {
			rv, _, err := readVersion(c, k.bucket, k.key, g.id)
			read = fmt.Sprintf(" (it reads %v, err %v)", rv, err)
		}
		for j, h := range k.ghosts {
			if h.marker == g.marker && h.null == (g.id == "null") {
				if g.marker {
					i = j
					break
				}
				rv, _, err := readVersion(c, k.bucket, k.key, g.id)
				if err == nil && matches(rv, h.body) {
					h.body.etag, h.body.checksum = rv.etag, rv.checksum
					i = j
					break
				}
			}
		}
		if i < 0 {
			return fmt.Errorf("%s: after the index rebuild %v %s%s is listed, which is neither acknowledged nor an unacknowledged write (ghosts %v; null versions replaced or deleted for good so far: %d)",
				name, map[bool]string{true: "marker", false: "version"}[g.marker], g.id, read, k.ghosts, k.nullGone)
		}
		h := k.ghosts[i]
		k.ghosts = slices.Delete(k.ghosts, i, i+1)
		h.id = g.id
		live = append(live, h)
		l.ghostsAdopted.Add(1)
	}
	// The acknowledged entries must all be there, in their order.
	j := 0
	for _, e := range live {
		if j < len(k.live) && e == k.live[j] {
			j++
		}
	}
	if j != len(k.live) {
		return compareVersions(name, got, k) // says what is lost or out of order
	}
	k.live = live
	return nil
}

// nullGhost finds, after a rebuild, the ghost of an unacknowledged null
// write that the listed null entry g is instead of the acknowledged e (nil:
// g is e, or no ghost fits and the checks that follow report it).
func (l *vLedger) nullGhost(c *s3.Client, k *vKey, e *vEntry, g listedEntry) (*vEntry, error) {
	var rv *version
	if !g.marker {
		var err error
		if rv, _, err = readVersion(c, k.bucket, k.key, "null"); err != nil {
			return nil, err
		}
	}
	if g.marker == e.marker && (g.marker || matches(rv, e.body)) {
		return nil, nil
	}
	for i, h := range k.ghosts {
		if h.null && h.marker == g.marker && (g.marker || matches(rv, h.body)) {
			if !g.marker {
				h.body.etag, h.body.checksum = rv.etag, rv.checksum
			}
			h.id = "null"
			k.ghosts = slices.Delete(k.ghosts, i, i+1)
			l.ghostsAdopted.Add(1)
			return h, nil
		}
	}
	return nil, nil
}

// compareVersions requires the listed versions (oldest first) to be the
// acknowledged ones, in order, and says what differs.
func compareVersions(name string, got []listedEntry, k *vKey) error {
	same := len(got) == len(k.live)
	for i := 0; same && i < len(got); i++ {
		same = got[i].id == k.live[i].id && got[i].marker == k.live[i].marker
	}
	if same {
		return nil
	}
	var lost, phantom, back []string
	for _, e := range k.live {
		if !slices.ContainsFunc(got, func(g listedEntry) bool { return g.id == e.id }) {
			lost = append(lost, e.String())
		}
	}
	for _, g := range got {
		switch {
		case slices.Contains(k.gone, g.id):
			back = append(back, g.id)
		case !k.known(g.id):
			phantom = append(phantom, g.id)
		}
	}
	return fmt.Errorf("%s: listed (oldest first) %s, acknowledged %s: lost %v, unknown %v, deleted yet listed %v",
		name, entryIDs(got, func(g listedEntry) string { return g.id + map[bool]string{true: "(DM)"}[g.marker] }),
		entryIDs(k.live, func(e *vEntry) string { return e.id + map[bool]string{true: "(DM)"}[e.marker] }), lost, phantom, back)
}

// checkLock requires a version's retention and legal hold to be as
// acknowledged (the hold either way when its change was cut by the kill).
func checkLock(c *s3.Client, k *vKey, e *vEntry, holdUnknown bool) error {
	h, err := c.HeadObject(bg, &s3.HeadObjectInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key), VersionId: aws.String(e.id)})
	if err != nil {
		return fmt.Errorf("%s/%s: HEAD ?versionId=%s: %w", k.bucket, k.key, e.id, err)
	}
	until := aws.ToTime(h.ObjectLockRetainUntilDate)
	if h.ObjectLockMode != e.mode || !until.Equal(e.until) {
		return fmt.Errorf("%s/%s: version %s has retention %q until %v, acknowledged %q until %v", k.bucket, k.key, e.id, h.ObjectLockMode, until, e.mode, e.until)
	}
	hold := h.ObjectLockLegalHoldStatus == types.ObjectLockLegalHoldStatusOn
	if holdUnknown {
		e.hold = hold
	}
	if hold != e.hold {
		return fmt.Errorf("%s/%s: version %s legal hold %v, acknowledged %v", k.bucket, k.key, e.id, hold, e.hold)
	}
	return nil
}

// checkCurrent requires GET without a version id to read the newest
// version, or NoSuchKey.
func checkCurrent(c *s3.Client, k *vKey) error {
	rv, out, err := readVersion(c, k.bucket, k.key, "")
	n := len(k.live)
	if n == 0 || k.live[n-1].marker {
		if code := testutil.S3ErrorCode(err); code != "NoSuchKey" {
			return fmt.Errorf("%s/%s: GET of a key whose newest is %v: %v, want NoSuchKey", k.bucket, k.key, k.live, err)
		}
		return nil
	}
	newest := k.live[n-1]
	if err != nil {
		return fmt.Errorf("%s/%s: GET of the current version %s: %w", k.bucket, k.key, newest.id, err)
	}
	if !matches(rv, newest.body) || aws.ToString(out.VersionId) != newest.id {
		return fmt.Errorf("%s/%s: GET reads %v version %s, the newest is %v", k.bucket, k.key, rv, aws.ToString(out.VersionId), newest)
	}
	return nil
}

// checkVersionedUsage compares the operator's usage of a tenant with the
// recount from listings (plus the parts of unfinished uploads), and the
// noncurrent figures where the admin API or /metrics show them (it returns
// how many of those it compared).
func (c *coffer) checkVersionedUsage(s *s3.Client, tenant string, want vUsage, buckets ...string) (int64, error) {
	n, err := c.checkTenantUsage(s, tenant, want, buckets...)
	if err != nil {
		return n, err
	}
	mfs := c.metrics()
	for _, m := range []struct {
		name string
		want int64
	}{{"coffer_tenant_noncurrent_objects", want.noncurrentObjects}, {"coffer_tenant_noncurrent_bytes", want.noncurrentBytes}} {
		if v, ok := metricWith(mfs, m.name, "tenant="+tenant); ok {
			n++
			if int64(v) != m.want {
				return n, fmt.Errorf("/metrics %s{tenant=%q} is %v; the listings recount %d", m.name, tenant, v, m.want)
			}
		}
	}
	return n, nil
}

// checkTenantUsage compares GET /api/admin/tenants with the recount.
func (c *coffer) checkTenantUsage(s *s3.Client, tenant string, want vUsage, buckets ...string) (int64, error) {
	var uploadBytes int64
	for _, b := range buckets {
		n, err := partBytes(s, b)
		if err != nil {
			return 0, err
		}
		uploadBytes += n
	}
	var out struct {
		Tenants []struct {
			Name  string
			Usage struct {
				Objects, Bytes, UploadBytes        int64
				NoncurrentObjects, NoncurrentBytes *int64
			}
		}
	}
	if code, raw := c.admin("GET", "/api/admin/tenants", nil, &out); code != 200 {
		return 0, fmt.Errorf("GET /api/admin/tenants: %d %s", code, raw)
	}
	for _, tn := range out.Tenants {
		if tn.Name != tenant {
			continue
		}
		u := tn.Usage
		if u.Objects != want.objects || u.Bytes != want.bytes+uploadBytes || u.UploadBytes != uploadBytes {
			return 0, fmt.Errorf("usage says %d objects / %d bytes (%d in uploads); the listings recount %d versions and markers / %d bytes + %d in parts",
				u.Objects, u.Bytes, u.UploadBytes, want.objects, want.bytes, uploadBytes)
		}
		if u.NoncurrentObjects == nil {
			return 0, nil
		}
		if *u.NoncurrentObjects != want.noncurrentObjects || aws.ToInt64(u.NoncurrentBytes) != want.noncurrentBytes {
			return 1, fmt.Errorf("usage says %d noncurrent objects / %d bytes; the listings recount %d / %d",
				*u.NoncurrentObjects, aws.ToInt64(u.NoncurrentBytes), want.noncurrentObjects, want.noncurrentBytes)
		}
		return 1, nil
	}
	return 0, fmt.Errorf("tenant %s not in /api/admin/tenants", tenant)
}
