package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// memoryOptions configure the memory benchmark (s3load -memory): one client
// streams a StreamSize object in (PutObject) and out (GetObject) while the
// server's RSS is sampled, then Uploads clients PUT UploadSize objects at
// once. Bodies come from a generator; nothing is held in memory whole.
type memoryOptions struct {
	PID         int // server process whose RSS is sampled
	Bucket      string
	StreamSize  int64
	Uploads     int
	UploadSize  int64
	StreamLimit int64 // RSS bound for the streaming phases
	UploadLimit int64 // RSS bound for the concurrent uploads
	Interval    time.Duration
}

// MemoryPhase is one phase of the memory benchmark.
type MemoryPhase struct {
	Name       string  `json:"name"`
	Seconds    float64 `json:"seconds"`
	Bytes      int64   `json:"bytes"`
	MiBPerSec  float64 `json:"mibPerSec"`
	StartRSS   int64   `json:"startRSS"`   // bytes, before the phase
	PeakRSS    int64   `json:"peakRSS"`    // bytes: max of the samples and VmHWM
	PeakSample int64   `json:"peakSample"` // bytes: max of the samples alone
	HWMReset   bool    `json:"hwmReset"`   // VmHWM was reset before the phase
	Samples    int     `json:"samples"`
	Limit      int64   `json:"limit"`
	Pass       bool    `json:"pass"`
}

// procMemory returns VmRSS and VmHWM of pid in bytes.
func procMemory(pid int) (rss, hwm int64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = f.Close() }() // read only
	return parseStatus(f)
}

// parseStatus reads VmRSS and VmHWM (in kB) from a /proc/PID/status text.
func parseStatus(r io.Reader) (rss, hwm int64, err error) {
	sc := bufio.NewScanner(r)
	found := 0
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, 0, fmt.Errorf("status: bad %s line %q", k, sc.Text())
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("status: %s: %w", k, err)
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("status: VmRSS or VmHWM missing")
	}
	return rss, hwm, nil
}

// sampler records the peak RSS of a process every interval.
type sampler struct {
	pid      int
	peak     atomic.Int64
	n        atomic.Int64
	err      atomic.Value // first sampling error
	stop     chan struct{}
	done     chan struct{}
	hwmReset bool
}

// startSampler resets the process's VmHWM (writing 5 to clear_refs, allowed
// for our own user's processes) and samples VmRSS until stop.
func startSampler(pid int, interval time.Duration) *sampler {
	s := &sampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	s.hwmReset = os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0) == nil
	s.sample()
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *sampler) sample() {
	rss, _, err := procMemory(s.pid)
	if err != nil {
		s.err.CompareAndSwap(nil, err)
		return
	}
	s.n.Add(1)
	for {
		p := s.peak.Load()
		if rss <= p || s.peak.CompareAndSwap(p, rss) {
			return
		}
	}
}

// finish stops sampling and returns the peak of the samples and of VmHWM.
func (s *sampler) finish() (peak, peakSample int64, samples int, err error) {
	s.sample()
	close(s.stop)
	<-s.done
	if e, ok := s.err.Load().(error); ok {
		return 0, 0, 0, e
	}
	peakSample = s.peak.Load()
	peak = peakSample
	if s.hwmReset { // without a reset VmHWM is the lifetime peak, not this phase's
		if _, hwm, err := procMemory(s.pid); err == nil && hwm > peak {
			peak = hwm
		}
	}
	return peak, peakSample, int(s.n.Load()), nil
}

// genBlock is the size of the generator's random pattern.
const genBlock = 1 << 20

// genReader yields size bytes: a shared random 1 MiB pattern in which the
// first 8 bytes of every MiB are replaced by (seed, block number), so that
// no two blocks of one body, nor two bodies, are alike. It holds no body.
type genReader struct {
	pattern []byte
	seed    uint32
	size    int64
	off     int64
}

func newPattern(seed uint64) []byte {
	p := make([]byte, genBlock)
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	rand.NewChaCha8(s).Read(p)
	return p
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	total := 0
	for len(p) > 0 && g.off < g.size {
		in := int(g.off % genBlock)
		n := min(len(p), genBlock-in)
		if rem := g.size - g.off; int64(n) > rem {
			n = int(rem)
		}
		copy(p[:n], g.pattern[in:in+n])
		if in < 8 {
			var stamp [8]byte
			binary.LittleEndian.PutUint64(stamp[:], uint64(g.seed)<<40|uint64(g.off/genBlock))
			copy(p[:n], stamp[in:])
		}
		p = p[n:]
		g.off += int64(n)
		total += n
	}
	return total, nil
}

