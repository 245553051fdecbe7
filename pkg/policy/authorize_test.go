package policy

import (
	"net/netip"
	"testing"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestAuthorize(t *testing.T) {
	public := mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`,
		`{"Effect":"Deny","Principal":"*","Action":["s3:DeleteObject","s3:PutBucketPolicy","s3:DeleteBucketPolicy"],"Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}`,
	))
	restricted := mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}`,
	))
	anon := func(action, key string) Request {
		return Request{Action: action, Bucket: testBucket, Key: key}
	}
	owner := func(action, key string) Request {
		r := anon(action, key)
		r.Principal = testOwner
		return r
	}
	other := func(action, key string) Request {
		r := anon(action, key)
		r.Principal = "bob"
		return r
	}
	cases := []struct {
		name string
		a    Access
		r    Request
		want Decision
	}{
		{"no policy anonymous", Access{Owner: testOwner}, anon("s3:GetObject", "a"), NoMatch},
		{"no policy owner", Access{Owner: testOwner}, owner("s3:PutObject", "a"), Allow},
		{"no policy other tenant", Access{Owner: testOwner}, other("s3:GetObject", "a"), NoMatch},
		{"public read", Access{Owner: testOwner, Policy: public}, anon("s3:GetObject", "a"), Allow},
		{"public read not list", Access{Owner: testOwner, Policy: public}, anon("s3:ListBucket", ""), NoMatch},
		{"deny beats owner", Access{Owner: testOwner, Policy: public}, owner("s3:DeleteObject", "a"), Deny},
		{"owner keeps policy calls", Access{Owner: testOwner, Policy: public}, owner("s3:PutBucketPolicy", ""), Allow},
		{"owner keeps delete policy", Access{Owner: testOwner, Policy: public}, owner("s3:DeleteBucketPolicy", ""), Allow},
		{"others do not", Access{Owner: testOwner, Policy: public}, anon("s3:PutBucketPolicy", ""), Deny},
		{"restrict public buckets", Access{Owner: testOwner, Policy: public, Block: PublicAccessBlock{RestrictPublicBuckets: true}}, anon("s3:GetObject", "a"), NoMatch},
		{"restrict leaves owner", Access{Owner: testOwner, Policy: public, Block: PublicAccessBlock{RestrictPublicBuckets: true}}, owner("s3:GetObject", "a"), Allow},
		{"restrict ignores non-public policy", Access{Owner: testOwner, Policy: restricted, Block: PublicAccessBlock{RestrictPublicBuckets: true}}, func() Request {
			r := anon("s3:GetObject", "a")
			r.SourceIP = mustAddr("192.0.2.1")
			return r
		}(), Allow},
		{"bucket acl public-read lists", Access{Owner: testOwner, BucketACL: ACLPublicRead}, anon("s3:ListBucket", ""), Allow},
		{"bucket acl public-read no get", Access{Owner: testOwner, BucketACL: ACLPublicRead}, anon("s3:GetObject", "a"), NoMatch},
		{"object acl public-read", Access{Owner: testOwner, ObjectACL: ACLPublicRead}, anon("s3:GetObject", "a"), Allow},
		{"object acl ignored", Access{Owner: testOwner, ObjectACL: ACLPublicRead, Block: PublicAccessBlock{IgnorePublicAcls: true}}, anon("s3:GetObject", "a"), NoMatch},
		{"bucket acl ignored", Access{Owner: testOwner, BucketACL: ACLPublicReadWrite, Block: PublicAccessBlock{IgnorePublicAcls: true}}, anon("s3:PutObject", "a"), NoMatch},
		{"object acl not for bucket actions", Access{Owner: testOwner, ObjectACL: ACLPublicRead}, anon("s3:ListBucket", ""), NoMatch},
		{"authenticated-read other tenant", Access{Owner: testOwner, ObjectACL: ACLAuthenticatedRead}, other("s3:GetObject", "a"), Allow},
		{"authenticated-read anonymous", Access{Owner: testOwner, ObjectACL: ACLAuthenticatedRead}, anon("s3:GetObject", "a"), NoMatch},
		{"policy deny beats acl", Access{Owner: testOwner, Policy: public, BucketACL: ACLPublicReadWrite}, anon("s3:DeleteObject", "a"), Deny},
	}
	for _, c := range cases {
		if got := Authorize(c.a, c.r); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
