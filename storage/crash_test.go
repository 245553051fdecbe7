package storage

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashEnv = "COFFER_CRASH_DIR"

func crashConfig(dir string) Config {
	// FastPut: the crash and power-loss runs take the fast log's path.
	cfg := Config{DataDir: filepath.Join(dir, "state"), BlockSize: 64 << 10, ScrubInterval: -1, FastPut: true}
	for i := 0; i < 4; i++ {
		cfg.Drives = append(cfg.Drives, filepath.Join(dir, fmt.Sprintf("drive%d", i+1)))
	}
	return cfg
}

// TestCrashChild is the process the crash test kills: it writes,
// overwrites, deletes and completes uploads forever. Every body is
// randBytes(seed, size) with seed and size in its user metadata. From
// the second child on the bucket is versioned (Enabled, Suspended every
// third child), so the kills also land in delete markers, deletes by
// version id and forced deletes of a versioned scratch bucket.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("only run as the crash test's child process")
	}
	s, err := Open(crashConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Every step of this child may fail (it exists from the last child, or
	// the drives are mid-crash-recovery); the parent checks what survived.
	_ = s.CreateTenant(ctx, "acme", Quota{})
	_ = s.CreateBucket(ctx, "acme", "bkt", BucketOptions{})
	seed, _ := strconv.ParseUint(os.Getenv("COFFER_CRASH_SEED"), 10, 64)
	r := rand.New(rand.NewPCG(seed, 1))
	switch {
	case seed >= 2 && seed%3 == 0:
		_ = s.SetBucketVersioning(ctx, "acme", "bkt", VersioningSuspended)
	case seed >= 2:
		_ = s.SetBucketVersioning(ctx, "acme", "bkt", VersioningEnabled)
	}
	meta := func(sd uint64, size int) ObjectMeta {
		return ObjectMeta{UserMeta: map[string]string{"seed": strconv.FormatUint(sd, 10), "size": strconv.Itoa(size)}}
	}
	for n := uint64(0); ; n++ {
		sd := seed*1_000_000 + n
		key := fmt.Sprintf("k%02d", r.IntN(20))
		if n%25 == 24 {
			_, _ = s.Scrub(ctx) // compaction and healing get killed part way too
		}
		switch op := r.IntN(20); {
		case op < 14:
			size := []int{0, 100, 70 << 10, 200 << 10, 1 << 20}[r.IntN(5)]
			_, _ = s.PutObject(ctx, "acme", "bkt", key, bytes.NewReader(randBytes(sd, size)), PutOptions{Size: int64(size), Meta: meta(sd, size)})
		case op < 15:
			_ = errOf(s.DeleteObject(ctx, "acme", "bkt", key, DeleteOptions{}))
		case op < 16:
			// A version of the key (or its marker) deleted by id.
			res, err := s.ListObjectVersions(ctx, "acme", "bkt", ListVersionsOptions{Prefix: key, MaxKeys: 5})
			if err == nil && len(res.Versions) > 0 {
				v := res.Versions[r.IntN(len(res.Versions))]
				_ = errOf(s.DeleteObject(ctx, "acme", "bkt", v.Key, DeleteOptions{VersionID: v.VersionID}))
			}
		case op < 18:
			size := MinPartSize + 10
			id, err := s.CreateMultipartUpload(ctx, "acme", "bkt", key, PutOptions{Meta: meta(sd, size)})
			if err != nil {
				continue
			}
			body := randBytes(sd, size)
			p1, err1 := s.PutPart(ctx, "acme", "bkt", key, id, 1, bytes.NewReader(body[:MinPartSize]), PutOptions{Size: MinPartSize})
			p2, err2 := s.PutPart(ctx, "acme", "bkt", key, id, 2, bytes.NewReader(body[MinPartSize:]), PutOptions{Size: 10})
			if err1 == nil && err2 == nil {
				_, _ = s.CompleteMultipartUpload(ctx, "acme", "bkt", key, id, []CompletePart{{PartNumber: 1, ETag: p1.ETag}, {PartNumber: 2, ETag: p2.ETag}})
			}
		default:
			// A scratch bucket filled and force-deleted.
			_ = s.CreateBucket(ctx, "acme", "scratch", BucketOptions{})
			if seed%2 == 0 {
				_ = s.SetBucketVersioning(ctx, "acme", "scratch", VersioningEnabled)
			}
			for i := 0; i < 10; i++ {
				b := randBytes(sd+uint64(i), 50)
				_, _ = s.PutObject(ctx, "acme", "scratch", fmt.Sprint(i%4), bytes.NewReader(b), PutOptions{Size: 50, Meta: meta(sd+uint64(i), 50)})
				if i%3 == 0 {
					_ = errOf(s.DeleteObject(ctx, "acme", "scratch", fmt.Sprint(i%4), DeleteOptions{}))
				}
			}
			_ = s.DeleteBucket(ctx, "acme", "scratch", true)
		}
	}
}

func TestCrashRecovery(t *testing.T) {
	iterations := testSize(2, 5, 40)
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for it := 0; it < iterations; it++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, fmt.Sprintf("COFFER_CRASH_SEED=%d", it+1))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(150+r.IntN(600)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL) // an early exit is caught just below
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("child exited on its own: %v\n%s", err, stderr.String())
		}
		verifyAfterCrash(t, dir, it)
	}
}

