package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/internal/cluster"
	"github.com/cofferstore/coffer/internal/lifecycle"
	"github.com/cofferstore/coffer/internal/masterkey"
	"github.com/cofferstore/coffer/internal/usagehist"
	"github.com/cofferstore/coffer/pkg/metrics"
	"github.com/cofferstore/coffer/s3api"
	"github.com/cofferstore/coffer/storage"
)

// HTTP limits shared by both listeners. S3 bodies stream, so the S3 listener
// has no overall read or write timeout (a 5 GiB part over a slow link is
// legitimate): guardRequests cuts stalls and trickles instead.
const (
	readHeaderTimeout = 30 * time.Second
	// consoleReadTimeout bounds a whole console request, body included: its
	// bodies are small JSON. Its responses get the write-progress deadline
	// rather than a fixed WriteTimeout, which would cut a long admin call
	// (force-deleting a volume) or a large /metrics on a slow link.
	consoleReadTimeout = 30 * time.Second
	// storeCloseTimeout bounds closing storage and auth at shutdown: a
	// request stuck inside an index transaction would block it forever.
	storeCloseTimeout = 5 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// s3MaxHeaderBytes lets a header section of up to 2 MiB reach s3api, which
	// answers anything over its own 16 KiB limit with an S3 XML error; only a
	// larger section gets net/http's plain 431.
	s3MaxHeaderBytes = 2 << 20
)

// writeSlotWait is how long an S3 write beyond the in-flight caps waits
// for a slot before it is answered 503 SlowDown: a burst of more writers
// than slots queues instead of failing, a tenant's slow uploads still turn
// its other writes away within seconds.
const writeSlotWait = 2 * time.Second

// OperatorUsername is the operator's console and admin API user.
const OperatorUsername = "admin"

// Server is a running Coffer: both listeners serving, storage and auth open.
type Server struct {
	// S3URL and ConsoleURL are the real URLs of the listeners (after ":0" resolved).
	S3URL      string
	ConsoleURL string
	// PublicEndpoint is the S3 URL shown to tenants.
	PublicEndpoint string
	// PprofURL is set when the pprof listener runs.
	PprofURL string
	// GeneratedAdminPassword is the operator password created on this first
	// start; empty when it came from the config or already existed.
	GeneratedAdminPassword string
	// OperatorTokenFile and MetricsTokenFile are the files holding the
	// operator API token and the /metrics bearer token; empty when the token
	// was configured (or metrics are public).
	OperatorTokenFile string
	MetricsTokenFile  string

	Store *storage.Store
	Auth  *auth.Store
	// Cluster is this node's cluster handle; nil on a single node.
	Cluster *cluster.Cluster
	// DriveURL is where other nodes reach this node's drives (cluster mode).
	DriveURL string
	// layout is the cluster's erasure set (cluster mode).
	layout  cluster.Layout
	Metrics *metrics.Metrics
	// Lifecycle runs lifecycle passes (in the background unless disabled).
	Lifecycle *lifecycle.Executor
	// Usage samples usage for the console's charts into DIR/usage.db (in
	// the background unless disabled).
	Usage *usagehist.Sampler
	// MasterKey rotates the master key (coffer admin master-key).
	MasterKey *masterkey.Rotator

	logger  *slog.Logger
	closers []namedCloser
	// afterStores close, in order, once the closers are done: what the
	// stores use (a cluster node's drives, its etcd client and member).
	afterStores []namedCloser
	servers     []*http.Server
	serveErr    chan error
	wg          sync.WaitGroup
	once        sync.Once
	closeErr    error
	// stopBackground ends the lifecycle loop and the usage sampler before
	// the stores close.
	stopBackground context.CancelFunc
	background     sync.WaitGroup
}

