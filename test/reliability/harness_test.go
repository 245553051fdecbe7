// Package reliability proves, against the built coffer binary run as a child
// process, that Coffer loses nothing under drive faults, bitrot, crashes,
// hostile requests and load, and keeps tenants apart. Long versions run
// under `make reliability` (see docs/reliability.md for the knobs).
package reliability

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	dto "github.com/prometheus/client_model/go"

	"github.com/cofferstore/coffer/internal/testutil"
)

// adminPassword is the operator password of every server started here.
const adminPassword = "reliability-operator-password"

// cofferBin is the binary under test: $COFFER_BIN, or built by TestMain.
var cofferBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	bin, done, err := testutil.CofferBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer done()
	cofferBin = bin
	return m.Run()
}

// envInt reads a positive integer knob from the environment.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// envDuration reads a duration knob from the environment.
func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// coffer is the binary running as a child process on loopback.
type coffer struct {
	t       testing.TB
	DataDir string
	Drives  []string
	Args    []string // extra server flags
	Env     []string
	Pool    *x509.CertPool // set for TLS servers
	CACert  string         // PEM file of Pool, for the admin CLI

	cmd        *exec.Cmd
	waitDone   chan struct{}
	waitErr    error
	S3URL      string
	ConsoleURL string
	pprofURL   atomic.Value // string; set when the banner shows one (--pprof)
	logs       *testutil.LockedBuffer
	clientOnce sync.Once
	client     *http.Client
}

// newCoffer prepares (does not start) a server over n drive directories
// under a temporary data directory, with parity m.
func newCoffer(t testing.TB, n, m int, args ...string) *coffer {
	t.Helper()
	dir := t.TempDir()
	c := &coffer{t: t, DataDir: filepath.Join(dir, "data"), logs: &testutil.LockedBuffer{}}
	for i := 0; i < n; i++ {
		c.Drives = append(c.Drives, filepath.Join(dir, fmt.Sprintf("drive%d", i)))
	}
	for _, d := range c.Drives {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c.Args = append([]string{"--parity", strconv.Itoa(m)}, args...)
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			t.Logf("server log tail:\n%s", tail(c.logs.String(), 4000))
		}
	})
	return c
}

// startCoffer prepares and starts a server and waits until it is ready.
func startCoffer(t testing.TB, n, m int, args ...string) *coffer {
	c := newCoffer(t, n, m, args...)
	c.start(true)
	return c
}

