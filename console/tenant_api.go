package console

import (
	"net/http"
	"time"

	"github.com/cofferstore/coffer/auth"
)

// settingsResponse tells a tenant how to point an S3 client at Coffer.
type settingsResponse struct {
	Endpoint string `json:"endpoint"`
	Region   string `json:"region"`
	// VirtualHostDomain, when set, makes bucket.DOMAIN addresses work
	// too; path style (endpoint/bucket/key) always works.
	VirtualHostDomain string `json:"virtualHostDomain"`
}

func (s *server) settings(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, settingsResponse{Endpoint: s.cfg.PublicEndpoint, Region: s.region, VirtualHostDomain: s.cfg.VirtualHostDomain})
}

// usageResponse is a tenant's usage panel.
type usageResponse struct {
	Objects     int64 `json:"objects"`
	Bytes       int64 `json:"bytes"`
	Containers  int   `json:"containers"`
	UploadBytes int64 `json:"uploadBytes"`
	Uploads     int64 `json:"uploads"`
	// NoncurrentObjects and NoncurrentBytes are, of Objects and Bytes, the
	// noncurrent versions and delete markers that versioning keeps.
	NoncurrentObjects int64 `json:"noncurrentObjects"`
	NoncurrentBytes   int64 `json:"noncurrentBytes"`
	// ContainerLimit and UploadLimit are the limits in force; 0: none.
	ContainerLimit int64        `json:"containerLimit"`
	UploadLimit    int64        `json:"uploadLimit"`
	Quota          QuotaJSON    `json:"quota"`
	Volumes        []VolumeJSON `json:"volumes"`
	VolumeBytes    int64        `json:"volumeBytes"`
	// Suspended tells the page to say what a suspended tenant can still do.
	Suspended bool `json:"suspended"`
}

func (s *server) usage(w http.ResponseWriter, r *http.Request) error {
	tenant := principalFrom(r).User.Tenant
	ctx := r.Context()
	t, err := s.store.GetTenant(ctx, tenant)
	if err != nil {
		return err
	}
	u, err := s.store.TenantUsage(ctx, tenant)
	if err != nil {
		return err
	}
	vols, err := s.volumesJSON(r, tenant)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, usageResponse{
		Objects: u.Objects, Bytes: u.Bytes, Containers: u.Buckets, UploadBytes: u.UploadBytes,
		Uploads: u.Uploads, NoncurrentObjects: u.NoncurrentObjects, NoncurrentBytes: u.NoncurrentBytes,
		ContainerLimit: u.MaxBuckets, UploadLimit: u.MaxUploads,
		Quota:   quotaJSON(t.Quota),
		Volumes: vols, VolumeBytes: u.VolumeBytes, Suspended: t.Suspended,
	})
}

// volumesJSON lists a tenant's volumes for the wire, never null.
func (s *server) volumesJSON(r *http.Request, tenant string) ([]VolumeJSON, error) {
	vols, err := s.store.ListVolumes(r.Context(), tenant)
	if err != nil {
		return nil, err
	}
	out := make([]VolumeJSON, 0, len(vols))
	for _, v := range vols {
		out = append(out, VolumeJSON{Name: v.Name, SizeBytes: v.SizeBytes, Server: v.Server, Created: v.Created})
	}
	return out, nil
}

// requireActiveTenant refuses changes by a suspended tenant's users; they may
// still look at their data and usage.
func (s *server) requireActiveTenant(r *http.Request, tenant string) error {
	t, err := s.store.GetTenant(r.Context(), tenant)
	if err != nil {
		return err
	}
	if t.Suspended {
		return errorf(http.StatusForbidden, "tenant %s is suspended; contact your operator", tenant)
	}
	return nil
}

// audit records an event; a failure to record is logged, never shown to the
// client, because the action itself already happened.
func (s *server) audit(r *http.Request, tenant, action, target string) {
	s.auditDetail(r, tenant, action, target, "")
}

// auditDetail is audit with a detail, such as what a force delete destroyed.
func (s *server) auditDetail(r *http.Request, tenant, action, target, detail string) {
	p := principalFrom(r)
	ev := auth.AuditEvent{Time: time.Now().UTC(), Actor: p.User.Username, Tenant: tenant, Action: action, Target: target,
		Detail: detail, RemoteIP: remoteIP(r)}
	if err := s.auth.Audit(ev); err != nil {
		id, _ := r.Context().Value(requestIDKey{}).(string)
		s.log.Error("audit write failed", "request_id", id, "action", action, "tenant", tenant, "err", err.Error())
	}
}
