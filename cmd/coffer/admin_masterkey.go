package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cofferstore/coffer/internal/masterkey"
)

// masterKeyPollEvery is how often `master-key rotate` asks for progress.
const masterKeyPollEvery = 500 * time.Millisecond

// masterKeyRotate is `coffer admin master-key rotate [--no-wait]`.
func masterKeyRotate(c *command) runFunc {
	noWait := c.fs.Bool("no-wait", false, "start the rotation and return; follow it with `master-key status`")
	return func(ctx context.Context, a *adminEnv, _ []string) error {
		var st masterkey.Status
		raw, err := a.client.call(ctx, "POST", "/api/admin/master-key/rotate", nil, &st)
		if err != nil {
			return err
		}
		if *noWait {
			if a.json {
				return a.printJSON(raw)
			}
			return printMasterKey(a, st)
		}
		tick := time.NewTicker(masterKeyPollEvery)
		defer tick.Stop()
		for st.Running {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
			st = masterkey.Status{}
			if raw, err = a.client.call(ctx, "GET", "/api/admin/master-key", nil, &st); err != nil {
				return err
			}
		}
		if a.json {
			if err := a.printJSON(raw); err != nil {
				return err
			}
		} else if err := printMasterKey(a, st); err != nil {
			return err
		}
		if st.Phase == "failed" {
			return fmt.Errorf("the rotation stopped: %s (the old key stays in the key file; run `coffer admin master-key rotate` again to finish)", st.Error)
		}
		return nil
	}
}

// masterKeyStatus is `coffer admin master-key status`.
func masterKeyStatus(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, _ []string) error {
		var st masterkey.Status
		raw, err := a.client.call(ctx, "GET", "/api/admin/master-key", nil, &st)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		return printMasterKey(a, st)
	}
}

// printMasterKey prints key ids (never key bytes) and the last rotation.
func printMasterKey(a *adminEnv, st masterkey.Status) error {
	rows := [][]string{{st.Current, "current", itoa(int64(st.SecretsByKey[st.Current]))}}
	for _, id := range st.Retiring {
		rows = append(rows, []string{id, "retiring", itoa(int64(st.SecretsByKey[id]))})
	}
	if n := st.SecretsByKey["legacy"]; n > 0 {
		rows = append(rows, []string{"(no id)", "original key", itoa(int64(n))})
	}
	if err := a.table([]string{"KEY ID", "ROLE", "TENANT SECRETS"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nKey file: %s\n", st.KeyFile)
	switch {
	case st.Phase == "":
		fmt.Fprintln(a.stdout, "No rotation since the server started.")
	case st.Running:
		fmt.Fprintf(a.stdout, "Rotation running since %s: %s; %d tenant secrets and %d object keys re-sealed so far.\n",
			when(st.Started), st.Phase, st.Secrets, st.Objects)
	default:
		resumed := ""
		if st.Resumed {
			resumed = " (resumed an interrupted rotation)"
		}
		fmt.Fprintf(a.stdout, "Last rotation%s %s at %s: %d tenant secrets and %d object keys re-sealed.\n",
			resumed, st.Phase, when(st.Finished), st.Secrets, st.Objects)
		if st.Error != "" {
			fmt.Fprintf(a.stdout, "Error: %s\n", st.Error)
		}
	}
	if len(st.Retiring) > 0 && !st.Running {
		fmt.Fprintf(a.stdout, "Keys %s are still needed: run `coffer admin master-key rotate` to finish re-sealing and retire them.\n",
			strings.Join(st.Retiring, ", "))
	}
	return nil
}
