package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/cofferstore/coffer/internal/lifecycle"
	"github.com/cofferstore/coffer/internal/server"
	"github.com/cofferstore/coffer/internal/usagehist"
)

const serverAbout = `Runs the S3 API listener and the console listener (web console, JSON and
admin API, /metrics, /healthz, /readyz). On first start it creates the
operator account "admin" and prints its password once; set
COFFER_ADMIN_PASSWORD to choose it instead. It also creates the operator
API token (DIR/operator.token) and the /metrics bearer token
(DIR/metrics.token), each 0600. SIGTERM or SIGINT shuts down
gracefully: in-flight requests get --shutdown-grace to finish, then they are
cut; a second signal ends the process at once.`

// serverFlags parses `coffer server` flags and environment into a server config.
func serverFlags(args []string, stdout io.Writer) (server.Config, error) {
	cfg, _, err := parseServerFlags(args, stdout)
	return cfg, err
}

// parseServerFlags is serverFlags that also returns the flags acting on the
// process rather than on the server.
func parseServerFlags(args []string, stdout io.Writer) (server.Config, processFlags, error) {
	c := newCommand("coffer server [flags]", serverAbout, stdout)
	var cfg server.Config
	var drives, domains listFlag
	fs := c.fs
	proc := registerFloodFlags(c, &cfg)
	fs.StringVar(&cfg.DataDir, "data", server.DefaultDataDir, "`DIR` for the index, auth store, master key and (without --drive) the drive directories")
	fs.IntVar(&cfg.DriveCount, "drives", 0, "`N` drive directories DIR/drive1..N to create and use")
	fs.IntVar(&cfg.Parity, "parity", 0, "`M` parity shards per object")
	fs.Var(&drives, "drive", "drive directory `PATH` (repeat, or a comma list) instead of DIR/driveN")
	fs.StringVar(&cfg.S3Address, "s3-address", server.DefaultS3Address, "S3 API listen `ADDR`")
	fs.StringVar(&cfg.ConsoleAddress, "console-address", server.DefaultConsoleAddress, "console, admin API and /metrics listen `ADDR`")
	fs.Var(&domains, "domain", "base `DOMAIN` for virtual-hosted-style requests (repeat, or a comma list)")
	fs.StringVar(&cfg.PublicEndpoint, "public-endpoint", "", "S3 endpoint `URL` shown to tenants")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate `FILE`; with --tls-key both listeners serve HTTPS")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key `FILE`")
	fs.StringVar(&cfg.MasterKeyFile, "master-key-file", "", "`FILE` with the key encrypting tenants' secrets, created 0600 if absent")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "bearer `TOKEN` required to scrape /metrics")
	fs.BoolVar(&cfg.MetricsPublic, "metrics-public", false, "serve /metrics without a token (exposes tenant and bucket names and usage)")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log `FORMAT`: text or json")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log `LEVEL`: debug, info, warn or error")
	fs.Int64Var(&cfg.MaxBuckets, "max-buckets", server.DefaultMaxBuckets, "`N` buckets per tenant unless its quota sets its own; 0 = no limit")
	fs.Int64Var(&cfg.MaxUploads, "max-uploads", server.DefaultMaxUploads, "`N` unfinished multipart uploads per tenant unless its quota sets its own; 0 = no limit")
	fs.DurationVar(&cfg.ScrubInterval, "scrub-interval", 0, "`DURATION` between background scrub passes; negative disables")
	fs.DurationVar(&cfg.LifecycleInterval, "lifecycle-interval", lifecycle.DefaultInterval, "`DURATION` between lifecycle passes (expiration, abort of old uploads); negative disables")
	fs.Float64Var(&cfg.LifecycleRate, "lifecycle-rate", lifecycle.DefaultRate, "lifecycle deletes per second (`N`); negative = unbounded")
	fs.DurationVar(&cfg.UsageSampleInterval, "usage-sample-interval", usagehist.DefaultInterval, "`DURATION` between samples of usage for the console's charts (1s to 1h); negative disables")
	fs.StringVar(&cfg.PprofAddress, "pprof", "", "serve net/http/pprof on this loopback `ADDR` (e.g. 127.0.0.1:6060)")
	fs.BoolVar(&cfg.SSEDefault, "sse-default", false, "encrypt every new object of every tenant with SSE-S3 unless its request asks for SSE-C")
	fs.BoolVar(&cfg.SSECAllowHTTP, "sse-c-allow-http", false, "accept SSE-C customer keys over plain HTTP (testing only: a key sent in clear is compromised)")
	var etcd listFlag
	fs.Var(&etcd, "cluster-etcd", "join a cluster: etcd client `URL`s (comma list), or \"embedded\" to run an etcd member in this process (docs/cluster.md)")
	fs.StringVar(&cfg.ClusterNode, "cluster-node", "", "this node's `NAME`, unique in the cluster")
	fs.StringVar(&cfg.ClusterListen, "cluster-listen", "", "listen `ADDR` of the internal drive protocol (the other nodes read and write this node's drives there)")
	fs.StringVar(&cfg.ClusterAdvertise, "cluster-advertise", "", "`URL` the other nodes reach --cluster-listen at")
	fs.StringVar(&cfg.ClusterEtcdMembers, "cluster-etcd-members", "", "embedded etcd: every member as `name=peerURL,...` (this node included)")
	fs.StringVar(&cfg.ClusterEtcdPeerListen, "cluster-etcd-peer-listen", "", "embedded etcd: peer listen `URL`")
	fs.StringVar(&cfg.ClusterEtcdClientListen, "cluster-etcd-client-listen", "", "embedded etcd: client listen `URL`")
	fs.StringVar(&cfg.ClusterEtcdCA, "cluster-etcd-ca", "", "external etcd over https: PEM `FILE` of the CA that signed etcd's certificates (default: the system's roots)")
	fs.StringVar(&cfg.ClusterEtcdCert, "cluster-etcd-cert", "", "external etcd over https: this node's client certificate PEM `FILE` (with --cluster-etcd-key)")
	fs.StringVar(&cfg.ClusterEtcdKey, "cluster-etcd-key", "", "external etcd over https: the client certificate's private key PEM `FILE`")
	fs.StringVar(&cfg.ClusterSecretFile, "cluster-secret-file", "", "`FILE` with the secret (64 hex digits) the nodes sign drive requests with; the same file on every node")
	fs.IntVar(&cfg.ClusterNodes, "cluster-nodes", 0, "`N` nodes that must register before the erasure set is laid out (once)")
	for _, name := range []string{"data", "drives", "parity", "drive", "s3-address", "console-address",
		"domain", "public-endpoint", "tls-cert", "tls-key", "master-key-file", "metrics-token",
		"metrics-public", "log-format", "log-level", "scrub-interval", "pprof", "max-buckets", "max-uploads", "lifecycle-interval", "lifecycle-rate", "usage-sample-interval",
		"sse-default", "sse-c-allow-http", "cluster-etcd", "cluster-node", "cluster-listen", "cluster-advertise",
		"cluster-etcd-members", "cluster-etcd-peer-listen", "cluster-etcd-client-listen", "cluster-etcd-ca", "cluster-etcd-cert", "cluster-etcd-key", "cluster-secret-file", "cluster-nodes"} {
		c.withEnv(name, envName(name))
	}
	// SigV2 stays on by default: botocore still presigns V2 URLs for custom
	// endpoints. AWS refuses V2 in every region opened since 2014.
	sigv2 := fs.Bool("sigv2", true, "accept AWS Signature Version 2 (header and presigned); false answers V2 requests 400 InvalidRequest")
	c.withEnv("sigv2", envName("sigv2"))

	c.defaults["drives"] = "4"
	c.defaults["parity"] = "half the drives; in a cluster, the drives of one node"
	c.defaults["master-key-file"] = "DIR/master.key"
	c.defaults["public-endpoint"] = "http(s)://S3-ADDRESS"
	c.defaults["scrub-interval"] = "storage's"
	c.defaults["metrics-token"] = "generated in DIR/metrics.token"
	c.defaults["cluster-advertise"] = "http://CLUSTER-LISTEN"
	c.defaults["cluster-etcd-peer-listen"] = "this node's peer URL in --cluster-etcd-members"
	c.defaults["cluster-etcd-client-listen"] = "127.0.0.1, a free port"
	c.defaults["cluster-secret-file"] = "DIR/cluster.secret"
	c.defaults["cluster-nodes"] = "the number of --cluster-etcd-members"
	c.about += "\n\nEnvironment only:\n  COFFER_ADMIN_PASSWORD   operator password (instead of a generated one)" +
		"\n  COFFER_ADMIN_TOKEN      operator API token (instead of DIR/operator.token)"
	if _, err := c.parse(args, 0); err != nil {
		return cfg, *proc, err
	}
	if cfg.MaxBuckets < 0 || cfg.MaxUploads < 0 {
		return cfg, *proc, usagef("--max-buckets and --max-uploads must be 0 (no limit) or positive")
	}
	// The flags say 0 for no limit; server.Config says so with a negative value.
	for _, v := range []*int64{&cfg.MaxBuckets, &cfg.MaxUploads} {
		if *v == 0 {
			*v = -1
		}
	}
	cfg.Drives, cfg.Domains, cfg.ClusterEtcd = drives.values, domains.values, etcd.values
	cfg.DisableSigV2 = !*sigv2
	if len(cfg.Drives) > 0 && cfg.DriveCount != 0 && cfg.DriveCount != len(cfg.Drives) {
		return cfg, *proc, usagef("--drives %d does not match the %d --drive paths given", cfg.DriveCount, len(cfg.Drives))
	}
	cfg.AdminPassword = os.Getenv("COFFER_ADMIN_PASSWORD")
	cfg.OperatorToken = os.Getenv("COFFER_ADMIN_TOKEN")
	return cfg, *proc, nil
}