// start launches the binary and waits for its banner and /healthz (and
// /readyz when ready is true).
func (c *coffer) start(ready bool) {
	c.t.Helper()
	args := []string{"server", "--data", c.DataDir, "--s3-address", "127.0.0.1:0",
		"--console-address", "127.0.0.1:0", "--log-level", "warn"}
	for _, d := range c.Drives {
		args = append(args, "--drive", d)
	}
	args = append(args, c.Args...)
	cmd := exec.Command(cofferBin, args...)
	cmd.Env = append(append(os.Environ(), "COFFER_ADMIN_PASSWORD="+adminPassword), c.Env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stderr = c.logs
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start coffer: %v", err)
	}
	c.cmd = cmd
	c.waitDone = make(chan struct{})
	urls := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var s3u, cu string
		for sc.Scan() {
			line := sc.Text()
			_, _ = c.logs.Write([]byte("stdout: " + line + "\n")) // the log file only helps a reader of a failure
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "S3 endpoint:"); ok {
				s3u = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "pprof:"); ok {
				c.pprofURL.Store(strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Console:"); ok {
				cu = strings.TrimSpace(v)
				urls <- [2]string{s3u, cu}
			}
		}
	}()
	go func() {
		c.waitErr = cmd.Wait()
		close(c.waitDone)
	}()
	select {
	case u := <-urls:
		c.S3URL, c.ConsoleURL = u[0], u[1]
	case <-c.waitDone:
		c.t.Fatalf("coffer exited before serving: %v\n%s", c.waitErr, tail(c.logs.String(), 4000))
	case <-time.After(30 * time.Second):
		c.t.Fatalf("coffer printed no banner in 30s\n%s", tail(c.logs.String(), 4000))
	}
	path := "/healthz"
	if ready {
		path = "/readyz"
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.httpClient().Get(c.ConsoleURL + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("coffer never answered %s: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether the child process is alive.
func (c *coffer) running() bool {
	if c.cmd == nil {
		return false
	}
	select {
	case <-c.waitDone:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL (a crash: nothing is flushed) and waits for the exit.
func (c *coffer) kill() {
	if !c.running() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL) // fails only when it already exited, which waitDone reports
	<-c.waitDone
}

// stop sends SIGTERM and waits for a graceful exit.
// emptyDrives leaves drives of the stopped server empty, as a disk swap
// would: everything inside goes, the directory (perhaps a mountpoint)
// stays.
func (c *coffer) emptyDrives(drives ...int) {
	c.t.Helper()
	for _, i := range drives {
		if err := os.MkdirAll(c.Drives[i], 0o755); err != nil {
			c.t.Fatal(err)
		}
		ents, err := os.ReadDir(c.Drives[i])
		if err != nil {
			c.t.Fatal(err)
		}
		for _, e := range ents {
			if err := os.RemoveAll(filepath.Join(c.Drives[i], e.Name())); err != nil {
				c.t.Fatal(err)
			}
		}
	}
}

// restartWithout empties drives of the stopped server and starts it with
// the scrubber off: what it serves then comes from the other drives alone
// (the proof that a heal restored full redundancy).
func (c *coffer) restartWithout(drives ...int) {
	c.t.Helper()
	c.emptyDrives(drives...)
	c.Args = append(c.Args, "--scrub-interval", "-1s")
	c.start(false)
}

func (c *coffer) stop() {
	c.t.Helper()
	if !c.running() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM) // fails only when it already exited, which waitDone reports
	select {
	case <-c.waitDone:
		if c.waitErr != nil {
			c.t.Errorf("coffer exit after SIGTERM: %v", c.waitErr)
		}
	case <-time.After(40 * time.Second):
		c.t.Errorf("coffer did not stop within 40s of SIGTERM")
		c.kill()
	}
}

// pid is the child's process id.
func (c *coffer) pid() int { return c.cmd.Process.Pid }

// httpClient is the shared client of the harness (one transport, so idle
// connections can be closed before resource samples).
func (c *coffer) httpClient() *http.Client {
	c.clientOnce.Do(func() { c.client = c.newHTTPClient() })
	return c.client
}

// newHTTPClient makes a client with its own transport; it trusts the test
// CA under TLS.
func (c *coffer) newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.Pool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: c.Pool}
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// admin calls the operator API with HTTP Basic (testutil.API), sending in
// as JSON and decoding a 2xx answer into out.
func (c *coffer) admin(method, path string, in, out any) (int, []byte) {
	c.t.Helper()
	api := testutil.Operator(c.t, c.ConsoleURL, adminPassword)
	api.HTTP = c.httpClient()
	return api.Call(method, path, in, out)
}

// cli runs `coffer admin` against the server and returns its stdout.
func (c *coffer) cli(args ...string) []byte {
	c.t.Helper()
	full := []string{"admin", "--server", c.ConsoleURL, "--password", adminPassword}
	if c.CACert != "" {
		full = append(full, "--ca-cert", c.CACert)
	}
	full = append(full, args...)
	cmd := exec.Command(cofferBin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("coffer %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// tenantKeys is a tenant's S3 key pair.
type tenantKeys struct {
	AccessKey, SecretKey string
}

// newTenant creates a tenant and its key pair with the admin CLI.
func (c *coffer) newTenant(name string) tenantKeys {
	c.t.Helper()
	c.cli("tenant", "create", name)
	var k tenantKeys
	out := c.cli("keys", "generate", name)
	if err := json.Unmarshal(out, &k); err != nil || len(k.AccessKey) < 16 || len(k.SecretKey) < 30 {
		c.t.Fatalf("keys generate %s: %q: %v", name, out, err)
	}
	return k
}

// s3 is an SDK client of the S3 listener (path style, standard retries off
// so an error is seen as it happened).
func (c *coffer) s3(k tenantKeys, optFns ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		Region:      testutil.Region,
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKey, k.SecretKey, ""),
		HTTPClient:  c.httpClient(),
	}
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(c.S3URL)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	}}, optFns...)...)
}

// session is a console login (cookie + CSRF token).
type session struct {
	c      *coffer
	client *http.Client
	csrf   string
}

