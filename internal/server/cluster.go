package server

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/internal/cluster"
)

// ClusterSecretFile is the cluster secret's file in the data directory
// unless --cluster-secret-file names another.
const ClusterSecretFile = "cluster.secret"

// Prefixes of the shared stores in etcd.
const (
	indexPrefix = "/coffer/index/"
	authPrefix  = "/coffer/auth/"
)

// openCluster joins the cluster and opens the shared stores: it starts
// the etcd member (or connects to etcd), serves this node's drives to the
// other nodes, registers the node, waits for the erasure set's layout
// (creating it when enough nodes are up and none exists), and opens
// storage over the set's drives (its own local, the others' remote) with
// the index and the auth store in etcd.
func (s *Server) openCluster(ctx context.Context, cfg Config, keys *auth.KeyRing, drives []string, started time.Time) error {
	log := cfg.Logger.With("component", "cluster")
	c, err := cluster.Open(ctx, cluster.Config{
		Node:         cfg.ClusterNode,
		DataDir:      cfg.DataDir,
		Endpoints:    cfg.ClusterEtcd,
		Members:      cfg.ClusterEtcdMembers,
		PeerListen:   cfg.ClusterEtcdPeerListen,
		ClientListen: cfg.ClusterEtcdClientListen,
		TLS:          cluster.TLSFiles{CA: cfg.ClusterEtcdCA, Cert: cfg.ClusterEtcdCert, Key: cfg.ClusterEtcdKey},
		Logger:       log,
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.Cluster = c
	s.afterStores = append(s.afterStores, namedCloser{"cluster", c.Close})
	secret, err := cluster.ReadSecret(cmp.Or(cfg.ClusterSecretFile, filepath.Join(cfg.DataDir, ClusterSecretFile)))
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.ClusterListen)
	if err != nil {
		return fmt.Errorf("server: drive protocol listener: %w", err)
	}
	s.DriveURL = cmp.Or(strings.TrimRight(cfg.ClusterAdvertise, "/"), listenerURL("http", ln.Addr()))
	// The other nodes open this node's drives as soon as the layout
	// exists, which may be before this node has its own stores open.
	local, err := s.serveDrives(ln, drives, secret, log)
	if err != nil {
		_ = ln.Close() // the error says why; nothing was served
		return err
	}
	if err := c.Register(ctx, cluster.NodeInfo{
		S3URL: s.S3URL, ConsoleURL: s.ConsoleURL, DriveURL: s.DriveURL,
		Drives: len(drives), Started: started.UTC(), Version: cmp.Or(cfg.Version, "unknown"),
	}); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	layout, err := c.WaitLayout(ctx, cfg.ClusterNodes, cfg.Parity)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	mine := layout.Local(cfg.ClusterNode)
	if len(mine) == 0 {
		return fmt.Errorf("server: node %s is not in the cluster's erasure set (laid out for nodes %s); adding nodes to a running cluster is not built (docs/cluster.md)",
			cfg.ClusterNode, strings.Join(layoutNodes(layout), ", "))
	}
	if len(mine) != len(drives) {
		return fmt.Errorf("server: the cluster's erasure set holds %d drives of node %s, but it has %d (--drives/--drive)", len(mine), cfg.ClusterNode, len(drives))
	}
	s.layout = layout
	log.Info("cluster: joined", "node", cfg.ClusterNode, "setID", layout.SetID, "data", layout.Data, "parity", layout.Parity,
		"drives", len(layout.Drives), "driveURL", s.DriveURL)
	// Stores opening at once would format the same drives at once (each
	// node formats every empty drive of the set): one node at a time.
	unlock, err := c.Lock(ctx, "open")
	if err != nil {
		return fmt.Errorf("server: cluster open lock: %w", err)
	}
	defer unlock()
	return s.openShared(cfg, keys, layout, local, secret)
}

// layoutNodes lists the nodes of a layout by name.
func layoutNodes(l cluster.Layout) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range l.Drives {
		if !seen[d.Node] {
			seen[d.Node] = true
			out = append(out, d.Node)
		}
	}
	return out
}

// ensureClusterOperator creates the operator account once for the whole
// cluster: the node whose create commits first sets the password (the
// configured one, or one it generates and reports); every other node, and
// every later start, leaves the stored account alone.
func ensureClusterOperator(store *auth.Store, password string) (generated string, err error) {
	pw := password
	if pw == "" {
		pw = randomPassword()
	}
	created, err := store.EnsureOperator(pw)
	if err != nil {
		return "", fmt.Errorf("server: operator account: %w", err)
	}
	if created && password == "" {
		return pw, nil
	}
	return "", nil
}

// clusterView is what the console shows of the cluster (nil on one node).
func (s *Server) clusterView() console.ClusterView {
	if s.Cluster == nil {
		return nil
	}
	return s.Cluster
}