// envName is the environment variable of a flag: --s3-address -> COFFER_S3_ADDRESS.
func envName(flagName string) string {
	b := []byte("COFFER_" + flagName)
	for i, ch := range b {
		switch {
		case ch == '-':
			b[i] = '_'
		case ch >= 'a' && ch <= 'z':
			b[i] = ch - 'a' + 'A'
		}
	}
	return string(b)
}

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, proc, err := parseServerFlags(args, stdout)
	if err != nil {
		return err
	}
	cfg.LogOutput = stderr
	cfg.Version = strings.TrimPrefix(versionString(), "coffer ")
	memLimit, memSource := server.ApplyMemoryLimit(proc.memoryLimit.bytes)
	headroom := server.GCHeadroom(memLimit)
	defer runtime.KeepAlive(headroom)
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		return err
	}
	printBanner(stdout, srv, cfg)
	if memLimit > 0 {
		fmt.Fprintf(stdout, "  Memory limit:    %s (%s)\n", formatBytes(memLimit), memSource)
	}

	select {
	case <-ctx.Done():
	case err = <-srv.Err():
		err = fmt.Errorf("listener failed: %w", err)
	}
	fmt.Fprintln(stdout, "Shutting down: waiting for in-flight requests ...")
	sctx, cancel := context.WithTimeout(context.Background(), proc.shutdownGrace)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil {
		err = fmt.Errorf("shutdown: %w", serr)
	}
	if err == nil {
		fmt.Fprintln(stdout, "Stopped.")
	}
	return err
}

