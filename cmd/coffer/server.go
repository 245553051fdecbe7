package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/cofferstore/coffer/internal/server"
)

const serverAbout = `Runs the S3 API listener and the console listener (web console, JSON and
admin API, /metrics, /healthz, /readyz). On first start it creates the
operator account "admin" and prints its password once; set
COFFER_ADMIN_PASSWORD to choose it instead. SIGTERM or SIGINT shuts down
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
	fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "bearer `TOKEN` required to scrape /metrics (none: open)")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log `FORMAT`: text or json")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log `LEVEL`: debug, info, warn or error")
	fs.DurationVar(&cfg.ScrubInterval, "scrub-interval", 0, "`DURATION` between background scrub passes; negative disables")
	fs.StringVar(&cfg.PprofAddress, "pprof", "", "serve net/http/pprof on this loopback `ADDR` (e.g. 127.0.0.1:6060)")
	for _, name := range []string{"data", "drives", "parity", "drive", "s3-address", "console-address",
		"domain", "public-endpoint", "tls-cert", "tls-key", "master-key-file", "metrics-token",
		"log-format", "log-level", "scrub-interval", "pprof"} {
		c.withEnv(name, envName(name))
	}
	c.defaults["drives"] = "4"
	c.defaults["parity"] = "half the drives"
	c.defaults["master-key-file"] = "DIR/master.key"
	c.defaults["public-endpoint"] = "http(s)://S3-ADDRESS"
	c.defaults["scrub-interval"] = "storage's"
	c.about += "\n\nEnvironment only:\n  COFFER_ADMIN_PASSWORD   operator password (instead of a generated one)"
	if _, err := c.parse(args, 0); err != nil {
		return cfg, *proc, err
	}
	cfg.Drives, cfg.Domains = drives.values, domains.values
	if len(cfg.Drives) > 0 && cfg.DriveCount != 0 && cfg.DriveCount != len(cfg.Drives) {
		return cfg, *proc, usagef("--drives %d does not match the %d --drive paths given", cfg.DriveCount, len(cfg.Drives))
	}
	cfg.AdminPassword = os.Getenv("COFFER_ADMIN_PASSWORD")
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
	memLimit, memSource := server.ApplyMemoryLimit(proc.memoryLimit.bytes)
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
}
