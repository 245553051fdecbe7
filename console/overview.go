package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/cofferstore/coffer/pkg/metrics"
	"github.com/cofferstore/coffer/storage"
)

// Operations is what the operator overview and POST /api/admin/scrub need
// beyond the object store; a nil function shows as unknown (or 503 for Scrub).
type Operations struct {
	Version string    // the server's version string
	Started time.Time // when the server started, for uptime
	// Requests returns the last hour of S3 requests per minute, oldest first.
	Requests func() []metrics.MinuteCount
	// Layout returns the data and parity shards per block.
	Layout func() (data, parity int)
	// Scrub runs one full scrub pass now and returns the counters since start.
	Scrub func(ctx context.Context) (storage.ScrubStats, error)
}

// maxTopTenants is how many tenants the overview ranks by bytes.
const maxTopTenants = 5

// overview answers GET /api/admin/overview: the operator's first page in
// one document.
func (s *server) overview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ops := s.cfg.Ops
	out := OverviewJSON{Version: ops.Version, Drives: s.drivesJSON(ctx), Ready: s.store.Ready(),
		Scrub: scrubJSON(s.store.ScrubStats()), Requests: []metrics.MinuteCount{}, TopTenants: []TopTenantJSON{}}
	if !ops.Started.IsZero() {
		out.Started = optionalTime(ops.Started)
		out.UptimeSeconds = int64(time.Since(ops.Started).Seconds())
	}
	if ops.Requests != nil {
		out.Requests = ops.Requests()
	}
	for _, d := range out.Drives {
		out.Capacity.RawBytes += d.TotalBytes
		out.Capacity.RawFreeBytes += d.FreeBytes
	}
	if ops.Layout != nil {
		data, parity := ops.Layout()
		out.Capacity.DataShards, out.Capacity.ParityShards = data, parity
		out.Capacity.UsableBytes = usable(out.Capacity.RawBytes, data, parity)
		out.Capacity.UsableFreeBytes = usable(out.Capacity.RawFreeBytes, data, parity)
	}

	ts, err := s.store.ListTenants(ctx)
	if err != nil {
		return err
	}
	out.Tenants = len(ts)
	all := make([]TopTenantJSON, 0, len(ts))
	for _, t := range ts {
		u, err := s.store.TenantUsage(ctx, t.Name)
		if err != nil {
			return err
		}
		if t.Suspended {
			out.SuspendedTenants++
		}
		out.Capacity.UsedBytes += u.Bytes
		out.Objects += u.Objects
		all = append(all, TopTenantJSON{Name: t.Name, Bytes: u.Bytes, Objects: u.Objects,
			Containers: u.Buckets, QuotaBytes: t.Quota.MaxBytes, Suspended: t.Suspended})
	}
	slices.SortFunc(all, func(a, b TopTenantJSON) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Name, b.Name))
	})
	out.TopTenants = all[:min(len(all), maxTopTenants)]
	if s.cfg.Cluster != nil {
		out.Cluster = &ClusterJSON{Enabled: true}
		if st, err := s.cfg.Cluster.Status(ctx); err == nil {
			out.Cluster.Status = &st
		} else {
			s.log.Warn("console: cluster status for the overview", "err", err)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// usable is the share of raw bytes that holds data: raw x data/(data+parity).
func usable(raw uint64, data, parity int) uint64 {
	if data <= 0 || parity < 0 {
		return 0
	}
	// Divide first: raw x data could overflow uint64 on exabyte sets.
	n := uint64(data + parity)
	return raw/n*uint64(data) + raw%n*uint64(data)/n
}

// scrubNow answers POST /api/admin/scrub: it runs one scrub pass and
// answers its counters, or 409 when a pass is already running (the
// background one or another operator's), rather than queueing behind it.
func (s *server) scrubNow(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Ops.Scrub == nil {
		return errorf(http.StatusServiceUnavailable, "scrub is not available on this server")
	}
	if st := s.store.ScrubStats(); st.Running || !s.scrubbing.CompareAndSwap(false, true) {
		return &apiError{Status: http.StatusConflict, Message: "a scrub pass is already running; try again when it is done",
			Fields: map[string]any{"progress": st.Progress}}
	}
	defer s.scrubbing.Store(false)
	s.audit(r, "", "scrub.run", "")
	st, err := s.cfg.Ops.Scrub(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, scrubJSON(st))
}

// OverviewJSON is the answer of GET /api/admin/overview.
type OverviewJSON struct {
	Version       string       `json:"version"`
	Started       *time.Time   `json:"started"` // null when unknown
	UptimeSeconds int64        `json:"uptimeSeconds"`
	Capacity      CapacityJSON `json:"capacity"`
	Drives        []DriveJSON  `json:"drives"`
	Ready         bool         `json:"ready"`
	Scrub         ScrubJSON    `json:"scrub"`
	Tenants       int          `json:"tenants"`
	// SuspendedTenants is, of Tenants, those suspended.
	SuspendedTenants int   `json:"suspendedTenants"`
	Objects          int64 `json:"objects"` // every tenant's, versions included
	// Requests is the last hour of S3 requests, one entry a minute, oldest first.
	Requests   []metrics.MinuteCount `json:"requests"`
	TopTenants []TopTenantJSON       `json:"topTenants"` // by bytes, most first
	// Cluster is cluster mode's nodes, set and heal progress; absent on a
	// single node, and without status (enabled only) when etcd does not
	// answer.
	Cluster *ClusterJSON `json:"cluster,omitempty"`
}

// CapacityJSON is the drive set's capacity. Raw is the sum of the drives'
// sizes; usable is raw x data/(data+parity), what objects can fill; used
// is the bytes tenants store (their objects' sizes, before erasure coding).
type CapacityJSON struct {
	RawBytes        uint64 `json:"rawBytes"`
	RawFreeBytes    uint64 `json:"rawFreeBytes"`
	UsableBytes     uint64 `json:"usableBytes"`
	UsableFreeBytes uint64 `json:"usableFreeBytes"`
	UsedBytes       int64  `json:"usedBytes"`
	DataShards      int    `json:"dataShards"`
	ParityShards    int    `json:"parityShards"`
}

// TopTenantJSON is one tenant of the overview's ranking.
type TopTenantJSON struct {
	Name       string `json:"name"`
	Bytes      int64  `json:"bytes"`
	Objects    int64  `json:"objects"`
	Containers int    `json:"containers"`
	QuotaBytes int64  `json:"quotaBytes"` // 0 = no limit
	Suspended  bool   `json:"suspended"`
}
