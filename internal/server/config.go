// Package server wires Coffer's parts into one running server: the storage
// engine, the credential store, the S3 listener, the console listener with its
// metrics, and an optional loopback pprof listener.
package server

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/usagehist"
	"github.com/cofferstore/coffer/storage"
)

// Region is the only region Coffer answers for.
const Region = auth.DefaultRegion

// Config is everything Start needs. Zero values mean the documented defaults.
type Config struct {
	// DataDir holds the server's own state: the bbolt index, auth.db, the
	// master key (unless MasterKeyFile is set) and, when Drives is empty, the
	// drive directories DataDir/drive1 ... DataDir/driveN.
	DataDir string
	// Drives are explicit drive directories (real disks). Empty means
	// DriveCount directories under DataDir.
	Drives []string
	// DriveCount is the number of drive directories under DataDir; 0 = 4.
	DriveCount int
	// Parity is the number of parity shards; 0 = half the drives.
	Parity int
	// Version is the build's version, shown on the operator overview (set
	// by the binary, not a flag); empty shows "unknown".
	Version string

	// S3Address and ConsoleAddress are listen addresses; ":0" picks a free port.
	S3Address      string // default 127.0.0.1:9000
	ConsoleAddress string // default 127.0.0.1:9001
	// Domains are base domains for virtual-hosted-style requests.
	Domains []string
	// PublicEndpoint is the S3 URL shown to tenants; empty = derived from the S3 listener.
	PublicEndpoint string

	// DisableSigV2 refuses AWS Signature Version 2 requests (header and
	// presigned) with 400 InvalidRequest; by default they are accepted.
	DisableSigV2 bool

	// SSEDefault encrypts every new object with SSE-S3 unless its request
	// asks for SSE-C; SSECAllowHTTP accepts SSE-C keys over plain HTTP.
	SSEDefault    bool
	SSECAllowHTTP bool

	// TLSCert and TLSKey are PEM files; both set means both listeners serve TLS.
	TLSCert string
	TLSKey  string

	// MasterKeyFile holds the key that encrypts tenants' secrets; empty = DataDir/master.key.
	MasterKeyFile string
	// AdminPassword is the operator's password. Empty: generated on first
	// start and reported once in Server.GeneratedAdminPassword.
	AdminPassword string
	// OperatorToken is the operator API token (Authorization: Bearer on the
	// admin API). Empty: read from DataDir/operator.token, created on first start.
	OperatorToken string
	// MetricsToken is the bearer token Prometheus must send to /metrics.
	// Empty: read from DataDir/metrics.token, created on first start, unless
	// MetricsPublic is set.
	MetricsToken string
	// MetricsPublic serves /metrics without a token (tenant names, bucket
	// names and usage become visible to anyone who reaches the console listener).
	MetricsPublic bool

	// LogFormat is "text" (default) or "json"; LogLevel is debug, info (default), warn or error.
	// Both are used only when Logger is nil.
	LogFormat string
	LogLevel  string
	// LogOutput receives logs when Logger is nil; nil = io.Discard.
	LogOutput io.Writer
	Logger    *slog.Logger

	// MaxBuckets and MaxUploads limit each tenant's buckets and unfinished
	// multipart uploads unless its quota sets its own; 0 = the defaults
	// below, < 0 = no limit.
	MaxBuckets int64
	MaxUploads int64

	// ScrubInterval is the background scanner period; 0 = storage default, < 0 disables it.
	ScrubInterval time.Duration
	// LifecycleInterval is the time between lifecycle passes; 0 = an hour,
	// < 0 disables the background executor (coffer admin lifecycle run
	// still runs a pass).
	LifecycleInterval time.Duration
	// LifecycleRate bounds the executor's deletes per second; 0 = 100,
	// < 0 = unbounded.
	LifecycleRate float64
	// UsageSampleInterval is the time between samples of usage for the
	// console's usage charts; 0 = an hour (the most it may be, so no hourly
	// point is missed), < 0 disables the background sampler (the operator
	// API's POST /api/admin/usage/sample still samples).
	UsageSampleInterval time.Duration
	// PprofAddress, when set, serves net/http/pprof there. It must be a loopback address.
	PprofAddress string

	// Flood limits. Zero means the default; a negative value turns the cap off.
	// MaxConnections and MaxConnectionsPerIP cap open connections per
	// listener, in total and per client address (IPv6: per /64).
	MaxConnections      int
	MaxConnectionsPerIP int
	// StallTimeout cuts a request body that sends nothing and a response
	// its client does not read for this long; default DefaultStallTimeout.
	StallTimeout time.Duration
	// MaxInflightWrites and MaxInflightWritesPerTenant cap concurrent S3
	// writes (PUT, part, copy, complete) in total and per tenant; beyond
	// them a write is answered 503 SlowDown.
	MaxInflightWrites          int
	MaxInflightWritesPerTenant int

	// Cluster mode (docs/cluster.md): set ClusterEtcd to join a cluster.
	// ClusterEtcd is etcd's client URLs, or the single value "embedded"
	// to run an etcd member in this process (ClusterEtcdMembers then
	// lists every member as name=peerURL, and ClusterEtcdPeerListen and
	// ClusterEtcdClientListen are its listen URLs).
	ClusterEtcd             []string
	ClusterEtcdMembers      string
	ClusterEtcdPeerListen   string
	ClusterEtcdClientListen string
	// ClusterEtcdCA, ClusterEtcdCert and ClusterEtcdKey are the PEM files
	// of the client's TLS to an external etcd (https:// endpoints).
	ClusterEtcdCA   string
	ClusterEtcdCert string
	ClusterEtcdKey  string
	// ClusterNode is this node's name, unique in the cluster.
	ClusterNode string
	// ClusterListen is the ADDR of the internal drive protocol listener;
	// ClusterAdvertise the URL other nodes reach it at (empty: derived
	// from the listener).
	ClusterListen    string
	ClusterAdvertise string
	// ClusterSecretFile holds the secret the nodes sign drive requests
	// with (identical on every node); empty = DataDir/cluster.secret.
	ClusterSecretFile string
	// ClusterNodes is how many nodes must register before the erasure set
	// is laid out (once, for the cluster's life); 0 = the number of
	// ClusterEtcdMembers.
	ClusterNodes int
}