// putStream uploads size bytes from body and returns the response's ETag.
func (c *client) putStream(ctx context.Context, bucket, key string, body io.Reader, size int64) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.endpoint()+"/"+bucket+"/"+key, io.NopCloser(body))
	if err != nil {
		return "", err
	}
	req.ContentLength = size
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	if err := c.signer.SignHTTP(ctx, c.creds, req, unsignedPayload, "s3", c.region, time.Now()); err != nil {
		return "", err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("PUT %s/%s: HTTP %d: %s", bucket, key, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return strings.Trim(resp.Header.Get("ETag"), `"`), nil
}

// putGenerated uploads a generated body, checks that the ETag is its MD5
// and returns that MD5 in hex.
func (c *client) putGenerated(ctx context.Context, bucket, key string, pattern []byte, seed uint32, size int64) (string, error) {
	h := md5.New()
	body := io.TeeReader(&genReader{pattern: pattern, seed: seed, size: size}, h)
	etag, err := c.putStream(ctx, bucket, key, body, size)
	if err != nil {
		return "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if etag != sum {
		return "", fmt.Errorf("PUT %s/%s: ETag %q, want MD5 %s", bucket, key, etag, sum)
	}
	return sum, nil
}

// getHashed downloads bucket/key, hashing it, and returns its length and MD5.
func (c *client) getHashed(ctx context.Context, bucket, key string) (int64, string, error) {
	resp, err := c.do(ctx, http.MethodGet, bucket, key, nil, nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	h := md5.New()
	n, err := io.CopyBuffer(h, resp.Body, make([]byte, 256<<10))
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// runMemory runs the three phases, prints a table and fails when a phase
// breaks its RSS bound or moves wrong bytes.
func runMemory(ctx context.Context, c *client, o memoryOptions, jsonOut string, stdout, stderr io.Writer) error {
	if o.PID <= 0 {
		return fmt.Errorf("-memory needs -server-pid")
	}
	if o.Interval == 0 {
		o.Interval = 250 * time.Millisecond
	}
	if err := c.createBucket(ctx, o.Bucket); err != nil {
		return err
	}
	pattern := newPattern(uint64(time.Now().UnixNano()))
	var phases []MemoryPhase
	phase := func(name string, limit int64, f func() (int64, error)) error {
		startRSS, _, err := procMemory(o.PID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "s3load: memory %-22s ...", name)
		s := startSampler(o.PID, o.Interval)
		t0 := time.Now()
		n, ferr := f()
		secs := time.Since(t0).Seconds()
		peak, peakSample, samples, serr := s.finish()
		if ferr != nil {
			fmt.Fprintln(stderr)
			return fmt.Errorf("%s: %w", name, ferr)
		}
		if serr != nil {
			fmt.Fprintln(stderr)
			return fmt.Errorf("%s: sampling RSS: %w", name, serr)
		}
		p := MemoryPhase{Name: name, Seconds: secs, Bytes: n, MiBPerSec: float64(n) / (1 << 20) / secs,
			StartRSS: startRSS, PeakRSS: peak, PeakSample: peakSample, HWMReset: s.hwmReset, Samples: samples,
			Limit: limit, Pass: peak < limit}
		fmt.Fprintf(stderr, " %6.1f s %7.1f MiB/s  peak RSS %.1f MiB (limit %d MiB)\n", secs, p.MiBPerSec, mib(peak), limit>>20)
		phases = append(phases, p)
		return nil
	}
	const key = "stream"
	var putSum string
	if err := phase(fmt.Sprintf("PUT %s, 1 stream", sizeName(o.StreamSize)), o.StreamLimit, func() (n int64, err error) {
		putSum, err = c.putGenerated(ctx, o.Bucket, key, pattern, 1, o.StreamSize)
		return o.StreamSize, err
	}); err != nil {
		return err
	}
	if err := phase(fmt.Sprintf("GET %s, 1 stream", sizeName(o.StreamSize)), o.StreamLimit, func() (int64, error) {
		n, sum, err := c.getHashed(ctx, o.Bucket, key)
		if err != nil {
			return n, err
		}
		if n != o.StreamSize || sum != putSum {
			return n, fmt.Errorf("GET returned %d bytes with MD5 %s, want %d bytes with MD5 %s", n, sum, o.StreamSize, putSum)
		}
		return n, nil
	}); err != nil {
		return err
	}
	buf := make([]byte, 512)
	if err := c.del(ctx, o.Bucket, key, buf); err != nil { // free the disk before the next phase
		return err
	}
	if err := phase(fmt.Sprintf("PUT %d x %s concurrent", o.Uploads, sizeName(o.UploadSize)), o.UploadLimit, func() (int64, error) {
		var wg sync.WaitGroup
		var sink errorSink
		for i := range o.Uploads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.putGenerated(ctx, o.Bucket, fmt.Sprintf("up/%03d", i), pattern, uint32(i+2), o.UploadSize); err != nil {
					sink.add(err)
				}
			}()
		}
		wg.Wait()
		if sink.n.Load() > 0 {
			return 0, fmt.Errorf("%d of %d uploads failed (first: %s)", sink.n.Load(), o.Uploads, sink.first)
		}
		return int64(o.Uploads) * o.UploadSize, nil
	}); err != nil {
		return err
	}
	for i := range o.Uploads {
		if err := c.del(ctx, o.Bucket, fmt.Sprintf("up/%03d", i), buf); err != nil {
			return err
		}
	}
	writeMemoryTable(stdout, phases)
	if jsonOut != "" {
		b, _ := json.MarshalIndent(struct {
			Machine string        `json:"machine"`
			Phases  []MemoryPhase `json:"phases"`
		}{machine(), phases}, "", "  ")
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	var missed []string
	for _, p := range phases {
		if !p.Pass {
			missed = append(missed, fmt.Sprintf("%s: peak RSS %.1f MiB, limit %d MiB", p.Name, mib(p.PeakRSS), p.Limit>>20))
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("memory bound missed:\n  %s", strings.Join(missed, "\n  "))
	}
	return nil
}

func writeMemoryTable(w io.Writer, phases []MemoryPhase) {
	var b bytes.Buffer
	fmt.Fprintln(&b, "| phase | time | throughput | server RSS before | peak RSS | bound | verdict |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|")
	for _, p := range phases {
		verdict := "meets"
		if !p.Pass {
			verdict = "**misses**"
		}
		fmt.Fprintf(&b, "| %s | %.1f s | %.0f MiB/s | %.1f MiB | **%.1f MiB** | < %d MiB | %s |\n",
			p.Name, p.Seconds, p.MiBPerSec, mib(p.StartRSS), mib(p.PeakRSS), p.Limit>>20, verdict)
	}
	_, _ = w.Write(b.Bytes()) // stdout, like the fmt.Fprint* tables of report.go
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// sizeName prints a size as GiB, MiB or KiB when it is a whole multiple.
func sizeName(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
