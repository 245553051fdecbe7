// Package cluster is what makes several coffer processes one S3 service:
// the etcd connection (an external etcd cluster, or a member embedded in
// this process), node membership bound to leases, the erasure-set layout
// created once for the whole cluster, and the election of the one node that
// runs the background jobs which walk the index (scrub and heal, pack
// compaction, lifecycle, usage sampling).
//
// Consensus is etcd's: this package only uses its client API (leases,
// transactions on create revisions, watches, the concurrency recipes). The
// keys it owns live under Prefix:
//
//	/coffer/cluster/nodes/<name>  lease-bound NodeInfo JSON: the node is up
//	/coffer/cluster/known/<name>  the same, kept: what a node that is down was
//	/coffer/cluster/layout        Layout JSON, created once by a txn
//	/coffer/cluster/leader/...    the election of the background-job leader
//	/coffer/cluster/heal          the leader's latest HealStatus JSON
package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// Prefix is the root of every key this package writes.
const Prefix = "/coffer/cluster/"

// Keys under Prefix.
const (
	nodesPrefix = Prefix + "nodes/"
	layoutKey   = Prefix + "layout"
	leaderKey   = Prefix + "leader"
	healKey     = Prefix + "heal"
	knownPrefix = Prefix + "known/"
)

// Embedded is the --cluster-etcd value that runs an etcd member in-process.
const Embedded = "embedded"

// Timing. A node that stops renewing its lease (SIGKILL, a partition)
// disappears from nodes/ after LeaseTTL; the election follows the same TTL.
const (
	LeaseTTL = 5 // seconds
	// opTimeout bounds one etcd call; a call without quorum fails after it.
	opTimeout = 5 * time.Second
	// dialTimeout bounds connecting the client to its endpoints.
	dialTimeout = 5 * time.Second
	// retryPause is the wait between attempts of the membership and
	// election loops after etcd failed them.
	retryPause = time.Second
)

// Config says how this node reaches etcd and who it is.
type Config struct {
	// Node is this node's name, unique in the cluster.
	Node string
	// DataDir holds the embedded member's data (DataDir/etcd).
	DataDir string
	// Endpoints are external etcd client URLs, or the single value
	// Embedded.
	Endpoints []string
	// Members (embedded only) is the initial cluster: every member's name
	// and peer URL, "name=http://host:port,...". It must name Node. After
	// the first start the member's data directory holds the membership
	// and this is ignored.
	Members string
	// PeerListen and ClientListen (embedded only) are the member's listen
	// URLs (or host:port); empty: the peer URL Members gives this node and
	// 127.0.0.1 on an ephemeral port for clients.
	PeerListen   string
	ClientListen string
	// TLS (external etcd with https:// endpoints): the client's CA and
	// certificate files.
	TLS    TLSFiles
	Logger *slog.Logger
}

// Cluster is this node's handle on the cluster.
type Cluster struct {
	cfg  Config
	log  *slog.Logger
	cli  *clientv3.Client
	etcd *embed.Etcd // nil with external etcd

	mu       sync.Mutex
	seen     map[string]time.Time // node -> last time it was seen up (this process's view)
	leader   leaderState
	closed   chan struct{}
	bg       sync.WaitGroup
	closeErr error
	once     sync.Once
}

// Open starts the embedded member (when configured) and connects the etcd
// client. With an embedded member it waits until the member has joined a
// quorum, bounded by ctx.
func Open(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.Node == "" {
		return nil, errors.New("cluster: a node name is required (--cluster-node)")
	}
	if strings.ContainsAny(cfg.Node, "/=, ") {
		return nil, fmt.Errorf("cluster: node name %q must not contain '/', '=', ',' or spaces", cfg.Node)
	}
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("cluster: no etcd endpoints (--cluster-etcd URL,... or embedded)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cluster{cfg: cfg, log: cfg.Logger, seen: map[string]time.Time{}, closed: make(chan struct{})}
	endpoints := cfg.Endpoints
	if len(endpoints) == 1 && endpoints[0] == Embedded {
		e, err := startEmbedded(ctx, cfg)
		if err != nil {
			return nil, err
		}
		c.etcd = e
		endpoints = nil
		for _, u := range e.Clients {
			endpoints = append(endpoints, "http://"+u.Addr().String())
		}
	} else if len(cfg.Members) > 0 || cfg.PeerListen != "" || cfg.ClientListen != "" {
		return nil, errors.New("cluster: --cluster-etcd-members and the etcd listen flags need --cluster-etcd embedded")
	}
	var tlsCfg *tls.Config
	if c.etcd == nil {
		var err error
		if tlsCfg, err = clientTLS(endpoints, cfg.TLS); err != nil {
			return nil, err
		}
	} else if !cfg.TLS.empty() {
		c.closeEmbedded()
		return nil, errors.New("cluster: the etcd TLS flags are for an external etcd; the embedded member serves loopback or a private network in clear")
	}
	cli, err := clientv3.New(clientv3.Config{
		TLS:         tlsCfg,
		Endpoints:   endpoints,
		DialTimeout: dialTimeout,
		Logger:      zapToSlog(cfg.Logger.With("part", "etcd-client")),
		// A keepalive probe finds a dead endpoint between requests.
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 5 * time.Second,
	})
	if err != nil {
		c.closeEmbedded()
		return nil, fmt.Errorf("cluster: etcd client: %w", err)
	}
	c.cli = cli
	// Every node keeps its own view of when each node was last up.
	c.bg.Go(func() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { <-c.closed; cancel() }()
		c.WatchNodes(ctx, func(NodeEvent) {})
	})
	return c, nil
}

// Client is the etcd client every shared store of this node uses.
func (c *Cluster) Client() *clientv3.Client { return c.cli }

// Node is this node's name.
func (c *Cluster) Node() string { return c.cfg.Node }

// ClientURLs are the embedded member's client URLs (nil with external etcd).
func (c *Cluster) ClientURLs() []string {
	if c.etcd == nil {
		return nil
	}
	var out []string
	for _, l := range c.etcd.Clients {
		out = append(out, "http://"+l.Addr().String())
	}
	return out
}

// Close stops the membership and election loops (the node's key goes at
// once: its lease is revoked), closes the client and stops the embedded
// member. Safe to call twice.
func (c *Cluster) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.bg.Wait()
		c.closeErr = c.cli.Close()
		c.closeEmbedded()
	})
	return c.closeErr
}

func (c *Cluster) closeEmbedded() {
	if c.etcd != nil {
		c.etcd.Close()
	}
}

// Healthy reports whether etcd answers a linearizable read within the
// timeout: false while this node cannot reach a quorum.
func (c *Cluster) Healthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := c.cli.Get(ctx, layoutKey, clientv3.WithCountOnly())
	return err == nil
}

// parseMembers splits "name=URL,name=URL" and checks every URL.
func parseMembers(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, raw, ok := strings.Cut(part, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("cluster: member %q is not name=peerURL", part)
		}
		if _, err := parseURL(raw); err != nil {
			return nil, fmt.Errorf("cluster: member %s: %w", name, err)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("cluster: member %s named twice", name)
		}
		out[name] = raw
	}
	return out, nil
}

// parseURL accepts a URL or a bare host:port (taken as http).
func parseURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" || u.Port() == "" {
		return nil, fmt.Errorf("%q must be http://host:port (TLS between etcd members is configured on an external etcd)", s)
	}
	return u, nil
}

// etcdDir is the embedded member's data directory.
func etcdDir(dataDir string) string { return filepath.Join(dataDir, "etcd") }
