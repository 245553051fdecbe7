package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// NodeInfo is what a node registers under nodes/<name> while it is up.
type NodeInfo struct {
	Name       string    `json:"name"`
	S3URL      string    `json:"s3URL"`
	ConsoleURL string    `json:"consoleURL"`
	DriveURL   string    `json:"driveURL"` // base URL of its internal drive protocol listener
	Drives     int       `json:"drives"`   // how many drives it serves
	Started    time.Time `json:"started"`
	Version    string    `json:"version"`
}

// Register puts info under nodes/<name>, bound to a lease of LeaseTTL
// seconds that a background loop keeps alive until Close. A lease lost
// while etcd was unreachable is replaced when etcd answers again. The
// first registration is synchronous: its error is returned.
func (c *Cluster) Register(ctx context.Context, info NodeInfo) error {
	info.Name = c.cfg.Node
	val, err := json.Marshal(info)
	if err != nil {
		return err
	}
	kctx, cancel := context.WithTimeout(ctx, opTimeout)
	_, err = c.cli.Put(kctx, knownPrefix+info.Name, string(val))
	cancel()
	if err != nil {
		return fmt.Errorf("cluster: register node %s: %w", info.Name, err)
	}
	lease, err := c.putLeased(ctx, nodesPrefix+info.Name, string(val))
	if err != nil {
		return fmt.Errorf("cluster: register node %s: %w", info.Name, err)
	}
	c.bg.Go(func() { c.keepRegistered(nodesPrefix+info.Name, string(val), lease) })
	return nil
}

// putLeased grants a fresh lease and puts key=val under it.
func (c *Cluster) putLeased(ctx context.Context, key, val string) (clientv3.LeaseID, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	g, err := c.cli.Grant(ctx, LeaseTTL)
	if err != nil {
		return 0, err
	}
	if _, err := c.cli.Put(ctx, key, val, clientv3.WithLease(g.ID)); err != nil {
		return 0, err
	}
	return g.ID, nil
}

// keepRegistered renews the lease; when the renewal stream ends (the lease
// expired while etcd was unreachable) it registers again with a new lease.
// At Close it revokes the lease, so a stopped node disappears at once.
func (c *Cluster) keepRegistered(key, val string, lease clientv3.LeaseID) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-c.closed; cancel() }()
	defer func() {
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer rcancel()
		_, _ = c.cli.Revoke(rctx, lease) // best effort: the TTL removes it anyway
	}()
	for {
		ch, err := c.cli.KeepAlive(ctx, lease)
		if err == nil {
			for range ch { // drain renewals until the lease or the stream ends
			}
		}
		if ctx.Err() != nil {
			return
		}
		c.log.Warn("cluster: node registration lapsed; registering again", "key", key)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(retryPause):
			}
			id, err := c.putLeased(ctx, key, val)
			if err == nil {
				lease = id
				break
			}
			c.log.Warn("cluster: re-registering the node failed; retrying", "err", err)
		}
	}
}

// Nodes returns the nodes up now (registered), by name.
func (c *Cluster) Nodes(ctx context.Context) ([]NodeInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := c.cli.Get(ctx, nodesPrefix, clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	var out []NodeInfo
	for _, kv := range resp.Kvs {
		var n NodeInfo
		if err := json.Unmarshal(kv.Value, &n); err != nil {
			c.log.Warn("cluster: unreadable node entry", "key", string(kv.Key), "err", err)
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	c.noteSeen(out)
	return out, nil
}

// noteSeen records that the nodes were up now.
func (c *Cluster) noteSeen(nodes []NodeInfo) {
	now := time.Now().UTC()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range nodes {
		c.seen[n.Name] = now
	}
}

// lastSeen is when this process last saw name up (zero: never).
func (c *Cluster) lastSeen(name string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[name]
}

// NodeEvent is a change of membership.
type NodeEvent struct {
	Name string
	Up   bool // registered (true) or gone (false)
}

// WatchNodes calls fn for every node that registers or disappears, until
// ctx ends. A watch broken by an etcd outage is resumed; events missed in
// between are replayed from the revision where it stopped (or, after a
// compaction, a node that is up is reported up again).
func (c *Cluster) WatchNodes(ctx context.Context, fn func(NodeEvent)) {
	c.WatchNodesAfter(ctx, 0, fn)
}

// WatchNodesAfter is WatchNodes for the changes after revision rev (0:
// from now), so that a caller who read membership at rev misses nothing.
func (c *Cluster) WatchNodesAfter(ctx context.Context, rev int64, fn func(NodeEvent)) {
	for ctx.Err() == nil {
		opts := []clientv3.OpOption{clientv3.WithPrefix()}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev+1))
		}
		wch := c.cli.Watch(clientv3.WithRequireLeader(ctx), nodesPrefix, opts...)
		for resp := range wch {
			if resp.CompactRevision > 0 {
				rev = 0 // compacted away: start from now
				break
			}
			if err := resp.Err(); err != nil {
				c.log.Warn("cluster: membership watch failed; resuming", "err", err)
				break
			}
			for _, ev := range resp.Events {
				rev = ev.Kv.ModRevision
				name := strings.TrimPrefix(string(ev.Kv.Key), nodesPrefix)
				up := ev.Type == clientv3.EventTypePut
				if up {
					c.noteSeen([]NodeInfo{{Name: name}})
				} else {
					c.mu.Lock()
					// Gone now: last seen when the lease ran out.
					c.seen[name] = time.Now().UTC()
					c.mu.Unlock()
				}
				fn(NodeEvent{Name: name, Up: up})
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryPause):
		}
	}
}
