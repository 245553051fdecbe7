package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestClusterDevSetup: a fresh directory gets a master key, a cluster
// secret and three node commands on distinct loopback ports; a directory
// with cluster.json is reused as it is; one with nodes but no
// cluster.json is refused.
func TestClusterDevSetup(t *testing.T) {
	dir := t.TempDir()
	st, fresh, err := clusterDevSetup(dir, "/bin/coffer", 3, 2)
	if err != nil || !fresh {
		t.Fatalf("fresh setup: %v (fresh %v)", err, fresh)
	}
	if len(st.Nodes) != 3 || len(st.OperatorPassword) < 20 {
		t.Fatalf("setup %+v", st)
	}
	for _, f := range []string{"master.key", "cluster.secret"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi, err)
		}
	}
	ports := map[string]bool{}
	for i, n := range st.Nodes {
		arg := func(name string) string {
			j := slices.Index(n.Command, "--"+name)
			if j < 0 || j+1 >= len(n.Command) {
				t.Fatalf("%s: no --%s in %q", n.Name, name, n.Command)
			}
			return n.Command[j+1]
		}
		if n.Command[0] != "/bin/coffer" || n.Command[1] != "server" || arg("cluster-node") != n.Name || arg("cluster-etcd") != "embedded" {
			t.Fatalf("node %d command %q", i, n.Command)
		}
		if n.S3 != "http://"+arg("s3-address") || n.Console != "http://"+arg("console-address") {
			t.Fatalf("%s: s3 %s console %s vs %q", n.Name, n.S3, n.Console, n.Command)
		}
		if d := strings.Split(arg("drive"), ","); len(d) != 2 || !strings.HasPrefix(d[0], filepath.Join(dir, n.Name)) {
			t.Fatalf("%s drives %v", n.Name, d)
		}
		if !strings.Contains(arg("cluster-etcd-members"), n.Name+"=http://127.0.0.1:") || arg("cluster-nodes") != "3" {
			t.Fatalf("%s: members %s", n.Name, arg("cluster-etcd-members"))
		}
		for _, a := range []string{arg("s3-address"), arg("console-address"), arg("cluster-listen"), strings.TrimPrefix(arg("cluster-etcd-client-listen"), "http://")} {
			if ports[a] {
				t.Fatalf("address %s used twice", a)
			}
			ports[a] = true
		}
	}

	if err := os.MkdirAll(filepath.Join(dir, "node1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := clusterDevSetup(dir, "/bin/coffer", 3, 2); err == nil || !strings.Contains(err.Error(), "no cluster.json") {
		t.Fatalf("nodes without cluster.json: %v", err)
	}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(dir, "cluster.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	again, fresh, err := clusterDevSetup(dir, "/other/coffer", 5, 1)
	if err != nil || fresh || again.OperatorPassword != st.OperatorPassword || !slices.Equal(again.Nodes[2].Command, st.Nodes[2].Command) {
		t.Fatalf("reuse: %v fresh %v %+v", err, fresh, again)
	}
}