// Start opens storage and auth, ensures the operator account exists, and
// serves the S3 and console listeners until Shutdown. It returns once both
// listeners accept connections.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	started := time.Now().UTC()
	s := &Server{logger: cfg.Logger, serveErr: make(chan error, 4)}
	ok := false
	defer func() {
		if !ok {
			// A cluster node serves its drives before its stores open.
			for _, hs := range s.servers {
				_ = hs.Close() // Start already returns why it failed
			}
			s.wg.Wait()
			// Start already returns the error that stopped it; a failed close
			// on the way out is logged beside it.
			if err := s.closeStores(storeCloseTimeout); err != nil {
				s.logger.Error("closing the stores after a failed start", "err", err)
			}
		}
	}()

	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("server: TLS key pair: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	drives, err := driveDirs(cfg)
	if err != nil {
		return nil, err
	}
	// The master key ring (auth.KeyRing) seals tenants' secrets and,
	// through its own HKDF labels, the data keys of SSE-S3 objects; it
	// rotates online (internal/masterkey).
	keyPath := cfg.MasterKeyFile
	if keyPath == "" {
		keyPath = filepath.Join(cfg.DataDir, "master.key")
	}
	keys, err := auth.LoadKeyRing(keyPath)
	if err != nil {
		return nil, fmt.Errorf("server: master key: %w", err)
	}
	// The listeners are bound first: a cluster node registers their URLs
	// before it can open its stores.
	s3ln, consoleLn, pprofLn, err := listen(cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !ok {
			for _, ln := range []net.Listener{s3ln, consoleLn, pprofLn} {
				if ln != nil {
					_ = ln.Close() // Start already returns why it failed; nothing was served
				}
			}
		}
	}()
	s.S3URL = listenerURL(scheme, s3ln.Addr())
	s.ConsoleURL = listenerURL(scheme, consoleLn.Addr())
	s.PublicEndpoint = cfg.PublicEndpoint
	if s.PublicEndpoint == "" {
		s.PublicEndpoint = s.S3URL
	}
	if cfg.Clustered() {
		err = s.openCluster(ctx, cfg, keys, drives, started)
	} else {
		err = s.openLocal(cfg, keys, drives)
	}
	if err != nil {
		return nil, err
	}
	s.MasterKey = masterkey.New(masterkey.Config{Ring: keys, Secrets: s.Auth, Objects: s.Store,
		Logger: cfg.Logger.With("component", "masterkey")})
	if cfg.Clustered() {
		s.GeneratedAdminPassword, err = ensureClusterOperator(s.Auth, cfg.AdminPassword)
	} else {
		s.GeneratedAdminPassword, err = ensureOperator(s.Auth, cfg.AdminPassword)
	}
	if err != nil {
		return nil, err
	}
	metricsToken, err := s.setupTokens(cfg)
	if err != nil {
		return nil, err
	}

	s.Lifecycle = newLifecycle(cfg, s.Store)
	if s.Usage, err = s.openUsage(cfg); err != nil {
		return nil, err
	}
	mopts := metrics.Options{
		Lifecycle: s.Lifecycle,
		Store:     s.Store,
		Token:     metricsToken,
		Logger:    cfg.Logger.With("component", "metrics"),
	}
	if s.Cluster != nil {
		mopts.Cluster = s.Cluster
	}
	s.Metrics = metrics.New(mopts)
	verifier := auth.NewVerifier(s.Auth, auth.VerifierOptions{Region: Region, DisableSigV2: cfg.DisableSigV2})
	s3Handler := s3api.New(s3api.Config{
		Store:    s.Store,
		Verifier: verifier,
		Domains:  cfg.Domains,
		// Without --domain, a host name in the public endpoint is the domain.
		PublicEndpoint: s.PublicEndpoint,
		Region:         Region,
		Logger:         cfg.Logger.With("component", "s3"),
		Observer:       s.Metrics,
		Audit:          s.Auth,
		WriteLimits: s3api.WriteLimits{
			Total:     cfg.MaxInflightWrites,
			PerTenant: cfg.MaxInflightWritesPerTenant,
			Wait:      writeSlotWait,
		},
		SSECAllowHTTP: cfg.SSECAllowHTTP,
	})
	consoleHandler := console.New(console.Config{
		Store:             s.Store,
		Auth:              s.Auth,
		PublicEndpoint:    s.PublicEndpoint,
		VirtualHostDomain: s3api.VirtualHostDomain(cfg.Domains, s.PublicEndpoint),
		Region:            Region,
		SecureCookies:     tlsConfig != nil,
		Logger:            cfg.Logger.With("component", "console"),
		Metrics:           s.Metrics.Handler(),
		Lifecycle:         s.Lifecycle,
		Usage:             s.Usage,
		Ops: console.Operations{Version: cmp.Or(cfg.Version, "unknown"), Started: started,
			Requests: s.Metrics.RequestHistory, Layout: s.Store.Layout, Scrub: s.Store.Scrub},
		MasterKey: s.MasterKey,
		Cluster:   s.clusterView(),
	})

	idle := newIdleRelease(idleReleaseAfter, freeOSMemory)
	s.closers = append(s.closers, namedCloser{"idle memory release", idle.Close})
	s3Handler, consoleHandler = idle.wrap(s3Handler), idle.wrap(consoleHandler)

	s3ln = limitConnections(s3ln, "s3", cfg.MaxConnections, cfg.MaxConnectionsPerIP, cfg.Logger)
	consoleLn = limitConnections(consoleLn, "console", cfg.MaxConnections, cfg.MaxConnectionsPerIP, cfg.Logger)
	// s3api logs its own requests.
	s.serve(s3ln, guardRequests(s3Handler, s3BodyLimits(cfg.StallTimeout), cfg.StallTimeout), tlsConfig, s3MaxHeaderBytes, 0)
	consoleHandler = guardRequests(logRequests(cfg.Logger, "console", consoleHandler), bodyLimits{}, cfg.StallTimeout)
	s.serve(consoleLn, consoleHandler, tlsConfig, maxHeaderBytes, consoleReadTimeout)
	if pprofLn != nil {
		s.PprofURL = listenerURL("http", pprofLn.Addr()) + "/debug/pprof/"
		s.serve(pprofLn, pprofHandler(), nil, maxHeaderBytes, 0)
	}
	s.startBackground(cfg)
	// A rotation a crash or shutdown cut (the key file holds older keys)
	// finishes in the background.
	s.MasterKey.Resume()
	ok = true
	cfg.Logger.Info("coffer started", "s3", s.S3URL, "console", s.ConsoleURL,
		"publicEndpoint", s.PublicEndpoint, "drives", len(drives), "dataDir", cfg.DataDir)
	return s, nil
}

