package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"

	"github.com/cofferstore/coffer/console"
)

type runFunc = func(ctx context.Context, a *adminEnv, args []string) error

// adminCommands is every `coffer admin` command. External acceptance scripts
// depend on these exact forms: keep them stable.
var adminCommands = []adminCommand{
	{"tenant create", "NAME [--quota-objects N] [--quota-bytes SIZE] [--quota-buckets N] [--quota-uploads N]", 1, "create a tenant", tenantCreate},
	{"tenant list", "[--json]", 0, "list tenants with usage and quotas", tenantList},
	{"tenant show", "NAME", 1, "show a tenant with its users and volumes", tenantShow},
	{"tenant set-quota", "NAME [--objects N] [--bytes SIZE] [--buckets N] [--uploads N]", 1, "set or clear (0) a tenant's quotas and limits", tenantSetQuota},
	{"tenant suspend", "NAME", 1, "refuse the tenant's S3 requests until resumed", tenantState("suspend")},
	{"tenant resume", "NAME", 1, "let a suspended tenant in again", tenantState("resume")},
	{"tenant delete", "NAME --confirm NAME", 1, "delete a tenant with ALL its data", tenantDelete},
	{"user create", "TENANT USERNAME --password P", 2, "create a console user of a tenant", userCreate},
	{"user passwd", "TENANT USERNAME --password P", 2, "reset a console user's password", userPasswd},
	{"user delete", "TENANT USERNAME", 2, "delete a console user", userDelete},
	{"user list", "TENANT", 1, "list a tenant's console users", userList},
	{"volume add", "TENANT --name N --size SIZE --server S", 1, "record a block storage volume of a tenant", volumeAdd},
	{"volume list", "TENANT", 1, "list a tenant's block storage volumes", volumeList},
	{"volume remove", "TENANT NAME", 2, "remove a block storage volume record", volumeRemove},
	{"keys generate", "TENANT", 1, `create the tenant's S3 key pair; prints {"accessKey", "secretKey"} JSON`, keysNew("generate")},
	{"keys rotate", "TENANT", 1, `replace the tenant's S3 key pair at once; prints {"accessKey", "secretKey"} JSON`, keysNew("rotate")},
	{"keys delete", "TENANT", 1, "delete the tenant's S3 key pair (all S3 access revoked)", keysDelete},
	{"keys show", "TENANT", 1, "show the tenant's access key (never the secret)", keysShow},
	{"drives", "", 0, "drive health and scrub status", drives},
	{"overview", "", 0, "version, uptime, capacity, drives, tenants, requests of the last hour, top tenants by bytes", overview},
	{"tenant buckets", "NAME", 1, "a tenant's containers with their sizes", tenantBuckets},
	{"scrub now", "", 0, "run a scrub pass now (verify and heal every shard) and print its counts", scrubNow},
	{"audit", "[--tenant T] [--limit N]", 0, "recent audit events", audit},
	{"lifecycle default", "TENANT [--abort-days N]", 1, "show or set (--abort-days; 0 = never) after how many days the tenant's unfinished multipart uploads are aborted", lifecycleDefault},
	{"tenant public-access", "TENANT [--block-all | --block-public-acls --ignore-public-acls --block-public-policy --restrict-public-buckets | --none]", 1,
		"show or set the tenant's default PublicAccessBlock (merged with each container's own; the most restrictive wins)", tenantPublicAccess},
	{"lifecycle run", "[--tenant T]", 0, "run a lifecycle pass now (expirations, aborts of old uploads) and print its counts", lifecycleRun},
	{"master-key rotate", "[--no-wait]", 0, "make a new master key, re-seal every tenant secret and object key under it online, retire the old key", masterKeyRotate},
	{"master-key status", "", 0, "master key ids (never the keys), tenant secrets under each, rotation progress", masterKeyStatus},
	{"cluster", "", 0, "cluster mode: nodes (up/down, S3 URL, drives, last seen), the erasure set, the leader and its heal progress", clusterCmd},
}

func tenantPath(name string) string { return "/api/admin/tenants/" + esc(name) }

func tenantCreate(c *command) runFunc {
	objects := c.fs.Int64("quota-objects", 0, "maximum number of `N` objects (0 = no limit)")
	var bytes sizeFlag
	c.fs.Var(&bytes, "quota-bytes", "maximum bytes, e.g. 10GiB or 500MB (`SIZE`; 0 = no limit)")
	buckets := c.fs.Int64("quota-buckets", 0, "maximum `N` buckets (containers) (0 = the server's --max-buckets)")
	uploads := c.fs.Int64("quota-uploads", 0, "maximum `N` unfinished multipart uploads (0 = the server's --max-uploads)")
	return func(ctx context.Context, a *adminEnv, args []string) error {
		if *objects < 0 || *buckets < 0 || *uploads < 0 {
			return usagef("--quota-objects, --quota-buckets and --quota-uploads must not be negative")
		}
		q := console.QuotaJSON{Objects: *objects, Bytes: bytes.bytes, Buckets: *buckets, Uploads: *uploads}
		raw, err := a.client.call(ctx, "POST", "/api/admin/tenants", map[string]any{"name": args[0], "quota": q}, nil)
		if err != nil {
			return err
		}
		return a.result(raw, "Tenant %s created (quota: %s).", args[0], quotaSummary(q))
	}
}

