package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/cofferstore/coffer/internal/server"
	"github.com/cofferstore/coffer/storage"
)

const rebuildAbout = `Rebuilds the metadata index (DIR/index.db) from the object metadata stored
with the shards on every drive. Run it with the server stopped.`

func runRebuildIndex(ctx context.Context, synopsis string, args []string, stdout io.Writer) error {
	c := newCommand(synopsis+" --data DIR [--drives N | --drive PATH ...] [--parity M]", rebuildAbout, stdout)
	data := c.fs.String("data", server.DefaultDataDir, "server data `DIR`")
	count := c.fs.Int("drives", 0, "`N` drive directories DIR/drive1..N")
	parity := c.fs.Int("parity", 0, "`M` parity shards")
	var paths listFlag
	c.fs.Var(&paths, "drive", "drive directory `PATH` (repeat) instead of DIR/driveN")
	c.defaults["drives"] = "the DIR/driveN found"
	c.defaults["parity"] = "half the drives"
	for _, name := range []string{"data", "drives", "parity", "drive"} {
		c.withEnv(name, envName(name))
	}
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	drives := paths.values
	if len(drives) == 0 {
		n := *count
		if n == 0 {
			for n < 16 {
				if fi, err := os.Stat(filepath.Join(*data, "drive"+strconv.Itoa(n+1))); err != nil || !fi.IsDir() {
					break
				}
				n++
			}
		}
		for i := 1; i <= n; i++ {
			drives = append(drives, filepath.Join(*data, "drive"+strconv.Itoa(i)))
		}
	}
	if len(drives) < 2 {
		return fmt.Errorf("rebuild-index: found %d drive directories under %s; name them with --drive", len(drives), *data)
	}
	store, err := storage.Open(storage.Config{DataDir: *data, Drives: drives, Parity: *parity, ScrubInterval: -1})
	if err != nil {
		return fmt.Errorf("rebuild-index: open storage (is the server still running?): %w", err)
	}
	stats, err := store.RebuildIndex(ctx)
	var tenants []storage.Tenant
	if err == nil {
		tenants, err = store.ListTenants(ctx)
	}
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("rebuild-index: %w", err)
	}
	fmt.Fprintf(stdout, "Index rebuilt from %d drives: %d tenants, %d objects, %d upload parts.\n", len(drives), len(tenants), stats.Objects, stats.Parts)
	if stats.Errors > 0 {
		// Each skipped error may have left objects out: say so, and fail.
		fmt.Fprintf(stdout, "%d errors were skipped; objects may be missing from the index:\n", stats.Errors)
		for _, e := range stats.FirstErrors {
			fmt.Fprintf(stdout, "  %s\n", e)
		}
		return fmt.Errorf("rebuild-index: %d read errors; fix the drives and run it again", stats.Errors)
	}
	return nil
}
