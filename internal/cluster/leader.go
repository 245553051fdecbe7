package cluster

import (
	"context"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// leading is set while this process holds the election.
type leaderState struct {
	leading atomic.Bool
}

// RunLeader campaigns for the background-job leadership until ctx ends or
// the cluster closes, and returns then. Each time this node wins, lead runs
// with a context that ends when the leadership is lost (its session's lease
// expired, etcd unreachable), when ctx ends or at Close; lead must return
// then. One node leads at a time as far as a lease can say: a leader cut
// off from etcd notices within about the lease TTL, when the next one may
// already have started, so what lead runs must stay correct when two nodes
// briefly run it at once (scrub and heal are: the index transactions
// decide).
func (c *Cluster) RunLeader(ctx context.Context, lead func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	for ctx.Err() == nil {
		if err := c.leadOnce(ctx, lead); err != nil && ctx.Err() == nil {
			c.log.Warn("cluster: leader election failed; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(retryPause):
			}
		}
	}
}

// leadOnce campaigns once and, when elected, leads until the session ends.
func (c *Cluster) leadOnce(ctx context.Context, lead func(context.Context)) error {
	// The session outlives ctx so that its Close can still revoke the
	// lease when ctx ends (a graceful stop): the next leader starts at
	// once instead of after the TTL.
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	lease, err := c.cli.Grant(gctx, LeaseTTL)
	cancel()
	if err != nil {
		return err
	}
	sess, err := concurrency.NewSession(c.cli, concurrency.WithTTL(LeaseTTL), concurrency.WithLease(lease.ID))
	if err != nil {
		return err
	}
	defer func() { _ = sess.Close() }()
	el := concurrency.NewElection(sess, leaderKey)
	if err := el.Campaign(ctx, c.cfg.Node); err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.Done():
		case <-lctx.Done():
		}
		cancel()
	}()
	c.leader.leading.Store(true)
	c.log.Info("cluster: this node leads the background jobs")
	lead(lctx)
	c.leader.leading.Store(false)
	if ctx.Err() == nil {
		c.log.Warn("cluster: lost the background-job leadership")
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = el.Resign(rctx) // may fail: the session is gone already
		rcancel()
	}
	return nil
}

// IsLeader reports whether this node leads the background jobs now.
func (c *Cluster) IsLeader() bool { return c.leader.leading.Load() }

// Leader returns the name of the node leading the background jobs; "" when
// there is none. The election's leader is the campaigner with the oldest
// key under the election prefix.
func (c *Cluster) Leader(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := c.cli.Get(ctx, leaderKey+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", err
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}

// Lock takes the cluster-wide mutex name (a concurrency.Mutex over a
// session of LeaseTTL: a holder that dies releases it within the TTL) and
// returns its release. It serializes what two nodes must not do at once,
// such as formatting the set's drives when the stores first open.
func (c *Cluster) Lock(ctx context.Context, name string) (unlock func(), err error) {
	sess, err := concurrency.NewSession(c.cli, concurrency.WithTTL(LeaseTTL))
	if err != nil {
		return nil, err
	}
	m := concurrency.NewMutex(sess, Prefix+"locks/"+name)
	if err := m.Lock(ctx); err != nil {
		_ = sess.Close() // the error says why
		return nil, err
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		_ = m.Unlock(uctx) // closing the session below releases it anyway
		_ = sess.Close()
	}, nil
}