func tenantList(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, _ []string) error {
		return listTable(ctx, a, "/api/admin/tenants", "tenants",
			[]string{"NAME", "OBJECTS", "BYTES", "CONTAINERS", "UPLOADS", "QUOTA OBJECTS", "QUOTA BYTES", "KEY", "SUSPENDED", "CREATED"},
			func(t console.TenantJSON) []string {
				return []string{t.Name, itoa(t.Usage.Objects), formatBytes(t.Usage.Bytes),
					itoa(int64(t.Usage.Containers)) + "/" + formatLimit(t.Usage.ContainerLimit, false),
					itoa(t.Usage.Uploads) + "/" + formatLimit(t.Usage.UploadLimit, false), formatLimit(t.Quota.Objects, false),
					formatLimit(t.Quota.Bytes, true), yesNo(t.HasCredentials), yesNo(t.Suspended), when(t.Created)}
			})
	}
}

func tenantShow(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, args []string) error {
		var t console.TenantJSON
		raw, err := a.client.call(ctx, "GET", tenantPath(args[0]), nil, &t)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		printTenant(a, t)
		fmt.Fprintf(a.stdout, "\nUsers:\n")
		if len(t.Users) == 0 {
			fmt.Fprintln(a.stdout, "  (none)")
		}
		for _, u := range t.Users {
			a.printf("  %s (%s, created %s)\n", u.Username, u.Role, when(u.Created))
		}
		fmt.Fprintf(a.stdout, "\nBlock storage volumes:\n")
		if len(t.Volumes) == 0 {
			fmt.Fprintln(a.stdout, "  (none)")
		}
		for _, v := range t.Volumes {
			a.printf("  %s  %s  attached to %s\n", v.Name, formatBytes(v.SizeBytes), v.Server)
		}
		return nil
	}
}

func printTenant(a *adminEnv, t console.TenantJSON) {
	a.printf("Tenant:       %s\n", t.Name)
	fmt.Fprintf(a.stdout, "Created:      %s\n", when(t.Created))
	fmt.Fprintf(a.stdout, "Suspended:    %s\n", yesNo(t.Suspended))
	fmt.Fprintf(a.stdout, "Credentials:  %s\n", yesNo(t.HasCredentials))
	fmt.Fprintf(a.stdout, "Objects:      %d of %s\n", t.Usage.Objects, formatLimit(t.Quota.Objects, false))
	fmt.Fprintf(a.stdout, "Bytes:        %s of %s\n", formatBytes(t.Usage.Bytes), formatLimit(t.Quota.Bytes, true))
	fmt.Fprintf(a.stdout, "Containers:   %d of %s\n", t.Usage.Containers, limitInForce(t.Usage.ContainerLimit, t.Quota.Buckets))
	fmt.Fprintf(a.stdout, "Uploads:      %d of %s\n", t.Usage.Uploads, limitInForce(t.Usage.UploadLimit, t.Quota.Uploads))
}

// limitInForce renders a bucket or upload limit, saying when it is the
// server's default (the tenant's own is 0).
func limitInForce(limit, own int64) string {
	if own == 0 {
		return formatLimit(limit, false) + " (server default)"
	}
	return formatLimit(limit, false)
}

// quotaSummary renders a quota as set: 0 is no limit for objects and
// bytes, the server default for buckets and uploads.
func quotaSummary(q console.QuotaJSON) string {
	orDefault := func(n int64) string {
		if n == 0 {
			return "server default"
		}
		return itoa(n)
	}
	return fmt.Sprintf("objects %s, bytes %s, buckets %s, uploads %s", formatLimit(q.Objects, false),
		formatLimit(q.Bytes, true), orDefault(q.Buckets), orDefault(q.Uploads))
}

