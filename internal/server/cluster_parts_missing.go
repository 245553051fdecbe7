//go:build !coffer_cluster_parts

package server

import (
	"errors"
	"log/slog"
	"net"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/cluster"
)

// errClusterParts says what this build lacks: the etcd index, the drive
// protocol and the auth store on kv are merged separately; until then
// cluster mode stops here rather than pretend.
var errClusterParts = errors.New("server: cluster mode is not complete in this build (the etcd index, drive protocol and auth-on-kv parts are missing)")

func (s *Server) serveDrives(net.Listener, []string, []byte, *slog.Logger) ([]any, error) {
	return nil, errClusterParts
}

func (s *Server) openShared(Config, *auth.KeyRing, cluster.Layout, []any, []byte) error {
	return errClusterParts
}