// login signs in to the console API.
func (c *coffer) login(user, password string) *session {
	c.t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := c.httpClient()
	hc.Jar = jar
	b, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := hc.Post(c.ConsoleURL+"/api/login", "application/json", bytes.NewReader(b))
	if err != nil {
		c.t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	var me struct{ CSRFToken string }
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(raw, &me) != nil || me.CSRFToken == "" {
		c.t.Fatalf("login %s: %d %s", user, resp.StatusCode, raw)
	}
	return &session{c: c, client: hc, csrf: me.CSRFToken}
}

// call sends a console API request with the session cookie and CSRF token.
func (s *session) call(method, path string, in any) (int, []byte, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.c.ConsoleURL+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", s.csrf)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// driveState is one row of GET /api/admin/drives.
type driveState struct {
	Index  int    `json:"index"`
	Path   string `json:"path"`
	Online bool   `json:"online"`
	Errors uint64 `json:"errors"`
}

// scrubState is the scrub part of GET /api/admin/drives.
type scrubState struct {
	Running          bool       `json:"running"`
	ObjectsScanned   uint64     `json:"objectsScanned"`
	ObjectsHealed    uint64     `json:"objectsHealed"`
	ShardsRepaired   uint64     `json:"shardsRepaired"`
	Errors           uint64     `json:"errors"`
	QuorumFailures   uint64     `json:"quorumFailures"`
	LastScrubStarted *time.Time `json:"lastScrubStarted"`
	LastScrubDone    *time.Time `json:"lastScrubDone"`
}

// drives reads the operator's drive view.
func (c *coffer) drives() ([]driveState, scrubState) {
	c.t.Helper()
	var out struct {
		Drives []driveState `json:"drives"`
		Scrub  scrubState   `json:"scrub"`
	}
	if st, raw := c.admin("GET", "/api/admin/drives", nil, &out); st != 200 {
		c.t.Fatalf("GET /api/admin/drives: %d %s", st, raw)
	}
	return out.Drives, out.Scrub
}

// waitScrubAfter waits until a scrub pass that started after since has
// finished, and returns the stats then.
func (c *coffer) waitScrubAfter(since time.Time, limit time.Duration) scrubState {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		_, sc := c.drives()
		if sc.LastScrubStarted != nil && sc.LastScrubDone != nil && sc.LastScrubStarted.After(since) &&
			!sc.LastScrubDone.Before(*sc.LastScrubStarted) && !sc.Running {
			return sc
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no complete scrub pass started after %v within %v (last %+v)", since, limit, sc)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// metrics scrapes /metrics (with the token the server wrote to
// DIR/metrics.token on first start) and parses it (testutil.ParseMetrics).
func (c *coffer) metrics() map[string]*dto.MetricFamily {
	c.t.Helper()
	tok, err := os.ReadFile(filepath.Join(c.DataDir, "metrics.token"))
	if err != nil {
		c.t.Fatalf("metrics token: %v", err)
	}
	status, body := testutil.Get(c.t, c.httpClient(), c.ConsoleURL+"/metrics", "Bearer "+strings.TrimSpace(string(tok)))
	if status != http.StatusOK {
		c.t.Fatalf("GET /metrics: status %d", status)
	}
	return testutil.ParseMetrics(c.t, body)
}

// metricWith finds the value of the first series of name whose labels
// include every "k=v" pair given.
func metricWith(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	series, _ := testutil.Series(mfs, name)
next:
	for k, v := range series {
		have := strings.Split(k, ",")
		for _, l := range labels {
			if !slices.Contains(have, l) {
				continue next
			}
		}
		return v, true
	}
	return 0, false
}

// healthy asserts /healthz answers 200.
func (c *coffer) healthy() {
	c.t.Helper()
	resp, err := c.httpClient().Get(c.ConsoleURL + "/healthz")
	if err != nil {
		c.t.Fatalf("/healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		c.t.Fatalf("/healthz: %d", resp.StatusCode)
	}
	if !c.running() {
		c.t.Fatalf("coffer exited: %v", c.waitErr)
	}
}

// procStats reads RSS (KiB) and open descriptors of the child.
func (c *coffer) procStats() (rssKiB int64, fds int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.pid()))
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				rssKiB, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			}
		}
	}
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", c.pid()))
	return rssKiB, len(ents)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// bg is the context of test requests.
var bg = context.Background()
