package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/cluster"
	"github.com/cofferstore/coffer/internal/server"
)

const clusterDevAbout = `Starts a local cluster on loopback for development and tests: N separate
"coffer server" processes (this binary), each with an embedded etcd member,
its own DIR/nodeN/data and drive directories, one shared master key
(DIR/master.key) and cluster secret (DIR/cluster.secret). It writes
DIR/cluster.json once every node is ready:

  {"operatorPassword": "...", "nodes": [{"name", "pid", "s3", "console",
   "command": [argv...]}, ...]}

"command" is the exact command line that restarts the node (it rejoins:
its etcd member restarts from DIR/nodeN/data/etcd). Node output goes to
DIR/nodeN/server.out and server.log. It stays in the foreground until
SIGTERM or SIGINT, then stops every node (also nodes restarted by hand
with their command). Run again on the same DIR, it restarts that cluster.`

// clusterDevFile is what `coffer cluster dev` writes for scripts. External
// acceptance scripts read it: keep its shape stable.
type clusterDevFile struct {
	OperatorPassword string           `json:"operatorPassword"`
	Nodes            []clusterDevNode `json:"nodes"`
}

type clusterDevNode struct {
	Name    string   `json:"name"`
	PID     int      `json:"pid"`
	S3      string   `json:"s3"`
	Console string   `json:"console"`
	Command []string `json:"command"`
}

// Timing of `coffer cluster dev`.
const (
	clusterDevReadyWait = 2 * time.Minute
	clusterDevStopWait  = 30 * time.Second
)

func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "dev" {
		fmt.Fprintln(stderr, "Usage: coffer cluster dev --dir DIR [--nodes N] [--drives N]")
		if len(args) > 0 && isHelp(args[0]) {
			return errHelpShown
		}
		return usagef("cluster: the only command is dev")
	}
	c := newCommand("coffer cluster dev --dir DIR [--nodes N] [--drives N]", clusterDevAbout, stdout)
	dir := c.fs.String("dir", "", "`DIR` holding the cluster (created; reused when it holds one)")
	nodes := c.fs.Int("nodes", 3, "`N` nodes (1..9)")
	drives := c.fs.Int("drives", 2, "`N` drive directories per node")
	if _, err := c.parse(args[1:], 0); err != nil {
		return err
	}
	if *dir == "" {
		return usagef("cluster dev: --dir is required")
	}
	if *nodes < 1 || *nodes > 9 || *drives < 1 || *drives > 8 {
		return usagef("cluster dev: --nodes must be 1..9 and --drives 1..8")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cluster dev: this binary's path: %w", err)
	}
	state, fresh, err := clusterDevSetup(abs, exe, *nodes, *drives)
	if err != nil {
		return err
	}
	return clusterDevRun(ctx, abs, state, fresh, stdout, stderr)
}

