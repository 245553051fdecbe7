package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cofferstore/coffer/internal/cluster"
)

// ClusterSource is cluster mode as the metrics see it (internal/cluster.Cluster).
type ClusterSource interface {
	Status(ctx context.Context) (cluster.Status, error)
	IsLeader() bool
}

// clusterScrapeTimeout bounds the etcd reads of one scrape: without quorum
// the scrape still answers, with coffer_cluster_etcd_up 0.
const clusterScrapeTimeout = 3 * time.Second

// clusterCollector exports membership, leadership and the leader's heal
// progress, read from etcd at scrape time (so every node reports the same
// cluster, plus whether it leads itself).
type clusterCollector struct {
	src          ClusterSource
	log          *slog.Logger
	etcdUp       *prometheus.Desc
	nodes        *prometheus.Desc
	nodeUp       *prometheus.Desc
	leader       *prometheus.Desc
	healRunning  *prometheus.Desc
	healProgress *prometheus.Desc
	healScanned  *prometheus.Desc
	healRepaired *prometheus.Desc
	healErrors   *prometheus.Desc
}

func newClusterCollector(src ClusterSource, log *slog.Logger) *clusterCollector {
	return &clusterCollector{
		src:          src,
		log:          log,
		etcdUp:       newDesc("cluster_etcd_up", "1 while this node reaches etcd with quorum (cluster mode), else 0: no write can commit without it.", nil),
		nodes:        newDesc("cluster_nodes", "Nodes of the cluster by state: up (registered with a live lease) or down (in the layout, not registered).", []string{"state"}),
		nodeUp:       newDesc("cluster_node_up", "1 while the node is registered with a live lease, 0 while it is down.", []string{"node"}),
		leader:       newDesc("cluster_leader", "1 on the node that leads the background jobs (scrub, heal, compaction, lifecycle, usage sampling), 0 elsewhere.", nil),
		healRunning:  newDesc("cluster_heal_running", "1 while the leader runs a heal (scrub) pass.", nil),
		healProgress: newDesc("cluster_heal_progress_ratio", "Progress of the leader's running heal pass, 0 to 1 (1 when the last pass finished).", nil),
		healScanned:  newDesc("cluster_heal_objects_scanned", "Objects the leader's heal passes scanned since it became leader.", nil),
		healRepaired: newDesc("cluster_heal_shards_repaired", "Shards the leader's heal passes rewrote since it became leader.", nil),
		healErrors:   newDesc("cluster_heal_errors", "Errors the leader's heal passes skipped since it became leader.", nil),
	}
}

// Describe implements prometheus.Collector.
func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.etcdUp, c.nodes, c.nodeUp, c.leader, c.healRunning, c.healProgress, c.healScanned, c.healRepaired, c.healErrors)
}

// Collect implements prometheus.Collector.
func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- gauge(c.leader, boolFloat(c.src.IsLeader()))
	ctx, cancel := context.WithTimeout(context.Background(), clusterScrapeTimeout)
	defer cancel()
	st, err := c.src.Status(ctx)
	ch <- gauge(c.etcdUp, boolFloat(err == nil))
	if err != nil {
		c.log.Warn("metrics: cluster status", "err", err)
		return
	}
	counts := map[string]int{"up": 0, "down": 0}
	for _, n := range st.Nodes {
		counts[n.State]++
		ch <- gauge(c.nodeUp, boolFloat(n.State == "up"), n.Name)
	}
	for state, n := range counts {
		ch <- gauge(c.nodes, float64(n), state)
	}
	if h := st.Heal; h != nil {
		progress := h.Progress
		if !h.Running && !h.Done.IsZero() {
			progress = 1
		}
		ch <- gauge(c.healRunning, boolFloat(h.Running))
		ch <- gauge(c.healProgress, progress)
		ch <- gauge(c.healScanned, float64(h.ObjectsScanned))
		ch <- gauge(c.healRepaired, float64(h.ShardsRepaired))
		ch <- gauge(c.healErrors, float64(h.Errors))
	}
}
