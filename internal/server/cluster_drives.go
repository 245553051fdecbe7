package server

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/cofferstore/coffer/internal/cluster"
	"github.com/cofferstore/coffer/internal/driveproto"
	"github.com/cofferstore/coffer/storage"
)

// serveDrives opens this node's drive directories and serves them to the
// other nodes on ln, by their number ("0", "1", ...).
func (s *Server) serveDrives(ln net.Listener, dirs []string, secret []byte, log *slog.Logger) ([]storage.Drive, error) {
	local := make([]storage.Drive, 0, len(dirs))
	byName := map[string]storage.Drive{}
	closeAll := func() error {
		for _, d := range local {
			d.Close()
		}
		return nil
	}
	for i, p := range dirs {
		d, err := storage.OpenLocalDrive(p)
		if err != nil {
			_ = closeAll() // the error says why
			return nil, fmt.Errorf("server: drive %s: %w", p, err)
		}
		local = append(local, d)
		byName[strconv.Itoa(i)] = d
	}
	s.afterStores = append(s.afterStores, namedCloser{"local drives", closeAll})
	s.serve(ln, driveproto.NewHandler(byName, secret, log.With("component", "driveproto")), nil, maxHeaderBytes, 0)
	return local, nil
}

// dialSet returns the set's drives in layout order: this node's local
// ones, the others' over the drive protocol.
func (s *Server) dialSet(cfg Config, layout cluster.Layout, local []storage.Drive, secret []byte) []storage.Drive {
	set := make([]storage.Drive, len(layout.Drives))
	var remotes []storage.Drive
	for i, ref := range layout.Drives {
		if ref.Node == cfg.ClusterNode {
			set[i] = local[ref.Drive]
			continue
		}
		d := driveproto.Dial(layout.Nodes[ref.Node], strconv.Itoa(ref.Drive), secret,
			driveproto.Options{Logger: cfg.Logger.With("component", "driveproto", "node", ref.Node, "drive", ref.Drive)})
		set[i] = d
		remotes = append(remotes, d)
	}
	// Closed after storage (which leaves DriveSet drives open), before the
	// etcd client.
	s.afterStores = append([]namedCloser{{"remote drives", func() error {
		for _, d := range remotes {
			d.Close()
		}
		return nil
	}}}, s.afterStores...)
	return set
}
