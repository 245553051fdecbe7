package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cofferstore/coffer/internal/cluster"
	"github.com/cofferstore/coffer/storage"
)

// Heal timing of the cluster leader.
const (
	// healPublishEvery is how often a running pass's progress is written
	// to etcd for `coffer admin cluster` and the metrics of every node.
	healPublishEvery = 2 * time.Second
	// healWaitOnline bounds the wait, before a pass for a node that came
	// back, until this node's store sees that node's drives online again
	// (the remote drives' probe finds them within seconds).
	healWaitOnline = time.Minute
	// healRetryAfter and healRetries: a pass that met errors (a drive not
	// back yet, a shard unreadable for the moment) runs again, a few
	// times, so a returning node ends fully healed without waiting for
	// the scrub interval.
	healRetryAfter = 5 * time.Second
	healRetries    = 6
)

// lead runs the background jobs that walk the index while this node leads
// the cluster: lifecycle passes, usage sampling, and scrub/heal passes (at
// the scrub interval, when a node comes back, and when the previous
// leader left a pass unfinished). It returns when ctx ends.
func (s *Server) lead(cfg Config) func(ctx context.Context) {
	return func(ctx context.Context) {
		var wg sync.WaitGroup
		if cfg.LifecycleInterval >= 0 {
			wg.Go(func() { s.Lifecycle.Run(ctx) })
		}
		if cfg.UsageSampleInterval >= 0 {
			wg.Go(func() { s.Usage.Run(ctx) })
		}
		wg.Go(func() { s.healLoop(ctx, cfg) })
		wg.Wait()
	}
}

// healRequest is why a heal pass runs, and the node it waits for.
type healRequest struct {
	reason string
	node   string // a node that came back: wait until its drives are online
	retry  int    // how many passes of this request met errors already
}

func (s *Server) healLoop(ctx context.Context, cfg Config) {
	kick := make(chan healRequest, 8)
	request := func(r healRequest) {
		select {
		case kick <- r:
		default: // passes already queued cover it
		}
	}
	// A node that came back while no leader watched shows up here.
	reason, rev, err := s.Cluster.HealNeeded(ctx)
	if err != nil {
		reason, rev = "leader elected: etcd did not say whether a pass is due", 0
	}
	if reason != "" {
		request(healRequest{reason: reason})
	}
	go s.Cluster.WatchNodesAfter(ctx, rev, func(ev cluster.NodeEvent) {
		if ev.Up && ev.Name != cfg.ClusterNode && len(s.layout.Local(ev.Name)) > 0 {
			request(healRequest{reason: "node back: " + ev.Name, node: ev.Name})
		}
	})
	interval := cfg.ScrubInterval
	if interval == 0 {
		interval = storage.DefaultScrubInterval
	}
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	run := func(r healRequest) {
		if s.healPass(ctx, r) || r.retry >= healRetries || ctx.Err() != nil {
			return
		}
		r.retry++
		time.AfterFunc(healRetryAfter, func() { request(r) })
	}
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-kick:
			run(r)
		case <-tick:
			run(healRequest{reason: "interval"})
		}
	}
}

// healPass runs one scrub pass (verify every shard, rewrite missing or bad
// ones on every drive of the set, remote ones included) and publishes its
// progress while it runs. It reports whether the pass ended without
// errors.
func (s *Server) healPass(ctx context.Context, r healRequest) bool {
	log := s.logger.With("component", "cluster")
	if r.node != "" && !s.waitDrivesOnline(ctx, r.node) {
		log.Warn("cluster: a node came back but its drives did not come online here; the pass runs anyway", "node", r.node)
	}
	reason := r.reason
	if r.retry > 0 {
		reason = fmt.Sprintf("%s (again: %d)", r.reason, r.retry)
	}
	errorsBefore := s.Store.ScrubStats().Errors
	h := cluster.HealStatus{Leader: s.Cluster.Node(), Reason: reason, Running: true, Started: time.Now().UTC()}
	fill := func(st storage.ScrubStats) {
		h.Progress, h.ObjectsScanned, h.ObjectsHealed = st.Progress, st.ObjectsScanned, st.ObjectsHealed
		h.ShardsRepaired, h.Errors, h.PassErrors = st.ShardsRepaired, st.Errors, st.Errors-errorsBefore
	}
	h.StartRevision = s.Cluster.PublishHeal(ctx, h)
	log.Info("cluster: heal pass started", "reason", reason)
	done := make(chan error, 1)
	go func() {
		_, err := s.Store.Scrub(ctx)
		done <- err
	}()
	t := time.NewTicker(healPublishEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			fill(s.Store.ScrubStats())
			s.Cluster.PublishHeal(ctx, h)
		case err := <-done:
			fill(s.Store.ScrubStats())
			h.Running, h.Done = false, time.Now().UTC()
			clean := err == nil && h.PassErrors == 0
			if err != nil {
				h.Err = err.Error()
				log.Warn("cluster: heal pass failed", "reason", reason, "err", err)
			} else {
				h.Progress = 1
				log.Info("cluster: heal pass done", "reason", reason, "objectsHealed", h.ObjectsHealed,
					"shardsRepaired", h.ShardsRepaired, "passErrors", h.PassErrors)
			}
			if ctx.Err() == nil {
				s.Cluster.PublishHeal(ctx, h)
			}
			return clean
		}
	}
}

// waitDrivesOnline waits (bounded) until every drive of node in the set
// reads as online from this node.
func (s *Server) waitDrivesOnline(ctx context.Context, node string) bool {
	positions := s.layout.Local(node)
	deadline := time.Now().Add(healWaitOnline)
	for time.Now().Before(deadline) {
		online := 0
		for _, d := range s.Store.Drives(ctx) {
			if _, ok := positions[d.Index]; ok && d.Online {
				online++
			}
		}
		if online == len(positions) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(500 * time.Millisecond):
		}
	}
	return false
}
