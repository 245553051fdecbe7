package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"

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
