package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cofferstore/coffer/storage"
)

// Layout is the erasure set of the cluster: which drive of which node
// holds shard i. It is created once (the first node to see enough nodes
// registered wins an etcd transaction on the key's create revision) and
// never changes afterwards.
type Layout struct {
	SetID  string     `json:"setID"`
	Data   int        `json:"data"`
	Parity int        `json:"parity"`
	Drives []DriveRef `json:"drives"` // in set order: Drives[i] holds shard i
	// Nodes maps each node of the set to the base URL of its internal
	// drive protocol listener.
	Nodes   map[string]string `json:"nodes"`
	Created time.Time         `json:"created"`
}

// DriveRef is one drive of the set: the node's drive number Drive (0-based,
// as the node serves it) on node Node.
type DriveRef struct {
	Node  string `json:"node"`
	Drive int    `json:"drive"`
}

// ErrLayoutParity is a layout whose parity could not survive the loss of
// one node.
var ErrLayoutParity = errors.New("cluster: parity below the drives of one node")

// planLayout places the drives of nodes into one set: node by node in name
// order, each node's drives in its order. parity 0 picks the drives of the
// largest node, the least that survives losing any one node; a smaller
// parity is refused for the same reason.
func planLayout(nodes []NodeInfo, parity int) (Layout, error) {
	if len(nodes) == 0 {
		return Layout{}, errors.New("cluster: no nodes to lay out")
	}
	nodes = append([]NodeInfo(nil), nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	l := Layout{Nodes: map[string]string{}, Created: time.Now().UTC()}
	most := 0
	for _, n := range nodes {
		if n.Drives < 1 {
			return Layout{}, fmt.Errorf("cluster: node %s serves no drives", n.Name)
		}
		if n.DriveURL == "" {
			return Layout{}, fmt.Errorf("cluster: node %s registered no drive URL", n.Name)
		}
		most = max(most, n.Drives)
		l.Nodes[n.Name] = n.DriveURL
		for d := range n.Drives {
			l.Drives = append(l.Drives, DriveRef{Node: n.Name, Drive: d})
		}
	}
	if parity == 0 {
		parity = most
	}
	if parity < most {
		return Layout{}, fmt.Errorf("%w: parity %d, but a node holds %d drives of the set (losing it would lose data)", ErrLayoutParity, parity, most)
	}
	if err := storage.CheckLayout(len(l.Drives), parity); err != nil {
		return Layout{}, fmt.Errorf("cluster: %d nodes with %d drives in all: %w", len(nodes), len(l.Drives), err)
	}
	l.Data, l.Parity = len(l.Drives)-parity, parity
	id := make([]byte, 16)
	_, _ = rand.Read(id) // crypto/rand.Read never fails
	l.SetID = hex.EncodeToString(id)
	return l, nil
}

// Local returns the set positions of this node's drives: position i of the
// set is this node's drive Local()[i] when present.
func (l Layout) Local(node string) map[int]int {
	out := map[int]int{}
	for i, d := range l.Drives {
		if d.Node == node {
			out[i] = d.Drive
		}
	}
	return out
}

// WaitLayout returns the cluster's layout. Before it exists, it waits
// (bounded by ctx) until at least nodes nodes are registered, then tries
// to create it from those nodes with the given parity (0: the drives of one
// node); when another node's creation won, that one is returned.
func (c *Cluster) WaitLayout(ctx context.Context, nodes, parity int) (Layout, error) {
	if nodes < 1 {
		return Layout{}, errors.New("cluster: --cluster-nodes must be at least 1")
	}
	logged := false
	for {
		l, ok, err := c.Layout(ctx)
		if err == nil && ok {
			return l, nil
		}
		if err == nil {
			var up []NodeInfo
			if up, err = c.Nodes(ctx); err == nil && len(up) >= nodes {
				return c.createLayout(ctx, up, parity)
			}
			if err == nil && !logged {
				c.log.Info("cluster: waiting for nodes to register before the set is laid out", "registered", len(up), "want", nodes)
				logged = true
			}
		}
		if err != nil {
			c.log.Warn("cluster: reading the layout failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return Layout{}, fmt.Errorf("cluster: no layout yet (waiting for %d nodes): %w", nodes, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// createLayout writes the plan for up unless a layout exists, and returns
// the layout in force.
func (c *Cluster) createLayout(ctx context.Context, up []NodeInfo, parity int) (Layout, error) {
	plan, err := planLayout(up, parity)
	if err != nil {
		return Layout{}, err
	}
	val, err := json.Marshal(plan)
	if err != nil {
		return Layout{}, err
	}
	tctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := c.cli.Txn(tctx).
		If(clientv3.Compare(clientv3.CreateRevision(layoutKey), "=", 0)).
		Then(clientv3.OpPut(layoutKey, string(val))).
		Else(clientv3.OpGet(layoutKey)).
		Commit()
	if err != nil {
		return Layout{}, fmt.Errorf("cluster: create the layout: %w", err)
	}
	if resp.Succeeded {
		c.log.Info("cluster: laid out the erasure set", "setID", plan.SetID, "data", plan.Data, "parity", plan.Parity, "drives", len(plan.Drives))
		return plan, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return Layout{}, errors.New("cluster: the layout vanished while being created")
	}
	var l Layout
	if err := json.Unmarshal(kvs[0].Value, &l); err != nil {
		return Layout{}, fmt.Errorf("cluster: unreadable layout: %w", err)
	}
	return l, nil
}

// Layout reads the layout; ok is false before it was created.
func (c *Cluster) Layout(ctx context.Context) (l Layout, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := c.cli.Get(ctx, layoutKey)
	if err != nil || len(resp.Kvs) == 0 {
		return l, false, err
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &l); err != nil {
		return l, false, fmt.Errorf("cluster: unreadable layout: %w", err)
	}
	return l, true, nil
}
