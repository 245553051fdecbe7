package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/internal/cluster"
)

// TestAdminClusterSingleNode: a single node answers cleanly, exit 0.
func TestAdminClusterSingleNode(t *testing.T) {
	c := cli{t: t, srv: startTestServer(t)}
	contains(t, c.ok("cluster"), "Not in cluster mode", "cluster on a single node")
	var cj console.ClusterJSON
	if err := json.Unmarshal([]byte(c.ok("cluster", "--json")), &cj); err != nil || cj.Enabled || cj.Status != nil {
		t.Fatalf("cluster --json on a single node: %+v %v", cj, err)
	}
}

// TestAdminClusterTable renders a cluster answer: nodes up and down with
// last seen, the set, the leader and heal progress.
func TestAdminClusterTable(t *testing.T) {
	seen := time.Date(2026, 11, 27, 12, 30, 0, 0, time.UTC)
	answer := console.ClusterJSON{Enabled: true, Status: &cluster.Status{Node: "node1", Leader: "node2",
		Nodes: []cluster.NodeStatus{
			{NodeInfo: cluster.NodeInfo{Name: "node1", S3URL: "http://127.0.0.1:9100", Drives: 2}, State: "up", SetDrives: []int{0, 1}},
			{NodeInfo: cluster.NodeInfo{Name: "node2", S3URL: "http://127.0.0.1:9200", Drives: 2}, State: "up", SetDrives: []int{2, 3}, Leader: true},
			{NodeInfo: cluster.NodeInfo{Name: "node3", S3URL: "http://127.0.0.1:9300", Drives: 2}, State: "down", SetDrives: []int{4, 5}, LastSeen: seen},
		},
		Layout: &cluster.Layout{SetID: "abc123", Data: 4, Parity: 2, Drives: make([]cluster.DriveRef, 6), Nodes: map[string]string{"node1": "", "node2": "", "node3": ""}},
		Heal:   &cluster.HealStatus{Leader: "node2", Reason: "node back: node3", Running: true, Progress: 0.42, ObjectsScanned: 10, ShardsRepaired: 4},
	}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/admin/cluster" || r.Header.Get("Authorization") != "Bearer tok" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	}))
	defer ts.Close()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"admin", "--server", ts.URL, "--token", "tok", "cluster"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Set:       abc123: 4 data + 2 parity shards over 6 drives of 3 nodes",
		"Leader:    node2", "answered by node1",
		`running (42%)`, `reason "node back: node3"`, "shards repaired 4",
		"node3  down   http://127.0.0.1:9300  2       4,5            2026-11-27 12:30:00Z  no",
		"node2  up     http://127.0.0.1:9200  2       2,3            now                   yes",
	} {
		contains(t, out.String(), want, "admin cluster")
	}
}