// printBanner tells the operator where things are. The e2e scripts read the
// "S3 endpoint:" and "Console:" lines.
func printBanner(w io.Writer, srv *server.Server, cfg server.Config) {
	fmt.Fprintf(w, "Coffer %s is running.\n", version)
	fmt.Fprintf(w, "  S3 endpoint:     %s\n", srv.S3URL)
	if srv.PublicEndpoint != srv.S3URL {
		fmt.Fprintf(w, "  Public endpoint: %s\n", srv.PublicEndpoint)
	}
	fmt.Fprintf(w, "  Console:         %s\n", srv.ConsoleURL)
	fmt.Fprintf(w, "  Region:          %s\n", server.Region)
	if srv.PprofURL != "" {
		fmt.Fprintf(w, "  pprof:           %s\n", srv.PprofURL)
	}
	switch {
	case srv.GeneratedAdminPassword != "":
		fmt.Fprintf(w, "  Operator login:  %s / %s\n", server.OperatorUsername, srv.GeneratedAdminPassword)
		fmt.Fprintln(w, "                   (generated on first start and shown only this once; set COFFER_ADMIN_PASSWORD to choose your own)")
	case cfg.AdminPassword != "":
		fmt.Fprintf(w, "  Operator login:  %s (password from COFFER_ADMIN_PASSWORD)\n", server.OperatorUsername)
	default:
		fmt.Fprintf(w, "  Operator login:  %s (password set on first start)\n", server.OperatorUsername)
	}
	if srv.OperatorTokenFile != "" {
		fmt.Fprintf(w, "  Operator token:  %s (coffer admin --token-file; never locked out)\n", srv.OperatorTokenFile)
	} else {
		fmt.Fprintln(w, "  Operator token:  from COFFER_ADMIN_TOKEN")
	}
	switch {
	case srv.MetricsTokenFile != "":
		fmt.Fprintf(w, "  Metrics token:   %s (Prometheus bearer_token_file)\n", srv.MetricsTokenFile)
	case cfg.MetricsPublic:
		fmt.Fprintln(w, "  Metrics:         PUBLIC (--metrics-public): anyone reaching the console sees tenant names and usage")
	default:
		fmt.Fprintln(w, "  Metrics token:   from --metrics-token")
	}
}