// clusterDevSetup returns the cluster of dir: the one cluster.json
// describes, or a new one (keys, ports and commands made now).
func clusterDevSetup(dir, exe string, nodes, drives int) (clusterDevFile, bool, error) {
	jsonPath := filepath.Join(dir, "cluster.json")
	if b, err := os.ReadFile(jsonPath); err == nil {
		var st clusterDevFile
		if err := json.Unmarshal(b, &st); err != nil || len(st.Nodes) == 0 {
			return st, false, fmt.Errorf("cluster dev: %s is not a cluster description; remove it or use another --dir", jsonPath)
		}
		return st, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return clusterDevFile{}, false, err
	}
	if _, err := os.Stat(filepath.Join(dir, "node1")); err == nil {
		return clusterDevFile{}, false, fmt.Errorf("cluster dev: %s holds nodes but no cluster.json (a first start that never became ready); remove the directory", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return clusterDevFile{}, false, err
	}
	keyFile, secretFile := filepath.Join(dir, "master.key"), filepath.Join(dir, "cluster.secret")
	if _, err := auth.LoadKeyRing(keyFile); err != nil { // creates it
		return clusterDevFile{}, false, fmt.Errorf("cluster dev: master key: %w", err)
	}
	if err := cluster.WriteSecret(secretFile); err != nil {
		return clusterDevFile{}, false, fmt.Errorf("cluster dev: %w", err)
	}
	ports, err := freeLoopbackPorts(5 * nodes)
	if err != nil {
		return clusterDevFile{}, false, err
	}
	port := func(node, i int) string { return "127.0.0.1:" + strconv.Itoa(ports[5*node+i]) }
	var members []string
	for n := range nodes {
		members = append(members, fmt.Sprintf("node%d=http://%s", n+1, port(n, 3)))
	}
	st := clusterDevFile{OperatorPassword: rand.Text()}
	for n := range nodes {
		name := fmt.Sprintf("node%d", n+1)
		var driveDirs []string
		for d := range drives {
			driveDirs = append(driveDirs, filepath.Join(dir, name, "drive"+strconv.Itoa(d+1)))
		}
		st.Nodes = append(st.Nodes, clusterDevNode{
			Name: name, S3: "http://" + port(n, 0), Console: "http://" + port(n, 1),
			Command: []string{exe, "server",
				"--data", filepath.Join(dir, name, "data"),
				"--drive", strings.Join(driveDirs, ","),
				"--s3-address", port(n, 0), "--console-address", port(n, 1),
				"--master-key-file", keyFile,
				"--cluster-etcd", "embedded", "--cluster-node", name,
				"--cluster-listen", port(n, 2),
				"--cluster-etcd-members", strings.Join(members, ","),
				"--cluster-etcd-client-listen", "http://" + port(n, 4),
				"--cluster-secret-file", secretFile,
				"--cluster-nodes", strconv.Itoa(nodes),
			},
		})
	}
	return st, true, nil
}

// freeLoopbackPorts reserves n ports on 127.0.0.1 and releases them for
// the nodes (another process could take one in between: then a node fails
// to start, and cluster dev says so).
func freeLoopbackPorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close() // only reserved, never served
		}
	}()
	var out []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("cluster dev: free port: %w", err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// clusterDevRun starts the nodes, waits until every one is ready, writes
// cluster.json, and stops the nodes when ctx ends.
func clusterDevRun(ctx context.Context, dir string, st clusterDevFile, fresh bool, stdout, stderr io.Writer) error {
	// A node of this cluster still running (cluster dev was killed) is
	// stopped first: its ports and data directory are the new one's.
	stopClusterNodes(st, nil, stderr)
	children := make([]*exec.Cmd, len(st.Nodes))
	exited := make([]chan struct{}, len(st.Nodes))
	defer func() { stopClusterNodes(st, exited, stderr) }()
	for i, n := range st.Nodes {
		cmd, err := startClusterNode(dir, n, st.OperatorPassword)
		if err != nil {
			return err
		}
		children[i], exited[i] = cmd, make(chan struct{})
		st.Nodes[i].PID = cmd.Process.Pid
		go func() {
			_ = cmd.Wait() // the exit is reported below, from the channel
			close(exited[i])
		}()
	}
	if err := waitClusterReady(ctx, dir, st, exited); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, "cluster.json"), append(b, '\n')); err != nil {
		return err
	}
	verb := "restarted"
	if fresh {
		verb = "started"
	}
	fmt.Fprintf(stdout, "Coffer dev cluster of %d nodes %s (%s).\n", len(st.Nodes), verb, dir)
	for _, n := range st.Nodes {
		fmt.Fprintf(stdout, "  %s  pid %d  S3 %s  console %s\n", n.Name, n.PID, n.S3, n.Console)
	}
	fmt.Fprintf(stdout, "  Operator login:  %s / %s\n", server.OperatorUsername, st.OperatorPassword)
	fmt.Fprintf(stdout, "  Operator token:  %s/node1/data/operator.token (each node has its own)\n", dir)
	fmt.Fprintf(stdout, "  Description:     %s/cluster.json\n", dir)
	fmt.Fprintln(stdout, "SIGTERM or Ctrl-C stops every node.")
	for i := range st.Nodes {
		go func() {
			select {
			case <-exited[i]:
				if ctx.Err() == nil {
					fmt.Fprintf(stderr, "coffer cluster dev: %s (pid %d) exited; restart it with its command in cluster.json\n", st.Nodes[i].Name, st.Nodes[i].PID)
				}
			case <-ctx.Done():
			}
		}()
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "Stopping the nodes ...")
	return nil
}

