package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/cofferstore/coffer/console"
)

// overview is `coffer admin overview`: the console's overview page as text.
func overview(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, _ []string) error {
		var ov console.OverviewJSON
		raw, err := a.client.call(ctx, "GET", "/api/admin/overview", nil, &ov)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		started := "-"
		if ov.Started != nil {
			started = when(*ov.Started)
		}
		a.printf("Version:   %s\n", ov.Version)
		fmt.Fprintf(a.stdout, "Uptime:    %s (since %s)\n", uptime(ov.UptimeSeconds), started)
		cp := ov.Capacity
		fmt.Fprintf(a.stdout, "Capacity:  raw %s (%s free), usable %s (%s free) with %d data + %d parity shards; tenants store %s\n",
			formatBytes(int64(cp.RawBytes)), formatBytes(int64(cp.RawFreeBytes)), formatBytes(int64(cp.UsableBytes)),
			formatBytes(int64(cp.UsableFreeBytes)), cp.DataShards, cp.ParityShards, formatBytes(cp.UsedBytes))
		online := 0
		for _, d := range ov.Drives {
			if d.Online {
				online++
			}
		}
		fmt.Fprintf(a.stdout, "Drives:    %d of %d online, write quorum %s\n", online, len(ov.Drives), yesNo(ov.Ready))
		fmt.Fprintf(a.stdout, "Scrub:     %s\n", scrubLine(ov.Scrub))
		fmt.Fprintf(a.stdout, "Tenants:   %d (%d suspended), %d objects\n", ov.Tenants, ov.SuspendedTenants, ov.Objects)
		var reqs, c4, c5 uint64
		for _, m := range ov.Requests {
			reqs, c4, c5 = reqs+m.Requests, c4+m.ClientErrors, c5+m.ServerErrors
		}
		fmt.Fprintf(a.stdout, "Requests:  %d S3 requests in the last hour, %d answered 4xx, %d answered 5xx\n", reqs, c4, c5)
		fmt.Fprintf(a.stdout, "\nTop tenants by bytes:\n")
		if len(ov.TopTenants) == 0 {
			fmt.Fprintln(a.stdout, "  (no tenants)")
			return nil
		}
		rows := make([][]string, 0, len(ov.TopTenants))
		for _, t := range ov.TopTenants {
			rows = append(rows, []string{t.Name, formatBytes(t.Bytes), itoa(t.Objects), strconv.Itoa(t.Containers),
				formatLimit(t.QuotaBytes, true), yesNo(t.Suspended)})
		}
		return a.table([]string{"TENANT", "BYTES", "OBJECTS", "CONTAINERS", "QUOTA BYTES", "SUSPENDED"}, rows)
	}
}

// uptime renders seconds as "3d 4h 5m" (or "42s" under a minute).
func uptime(secs int64) string {
	if secs < 60 {
		return strconv.FormatInt(max(secs, 0), 10) + "s"
	}
	d := time.Duration(secs) * time.Second
	days, hours, mins := int64(d/(24*time.Hour)), int64(d/time.Hour)%24, int64(d/time.Minute)%60
	if days > 0 {
		return fmt.Sprintf("%dd %dh %dm", days, hours, mins)
	}
	return fmt.Sprintf("%dh %dm", hours, mins)
}

// scrubLine is the scrubber's state and counters on one line.
func scrubLine(sc console.ScrubJSON) string {
	state := "idle"
	if sc.Running {
		state = fmt.Sprintf("running (%.0f%%)", sc.Progress*100)
	}
	return fmt.Sprintf("%s, last pass done %s; objects scanned %d, healed %d, shards repaired %d, orphans removed %d, errors %d",
		state, whenSet(sc.LastScrubDone), sc.ObjectsScanned, sc.ObjectsHealed, sc.ShardsRepaired, sc.OrphansRemoved, sc.Errors)
}

// tenantBuckets is `coffer admin tenant buckets NAME`.
func tenantBuckets(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, args []string) error {
		return listTable(ctx, a, tenantPath(args[0])+"/containers", "containers",
			[]string{"CONTAINER", "OBJECTS", "BYTES", "NONCURRENT BYTES", "VERSIONING", "LOCK", "CREATED"},
			func(b console.ContainerSizeJSON) []string {
				v := b.Versioning
				if v == "" {
					v = "off"
				}
				return []string{b.Name, itoa(b.Objects), formatBytes(b.Bytes), formatBytes(b.NoncurrentBytes), v, yesNo(b.ObjectLock), when(b.Created)}
			})
	}
}

// scrubNow is `coffer admin scrub now`: one pass, waited for.
func scrubNow(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, _ []string) error {
		var sc console.ScrubJSON
		raw, err := a.client.call(ctx, "POST", "/api/admin/scrub", nil, &sc)
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			return errors.New("a scrub pass is already running; see `coffer admin drives` for its progress")
		}
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		fmt.Fprintf(a.stdout, "Scrub pass done: %s\n", scrubLine(sc))
		return nil
	}
}
