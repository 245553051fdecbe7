package s3api

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/pkg/policy"
	"github.com/cofferstore/coffer/storage"
)

// benchPolicy is a policy of n statements with conditions, about 200
// bytes each (n=100 is near the 20 KB limit).
func benchPolicy(n int) string {
	var st []string
	for i := range n {
		st = append(st, fmt.Sprintf(`{"Sid":"s%d","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::pub/p%d/*","Condition":{"IpAddress":{"aws:SourceIp":"10.%d.0.0/16"}}}`, i, i, i%256))
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}`
}

// BenchmarkPolicyLookup measures what authorize pays per request to get a
// bucket's policy: the stored document's read, a parse, or a cache hit.
func BenchmarkPolicyLookup(b *testing.B) {
	e := newEnv(b, "alpha")
	ctx := context.Background()
	if err := e.store.CreateBucket(ctx, "alpha", "pub", storage.BucketOptions{}); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 10, 100} {
		doc := []byte(benchPolicy(n))
		p, err := policy.Parse(doc, "pub", "alpha")
		if err != nil {
			b.Fatal(err)
		}
		canon := fmt.Sprint(len(doc))
		b.Run("parse/statements="+fmt.Sprint(n)+"/bytes="+canon, func(b *testing.B) {
			for b.Loop() {
				if _, err := policy.Parse(doc, "pub", "alpha"); err != nil {
					b.Fatal(err)
				}
			}
		})
		var c policyCache
		c.put("alpha\x00pub", doc, p)
		b.Run("cachehit/statements="+fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if c.get("alpha\x00pub", doc) == nil {
					b.Fatal("miss")
				}
			}
		})
	}
	b.Run("read-missing", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.store.GetBucketConfig(ctx, "alpha", "pub", storage.ConfigPolicy); err == nil {
				b.Fatal("found")
			}
		}
	})
	if err := e.store.SetBucketConfig(ctx, "alpha", "pub", storage.ConfigPolicy, []byte(benchPolicy(100))); err != nil {
		b.Fatal(err)
	}
	b.Run("read-20KB", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.store.GetBucketConfig(ctx, "alpha", "pub", storage.ConfigPolicy); err != nil {
				b.Fatal(err)
			}
		}
	})
}
