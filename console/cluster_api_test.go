package console_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/internal/cluster"
	"github.com/cofferstore/coffer/storage"
)

// fakeCluster stands in for etcd: the console only reads its answers.
type fakeCluster struct {
	healthy atomic.Bool
	status  cluster.Status
}

func (f *fakeCluster) Status(context.Context) (cluster.Status, error) {
	if !f.healthy.Load() {
		return cluster.Status{}, errors.New("etcdserver: no leader")
	}
	return f.status, nil
}

func (f *fakeCluster) Healthy(context.Context) bool { return f.healthy.Load() }

func TestClusterStatusSingleNode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var got map[string]any
	e.operator().do("GET", "/api/admin/cluster", nil).want(http.StatusOK).decode(&got)
	if len(got) != 1 || got["enabled"] != false {
		t.Fatalf("single node answered %v, want only enabled=false", got)
	}
	var ov map[string]any
	e.operator().do("GET", "/api/admin/overview", nil).want(http.StatusOK).decode(&ov)
	if _, ok := ov["cluster"]; ok {
		t.Fatalf("single node's overview has a cluster: %v", ov["cluster"])
	}
}

func TestClusterStatusAndReadiness(t *testing.T) {
	t.Parallel()
	seen := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	fc := &fakeCluster{status: cluster.Status{Node: "n1", Leader: "n2", Nodes: []cluster.NodeStatus{
		{NodeInfo: cluster.NodeInfo{Name: "n1", S3URL: "http://s3-1", Drives: 2}, State: "up", SetDrives: []int{0, 1}},
		{NodeInfo: cluster.NodeInfo{Name: "n3", S3URL: "http://s3-3", Drives: 2}, State: "down", SetDrives: []int{4, 5}, LastSeen: seen},
	}, Layout: &cluster.Layout{SetID: "set", Data: 4, Parity: 2}, Heal: &cluster.HealStatus{Leader: "n2", Running: true, Progress: 0.25}}}
	fc.healthy.Store(true)
	e := newEnv(t, withCluster(fc))
	var got console.ClusterJSON
	e.operator().do("GET", "/api/admin/cluster", nil).want(http.StatusOK).decode(&got)
	if !got.Enabled || got.Status == nil || got.Leader != "n2" || len(got.Nodes) != 2 || got.Nodes[1].State != "down" ||
		!got.Nodes[1].LastSeen.Equal(seen) || got.Layout.Parity != 2 || got.Heal.Progress != 0.25 {
		t.Fatalf("cluster answer %+v", got)
	}
	var ov console.OverviewJSON
	e.operator().do("GET", "/api/admin/overview", nil).want(http.StatusOK).decode(&ov)
	if ov.Cluster == nil || !ov.Cluster.Enabled || ov.Cluster.Status == nil || len(ov.Cluster.Nodes) != 2 {
		t.Fatalf("overview's cluster %+v", ov.Cluster)
	}
	// Tenants see nothing of it.
	e.tenant("acme", storage.Quota{}).do("GET", "/api/admin/cluster", nil).want(http.StatusForbidden)

	resp, err := http.Get(e.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz with etcd up: %d", resp.StatusCode)
	}
	fc.healthy.Store(false)
	resp, err = http.Get(e.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with etcd unreachable: %d, want 503", resp.StatusCode)
	}
	e.operator().do("GET", "/api/admin/cluster", nil).want(http.StatusServiceUnavailable)
}
