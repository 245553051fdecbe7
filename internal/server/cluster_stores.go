package server

import (
	"fmt"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/cluster"
	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/internal/usagehist"
	"github.com/cofferstore/coffer/storage"
)

// usagePrefix is the usage history's prefix in etcd.
const usagePrefix = "/coffer/usage/"

// openSharedUsage opens the cluster's usage history in etcd.
func (s *Server) openSharedUsage() (*usagehist.Store, error) {
	return usagehist.OpenStoreKV(kv.NewEtcd(s.Cluster.Client(), usagePrefix))
}

// openShared opens storage over the set's drives in layout order (this
// node's local, the others' over the drive protocol), with the index in
// etcd, and the auth store in etcd.
func (s *Server) openShared(cfg Config, keys *auth.KeyRing, layout cluster.Layout, local []storage.Drive, secret []byte) error {
	set := s.dialSet(cfg, layout, local, secret)
	cli := s.Cluster.Client()
	sc := storageConfig(cfg, keys)
	sc.DriveSet, sc.SetID, sc.Shared, sc.Parity = set, layout.SetID, true, layout.Parity
	sc.Index = kv.NewEtcd(cli, indexPrefix)
	sc.ScrubInterval = -1 // the leader runs the scrub passes (cluster_leader.go)
	if err := s.openStorage(sc); err != nil {
		return err
	}
	var err error
	s.Auth, err = auth.OpenStoreKV(kv.NewEtcd(cli, authPrefix), keys)
	if err != nil {
		return fmt.Errorf("server: open auth store: %w", err)
	}
	s.closers = append(s.closers, namedCloser{"auth store", s.Auth.Close})
	return nil
}
