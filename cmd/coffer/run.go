package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const topUsage = `Coffer: multi-tenant, S3-compatible, erasure-coded object storage in one binary.

Usage:
  coffer server [flags]          run the S3 and console listeners
  coffer admin [global flags] COMMAND ...
                                 manage tenants, users, volumes and keys of a running server
  coffer cluster dev --dir DIR [--nodes 3]
                                 run a local cluster of N nodes on loopback (development, tests)
  coffer rebuild-index --data DIR
                                 rebuild the metadata index from the drives (server stopped)
  coffer version                 print the version

Run "coffer COMMAND --help" for a command's flags.
`

// run is the whole program: main only adds signals and the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return usagef("no command given")
	}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:], stdout, stderr)
	case "admin":
		return runAdmin(ctx, args[1:], stdout, stderr)
	case "cluster":
		return runCluster(ctx, args[1:], stdout, stderr)
	case "rebuild-index":
		return runRebuildIndex(ctx, "coffer rebuild-index", args[1:], stdout)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage)
		return nil
	default:
		fmt.Fprint(stderr, topUsage)
		return usagef("unknown command %q", args[0])
	}
}

func versionString() string {
	rev := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("coffer %s%s (%s %s/%s)", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
