package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/cofferstore/coffer/pkg/policy"
)

// tenantPublicAccess is `coffer admin tenant public-access TENANT [flags]`:
// the operator's PublicAccessBlock default for a tenant's containers.
func tenantPublicAccess(c *command) runFunc {
	all := c.fs.Bool("block-all", false, "set all four flags")
	none := c.fs.Bool("none", false, "clear the default (each container's own setting alone applies)")
	acls := c.fs.Bool("block-public-acls", false, "refuse public canned ACLs")
	ignore := c.fs.Bool("ignore-public-acls", false, "ignore public canned ACLs")
	pol := c.fs.Bool("block-public-policy", false, "refuse bucket policies that grant public access")
	restrict := c.fs.Bool("restrict-public-buckets", false, "ignore the public grants of bucket policies")
	return func(ctx context.Context, a *adminEnv, args []string) error {
		b := policy.PublicAccessBlock{BlockPublicAcls: *acls, IgnorePublicAcls: *ignore, BlockPublicPolicy: *pol, RestrictPublicBuckets: *restrict}
		set := *all || *none || b != (policy.PublicAccessBlock{})
		switch {
		case *all && *none, (*all || *none) && b != (policy.PublicAccessBlock{}):
			return usagef("--block-all and --none go alone")
		case *all:
			b = policy.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
		}
		path := tenantPath(args[0]) + "/public-access-block"
		var res policy.PublicAccessBlock
		var raw []byte
		var err error
		if set {
			raw, err = a.client.call(ctx, "PUT", path, b, &res)
		} else {
			raw, err = a.client.call(ctx, "GET", path, nil, &res)
		}
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(raw)
		}
		var on []string
		for _, f := range []struct {
			name string
			on   bool
		}{{"BlockPublicAcls", res.BlockPublicAcls}, {"IgnorePublicAcls", res.IgnorePublicAcls},
			{"BlockPublicPolicy", res.BlockPublicPolicy}, {"RestrictPublicBuckets", res.RestrictPublicBuckets}} {
			if f.on {
				on = append(on, f.name)
			}
		}
		if len(on) == 0 {
			fmt.Fprintf(a.stdout, "Tenant %s: no default public access block (each container's own setting applies).\n", safe(args[0]))
			return nil
		}
		fmt.Fprintf(a.stdout, "Tenant %s: default public access block: %s (merged with each container's own).\n", safe(args[0]), strings.Join(on, ", "))
		return nil
	}
}