// storageConfig is what the storage config of both modes takes from the
// server's.
func storageConfig(cfg Config, keys *auth.KeyRing) storage.Config {
	return storage.Config{
		Keys:       keys,
		SSEDefault: cfg.SSEDefault,
		DataDir:    cfg.DataDir,
		Logger:     cfg.Logger.With("component", "storage"),
		// Negative (no limit) is storage's 0.
		DefaultMaxBuckets: max(cfg.MaxBuckets, 0),
		DefaultMaxUploads: max(cfg.MaxUploads, 0),
	}
}

// openStorage opens the store; Shutdown closes it.
func (s *Server) openStorage(sc storage.Config) error {
	var err error
	if s.Store, err = storage.Open(sc); err != nil {
		return fmt.Errorf("server: open storage: %w", err)
	}
	s.closers = append(s.closers, namedCloser{"storage", s.Store.Close})
	return nil
}

// openLocal opens a single node's stores: the bbolt index and auth.db in
// the data directory, the drive directories as one erasure set.
func (s *Server) openLocal(cfg Config, keys *auth.KeyRing, drives []string) error {
	var err error
	sc := storageConfig(cfg, keys)
	sc.Drives, sc.Parity, sc.ScrubInterval = drives, cfg.Parity, cfg.ScrubInterval
	if err = s.openStorage(sc); err != nil {
		return err
	}
	s.Auth, err = auth.OpenStoreRing(filepath.Join(cfg.DataDir, "auth.db"), keys)
	if err != nil {
		return fmt.Errorf("server: open auth store: %w", err)
	}
	s.closers = append(s.closers, namedCloser{"auth store", s.Auth.Close})
	return nil
}

// Err returns a channel that receives an error if a listener stops serving
// on its own (not through Shutdown).
func (s *Server) Err() <-chan error { return s.serveErr }

// Shutdown stops accepting connections on every listener, waits for
// in-flight requests to finish (or ctx to end, then cuts them), and closes
// storage and auth. It returns within ctx's deadline plus storeCloseTimeout
// even if a request is stuck: a close that does not finish by then is
// reported as an error and left behind, so the process can exit. It is safe
// to call twice.
func (s *Server) Shutdown(ctx context.Context) error {
	s.once.Do(func() {
		// All listeners close at once; each then waits for its own requests.
		errs := make([]error, len(s.servers)+1)
		var wg sync.WaitGroup
		for i, hs := range s.servers {
			wg.Go(func() {
				if errs[i] = hs.Shutdown(ctx); errs[i] != nil {
					_ = hs.Close() // ctx ended: cut the remaining connections; errs[i] already says why
				}
			})
		}
		wg.Wait()
		s.wg.Wait()
		s.stopBackgroundWork()
		s.MasterKey.Close() // an unfinished rotation resumes at the next start
		errs[len(s.servers)] = s.closeStores(storeCloseTimeout)
		s.closeErr = errors.Join(errs...)
		s.logger.Info("coffer stopped")
	})
	return s.closeErr
}

// namedCloser is something Shutdown closes, named for the error that says
// it is stuck.
type namedCloser struct {
	name  string
	close func() error
}