// Clustered reports whether the config joins a cluster.
func (c Config) Clustered() bool { return len(c.ClusterEtcd) > 0 }

// Defaults of the embedded configuration used by `make run`.
const (
	DefaultDataDir        = "./data"
	DefaultDriveCount     = 4
	DefaultS3Address      = "127.0.0.1:9000"
	DefaultConsoleAddress = "127.0.0.1:9001"
	// DefaultMaxBuckets is a tenant's bucket limit: a tenth of AWS's
	// per-account default (10,000), since tenants share one server's
	// index; ListBuckets answers it in one small page.
	DefaultMaxBuckets = 1000
	// DefaultMaxUploads is a tenant's limit of unfinished multipart
	// uploads. With 10,000 parts per upload it bounds the part files a
	// tenant can leave on each drive.
	DefaultMaxUploads = 1000
)

// Default caps on concurrent S3 writes. Each in-flight write holds pooled
// block buffers (docs/benchmarks.md: 64 concurrent 64 MiB uploads took
// 354 MiB, about 5.5 MiB each at 2+2 with 1 MiB blocks), so 128 writes bound
// upload buffers near 700 MiB and one tenant's 32 near 180 MiB: one tenant
// cannot take more than a quarter of the write slots or of that memory.
const (
	DefaultMaxInflightWrites          = 128
	DefaultMaxInflightWritesPerTenant = 32
)

