package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"

	"go.etcd.io/etcd/server/v3/embed"
)

// Limits of the embedded member. etcd's defaults (128 operations, 1.5 MiB
// per request) are below what one index transaction may hold (a multipart
// completion touches every part's record); an external etcd needs the same
// --max-txn-ops and --max-request-bytes (docs/cluster.md).
const (
	embeddedMaxTxnOps       = 4096
	embeddedMaxRequestBytes = 8 << 20
	// The index is rewritten in place, so old revisions are compacted
	// away; without it etcd's database only grows towards its quota.
	embeddedCompaction = "5m"
)

// startEmbedded runs this node's etcd member and waits (bounded by ctx)
// until it is part of a quorum.
func startEmbedded(ctx context.Context, cfg Config) (*embed.Etcd, error) {
	members, err := parseMembers(cfg.Members)
	if err != nil {
		return nil, err
	}
	self, ok := members[cfg.Node]
	if !ok {
		return nil, fmt.Errorf("cluster: --cluster-etcd-members does not name this node (%s)", cfg.Node)
	}
	peer, err := parseURL(self)
	if err != nil {
		return nil, err
	}
	peerListen := peer
	if cfg.PeerListen != "" {
		if peerListen, err = parseURL(cfg.PeerListen); err != nil {
			return nil, fmt.Errorf("cluster: --cluster-etcd-peer-listen: %w", err)
		}
	}
	clientListen := &url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	if cfg.ClientListen != "" {
		if clientListen, err = parseURL(cfg.ClientListen); err != nil {
			return nil, fmt.Errorf("cluster: --cluster-etcd-client-listen: %w", err)
		}
	}
	dir := etcdDir(cfg.DataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cluster: etcd data directory: %w", err)
	}

	ec := embed.NewConfig()
	ec.Name = cfg.Node
	ec.Dir = dir
	ec.ListenPeerUrls = []url.URL{*peerListen}
	ec.AdvertisePeerUrls = []url.URL{*peer}
	ec.ListenClientUrls = []url.URL{*clientListen}
	ec.AdvertiseClientUrls = []url.URL{*clientListen}
	ec.InitialCluster = cfg.Members
	ec.InitialClusterToken = "coffer"
	// "new" is ignored once DIR/etcd holds the member's data: a restart
	// rejoins with the membership recorded there.
	ec.ClusterState = embed.ClusterStateFlagNew
	ec.MaxTxnOps = embeddedMaxTxnOps
	ec.MaxRequestBytes = embeddedMaxRequestBytes
	ec.AutoCompactionMode = "periodic"
	ec.AutoCompactionRetention = embeddedCompaction
	ec.EnableGRPCGateway = false
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zapToSlog(cfg.Logger.With("part", "etcd")))

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("cluster: start the embedded etcd member: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
		cfg.Logger.Info("cluster: embedded etcd member ready", "member", cfg.Node, "dir", dir)
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("cluster: embedded etcd member: %w", err)
	case <-e.Server.StopNotify():
		e.Close()
		return nil, errors.New("cluster: the embedded etcd member stopped while starting (see its log)")
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("cluster: the embedded etcd member found no quorum (are the other members up?): %w", ctx.Err())
	}
}
