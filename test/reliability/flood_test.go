package reliability

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestConnectionFlood: 3,000 connections from 127.0.0.1 each declare a body
// and never send it (unauthenticated S3 PUTs with Content-Length: 100 and
// console POST /api/login with headers only). Before issue 12 net/http drained
// those bodies without a deadline and held every connection (and its
// descriptor) forever. Now the per-address cap closes most on accept, the
// rest are answered and closed; a client on 127.0.0.2 keeps getting answers
// during the flood, every held connection is closed by the server within a
// minute, and the descriptors come back. COFFER_FLOOD_CONNS sets the count.
func TestConnectionFlood(t *testing.T) {
	total := envInt("COFFER_FLOOD_CONNS", 3000)
	raiseFileLimit(t, uint64(total)+512)
	srv := startCoffer(t, 4, 2, "--scrub-interval", "-1s")
	keys := srv.newTenant("flood")
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("box"), Key: aws.String("hello"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	logServerFileLimit(t, srv)
	srv.httpClient().CloseIdleConnections()
	rss0, fds0 := srv.procStats()
	t.Logf("before: RSS %d MiB, %d fds", rss0>>10, fds0)

	s3Host := mustHost(t, srv.S3URL)
	consoleHost := mustHost(t, srv.ConsoleURL)
	consoleConns := total / 10
	const closeBound = 90 * time.Second
	start := time.Now()
	closedAfter := make([]time.Duration, total) // -1: still open at the bound
	var held sync.WaitGroup
	jobs := make(chan int)
	var dialers sync.WaitGroup
	var dialErrs sync.Map
	for w := 0; w < 32; w++ {
		dialers.Go(func() {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}, Timeout: 10 * time.Second}
			for i := range jobs {
				host, req := s3Host, fmt.Sprintf("PUT /box/flood-%d HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\n", i, s3Host)
				if i < consoleConns {
					host, req = consoleHost, fmt.Sprintf("POST /api/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", consoleHost)
				}
				conn, err := d.Dial("tcp", host)
				if err != nil {
					dialErrs.Store(i, err)
					closedAfter[i] = time.Since(start)
					continue
				}
				_, _ = conn.Write([]byte(req)) // may fail: the server closes over-cap connections at once
				held.Go(func() {
					defer conn.Close()
					closedAfter[i] = readUntilClosed(conn, start.Add(closeBound), start)
				})
			}
		})
	}
	for i := 0; i < total; i++ {
		jobs <- i
	}
	close(jobs)
	dialers.Wait()
	t.Logf("%d connections opened in %v", total, time.Since(start).Round(time.Millisecond))
	dialErrs.Range(func(k, v any) bool { t.Logf("dial %v: %v", k, v); return true })

	// A real client on another address, during the flood: S3 through the SDK
	// and the console's /healthz.
	other := clientFrom("127.0.0.2")
	defer other.CloseIdleConnections()
	oc := srv.s3(keys, func(o *s3.Options) { o.HTTPClient = other })
	var lat []time.Duration
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(bg, 5*time.Second)
		t0 := time.Now()
		out, err := oc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("box"), Key: aws.String("hello")})
		if err != nil {
			cancel()
			t.Fatalf("GET from 127.0.0.2 during the flood: %v", err)
		}
		b, err := io.ReadAll(out.Body)
		out.Body.Close()
		lat = append(lat, time.Since(t0))
		cancel()
		if err != nil || string(b) != "hello" {
			t.Fatalf("GET from 127.0.0.2 during the flood: %q %v", b, err)
		}
		t0 = time.Now()
		resp, err := other.Get(srv.ConsoleURL + "/healthz")
		if err != nil {
			t.Fatalf("console /healthz from 127.0.0.2 during the flood: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(t0))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("console /healthz from 127.0.0.2 during the flood: %d", resp.StatusCode)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rss1, fds1 := srv.procStats()
	t.Logf("during: RSS %d MiB, %d fds; 127.0.0.2 latency over %d requests: median %v, max %v",
		rss1>>10, fds1, len(lat), lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))

	held.Wait()
	var open []int
	var last time.Duration
	for i, d := range closedAfter {
		if d < 0 {
			open = append(open, i)
		}
		last = max(last, d)
	}
	if len(open) > 0 {
		t.Fatalf("%d of %d flood connections were still open after %v (first: #%d); the server holds bodies it never reads",
			len(open), total, closeBound, open[0])
	}
	t.Logf("all %d flood connections closed by the server; the last after %v", total, last.Round(time.Millisecond))

	// Descriptors return to their idle level (bounded poll).
	other.CloseIdleConnections()
	srv.waitFdsBack(fds0)
	srv.healthy()
}

