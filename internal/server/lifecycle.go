package server

import (
	"path/filepath"

	"github.com/cofferstore/coffer/internal/lifecycle"
	"github.com/cofferstore/coffer/storage"
)

// lifecycleStateFile keeps the cursor of an unfinished lifecycle pass.
const lifecycleStateFile = "lifecycle.state"

// newLifecycle builds the executor from the flags' values.
func newLifecycle(cfg Config, store *storage.Store) *lifecycle.Executor {
	rate := cfg.LifecycleRate
	switch {
	case rate == 0:
		rate = lifecycle.DefaultRate
	case rate < 0:
		rate = 0 // unbounded
	}
	return lifecycle.New(lifecycle.Config{
		Store:     store,
		Rate:      rate,
		Interval:  cfg.LifecycleInterval,
		StateFile: filepath.Join(cfg.DataDir, lifecycleStateFile),
		Logger:    cfg.Logger.With("component", "lifecycle"),
	})
}
