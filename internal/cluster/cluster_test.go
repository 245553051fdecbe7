package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPlanLayoutSpreadsNodesAndParityCoversOneNode(t *testing.T) {
	nodes := []NodeInfo{
		{Name: "n3", Drives: 2, DriveURL: "http://c"},
		{Name: "n1", Drives: 2, DriveURL: "http://a"},
		{Name: "n2", Drives: 2, DriveURL: "http://b"},
	}
	l, err := planLayout(nodes, 0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Data != 4 || l.Parity != 2 {
		t.Fatalf("layout %d+%d, want 4+2", l.Data, l.Parity)
	}
	want := []DriveRef{{"n1", 0}, {"n1", 1}, {"n2", 0}, {"n2", 1}, {"n3", 0}, {"n3", 1}}
	if fmt.Sprint(l.Drives) != fmt.Sprint(want) {
		t.Fatalf("drives %v, want %v", l.Drives, want)
	}
	if l.Nodes["n2"] != "http://b" || len(l.SetID) != 32 {
		t.Fatalf("nodes %v, set id %q", l.Nodes, l.SetID)
	}
	if got := l.Local("n2"); len(got) != 2 || got[2] != 0 || got[3] != 1 {
		t.Fatalf("n2's positions %v, want 2->0, 3->1", got)
	}
	if _, err := planLayout(nodes, 1); !errors.Is(err, ErrLayoutParity) {
		t.Fatalf("parity 1 with 2 drives a node: %v, want ErrLayoutParity", err)
	}
	if _, err := planLayout(nodes, 4); err == nil {
		t.Fatal("parity 4 of 6 drives accepted")
	}
	if _, err := planLayout([]NodeInfo{{Name: "x", Drives: 0, DriveURL: "http://x"}}, 0); err == nil {
		t.Fatal("a node without drives accepted")
	}
}

func TestParseMembers(t *testing.T) {
	m, err := parseMembers("a=http://127.0.0.1:1, b=127.0.0.1:2")
	if err != nil || len(m) != 2 || m["b"] != "127.0.0.1:2" {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"a", "=http://x:1", "a=http://x", "a=http://x:1,a=http://x:2", "a=https://x:1"} {
		if _, err := parseMembers(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// freePorts reserves n loopback ports and releases them for the members.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// openThree starts three embedded members in this process, as three nodes.
func openThree(t *testing.T) []*Cluster {
	t.Helper()
	ports := freePorts(t, 6)
	var members []string
	for i := range 3 {
		members = append(members, fmt.Sprintf("n%d=http://%s", i+1, ports[i]))
	}
	cs := make([]*Cluster, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 3 {
		wg.Go(func() {
			cs[i], errs[i] = Open(ctx, Config{
				Node: fmt.Sprintf("n%d", i+1), DataDir: t.TempDir(), Endpoints: []string{Embedded},
				Members: strings.Join(members, ","), ClientListen: ports[3+i],
				Logger: slog.New(slog.DiscardHandler),
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
	}
	t.Cleanup(func() {
		for _, c := range cs {
			c.Close()
		}
	})
	return cs
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestThreeNodes runs three embedded members: one layout for all however
// they race, one leader at a time, and a closed node shown down.
func TestThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three etcd members")
	}
	cs := openThree(t)
	ctx := context.Background()
	layouts := make([]Layout, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			if errs[i] = c.Register(ctx, NodeInfo{Drives: 2, DriveURL: "http://drive-" + c.Node(), S3URL: "http://s3-" + c.Node()}); errs[i] != nil {
				return
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			layouts[i], errs[i] = c.WaitLayout(wctx, 3, 0)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
	}
	for i := range layouts {
		if layouts[i].SetID != layouts[0].SetID || layouts[i].SetID == "" {
			t.Fatalf("node %d got set %q, node 1 %q: the layout was created more than once", i+1, layouts[i].SetID, layouts[0].SetID)
		}
	}
	if l := layouts[0]; l.Data != 4 || l.Parity != 2 || len(l.Drives) != 6 {
		t.Fatalf("layout %+v", l)
	}

	var mu sync.Mutex
	leading := map[string]bool{}
	for _, c := range cs {
		go c.RunLeader(ctx, func(ctx context.Context) {
			mu.Lock()
			leading[c.Node()] = true
			mu.Unlock()
			<-ctx.Done()
			mu.Lock()
			delete(leading, c.Node())
			mu.Unlock()
		})
	}
	current := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for n := range leading {
			out = append(out, n)
		}
		return out
	}
	waitFor(t, "a leader", func() bool { return len(current()) == 1 })
	first := current()[0]
	if l, err := cs[1].Leader(ctx); err != nil || l != first {
		t.Fatalf("Leader() = %q, %v; the one leading is %s", l, err, first)
	}
	var leaderIdx int
	for i, c := range cs {
		if c.Node() == first {
			leaderIdx = i
		}
	}
	other := cs[(leaderIdx+1)%3]
	// Closing the leader's node (its member too) hands leadership on and
	// its registration goes with it.
	if err := cs[leaderIdx].Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a new leader", func() bool { l := current(); return len(l) == 1 && l[0] != first })
	waitFor(t, first+" shown down", func() bool {
		st, err := other.Status(ctx)
		if err != nil {
			return false
		}
		for _, n := range st.Nodes {
			if n.Name == first {
				return n.State == "down" && n.S3URL == "http://s3-"+first && len(n.SetDrives) == 2 && !n.LastSeen.IsZero()
			}
		}
		return false
	})
	st, err := other.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	up := 0
	for _, n := range st.Nodes {
		if n.State == "up" {
			up++
		}
	}
	if up != 2 || len(st.Nodes) != 3 || st.Layout == nil || st.Leader == "" || st.Leader == first {
		t.Fatalf("status %+v", st)
	}
	other.PublishHeal(ctx, HealStatus{Leader: other.Node(), Running: true, Progress: 0.5})
	if st, err = cs[(leaderIdx+2)%3].Status(ctx); err != nil || st.Heal == nil || st.Heal.Progress != 0.5 {
		t.Fatalf("heal status not shared: %+v %v", st.Heal, err)
	}
}

func TestSecretFile(t *testing.T) {
	p := t.TempDir() + "/cluster.secret"
	if _, err := ReadSecret(p); err == nil || !strings.Contains(err.Error(), "copy the same file") {
		t.Fatalf("missing secret: %v", err)
	}
	if err := WriteSecret(p); err != nil {
		t.Fatal(err)
	}
	if err := WriteSecret(p); err == nil {
		t.Fatal("WriteSecret replaced an existing secret")
	}
	s, err := ReadSecret(p)
	if err != nil || len(s) != SecretBytes {
		t.Fatalf("%x %v", s, err)
	}
	if err := os.WriteFile(p, []byte("abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSecret(p); err == nil {
		t.Fatal("a short secret accepted")
	}
}
