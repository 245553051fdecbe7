package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/cofferstore/coffer/internal/cluster"
)

type fakeCluster struct {
	st     cluster.Status
	err    error
	leader bool
}

func (f *fakeCluster) Status(context.Context) (cluster.Status, error) { return f.st, f.err }
func (f *fakeCluster) IsLeader() bool                                 { return f.leader }

func TestClusterCollector(t *testing.T) {
	fc := &fakeCluster{leader: true, st: cluster.Status{Nodes: []cluster.NodeStatus{
		{NodeInfo: cluster.NodeInfo{Name: "n1"}, State: "up"},
		{NodeInfo: cluster.NodeInfo{Name: "n2"}, State: "down"},
		{NodeInfo: cluster.NodeInfo{Name: "n3"}, State: "up"},
	}, Heal: &cluster.HealStatus{Running: true, Progress: 0.5, ShardsRepaired: 7}}}
	m := New(Options{Cluster: fc})
	want := `
# HELP coffer_cluster_etcd_up 1 while this node reaches etcd with quorum (cluster mode), else 0: no write can commit without it.
# TYPE coffer_cluster_etcd_up gauge
coffer_cluster_etcd_up 1
# HELP coffer_cluster_heal_progress_ratio Progress of the leader's running heal pass, 0 to 1 (1 when the last pass finished).
# TYPE coffer_cluster_heal_progress_ratio gauge
coffer_cluster_heal_progress_ratio 0.5
# HELP coffer_cluster_heal_shards_repaired Shards the leader's heal passes rewrote since it became leader.
# TYPE coffer_cluster_heal_shards_repaired gauge
coffer_cluster_heal_shards_repaired 7
# HELP coffer_cluster_leader 1 on the node that leads the background jobs (scrub, heal, compaction, lifecycle, usage sampling), 0 elsewhere.
# TYPE coffer_cluster_leader gauge
coffer_cluster_leader 1
# HELP coffer_cluster_node_up 1 while the node is registered with a live lease, 0 while it is down.
# TYPE coffer_cluster_node_up gauge
coffer_cluster_node_up{node="n1"} 1
coffer_cluster_node_up{node="n2"} 0
coffer_cluster_node_up{node="n3"} 1
# HELP coffer_cluster_nodes Nodes of the cluster by state: up (registered with a live lease) or down (in the layout, not registered).
# TYPE coffer_cluster_nodes gauge
coffer_cluster_nodes{state="down"} 1
coffer_cluster_nodes{state="up"} 2
`
	names := []string{"coffer_cluster_etcd_up", "coffer_cluster_heal_progress_ratio", "coffer_cluster_heal_shards_repaired",
		"coffer_cluster_leader", "coffer_cluster_node_up", "coffer_cluster_nodes"}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	mfs, err := m.Registry().Gather()
	must(t, err)
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	must(t, err)
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "coffer_cluster") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}

	// Without etcd the scrape still answers, saying so.
	fc.err, fc.leader = errors.New("etcdserver: no leader"), false
	want = `
# HELP coffer_cluster_etcd_up 1 while this node reaches etcd with quorum (cluster mode), else 0: no write can commit without it.
# TYPE coffer_cluster_etcd_up gauge
coffer_cluster_etcd_up 0
# HELP coffer_cluster_leader 1 on the node that leads the background jobs (scrub, heal, compaction, lifecycle, usage sampling), 0 elsewhere.
# TYPE coffer_cluster_leader gauge
coffer_cluster_leader 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
}