func tenantSetQuota(c *command) runFunc {
	objects := c.fs.Int64("objects", 0, "maximum number of `N` objects (0 = no limit)")
	var bytes sizeFlag
	c.fs.Var(&bytes, "bytes", "maximum bytes, e.g. 10GiB (`SIZE`; 0 = no limit)")
	buckets := c.fs.Int64("buckets", 0, "maximum `N` buckets (containers) (0 = the server's --max-buckets)")
	uploads := c.fs.Int64("uploads", 0, "maximum `N` unfinished multipart uploads (0 = the server's --max-uploads)")
	return func(ctx context.Context, a *adminEnv, args []string) error {
		set := map[string]bool{}
		c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["objects"] && !set["bytes"] && !set["buckets"] && !set["uploads"] {
			return usagef("tenant set-quota: give --objects N, --bytes SIZE (0 = no limit), --buckets N and/or --uploads N (0 = server default)")
		}
		if *objects < 0 || *buckets < 0 || *uploads < 0 {
			return usagef("--objects, --buckets and --uploads must not be negative")
		}
		// A limit not named on the command line keeps its current value.
		var cur console.TenantJSON
		if _, err := a.client.call(ctx, "GET", tenantPath(args[0]), nil, &cur); err != nil {
			return err
		}
		q := cur.Quota
		if set["objects"] {
			q.Objects = *objects
		}
		if set["bytes"] {
			q.Bytes = bytes.bytes
		}
		if set["buckets"] {
			q.Buckets = *buckets
		}
		if set["uploads"] {
			q.Uploads = *uploads
		}
		raw, err := a.client.call(ctx, "PUT", tenantPath(args[0])+"/quota", q, nil)
		if err != nil {
			return err
		}
		return a.result(raw, "Quota of %s: %s.", args[0], quotaSummary(q))
	}
}

func tenantState(action string) func(c *command) runFunc {
	return func(c *command) runFunc {
		return func(ctx context.Context, a *adminEnv, args []string) error {
			raw, err := a.client.call(ctx, "POST", tenantPath(args[0])+"/"+action, nil, nil)
			if err != nil {
				return err
			}
			state := map[string]string{"suspend": "suspended", "resume": "active again"}[action]
			return a.result(raw, "Tenant %s is %s.", args[0], state)
		}
	}
}

func tenantDelete(c *command) runFunc {
	confirm := c.fs.String("confirm", "", "the tenant's `NAME` again, to confirm deleting all its data")
	return func(ctx context.Context, a *adminEnv, args []string) error {
		if *confirm != args[0] {
			return usagef("tenant delete removes ALL of %s's data: repeat the name with --confirm %s", args[0], args[0])
		}
		raw, err := a.client.call(ctx, "DELETE", tenantPath(args[0])+"?confirm="+url.QueryEscape(*confirm), nil, nil)
		if err != nil {
			return err
		}
		return a.result(raw, "Tenant %s and all its data deleted.", args[0])
	}
}

func requirePassword(p string) error {
	if p == "" {
		return usagef("--password is required")
	}
	return nil
}

func userCreate(c *command) runFunc {
	password := c.fs.String("password", "", "the user's initial `PASSWORD`")
	return func(ctx context.Context, a *adminEnv, args []string) error {
		if err := requirePassword(*password); err != nil {
			return err
		}
		body := map[string]string{"username": args[1], "password": *password}
		raw, err := a.client.call(ctx, "POST", tenantPath(args[0])+"/users", body, nil)
		if err != nil {
			return err
		}
		return a.result(raw, "User %s of tenant %s created.", args[1], args[0])
	}
}

func userPasswd(c *command) runFunc {
	password := c.fs.String("password", "", "the user's new `PASSWORD`")
	return func(ctx context.Context, a *adminEnv, args []string) error {
		if err := requirePassword(*password); err != nil {
			return err
		}
		body := map[string]string{"password": *password}
		raw, err := a.client.call(ctx, "PUT", tenantPath(args[0])+"/users/"+esc(args[1])+"/password", body, nil)
		if err != nil {
			return err
		}
		return a.result(raw, "Password of %s changed.", args[1])
	}
}

func userDelete(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, args []string) error {
		raw, err := a.client.call(ctx, "DELETE", tenantPath(args[0])+"/users/"+esc(args[1]), nil, nil)
		if err != nil {
			return err
		}
		return a.result(raw, "User %s of tenant %s deleted.", args[1], args[0])
	}
}

func userList(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, args []string) error {
		return listTable(ctx, a, tenantPath(args[0])+"/users", "users", []string{"USERNAME", "ROLE", "CREATED"},
			func(u console.UserJSON) []string { return []string{u.Username, u.Role, when(u.Created)} })
	}
}