// readUntilClosed reads (and discards any answer) until the server closes
// the connection, and returns when that happened after start; -1 when it
// was still open at deadline.
func readUntilClosed(conn net.Conn, deadline, start time.Time) time.Duration {
	conn.SetReadDeadline(deadline)
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return -1
	}
	return time.Since(start) // EOF or reset: closed by the server
}

// clientFrom is an HTTP client whose connections come from ip.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

func mustHost(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Host
}

// raiseFileLimit lifts this process's soft RLIMIT_NOFILE to the hard limit
// (a server started afterwards inherits it) and skips when even the hard
// limit cannot hold need descriptors.
func raiseFileLimit(t *testing.T, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max < need {
		t.Skipf("RLIMIT_NOFILE hard limit %d is below the %d descriptors this test needs", lim.Max, need)
	}
	if lim.Cur < need {
		old := lim.Cur
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			lim.Cur = old
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
				t.Error(err)
			}
		})
	}
}

// logServerFileLimit logs the server's "Max open files" line.
func logServerFileLimit(t *testing.T, srv *coffer) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/limits", srv.pid()))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Max open files") {
			t.Logf("server %s", strings.Join(strings.Fields(sc.Text()), " "))
		}
	}
}

// TestStalledReaderIsCut: a client that requests a 64 MiB object and never
// reads the answer held its connection and handler forever. With
// COFFER_STALL_TIMEOUT=2s (--stall-timeout, default 30s) the server gives up once no write
// progresses for that long: the request leaves coffer_s3_requests_in_flight
// and the connection ends short of the whole object.
func TestStalledReaderIsCut(t *testing.T) {
	const size = 64 << 20 // far beyond loopback socket buffers
	srv := newCoffer(t, 4, 2, "--scrub-interval", "-1s")
	srv.Env = append(srv.Env, "COFFER_STALL_TIMEOUT=2s") // env, so an older binary still starts
	srv.start(true)
	keys := srv.newTenant("stall")
	c := srv.s3(keys)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("box")}); err != nil {
		t.Fatal(err)
	}
	body, _ := makeBody(rngFor(t), size)
	if _, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("box"), Key: aws.String("big"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	conn := rawPresigned(t, c, "GET", "box", "big", "")
	start := time.Now()

	inFlight := func() float64 {
		v, _ := metricWith(srv.metrics(), "coffer_s3_requests_in_flight")
		return v
	}
	waitFor := func(what string, bound time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(bound)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v", what, bound)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("the GET is in flight", 10*time.Second, func() bool { return inFlight() >= 1 })
	waitFor("the server gives up on the reader that reads nothing", 60*time.Second, func() bool { return inFlight() == 0 })
	t.Logf("stalled GET ended by the server after %v", time.Since(start).Round(100*time.Millisecond))

	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection stayed open after the handler ended (%d bytes read)", n)
	}
	if n >= size {
		t.Fatalf("read %d bytes: the whole object, but the server should have cut the stalled reader", n)
	}
	t.Logf("the stalled reader got %d of %d bytes before the cut", n, size)
	srv.healthy()
}
