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

// HealStatus is the leader's latest heal (scrub) pass, published under
// heal so that every node can show it.
type HealStatus struct {
	Leader         string    `json:"leader"`
	Reason         string    `json:"reason"` // why the pass ran: "node back: n2", "interval", "leader elected"
	Running        bool      `json:"running"`
	Progress       float64   `json:"progress"` // 0..1 of the running pass
	ObjectsScanned uint64    `json:"objectsScanned"`
	ObjectsHealed  uint64    `json:"objectsHealed"`
	ShardsRepaired uint64    `json:"shardsRepaired"`
	Errors         uint64    `json:"errors"`     // since the leader's store opened
	PassErrors     uint64    `json:"passErrors"` // of Errors, met by this pass: 0 when it healed everything
	Started        time.Time `json:"started"`
	// StartRevision is etcd's revision when the pass started: a node
	// registered after it may hold shards the pass did not see.
	StartRevision int64     `json:"startRevision"`
	Done          time.Time `json:"done,omitzero"`
	Err           string    `json:"error,omitempty"`
}

// PublishHeal stores the leader's heal status (best effort: a failure is
// logged, the next publication replaces it) and returns the revision it
// was stored at (0 on failure).
func (c *Cluster) PublishHeal(ctx context.Context, h HealStatus) int64 {
	val, err := json.Marshal(h)
	if err != nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := c.cli.Put(ctx, healKey, string(val))
	if err != nil {
		c.log.Warn("cluster: publishing heal progress failed", "err", err)
		return 0
	}
	return resp.Header.Revision
}

// HealNeeded tells a newly elected leader whether a heal pass must run
// now, and why: no pass ever ran, the last one did not finish (its leader
// died), or a node registered after the last pass started (it came back
// while no leader watched). rev is the revision membership was read at:
// watch from there (WatchNodesAfter) and no return is missed.
func (c *Cluster) HealNeeded(ctx context.Context) (reason string, rev int64, err error) {
	last, err := c.LastHeal(ctx)
	if err != nil {
		return "", 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := c.cli.Get(ctx, nodesPrefix, clientv3.WithPrefix())
	if err != nil {
		return "", 0, err
	}
	rev = resp.Header.Revision
	switch {
	case last == nil:
		return "leader elected: no pass yet", rev, nil
	case last.Running:
		return "leader elected: the last pass did not finish", rev, nil
	case last.PassErrors > 0 || last.Err != "":
		return "leader elected: the last pass met errors", rev, nil
	}
	for _, kv := range resp.Kvs {
		// ModRevision: a node back before its old lease ran out put its
		// key again without deleting it first.
		if kv.ModRevision > last.StartRevision {
			return "leader elected: " + strings.TrimPrefix(string(kv.Key), nodesPrefix) + " registered since the last pass", rev, nil
		}
	}
	return "", rev, nil
}

// NodeStatus is one node as `coffer admin cluster` shows it.
type NodeStatus struct {
	NodeInfo
	State string `json:"state"` // "up" or "down"
	// SetDrives are the positions of the set its drives hold.
	SetDrives []int     `json:"setDrives"`
	LastSeen  time.Time `json:"lastSeen,omitzero"`
	Leader    bool      `json:"leader"`
}

// Status is the whole cluster as this node sees it.
type Status struct {
	Node   string       `json:"node"` // the node that answered
	Leader string       `json:"leader"`
	Nodes  []NodeStatus `json:"nodes"`
	Layout *Layout      `json:"layout,omitempty"`
	Heal   *HealStatus  `json:"heal,omitempty"`
}

// Status reads membership, layout, leader and heal progress from etcd.
// Nodes in the layout without a registration are down.
func (c *Cluster) Status(ctx context.Context) (Status, error) {
	st := Status{Node: c.cfg.Node}
	up, err := c.Nodes(ctx)
	if err != nil {
		return st, fmt.Errorf("cluster: nodes: %w", err)
	}
	l, ok, err := c.Layout(ctx)
	if err != nil {
		return st, fmt.Errorf("cluster: layout: %w", err)
	}
	if ok {
		st.Layout = &l
	}
	if st.Leader, err = c.Leader(ctx); err != nil {
		return st, fmt.Errorf("cluster: leader: %w", err)
	}
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	known, err := c.cli.Get(gctx, knownPrefix, clientv3.WithPrefix())
	if err != nil {
		return st, fmt.Errorf("cluster: known nodes: %w", err)
	}
	heal, err := c.cli.Get(gctx, healKey)
	if err != nil {
		return st, fmt.Errorf("cluster: heal status: %w", err)
	}
	if len(heal.Kvs) == 1 {
		var h HealStatus
		if json.Unmarshal(heal.Kvs[0].Value, &h) == nil {
			st.Heal = &h
		}
	}

	byName := map[string]*NodeStatus{}
	add := func(n NodeInfo, state string) {
		if _, dup := byName[n.Name]; !dup {
			byName[n.Name] = &NodeStatus{NodeInfo: n, State: state}
		}
	}
	for _, n := range up {
		add(n, "up")
	}
	for _, kv := range known.Kvs {
		var n NodeInfo
		if json.Unmarshal(kv.Value, &n) == nil {
			n.Name = strings.TrimPrefix(string(kv.Key), knownPrefix)
			add(n, "down")
		}
	}
	if st.Layout != nil {
		for name, url := range st.Layout.Nodes {
			add(NodeInfo{Name: name, DriveURL: url}, "down")
		}
		for i, d := range st.Layout.Drives {
			byName[d.Node].SetDrives = append(byName[d.Node].SetDrives, i)
		}
	}
	now := time.Now().UTC()
	for _, n := range byName {
		n.Leader = n.Name == st.Leader
		if n.State == "up" {
			n.LastSeen = now
		} else {
			n.LastSeen = c.lastSeen(n.Name)
		}
		st.Nodes = append(st.Nodes, *n)
	}
	sort.Slice(st.Nodes, func(i, j int) bool { return st.Nodes[i].Name < st.Nodes[j].Name })
	return st, nil
}

// LastHeal reads the heal status the leader published last (nil: none yet).
func (c *Cluster) LastHeal(ctx context.Context) (*HealStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := c.cli.Get(ctx, healKey)
	if err != nil || len(resp.Kvs) == 0 {
		return nil, err
	}
	var h HealStatus
	if err := json.Unmarshal(resp.Kvs[0].Value, &h); err != nil {
		return nil, fmt.Errorf("cluster: unreadable heal status: %w", err)
	}
	return &h, nil
}