func verifyAfterCrash(t *testing.T, dir string, it int) {
	t.Helper()
	s, err := Open(crashConfig(dir))
	if err != nil {
		t.Fatalf("iteration %d: reopen: %v", it, err)
	}
	defer s.Close()
	ctx := context.Background()
	listed := map[string]bool{}
	var objects, bytesTotal int64
	for _, bucket := range []string{"bkt", "scratch"} {
		res, err := s.ListObjects(ctx, "acme", bucket, ListOptions{})
		if err != nil {
			continue // scratch may not exist
		}
		for _, o := range res.Objects {
			listed[bucket+"/"+o.Key] = true
			objects++
			bytesTotal += o.Size
			sd, _ := strconv.ParseUint(o.Meta.UserMeta["seed"], 10, 64)
			size, _ := strconv.Atoi(o.Meta.UserMeta["size"])
			rd, err := s.OpenObject(ctx, "acme", bucket, o.Key)
			if err != nil {
				t.Fatalf("iteration %d: listed %s/%s cannot be opened: %v", it, bucket, o.Key, err)
			}
			rc, err := rd.Range(ctx, 0, rd.Info().Size)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			_, err = got.ReadFrom(rc)
			rc.Close()
			rd.Close()
			if err != nil || !bytes.Equal(got.Bytes(), randBytes(sd, size)) || rd.Info().ETag != o.ETag {
				t.Fatalf("iteration %d: %s/%s reads wrong bytes (%v)", it, bucket, o.Key, err)
			}
			if o.PartsCount == 0 && o.ETag != md5hex(got.Bytes()) {
				t.Fatalf("iteration %d: %s/%s ETag %s does not match its bytes", it, bucket, o.Key, o.ETag)
			}
		}
	}
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("k%02d", i)
		if _, err := s.GetObjectInfo(ctx, "acme", "bkt", k); (err == nil) != listed["bkt/"+k] {
			t.Fatalf("iteration %d: %s visible=%v listed=%v", it, k, err == nil, listed["bkt/"+k])
		}
	}
	u, err := s.TenantUsage(ctx, "acme")
	if err == nil && (u.Objects-u.NoncurrentObjects != objects || u.Bytes-u.UploadBytes-u.NoncurrentBytes != bytesTotal) {
		t.Fatalf("iteration %d: usage %+v, listed %d objects %d bytes", it, u, objects, bytesTotal)
	}
	// Every version (all of them current in a never-versioned bucket)
	// reads its exact bytes, and usage counts exactly the versions listed.
	var versions, versionBytes int64
	for _, bucket := range []string{"bkt", "scratch"} {
		opts := ListVersionsOptions{}
		for {
			res, err := s.ListObjectVersions(ctx, "acme", bucket, opts)
			if err != nil {
				break
			}
			for _, v := range res.Versions {
				versions++
				versionBytes += v.Size
				if v.DeleteMarker {
					continue
				}
				info, err := s.GetObjectVersion(ctx, "acme", bucket, v.Key, v.VersionID)
				if err != nil {
					t.Fatalf("iteration %d: listed version %s/%s@%s: %v", it, bucket, v.Key, v.VersionID, err)
				}
				sd, _ := strconv.ParseUint(info.Meta.UserMeta["seed"], 10, 64)
				size, _ := strconv.Atoi(info.Meta.UserMeta["size"])
				if got := readVersionOf(t, s, bucket, v.Key, v.VersionID); !bytes.Equal(got, randBytes(sd, size)) {
					t.Fatalf("iteration %d: version %s/%s@%s reads wrong bytes", it, bucket, v.Key, v.VersionID)
				}
			}
			if !res.IsTruncated {
				break
			}
			opts.KeyMarker, opts.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
		}
	}
	if err == nil && (u.Objects != versions || u.Bytes-u.UploadBytes != versionBytes) {
		t.Fatalf("iteration %d: usage %+v, listed %d versions %d bytes", it, u, versions, versionBytes)
	}
	if _, err := s.Scrub(ctx); err != nil {
		t.Fatal(err)
	}
	// After the scrub every data file belongs to a committed id.
	for _, d := range s.drives {
		err := d.Walk(func(name string, _ time.Time) error {
			id, _, _ := strings.Cut(name, ".")
			if !s.live(id) {
				t.Fatalf("iteration %d: orphan %s survived the scrub on %s", it, name, d.Path())
			}
			return nil
		})
		if err != nil {
			t.Fatalf("iteration %d: walk %s: %v", it, d.Path(), err)
		}
		if es := tempFiles(d.Path()); len(es) != 0 {
			t.Fatalf("iteration %d: %d temp files left", it, len(es))
		}
	}
	st := s.ScrubStats()
	if st.Errors != 0 {
		t.Fatalf("iteration %d: scrub errors %+v", it, st)
	}
	t.Logf("iteration %d: %d objects verified, %d orphans removed", it, objects, st.OrphansRemoved)
}

// readVersionOf reads a whole version of acme's bucket.
func readVersionOf(t testing.TB, s *Store, bucket, key, id string) []byte {
	t.Helper()
	ctx := context.Background()
	rd, err := s.OpenObjectVersion(ctx, "acme", bucket, key, id)
	if err != nil {
		t.Fatalf("open %s/%s@%s: %v", bucket, key, id, err)
	}
	defer rd.Close()
	rc, err := rd.Range(ctx, 0, rd.Info().Size)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil {
		t.Fatalf("read %s/%s@%s: %v", bucket, key, id, err)
	}
	return got.Bytes()
}
