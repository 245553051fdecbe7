package s3api

import (
	"strings"
	"testing"
)

// FuzzBucketAddress checks splitBucketAddress: a plain name passes
// through, a named tenant and bucket rebuild the input in one of the two
// forms, and neither part of a named address is ever a name a plain
// address could reach by accident.
func FuzzBucketAddress(f *testing.F) {
	for _, s := range []string{"bucket", "alpha:bucket", "bucket.alpha-s3alias", "a.b.c-s3alias", ":", "-s3alias", ".-s3alias", "a:b:c", "x-s3alias", "alpha:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tenant, bucket, named := splitBucketAddress(s)
		if !named {
			if tenant != "" || bucket != s {
				t.Fatalf("plain %q split into %q, %q", s, tenant, bucket)
			}
			if strings.Contains(s, tenantSep) {
				t.Fatalf("%q holds %q but is not named", s, tenantSep)
			}
			return
		}
		if tenant+tenantSep+bucket != s && bucket+"."+tenant+tenantHostSuffix != s {
			t.Fatalf("%q split into %q, %q: rebuilds neither form", s, tenant, bucket)
		}
		if strings.Contains(tenant, tenantSep) || strings.Contains(tenant, ".") && !strings.Contains(s, tenantSep) {
			t.Fatalf("%q: tenant %q holds a separator", s, tenant)
		}
	})
}
