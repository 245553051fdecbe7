// Package cluster proves cluster mode against the built binary: `coffer
// cluster dev` starts three `coffer server` processes with embedded etcd
// members on loopback, and the tests drive them with aws-sdk-go-v2, kill
// nodes with SIGKILL, restart them with the command cluster.json gives,
// and count shard files on their drives.
package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferstore/coffer/internal/testutil"
)

// cofferBin is the binary under test: $COFFER_BIN, or built by TestMain.
var cofferBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	bin, done, err := testutil.CofferBinary() // $COFFER_BIN: a missing binary is skipped by each test
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer done()
	cofferBin = bin
	return m.Run()
}

// devFile is DIR/cluster.json as `coffer cluster dev` writes it.
type devFile struct {
	OperatorPassword string    `json:"operatorPassword"`
	Nodes            []devNode `json:"nodes"`
}

type devNode struct {
	Name    string   `json:"name"`
	PID     int      `json:"pid"`
	S3      string   `json:"s3"`
	Console string   `json:"console"`
	Command []string `json:"command"`
}

// flag returns the value of --name in the node's command.
func (n devNode) flag(name string) string {
	for i, a := range n.Command {
		if a == "--"+name && i+1 < len(n.Command) {
			return n.Command[i+1]
		}
	}
	return ""
}

// drives are the node's drive directories.
func (n devNode) drives() []string { return strings.Split(n.flag("drive"), ",") }

// devCluster is a running `coffer cluster dev`.
type devCluster struct {
	t     *testing.T
	dir   string
	cmd   *exec.Cmd
	done  chan struct{}
	f     devFile
	pids  map[string]int       // node -> pid of its current process
	procs map[string]*exec.Cmd // nodes this test restarted
}

// startDev runs `coffer cluster dev --nodes 3` and waits (bounded) for
// cluster.json, which it writes once every node is ready.
func startDev(t *testing.T) *devCluster {
	t.Helper()
	if _, err := os.Stat(cofferBin); err != nil {
		t.Skipf("no coffer binary at %s: %v", cofferBin, err)
	}
	dir := t.TempDir()
	c := &devCluster{t: t, dir: dir, done: make(chan struct{}), pids: map[string]int{}, procs: map[string]*exec.Cmd{}}
	var out bytes.Buffer
	c.cmd = exec.Command(cofferBin, "cluster", "dev", "--dir", filepath.Join(dir, "c"), "--nodes", "3")
	c.cmd.Stdout, c.cmd.Stderr = &out, &out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(c.stop)
	deadline := time.Now().Add(90 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "c", "cluster.json"))
		if err == nil && json.Unmarshal(b, &c.f) == nil && len(c.f.Nodes) == 3 {
			break
		}
		select {
		case <-c.done:
			t.Fatalf("coffer cluster dev exited before the cluster was ready:\n%s\n%s", out.String(), c.logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cluster.json within 90 s:\n%s\n%s", out.String(), c.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, n := range c.f.Nodes {
		c.pids[n.Name] = n.PID
	}
	return c
}

// logs is the end of every node's log, for failure messages.
func (c *devCluster) logs() string {
	var b strings.Builder
	for i := 1; i <= 3; i++ {
		p := filepath.Join(c.dir, "c", fmt.Sprintf("node%d", i), "server.log")
		data, _ := os.ReadFile(p)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		fmt.Fprintf(&b, "--- node%d\n%s\n", i, strings.Join(lines, "\n"))
	}
	return b.String()
}

// stop ends cluster dev with SIGTERM (it stops every node, the ones this
// test restarted too) and waits; a node still there after that is killed.
func (c *devCluster) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(45 * time.Second):
		c.t.Errorf("coffer cluster dev did not exit within 45 s of SIGTERM")
		_ = c.cmd.Process.Kill()
	}
	for name, p := range c.procs {
		exited := make(chan struct{})
		go func() { _ = p.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			c.t.Errorf("%s (restarted by the test) still ran after cluster dev stopped", name)
			_ = p.Process.Kill()
			<-exited
		}
	}
}

// with returns the cluster for a subtest: its failures end that subtest.
func (c *devCluster) with(t *testing.T) *devCluster {
	d := *c
	d.t = t
	return &d
}

func (c *devCluster) node(name string) devNode {
	for _, n := range c.f.Nodes {
		if n.Name == name {
			return n
		}
	}
	c.t.Fatalf("no node %s", name)
	return devNode{}
}

