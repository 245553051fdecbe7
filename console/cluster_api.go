package console

import (
	"context"
	"net/http"

	"github.com/cofferstore/coffer/internal/cluster"
)

// ClusterView is what the console shows of cluster mode (nil: a single
// node).
type ClusterView interface {
	// Status reads nodes, layout, leader and heal progress from etcd.
	Status(ctx context.Context) (cluster.Status, error)
	// Healthy reports whether etcd answers (quorum reachable).
	Healthy(ctx context.Context) bool
}

// ClusterJSON answers GET /api/admin/cluster. Enabled is false on a single
// node, and nothing else is set then.
type ClusterJSON struct {
	Enabled bool `json:"enabled"`
	*cluster.Status
}

// clusterStatus answers GET /api/admin/cluster: the nodes with their state,
// the erasure set, the leader and its heal progress.
func (s *server) clusterStatus(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Cluster == nil {
		return writeJSON(w, http.StatusOK, ClusterJSON{})
	}
	st, err := s.cfg.Cluster.Status(r.Context())
	if err != nil {
		s.log.Warn("console: cluster status", "err", err)
		return errorf(http.StatusServiceUnavailable, "the cluster's etcd is unreachable from this node; try again later")
	}
	return writeJSON(w, http.StatusOK, ClusterJSON{Enabled: true, Status: &st})
}