// withDefaults returns c with empty fields filled and checks what can be
// checked before touching the disk.
func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if len(c.Drives) == 0 && c.DriveCount == 0 {
		c.DriveCount = DefaultDriveCount
	}
	if len(c.Drives) > 0 && c.DriveCount != 0 && c.DriveCount != len(c.Drives) {
		return c, fmt.Errorf("server: %d drives given but drive count is %d", len(c.Drives), c.DriveCount)
	}
	n := c.DriveCount
	if len(c.Drives) > 0 {
		n = len(c.Drives)
	}
	// The erasure-set rule is storage's; checking it here fails before any
	// disk is touched. A cluster's set spans every node's drives: the
	// cluster checks it when it lays the set out.
	if c.Clustered() {
		if err := c.checkCluster(); err != nil {
			return c, err
		}
	} else if err := storage.CheckLayout(n, c.Parity); err != nil {
		return c, fmt.Errorf("server: %w", err)
	}
	if c.MaxBuckets == 0 {
		c.MaxBuckets = DefaultMaxBuckets
	}
	if c.MaxUploads == 0 {
		c.MaxUploads = DefaultMaxUploads
	}
	if c.S3Address == "" {
		c.S3Address = DefaultS3Address
	}
	if c.ConsoleAddress == "" {
		c.ConsoleAddress = DefaultConsoleAddress
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, fmt.Errorf("server: TLS needs both a certificate and a key")
	}
	if c.PublicEndpoint != "" {
		c.PublicEndpoint = strings.TrimRight(c.PublicEndpoint, "/")
		if !strings.HasPrefix(c.PublicEndpoint, "http://") && !strings.HasPrefix(c.PublicEndpoint, "https://") {
			return c, fmt.Errorf("server: public endpoint %q must start with http:// or https://", c.PublicEndpoint)
		}
	}
	if c.MetricsToken != "" && c.MetricsPublic {
		return c, fmt.Errorf("server: a metrics token and public metrics exclude each other")
	}
	if c.OperatorToken != "" && len(c.OperatorToken) < auth.MinOperatorTokenLength {
		return c, fmt.Errorf("server: the operator API token must be at least %d characters", auth.MinOperatorTokenLength)
	}
	if c.UsageSampleInterval > usagehist.DefaultInterval {
		return c, fmt.Errorf("server: the usage sample interval must be at most %v (the hourly record's step)", usagehist.DefaultInterval)
	}
	if c.UsageSampleInterval > 0 && c.UsageSampleInterval < time.Second {
		return c, fmt.Errorf("server: the usage sample interval must be at least 1s")
	}
	if c.PprofAddress != "" {
		if err := checkLoopback(c.PprofAddress); err != nil {
			return c, err
		}
	}
	c.MaxConnections = orDefault(c.MaxConnections, DefaultMaxConnections)
	c.MaxConnectionsPerIP = orDefault(c.MaxConnectionsPerIP, DefaultMaxConnectionsPerIP)
	c.MaxInflightWrites = orDefault(c.MaxInflightWrites, DefaultMaxInflightWrites)
	c.MaxInflightWritesPerTenant = orDefault(c.MaxInflightWritesPerTenant, DefaultMaxInflightWritesPerTenant)
	if c.StallTimeout <= 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.Logger == nil {
		out := c.LogOutput
		if out == nil {
			out = io.Discard
		}
		l, err := NewLogger(out, c.LogFormat, c.LogLevel)
		if err != nil {
			return c, err
		}
		c.Logger = l
	}
	return c, nil
}

// checkCluster checks the cluster flags and fills their defaults.
func (c *Config) checkCluster() error {
	if c.ClusterNode == "" {
		return fmt.Errorf("server: cluster mode needs a node name (--cluster-node)")
	}
	if c.ClusterListen == "" {
		return fmt.Errorf("server: cluster mode needs the drive protocol listen address (--cluster-listen)")
	}
	if c.ClusterAdvertise != "" && !strings.HasPrefix(c.ClusterAdvertise, "http://") && !strings.HasPrefix(c.ClusterAdvertise, "https://") {
		return fmt.Errorf("server: --cluster-advertise %q must be a URL (http://host:port)", c.ClusterAdvertise)
	}
	embedded := len(c.ClusterEtcd) == 1 && c.ClusterEtcd[0] == "embedded"
	if embedded && c.ClusterEtcdMembers == "" {
		return fmt.Errorf("server: --cluster-etcd embedded needs --cluster-etcd-members name=peerURL,... (this node included)")
	}
	if c.ClusterNodes == 0 && embedded {
		c.ClusterNodes = len(strings.Split(c.ClusterEtcdMembers, ","))
	}
	if c.ClusterNodes < 1 {
		return fmt.Errorf("server: --cluster-nodes must say how many nodes form the set")
	}
	return nil
}

// orDefault returns def for 0 and the value otherwise (negative: no cap).
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// checkLoopback refuses addresses that would expose a debug listener beyond this host.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("server: pprof address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("server: pprof address %q must be a loopback address (127.0.0.1:PORT)", addr)
	}
	return nil
}

// NewLogger builds a slog logger writing text or JSON lines at the given level.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "", "info":
		lv = slog.LevelInfo
	case "debug":
		lv = slog.LevelDebug
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("server: log level %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("server: log format %q is not text or json", format)
	}
}
