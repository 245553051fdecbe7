package console

import "time"

// The JSON shapes of the console API (docs/architecture.md, "Console JSON
// API"). They are exported so that the admin CLI decodes the very types the
// server encodes; their field names and tags are the wire format.

// TenantJSON is a tenant as the operator API shows it.
type TenantJSON struct {
	Name           string       `json:"name"`
	Created        time.Time    `json:"created"`
	Suspended      bool         `json:"suspended"`
	Quota          QuotaJSON    `json:"quota"`
	Usage          UsageJSON    `json:"usage"`
	HasCredentials bool         `json:"hasCredentials"`
	Users          []UserJSON   `json:"users,omitempty"`
	Volumes        []VolumeJSON `json:"volumes,omitempty"`
}

// QuotaJSON is a quota on the wire. Objects and Bytes: 0 means unlimited.
// Buckets (containers) and Uploads (unfinished multipart uploads): 0 means
// the server's default, shown in UsageJSON's limits.
type QuotaJSON struct {
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
	Buckets int64 `json:"buckets"`
	Uploads int64 `json:"uploads"`
}

// UsageJSON is a tenant's object storage usage.
type UsageJSON struct {
	Objects     int64 `json:"objects"`
	Bytes       int64 `json:"bytes"`
	Containers  int   `json:"containers"`
	UploadBytes int64 `json:"uploadBytes"`
	Uploads     int64 `json:"uploads"` // unfinished multipart uploads
	// ContainerLimit and UploadLimit are the limits in force (the tenant's
	// own or the server's default); 0 means none.
	ContainerLimit int64 `json:"containerLimit"`
	UploadLimit    int64 `json:"uploadLimit"`
	Volumes        int   `json:"volumes"`
	VolumeBytes    int64 `json:"volumeBytes"`
}

// UserJSON is a console user; never a password or hash.
type UserJSON struct {
	Username string    `json:"username"`
	Tenant   string    `json:"tenant"`
	Role     string    `json:"role"`
	Created  time.Time `json:"created"`
}

// VolumeJSON is a block storage volume on the wire.
type VolumeJSON struct {
	Name      string    `json:"name"`
	SizeBytes int64     `json:"sizeBytes"`
	Server    string    `json:"server"`
	Created   time.Time `json:"created"`
}

// KeyInfoJSON describes a key pair without its secret.
type KeyInfoJSON struct {
	AccessKey string     `json:"accessKey"`
	Created   time.Time  `json:"created"`
	LastUsed  *time.Time `json:"lastUsed"` // null when never used
}

// NewKeyJSON is a freshly generated or rotated pair: the only response that
// ever carries the secret.
type NewKeyJSON struct {
	AccessKey string    `json:"accessKey"`
	SecretKey string    `json:"secretKey"`
	Created   time.Time `json:"created"`
}

// DriveJSON is one drive's health.
type DriveJSON struct {
	Index      int    `json:"index"`
	Path       string `json:"path"`
	ID         string `json:"id"`
	Online     bool   `json:"online"`
	TotalBytes uint64 `json:"totalBytes"`
	FreeBytes  uint64 `json:"freeBytes"`
	Errors     uint64 `json:"errors"`
}

// ScrubJSON is what the background scanner has done.
type ScrubJSON struct {
	Running          bool       `json:"running"`
	ObjectsScanned   uint64     `json:"objectsScanned"`
	ObjectsHealed    uint64     `json:"objectsHealed"`
	ShardsRepaired   uint64     `json:"shardsRepaired"`
	OrphansRemoved   uint64     `json:"orphansRemoved"`
	Errors           uint64     `json:"errors"`
	QuorumFailures   uint64     `json:"quorumFailures"`
	LastScrubStarted *time.Time `json:"lastScrubStarted"`
	LastScrubDone    *time.Time `json:"lastScrubDone"`
	Progress         float64    `json:"progress"`
}

// AuditJSON is one audit event.
type AuditJSON struct {
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	Tenant   string    `json:"tenant"`
	Action   string    `json:"action"`
	Target   string    `json:"target"`
	Detail   string    `json:"detail,omitempty"` // e.g. what a force delete destroyed
	RemoteIP string    `json:"remoteIP"`
}

// DrivesJSON is the answer of GET /api/admin/drives.
type DrivesJSON struct {
	Drives []DriveJSON `json:"drives"`
	Ready  bool        `json:"ready"`
	Scrub  ScrubJSON   `json:"scrub"`
}
