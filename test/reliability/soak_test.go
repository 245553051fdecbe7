package reliability

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/testutil"
)

// sample is one resource reading of the server process.
type sample struct {
	at         time.Duration
	rssKiB     int64
	liveBytes  int64 // Go heap live after a forced GC (pprof heap?gc=1), -1 without pprof
	fds        int
	goroutines int
}

func (s sample) String() string {
	live := "n/a"
	if s.liveBytes >= 0 {
		live = fmt.Sprintf("%.1fMiB", float64(s.liveBytes)/(1<<20))
	}
	return fmt.Sprintf("t=%3.0fs rss=%.1fMiB live-heap=%s fds=%d goroutines=%d", s.at.Seconds(), float64(s.rssKiB)/1024,
		live, s.fds, s.goroutines)
}

// liveHeap forces a GC in the server through its pprof listener and
// returns the heap still allocated (-1 when the server has no pprof).
func (c *coffer) liveHeap() int64 {
	u, _ := c.pprofURL.Load().(string)
	if u == "" {
		return -1
	}
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), "/debug/pprof") // the banner shows .../debug/pprof/
	resp, err := http.Get(u + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "# HeapAlloc = "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

func (c *coffer) sample(start time.Time) sample {
	c.httpClient().CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	rss, fds := c.procStats()
	g, _ := metricWith(c.metrics(), "go_goroutines")
	return sample{at: time.Since(start), rssKiB: rss, liveBytes: c.liveHeap(), fds: fds, goroutines: int(g)}
}

// TestSoak runs many concurrent clients of two tenants doing mixed
// operations (PUT, GET with verification, HEAD, LIST, DELETE, COPY,
// multipart, presigned GET) for COFFER_SOAK (default 20s, clients
// COFFER_SOAK_CLIENTS, default 16). No error is expected; RSS, open fds and
// goroutines are sampled, and after the load the fds and goroutines return
// to their idle level within a small tolerance (no leak) and RSS stays flat.
func TestSoak(t *testing.T) {
	dur := envDuration("COFFER_SOAK", 20*time.Second)
	clients := envInt("COFFER_SOAK_CLIENTS", 16)
	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s", "--pprof", "127.0.0.1:0")
	tenants := []tenantKeys{srv.newTenant("soak-one"), srv.newTenant("soak-two")}
	for i, k := range tenants {
		if _, err := srv.s3(k).CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String(fmt.Sprintf("soak%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	// Warm up: one small and one large object each, written and read, so
	// lazily opened files (pack segments, the index) count in the idle level.
	led := newLedger()
	for i, k := range tenants {
		c := srv.s3(k)
		for j, size := range []int{1000, 3 << 20} {
			body, v := makeBody(rand.New(rand.NewPCG(1, uint64(j))), size)
			key := fmt.Sprintf("warm%d", j)
			if err := led.putObject(c, fmt.Sprintf("soak%d", i), key, body, v); err != nil {
				t.Fatal(err)
			}
			if _, err := led.verifyKey(c, fmt.Sprintf("soak%d", i), key); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	time.Sleep(500 * time.Millisecond)
	idle := srv.sample(start)
	t.Logf("idle before load: %v", idle)

	var ops, errsN, bytesIn atomic.Int64
	var opCount sync.Map
	var errMu sync.Mutex
	var errs []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var hcs []*http.Client
	seed := uint64(time.Now().UnixNano())
	for w := 0; w < clients; w++ {
		hc := srv.newHTTPClient()
		hcs = append(hcs, hc)
		ti := w % len(tenants)
		c := srv.s3(tenants[ti], func(o *s3.Options) { o.HTTPClient = hc })
		bucket := fmt.Sprintf("soak%d", ti)
		r := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			count := func(op string) {
				v, _ := opCount.LoadOrStore(op, new(atomic.Int64))
				v.(*atomic.Int64).Add(1)
			}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("c%d/k%d", w, r.IntN(20))
				var err error
				var op string
				switch x := r.IntN(100); {
				case x < 30:
					op = "PutObject"
					size := r.IntN(64 << 10)
					if r.IntN(10) == 0 {
						size = 1<<20 + r.IntN(1<<20)
					}
					body, v := makeBody(r, size)
					err = led.putObject(c, bucket, key, body, v)
					bytesIn.Add(int64(size))
				case x < 60:
					op = "GetObject"
					_, err = led.verifyKey(c, bucket, key)
				case x < 68:
					op = "HeadObject"
					_, err = c.HeadObject(bg, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
					if testutil.S3ErrorCode(err) == "NotFound" {
						err = nil
					}
				case x < 76:
					op = "ListObjectsV2"
					_, err = c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(fmt.Sprintf("c%d/", w))})
				case x < 84:
					op = "DeleteObject"
					err = led.deleteObject(c, bucket, key)
				case x < 90:
					op = "CopyObject"
					src := fmt.Sprintf("c%d/k%d", w, r.IntN(20))
					_, err = c.CopyObject(bg, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key + "-copy"), CopySource: aws.String(bucket + "/" + src)})
					if code := testutil.S3ErrorCode(err); code == "NoSuchKey" {
						err = nil
					} else if err == nil {
						// the copy holds whatever src held: forget it in the ledger
						led.mu.Lock()
						delete(led.keys, bucket+"/"+key+"-copy")
						led.mu.Unlock()
						_, err = c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key + "-copy")})
					}
				case x < 95:
					op = "Multipart"
					body, v := makeBody(r, r.IntN(256<<10)+1)
					err = led.multipartPut(c, bucket, key, body, v, 5<<20)
				default:
					op = "PresignedGet"
					ps, perr := s3.NewPresignClient(c).PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
					if perr != nil {
						err = perr
						break
					}
					resp, herr := hc.Get(ps.URL)
					if herr != nil {
						err = herr
						break
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 && resp.StatusCode != 404 {
						err = fmt.Errorf("presigned GET: %d", resp.StatusCode)
					}
				}
				count(op)
				ops.Add(1)
				if err != nil {
					errsN.Add(1)
					errMu.Lock()
					if len(errs) < 10 {
						errs = append(errs, fmt.Sprintf("%s %s: %v", op, key, err))
					}
					errMu.Unlock()
				}
			}
		}()
	}
	var samples []sample
	every := max(dur/10, 2*time.Second)
	for end := time.Now().Add(dur); time.Now().Before(end); {
		time.Sleep(min(every, time.Until(end)))
		s := srv.sample(start)
		samples = append(samples, s)
		t.Logf("under load: %v, %d ops", s, ops.Load())
	}
	close(stop)
	wg.Wait()
	for _, hc := range hcs {
		hc.CloseIdleConnections()
	}
	for _, e := range errs {
		t.Errorf("unexpected error: %s", e)
	}
	// Everything the clients were told is stored is there.
	c0, c1 := srv.s3(tenants[0]), srv.s3(tenants[1])
	n0, b0, err := led.verifyBucket(c0, "soak0")
	if err != nil {
		t.Fatal(err)
	}
	n1, b1, err := led.verifyBucket(c1, "soak1")
	if err != nil {
		t.Fatal(err)
	}
	// Back to idle: fds and goroutines settle within tolerance.
	var after sample
	for deadline := time.Now().Add(20 * time.Second); ; {
		after = srv.sample(start)
		if after.fds <= idle.fds+12 && after.goroutines <= idle.goroutines+10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	srv.liveHeap() // a second GC empties sync.Pool's victim cache (pooled block buffers)
	after = srv.sample(start)
	t.Logf("idle after load: %v", after)
	// No heap leak: what stays allocated once idle is close to the idle level.
	if after.liveBytes >= 0 && idle.liveBytes >= 0 && after.liveBytes > idle.liveBytes+32<<20 {
		t.Errorf("live heap %d bytes after the load, %d before: leak", after.liveBytes, idle.liveBytes)
	}
	// Pack segments may legitimately hold a descriptor or two each.
	segs := 0
	for _, d := range srv.Drives {
		m, _ := filepath.Glob(filepath.Join(d, "packs", "*.pack"))
		segs += len(m)
	}
	deleted := srv.deletedFDs()
	t.Logf("after load: %d pack segments on the drives, %d descriptors of deleted files: %v", segs, len(deleted), deleted)
	if after.fds > idle.fds+12+2*segs {
		t.Errorf("open fds %d after the load, %d before (%d pack segments): leak", after.fds, idle.fds, segs)
	}
	if len(deleted) > 0 {
		t.Errorf("the server holds %d descriptors of deleted files (leaked, and their disk space is not freed): %v", len(deleted), deleted)
	}
	if after.goroutines > idle.goroutines+10 {
		t.Errorf("goroutines %d after the load, %d before: leak", after.goroutines, idle.goroutines)
	}
	// Memory flat: the last sample is not far above the first one under load.
	if len(samples) >= 2 {
		first, last := samples[0].rssKiB, samples[len(samples)-1].rssKiB
		if last > first*3/2+64<<10 {
			t.Errorf("RSS grew from %d KiB to %d KiB under a steady load", first, last)
		}
	}
	var mix []string
	opCount.Range(func(k, v any) bool {
		mix = append(mix, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	sort.Strings(mix)
	var series []string
	for _, s := range samples {
		series = append(series, s.String())
	}
	t.Logf("FIGURES soak: duration=%v clients=%d ops=%d (%.0f/s) errors=%d uploaded=%d bytes, final objects=%d bytes=%d verified; mix %s",
		dur, clients, ops.Load(), float64(ops.Load())/dur.Seconds(), errsN.Load(), bytesIn.Load(), n0+n1, b0+b1, strings.Join(mix, " "))
	t.Logf("FIGURES soak resources: before %v | %s | after %v", idle, strings.Join(series, " | "), after)
}

// deletedFDs lists the child's open descriptors of unlinked files.
func (c *coffer) deletedFDs() []string {
	dir := fmt.Sprintf("/proc/%d/fd", c.pid())
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasSuffix(target, " (deleted)") {
			out = append(out, filepath.Base(strings.TrimSuffix(target, " (deleted)")))
		}
	}
	return out
}