// closeStores closes storage and auth at once and waits at most limit for
// them: a request stuck inside an index transaction (a handler that ignores
// its context) would block a close forever, and with it the exit.
func (s *Server) closeStores(limit time.Duration) error {
	errs := make([]error, len(s.closers))
	done := make(chan int, len(s.closers))
	for i, c := range s.closers {
		go func() {
			errs[i] = c.close()
			done <- i
		}()
	}
	closed := make([]bool, len(s.closers))
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	defer func() {
		for _, c := range s.afterStores {
			if err := c.close(); err != nil {
				s.logger.Warn("closing after the stores", "what", c.name, "err", err)
			}
		}
	}()
	for range s.closers {
		select {
		case i := <-done:
			closed[i] = true
		case <-timeout.C:
			var stuck []error
			for i, c := range s.closers {
				if !closed[i] {
					s.logger.Error("close did not finish: a request is stuck inside it; giving up so the process can exit",
						"what", c.name, "waited", limit)
					stuck = append(stuck, fmt.Errorf("server: closing the %s did not finish within %v (a request is stuck in it)", c.name, limit))
				} else {
					stuck = append(stuck, errs[i])
				}
			}
			return errors.Join(stuck...)
		}
	}
	return errors.Join(errs...)
}

// serve runs an HTTP server on ln; readTimeout 0 leaves whole requests
// without a deadline (the S3 listener guards its bodies instead).
func (s *Server) serve(ln net.Listener, h http.Handler, tlsConfig *tls.Config, maxHeader int, readTimeout time.Duration) {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeader,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	if tlsConfig != nil {
		hs.TLSConfig = tlsConfig.Clone()
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	s.servers = append(s.servers, hs)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- err
		}
	}()
}

// listen binds the S3, console and (when configured) pprof addresses; on
// failure it closes what it opened.
func listen(cfg Config) (s3ln, consoleLn, pprofLn net.Listener, err error) {
	defer func() {
		if err != nil {
			for _, ln := range []net.Listener{s3ln, consoleLn, pprofLn} {
				if ln != nil {
					_ = ln.Close() // err already says why listen failed; nothing was served
				}
			}
		}
	}()
	if s3ln, err = net.Listen("tcp", cfg.S3Address); err != nil {
		return nil, nil, nil, fmt.Errorf("server: S3 listener: %w", err)
	}
	if consoleLn, err = net.Listen("tcp", cfg.ConsoleAddress); err != nil {
		return s3ln, nil, nil, fmt.Errorf("server: console listener: %w", err)
	}
	if cfg.PprofAddress != "" {
		if pprofLn, err = net.Listen("tcp", cfg.PprofAddress); err != nil {
			return s3ln, consoleLn, nil, fmt.Errorf("server: pprof listener: %w", err)
		}
	}
	return s3ln, consoleLn, pprofLn, nil
}

// driveDirs returns the drive directories, creating DataDir/driveN when the
// config names no explicit drives.
func driveDirs(cfg Config) ([]string, error) {
	drives := cfg.Drives
	if len(drives) == 0 {
		for i := 1; i <= cfg.DriveCount; i++ {
			drives = append(drives, filepath.Join(cfg.DataDir, "drive"+strconv.Itoa(i)))
		}
	}
	for _, d := range drives {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("server: drive directory: %w", err)
		}
	}
	return drives, nil
}

// ensureOperator creates the operator account on first start. A configured
// password also replaces a different stored one, so COFFER_ADMIN_PASSWORD is
// always the password in force; an unchanged one keeps the operator's
// sessions. It returns the password it generated, if any.
func ensureOperator(store *auth.Store, password string) (generated string, err error) {
	if password != "" {
		created, err := store.EnsureOperator(password)
		if err != nil {
			return "", fmt.Errorf("server: operator account: %w", err)
		}
		if created {
			return "", nil
		}
		if _, err := store.CheckPassword(OperatorUsername, password, "startup"); err != nil {
			if err := store.SetPassword("", OperatorUsername, password); err != nil {
				return "", fmt.Errorf("server: operator password: %w", err)
			}
		}
		return "", nil
	}
	pw := randomPassword()
	created, err := store.EnsureOperator(pw)
	if err != nil {
		return "", fmt.Errorf("server: operator account: %w", err)
	}
	if created {
		return pw, nil
	}
	return "", nil
}

// randomPassword returns 26 base32 characters (128 bits from crypto/rand).
func randomPassword() string { return rand.Text() }

// listenerURL turns a bound address into a URL a local client can use: an
// unspecified host (0.0.0.0, ::) becomes 127.0.0.1.
func listenerURL(scheme string, addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return scheme + "://" + addr.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1) // Go's "tcp" listeners are dual-stack
	}
	return scheme + "://" + net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}