func volumeAdd(c *command) runFunc {
	name := c.fs.String("name", "", "volume `NAME`: 1-63 of A-Z a-z 0-9 . _ -")
	var size sizeFlag
	c.fs.Var(&size, "size", "volume size, e.g. 100GiB (`SIZE`)")
	server := c.fs.String("server", "", "`SERVER` the volume is attached to")
	return func(ctx context.Context, a *adminEnv, args []string) error {
		if *name == "" || !size.set {
			return usagef("volume add needs --name N and --size SIZE")
		}
		body := console.VolumeJSON{Name: *name, SizeBytes: size.bytes, Server: *server}
		raw, err := a.client.call(ctx, "POST", tenantPath(args[0])+"/volumes", body, nil)
		if err != nil {
			return err
		}
		return a.result(raw, "Volume %s (%s) recorded for tenant %s.", *name, formatBytes(size.bytes), args[0])
	}
}

func volumeList(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, args []string) error {
		return listTable(ctx, a, tenantPath(args[0])+"/volumes", "volumes", []string{"NAME", "SIZE", "BYTES", "SERVER", "CREATED"},
			func(v console.VolumeJSON) []string {
				return []string{v.Name, formatBytes(v.SizeBytes), itoa(v.SizeBytes), v.Server, when(v.Created)}
			})
	}
}

func volumeRemove(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, args []string) error {
		// By query: any stored name works, even one holding "/".
		raw, err := a.client.call(ctx, "DELETE", tenantPath(args[0])+"/volumes?name="+url.QueryEscape(args[1]), nil, nil)
		if err != nil {
			return err
		}
		return a.result(raw, "Volume %s of tenant %s removed.", args[1], args[0])
	}
}

// keysNew generates or rotates a key pair and prints exactly
// {"accessKey": "...", "secretKey": "..."}: automation parses it.
func keysNew(action string) func(c *command) runFunc {
	return func(c *command) runFunc {
		return func(ctx context.Context, a *adminEnv, args []string) error {
			path := tenantPath(args[0]) + "/keys"
			if action == "rotate" {
				path += "/rotate"
			}
			var k console.NewKeyJSON
			if _, err := a.client.call(ctx, "POST", path, nil, &k); err != nil {
				return err
			}
			if k.AccessKey == "" || k.SecretKey == "" {
				return errors.New("the server's answer holds no key pair")
			}
			ak, _ := json.Marshal(k.AccessKey)
			sk, _ := json.Marshal(k.SecretKey)
			_, err := fmt.Fprintf(a.stdout, "{\"accessKey\": %s, \"secretKey\": %s}\n", ak, sk)
			return err
		}
	}
}

func keysDelete(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, args []string) error {
		raw, err := a.client.call(ctx, "DELETE", tenantPath(args[0])+"/keys", nil, nil)
		if err != nil {
			return err
		}
		return a.result(raw, "Key pair of tenant %s deleted: its S3 access is revoked.", args[0])
	}
}

func keysShow(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, args []string) error {
		var k console.KeyInfoJSON
		raw, err := a.client.call(ctx, "GET", tenantPath(args[0])+"/keys", nil, &k)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		return a.table([]string{"ACCESS KEY", "CREATED", "LAST USED"},
			[][]string{{k.AccessKey, when(k.Created), whenSet(k.LastUsed)}})
	}
}

func drives(c *command) runFunc {
	return func(ctx context.Context, a *adminEnv, _ []string) error {
		var d console.DrivesJSON
		raw, err := a.client.call(ctx, "GET", "/api/admin/drives", nil, &d)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		rows := make([][]string, 0, len(d.Drives))
		for _, dr := range d.Drives {
			state := "online"
			if !dr.Online {
				state = "OFFLINE"
			}
			rows = append(rows, []string{strconv.Itoa(dr.Index), dr.Path, state,
				formatBytes(int64(dr.FreeBytes)), formatBytes(int64(dr.TotalBytes)), strconv.FormatUint(dr.Errors, 10)})
		}
		if err := a.table([]string{"DRIVE", "PATH", "STATE", "FREE", "TOTAL", "ERRORS"}, rows); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "\nWrite quorum: %s\n", yesNo(d.Ready))
		fmt.Fprintf(a.stdout, "Scrub: %s\n", scrubLine(d.Scrub))
		return nil
	}
}

func audit(c *command) runFunc {
	tenant := c.fs.String("tenant", "", "only events of tenant `T`")
	limit := c.fs.Int("limit", 100, "at most `N` events, newest first")
	return func(ctx context.Context, a *adminEnv, _ []string) error {
		q := url.Values{}
		if *tenant != "" {
			q.Set("tenant", *tenant)
		}
		q.Set("limit", strconv.Itoa(*limit))
		return listTable(ctx, a, "/api/admin/audit?"+q.Encode(), "events", []string{"TIME", "ACTOR", "TENANT", "ACTION", "TARGET", "FROM"},
			func(e console.AuditJSON) []string {
				return []string{when(e.Time), e.Actor, e.Tenant, e.Action, e.Target, e.RemoteIP}
			})
	}
}
