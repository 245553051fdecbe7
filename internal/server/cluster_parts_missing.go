//go:build !coffer_cluster_parts

package server

import (
	"errors"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/cluster"
	"github.com/cofferstore/coffer/internal/usagehist"
	"github.com/cofferstore/coffer/storage"
)

// errClusterParts says what this build lacks: the etcd index, the drive
// protocol and the auth store on kv are merged separately; until then
// cluster mode stops here rather than pretend.
var errClusterParts = errors.New("server: cluster mode is not complete in this build (the etcd index and auth-on-kv parts are missing)")

func (s *Server) openShared(Config, *auth.KeyRing, cluster.Layout, []storage.Drive, []byte) error {
	return errClusterParts
}

func (s *Server) openSharedUsage() (*usagehist.Store, error) {
	return nil, errClusterParts
}