// startClusterNode starts one node with its output in DIR/NAME/server.out
// and server.log. The operator password is in its environment: the node
// whose create commits first sets it, the others find the account made.
func startClusterNode(dir string, n clusterDevNode, password string) (*exec.Cmd, error) {
	if err := os.MkdirAll(filepath.Join(dir, n.Name), 0o700); err != nil {
		return nil, err
	}
	out, err := os.OpenFile(filepath.Join(dir, n.Name, "server.out"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(dir, n.Name, "server.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		_ = out.Close() // the error says why
		return nil, err
	}
	cmd := exec.Command(n.Command[0], n.Command[1:]...)
	cmd.Stdout, cmd.Stderr = out, logf
	cmd.Env = append(os.Environ(), "COFFER_ADMIN_PASSWORD="+password)
	// Its own process group: a Ctrl-C on the terminal reaches cluster dev,
	// which stops the nodes in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	// The child holds its own descriptors now.
	_ = out.Close()
	_ = logf.Close()
	if err != nil {
		return nil, fmt.Errorf("cluster dev: start %s: %w", n.Name, err)
	}
	return cmd, nil
}

// waitClusterReady polls every node's /readyz until all answer 200.
func waitClusterReady(ctx context.Context, dir string, st clusterDevFile, exited []chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, clusterDevReadyWait)
	defer cancel()
	client := &http.Client{Timeout: 3 * time.Second}
	ready := make([]bool, len(st.Nodes))
	for {
		all := true
		for i, n := range st.Nodes {
			select {
			case <-exited[i]:
				return fmt.Errorf("cluster dev: %s exited before it was ready; its log:\n%s", n.Name, tailFile(filepath.Join(dir, n.Name, "server.log"), 20))
			default:
			}
			if !ready[i] {
				resp, err := client.Get(n.Console + "/readyz")
				if err == nil {
					_ = resp.Body.Close() // only the status matters
					ready[i] = resp.StatusCode == http.StatusOK
				}
			}
			all = all && ready[i]
		}
		if all {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster dev: the nodes were not ready within %v (logs in %s/nodeN/server.log)", clusterDevReadyWait, dir)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stopClusterNodes sends SIGTERM to every running process whose command
// line is a node's command (the children cluster dev started, and nodes
// restarted by hand), waits for them, and kills those still there after
// clusterDevStopWait.
func stopClusterNodes(st clusterDevFile, exited []chan struct{}, stderr io.Writer) {
	var pids []int
	for _, n := range st.Nodes {
		pids = append(pids, pidsRunning(n.Command)...)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM) // gone already: nothing to stop
	}
	deadline := time.Now().Add(clusterDevStopWait)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil && !isZombie(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil && !isZombie(pid) {
			fmt.Fprintf(stderr, "coffer cluster dev: pid %d did not stop within %v; killing it\n", pid, clusterDevStopWait)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, ch := range exited {
		if ch != nil {
			select {
			case <-ch:
			case <-time.After(5 * time.Second):
			}
		}
	}
}

// pidsRunning lists the processes whose argv is exactly argv (Linux: from
// /proc; elsewhere none, and only the children are stopped, by the caller).
func pidsRunning(argv []string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := strings.Join(argv, "\x00") + "\x00"
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && string(b) == want && !isZombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// isZombie reports whether pid has exited and waits to be reaped.
func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// tailFile returns the last n lines of path, for error messages.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeFileAtomic replaces path with b (0600) through a temporary file.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