// kill sends SIGKILL to the node's process and waits until it is gone.
func (c *devCluster) kill(name string) {
	c.t.Helper()
	pid := c.pids[name]
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill %s (pid %d): %v", name, pid, err)
	}
	if p := c.procs[name]; p != nil {
		_ = p.Wait()
		delete(c.procs, name)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil && !zombie(pid) {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s (pid %d) still there 10 s after SIGKILL", name, pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

// restart runs the node's command from cluster.json, as an operator would,
// and waits until it is ready and a heal pass after its return has
// finished cleanly (through another node).
func (c *devCluster) restart(name string) {
	c.t.Helper()
	since := c.start(name)
	via := ""
	for _, n := range c.f.Nodes {
		if n.Name != name && syscall.Kill(c.pids[n.Name], 0) == nil && !zombie(c.pids[n.Name]) {
			via = n.Name
			break
		}
	}
	if via == "" {
		via = name
	}
	c.waitHealed(via, since, 90*time.Second)
}

// start runs the node's command and waits until the node is ready; it
// returns when the command started.
func (c *devCluster) start(name string) time.Time {
	c.t.Helper()
	n := c.node(name)
	logf, err := os.OpenFile(filepath.Join(c.dir, "c", name, "server.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(n.Command[0], n.Command[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, logf
	since := time.Now()
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.procs[name], c.pids[name] = cmd, cmd.Process.Pid
	c.waitReady(name, 60*time.Second)
	return since
}

// healStatus is the part of GET /api/admin/cluster the tests wait on.
type healStatus struct {
	Heal *struct {
		Reason     string    `json:"reason"`
		Running    bool      `json:"running"`
		PassErrors uint64    `json:"passErrors"`
		Started    time.Time `json:"started"`
		Error      string    `json:"error"`
	} `json:"heal"`
}

// waitHealed polls the cluster status (through via) until a heal pass
// that started after since has finished without errors: every shard of
// every object was verified or rewritten, the returning node's included.
func (c *devCluster) waitHealed(via string, since time.Time, limit time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	var last healStatus
	for time.Now().Before(deadline) {
		var st healStatus
		if c.admin(via, "GET", "/api/admin/cluster", nil, &st) == http.StatusOK {
			last = st
			if h := st.Heal; h != nil && !h.Running && h.Started.After(since) && h.PassErrors == 0 && h.Error == "" {
				return
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	c.t.Fatalf("no clean heal pass within %v of %s (last: %+v)\n%s", limit, since.Format(time.RFC3339Nano), last.Heal, c.logs())
}

// waitReady polls the node's /readyz until 200.
func (c *devCluster) waitReady(name string, limit time.Duration) {
	c.t.Helper()
	n := c.node(name)
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(n.Console + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not ready within %v:\n%s", name, limit, c.logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// admin calls the admin API of a node as the operator (HTTP Basic).
func (c *devCluster) admin(name, method, path string, in, out any) int {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.node(name).Console+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.SetBasicAuth("admin", c.f.OperatorPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s on %s: %v", method, path, name, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	if resp.StatusCode/100 != 2 {
		c.t.Logf("%s %s on %s: %d %s", method, path, name, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

type keyPair struct {
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
}

// tenant creates a tenant (through one node) and its key pair (through
// another: the auth store is shared).
func (c *devCluster) tenant(name string, quotaObjects int64) keyPair {
	c.t.Helper()
	if st := c.admin("node1", "POST", "/api/admin/tenants", map[string]any{"name": name, "quota": map[string]int64{"objects": quotaObjects}}, nil); st != http.StatusCreated && st != http.StatusOK {
		c.t.Fatalf("create tenant %s: %d", name, st)
	}
	var k keyPair
	if st := c.admin("node2", "POST", "/api/admin/tenants/"+name+"/keys", nil, &k); st/100 != 2 || k.SecretKey == "" {
		c.t.Fatalf("keys for %s: %d", name, st)
	}
	return k
}

// s3 is an SDK client of one node (path style, no SDK retries: every
// error is seen as it happened).
func (c *devCluster) s3(name string, k keyPair) *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:      testutil.Region,
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKey, k.SecretKey, ""),
		HTTPClient:  &http.Client{Timeout: 60 * time.Second},
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(c.node(name).S3)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	})
}

// shardFiles counts the .shard files under a drive directory (one per
// data id of a body over the inline limit, on every drive of the set).
func shardFiles(t *testing.T, drive string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(drive, "data"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".shard") {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitShards polls until every drive of the node holds at least want
// shard files, bounded by limit.
func (c *devCluster) waitShards(name string, want int, limit time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var got []int
		ok := true
		for _, d := range c.node(name).drives() {
			n := shardFiles(c.t, d)
			got = append(got, n)
			ok = ok && n >= want
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s's drives hold %v shard files %v after its restart, want >= %d each (heal did not restore redundancy)\n%s",
				name, got, limit, want, c.logs())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// ctx is a bounded context for one call.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}
