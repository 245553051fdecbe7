package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/cofferstore/coffer/console"
	"github.com/cofferstore/coffer/internal/lifecycle"
)

// lifecycleRun is `coffer admin lifecycle run [--tenant T]`.
func lifecycleRun(c *command) runFunc {
	tenant := c.fs.String("tenant", "", "only tenant `T`")
	return func(ctx context.Context, a *adminEnv, _ []string) error {
		path := "/api/admin/lifecycle/run"
		if *tenant != "" {
			path += "?" + url.Values{"tenant": {*tenant}}.Encode()
		}
		var res lifecycle.Result
		raw, err := a.client.call(ctx, "POST", path, nil, &res)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		n := func(v int64) string { return strconv.FormatInt(v, 10) }
		var rows [][]string
		names := make([]string, 0, len(res.Tenants))
		for t := range res.Tenants {
			names = append(names, t)
		}
		slices.Sort(names)
		for _, t := range names {
			s := res.Tenants[t]
			rows = append(rows, []string{t, n(s.ObjectsExpired), formatBytes(s.BytesExpired), n(s.UploadsAborted),
				n(s.SkippedLocked), n(s.SkippedChanged), n(s.Errors)})
		}
		if err := a.table([]string{"TENANT", "EXPIRED", "BYTES", "UPLOADS ABORTED", "LOCKED", "CHANGED", "ERRORS"}, rows); err != nil {
			return err
		}
		tot := res.Total()
		resumed := ""
		if res.Resumed {
			resumed = " (resumed an interrupted pass)"
		}
		fmt.Fprintf(a.stdout, "\nLifecycle pass done%s: %d expired (%s), %d uploads aborted, %d skipped as locked, %d changed, %d errors.\n",
			resumed, tot.ObjectsExpired, formatBytes(tot.BytesExpired), tot.UploadsAborted, tot.SkippedLocked, tot.SkippedChanged, tot.Errors)
		return nil
	}
}

// lifecycleDefault is `coffer admin lifecycle default TENANT [--abort-days N]`.
func lifecycleDefault(c *command) runFunc {
	days := c.fs.Int("abort-days", -1, "abort the tenant's unfinished multipart uploads after `N` days (0 = never); omitted: show the setting")
	return func(ctx context.Context, a *adminEnv, args []string) error {
		if *days < -1 {
			return usagef("--abort-days must be 0 (never) or a positive number of days")
		}
		path := tenantPath(args[0]) + "/lifecycle-default"
		var res console.LifecycleDefaultJSON
		var raw []byte
		var err error
		if *days < 0 {
			raw, err = a.client.call(ctx, "GET", path, nil, &res)
		} else {
			raw, err = a.client.call(ctx, "PUT", path, console.LifecycleDefaultJSON{AbortDays: *days}, &res)
		}
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		if res.AbortDays == 0 {
			fmt.Fprintf(a.stdout, "Tenant %s: unfinished multipart uploads are not aborted by default (bucket rules still apply).\n", args[0])
			return nil
		}
		fmt.Fprintf(a.stdout, "Tenant %s: unfinished multipart uploads are aborted %d days after they began, unless a bucket rule says otherwise.\n", args[0], res.AbortDays)
		return nil
	}
}
