package server

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/cofferstore/coffer/internal/usagehist"
)

// startBackground runs the lifecycle passes and the usage sampler unless
// disabled. A cluster node runs them, with the scrub and heal passes, only
// while it leads the cluster (cluster_leader.go).
func (s *Server) startBackground(cfg Config) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopBackground = cancel
	if s.Cluster != nil {
		s.background.Go(func() { s.Cluster.RunLeader(ctx, s.lead(cfg)) })
		return
	}
	if cfg.LifecycleInterval >= 0 {
		s.background.Go(func() { s.Lifecycle.Run(ctx) })
	}
	if cfg.UsageSampleInterval >= 0 {
		s.background.Go(func() { s.Usage.Run(ctx) })
	}
}

// stopBackgroundWork ends a running lifecycle pass (its cursor stays for the
// next start) and the usage sampler, and waits for them, so the stores
// close under no delete and no sample.
func (s *Server) stopBackgroundWork() {
	if s.stopBackground != nil {
		s.stopBackground()
	}
	s.background.Wait()
}

// usageFile holds the usage history behind the console's charts.
const usageFile = "usage.db"

// openUsage opens DIR/usage.db and builds its sampler; Shutdown closes the file.
func (s *Server) openUsage(cfg Config) (*usagehist.Sampler, error) {
	var hist *usagehist.Store
	var err error
	if s.Cluster != nil {
		// One history for the cluster, in etcd: the leader samples, any
		// node draws the charts.
		hist, err = s.openSharedUsage()
	} else {
		hist, err = usagehist.OpenStore(filepath.Join(cfg.DataDir, usageFile))
	}
	if err != nil {
		return nil, fmt.Errorf("server: usage history: %w", err)
	}
	s.closers = append(s.closers, namedCloser{"usage history", hist.Close})
	return usagehist.NewSampler(usagehist.Config{
		Source:   s.Store,
		Store:    hist,
		Interval: cfg.UsageSampleInterval,
		Logger:   cfg.Logger.With("component", "usage"),
	}), nil
}
