package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/internal/cluster"
)

// clusterCmd is `coffer admin cluster`: the nodes with their state, the
// erasure set, the leader and its heal progress, from any node.
func clusterCmd(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, _ []string) error {
		var cj console.ClusterJSON
		raw, err := a.client.call(ctx, "GET", "/api/admin/cluster", nil, &cj)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		if !cj.Enabled || cj.Status == nil {
			fmt.Fprintln(a.stdout, "Not in cluster mode: this server runs as a single node.")
			return nil
		}
		st := cj.Status
		if l := st.Layout; l != nil {
			a.printf("Set:       %s: %d data + %d parity shards over %d drives of %d nodes (one node's loss is survivable while parity >= its drives)\n",
				l.SetID, l.Data, l.Parity, len(l.Drives), len(l.Nodes))
		} else {
			fmt.Fprintln(a.stdout, "Set:       not laid out yet (waiting for --cluster-nodes nodes to register)")
		}
		leader := st.Leader
		if leader == "" {
			leader = "none (election pending, or etcd without quorum)"
		}
		a.printf("Leader:    %s (runs scrub, heal, compaction, lifecycle, usage sampling); answered by %s\n", leader, st.Node)
		fmt.Fprintf(a.stdout, "Heal:      %s\n\n", healLine(st.Heal))
		rows := make([][]string, 0, len(st.Nodes))
		for _, n := range st.Nodes {
			seen := "-"
			if n.State == "up" {
				seen = "now"
			} else if !n.LastSeen.IsZero() {
				seen = when(n.LastSeen)
			}
			rows = append(rows, []string{n.Name, n.State, dash(n.S3URL), strconv.Itoa(n.Drives), setPositions(n.SetDrives), seen, yesNo(n.Leader)})
		}
		return a.table([]string{"NODE", "STATE", "S3", "DRIVES", "SET POSITIONS", "LAST SEEN", "LEADER"}, rows)
	}
}

// healLine is the leader's latest heal pass on one line.
func healLine(h *cluster.HealStatus) string {
	if h == nil {
		return "no pass yet"
	}
	state := fmt.Sprintf("last pass done %s", when(h.Done))
	if h.Running {
		state = fmt.Sprintf("running (%.0f%%), started %s", h.Progress*100, when(h.Started))
	}
	line := fmt.Sprintf("%s by %s, reason %q; objects scanned %d, healed %d, shards repaired %d, errors %d (this pass %d)",
		state, h.Leader, h.Reason, h.ObjectsScanned, h.ObjectsHealed, h.ShardsRepaired, h.Errors, h.PassErrors)
	if h.Err != "" {
		line += "; failed: " + h.Err
	}
	return line
}

// setPositions renders the set positions a node's drives hold: "0,1".
func setPositions(p []int) string {
	if len(p) == 0 {
		return "-"
	}
	s := make([]string, len(p))
	for i, v := range p {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
