package policy

import (
	"net/netip"
	"testing"
	"time"
)

// TestEvaluateResourceLevels: a bucket/* resource never grants a bucket
// action, a bucket resource never grants an object action, and key patterns
// match keys with wildcards, case-sensitively.
func TestEvaluateResourceLevels(t *testing.T) {
	p := mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/*"}`,
	))
	q := mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos"}`,
	))
	r := mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::photos/public/*","arn:aws:s3:::photos/img-??.jpg"]}`,
	))
	cases := []struct {
		p      *Policy
		action string
		key    string
		want   Decision
	}{
		{p, "s3:GetObject", "a.jpg", Allow},
		{p, "s3:DeleteObjectVersion", "a.jpg", Allow},
		{p, "s3:PutObjectRetention", "a.jpg", Allow},
		{p, "s3:BypassGovernanceRetention", "a.jpg", Allow},
		{p, "s3:ListBucket", "", NoMatch},
		{p, "s3:ListBucketVersions", "", NoMatch},
		{p, "s3:GetBucketPolicy", "", NoMatch},
		{p, "s3:ListBucket", "a.jpg", NoMatch}, // a key does not make a bucket action an object one
		{q, "s3:ListBucket", "", Allow},
		{q, "s3:ListBucketVersions", "", Allow},
		{q, "s3:GetObject", "a.jpg", NoMatch},
		{q, "s3:PutObject", "a.jpg", NoMatch},
		{r, "s3:GetObject", "public/a.jpg", Allow},
		{r, "s3:GetObject", "public/deep/er/a.jpg", Allow},
		{r, "s3:GetObject", "Public/a.jpg", NoMatch}, // keys are case-sensitive
		{r, "s3:GetObject", "private/a.jpg", NoMatch},
		{r, "s3:GetObject", "img-01.jpg", Allow},
		{r, "s3:GetObject", "img-1.jpg", NoMatch},
		{r, "s3:getobjectversion", "img-01.jpg", Allow}, // actions are not
		{r, "s3:PutObject", "public/a.jpg", NoMatch},
	}
	for _, c := range cases {
		got := c.p.Evaluate(Request{Action: c.action, Bucket: testBucket, Key: c.key})
		if got != c.want {
			t.Errorf("%s on %q: %v, want %v", c.action, c.key, got, c.want)
		}
	}
	// An object action without a key names no resource, not "bucket/".
	if got := p.Evaluate(Request{Action: "s3:GetObject", Bucket: testBucket}); got != NoMatch {
		t.Errorf("object action without key: %v", got)
	}
	// Another bucket of the same name pattern is not this one.
	if got := p.Evaluate(Request{Action: "s3:GetObject", Bucket: "photos2", Key: "a"}); got != NoMatch {
		t.Errorf("other bucket: %v", got)
	}
}

func TestEvaluateActionsWildcardsAndNot(t *testing.T) {
	p := mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":["s3:Get*","s3:List?ucket"],"Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}`,
	))
	for action, want := range map[string]Decision{
		"s3:GetObject": Allow, "s3:GetObjectVersion": Allow, "s3:GetBucketPolicy": Allow,
		"s3:ListBucket": Allow, "s3:ListBucketVersions": NoMatch, "s3:PutObject": NoMatch,
	} {
		if got := p.Evaluate(Request{Action: action, Bucket: testBucket, Key: "k"}); got != want {
			t.Errorf("%s: %v, want %v", action, got, want)
		}
	}
	// NotAction / NotResource: deny everything but reads, outside keep/.
	n := mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}`,
		`{"Effect":"Deny","Principal":"*","NotAction":["s3:Get*","s3:List*"],"NotResource":"arn:aws:s3:::photos/keep/*"}`,
	))
	cases := []struct {
		action, key string
		want        Decision
	}{
		{"s3:GetObject", "x", Allow},
		{"s3:PutObject", "x", Deny},
		{"s3:PutObject", "keep/x", Allow},
		{"s3:DeleteBucket", "", Deny},
		{"s3:ListBucket", "", Allow},
	}
	for _, c := range cases {
		if got := n.Evaluate(Request{Action: c.action, Bucket: testBucket, Key: c.key}); got != c.want {
			t.Errorf("Not*: %s %q: %v, want %v", c.action, c.key, got, c.want)
		}
	}
}

func TestEvaluateExplicitDenyAndPrincipals(t *testing.T) {
	p := mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`,
		`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/secret/*"}`,
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::acme:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/*"}`,
		`{"Effect":"Deny","Principal":{"AWS":"acme"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::photos/*"}`,
	))
	cases := []struct {
		principal, action, key string
		want                   Decision
	}{
		{"", "s3:GetObject", "a", Allow},
		{"acme", "s3:GetObject", "a", Allow}, // "*" includes authenticated tenants
		{"", "s3:GetObject", "secret/a", Deny},
		{"acme", "s3:GetObject", "secret/a", Deny}, // deny wins for the owner too
		{"", "s3:PutObject", "a", NoMatch},         // anonymous is not the tenant
		{"acme", "s3:PutObject", "a", Allow},
		{"other", "s3:PutObject", "a", NoMatch},
		{"acme", "s3:DeleteObject", "a", Deny},
		{"", "s3:DeleteObject", "a", NoMatch},
	}
	for _, c := range cases {
		if got := p.Evaluate(Request{Principal: c.principal, Action: c.action, Bucket: testBucket, Key: c.key}); got != c.want {
			t.Errorf("%q %s %q: %v, want %v", c.principal, c.action, c.key, got, c.want)
		}
	}
	var none *Policy
	if none.Evaluate(Request{Action: "s3:GetObject", Bucket: testBucket, Key: "a"}) != NoMatch {
		t.Error("nil policy matched")
	}
	all := mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::photos/*"}`))
	r := Request{Bucket: testBucket, Key: "a"}
	if d := all.EvaluateAll(r, []string{"s3:PutObject", "s3:PutObjectAcl"}); d != Allow {
		t.Errorf("EvaluateAll both allowed: %v", d)
	}
	if d := all.EvaluateAll(r, []string{"s3:PutObject", "s3:PutObjectTagging"}); d != NoMatch {
		t.Errorf("EvaluateAll one missing: %v", d)
	}
	if d := p.EvaluateAll(Request{Bucket: testBucket, Key: "secret/a"}, []string{"s3:GetObject"}); d != Deny {
		t.Errorf("EvaluateAll deny: %v", d)
	}
}

// condPolicy is an anonymous-read policy with one condition block.
func condPolicy(t *testing.T, action, resource, condition string) *Policy {
	t.Helper()
	return mustParse(t, doc(`{"Effect":"Allow","Principal":"*","Action":"`+action+`","Resource":"arn:aws:s3:::`+resource+`","Condition":`+condition+`}`))
}

func TestEvaluateConditions(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	base := Request{
		Action: "s3:GetObject", Bucket: testBucket, Key: "a",
		SourceIP: netip.MustParseAddr("192.0.2.10"), Secure: true, Time: now,
		UserAgent: "aws-cli/2.15 Python/3.11", Referer: "https://www.example.com/page",
		ExistingObjectTags: map[string]string{"Project": "blue"},
	}
	list := base
	list.Action, list.Key = "s3:ListBucket", ""
	list.Values = map[string][]string{"s3:prefix": {"home/alice/"}, "s3:max-keys": {"100"}, "S3:Delimiter": {"/"}}
	put := base
	put.Action = "s3:PutObject"
	put.Values = map[string][]string{"s3:x-amz-acl": {"bucket-owner-full-control"}, "s3:RequestObjectTagKeys": {"a", "b"}}
	putNoTags := put
	putNoTags.Values = nil
	other := base
	other.SourceIP = netip.MustParseAddr("198.51.100.7")
	other.Secure = false
	other.UserAgent, other.Referer = "", ""
	other.Time = time.Time{}
	other.ExistingObjectTags = nil
	ipv6 := base
	ipv6.SourceIP = netip.MustParseAddr("2001:db8::1")
	mapped := base
	mapped.SourceIP = netip.MustParseAddr("::ffff:192.0.2.10")

	obj := func(cond string) *Policy { return condPolicy(t, "s3:GetObject", "photos/*", cond) }
	bkt := func(cond string) *Policy { return condPolicy(t, "s3:ListBucket", "photos", cond) }
	putp := func(cond string) *Policy { return condPolicy(t, "s3:PutObject", "photos/*", cond) }
	cases := []struct {
		name string
		p    *Policy
		r    Request
		want Decision
	}{
		{"IpAddress in", obj(`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), base, Allow},
		{"IpAddress out", obj(`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), other, NoMatch},
		{"IpAddress single", obj(`{"IpAddress":{"aws:SourceIp":"192.0.2.10"}}`), base, Allow},
		{"IpAddress v4-mapped", obj(`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), mapped, Allow},
		{"IpAddress v6", obj(`{"IpAddress":{"aws:SourceIp":["2001:db8::/32","10.0.0.0/8"]}}`), ipv6, Allow},
		{"IpAddress unmasked cidr", obj(`{"IpAddress":{"aws:SourceIp":"192.0.2.99/24"}}`), base, Allow},
		{"NotIpAddress", obj(`{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), other, Allow},
		{"NotIpAddress in", obj(`{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}}`), base, NoMatch},
		{"IpAddress no ip", obj(`{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`), Request{Action: "s3:GetObject", Bucket: testBucket, Key: "a"}, NoMatch},

		{"Bool secure", obj(`{"Bool":{"aws:SecureTransport":"true"}}`), base, Allow},
		{"Bool insecure", obj(`{"Bool":{"aws:SecureTransport":true}}`), other, NoMatch},
		{"Bool false", obj(`{"Bool":{"aws:SecureTransport":"FALSE"}}`), other, Allow},

		{"StringEquals", bkt(`{"StringEquals":{"s3:prefix":"home/alice/"}}`), list, Allow},
		{"StringEquals key case", bkt(`{"StringEquals":{"S3:Prefix":"home/alice/"}}`), list, Allow},
		{"StringEquals values case", bkt(`{"StringEquals":{"s3:prefix":"Home/Alice/"}}`), list, NoMatch},
		{"StringEquals any of", bkt(`{"StringEquals":{"s3:prefix":["x","home/alice/"]}}`), list, Allow},
		{"StringEquals missing key", bkt(`{"StringEquals":{"s3:prefix":"home/alice/"}}`), base, NoMatch},
		{"StringNotEquals", bkt(`{"StringNotEquals":{"s3:prefix":"home/bob/"}}`), list, Allow},
		{"StringNotEquals hit", bkt(`{"StringNotEquals":{"s3:prefix":["home/bob/","home/alice/"]}}`), list, NoMatch},
		{"StringNotEquals missing key holds", bkt(`{"StringNotEquals":{"s3:delimiter":"|"}}`), Request{Action: "s3:ListBucket", Bucket: testBucket}, Allow},
		{"StringEqualsIgnoreCase", bkt(`{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/ALICE/"}}`), list, Allow},
		{"StringNotEqualsIgnoreCase", bkt(`{"StringNotEqualsIgnoreCase":{"s3:prefix":"HOME/ALICE/"}}`), list, NoMatch},
		{"StringLike", bkt(`{"StringLike":{"s3:prefix":"home/*"}}`), list, Allow},
		{"StringLike ?", bkt(`{"StringLike":{"s3:prefix":"home/alic?/"}}`), list, Allow},
		{"StringLike miss", bkt(`{"StringLike":{"s3:prefix":"work/*"}}`), list, NoMatch},
		{"StringNotLike", bkt(`{"StringNotLike":{"s3:prefix":"work/*"}}`), list, Allow},
		{"StringNotLike hit", bkt(`{"StringNotLike":{"s3:prefix":"home/*"}}`), list, NoMatch},
		{"delimiter", bkt(`{"StringEquals":{"s3:delimiter":"/"}}`), list, Allow},
		{"UserAgent", obj(`{"StringLike":{"aws:UserAgent":"aws-cli/*"}}`), base, Allow},
		{"UserAgent absent", obj(`{"StringLike":{"aws:UserAgent":"*"}}`), other, NoMatch},
		{"Referer", obj(`{"StringLike":{"aws:Referer":["https://www.example.com/*","https://example.com/*"]}}`), base, Allow},
		{"Referer absent", obj(`{"StringLike":{"aws:Referer":"https://www.example.com/*"}}`), other, NoMatch},
		{"x-amz-acl", putp(`{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`), put, Allow},
		{"x-amz-acl other", putp(`{"StringEquals":{"s3:x-amz-acl":"public-read"}}`), put, NoMatch},
		{"ExistingObjectTag", obj(`{"StringEquals":{"s3:ExistingObjectTag/Project":"blue"}}`), base, Allow},
		{"ExistingObjectTag key case", obj(`{"StringEquals":{"s3:ExistingObjectTag/project":"blue"}}`), base, NoMatch},
		{"ExistingObjectTag absent", obj(`{"StringEquals":{"s3:ExistingObjectTag/Project":"blue"}}`), other, NoMatch},

		{"NumericEquals", bkt(`{"NumericEquals":{"s3:max-keys":100}}`), list, Allow},
		{"NumericNotEquals", bkt(`{"NumericNotEquals":{"s3:max-keys":"100"}}`), list, NoMatch},
		{"NumericNotEquals other", bkt(`{"NumericNotEquals":{"s3:max-keys":"10"}}`), list, Allow},
		{"NumericLessThan", bkt(`{"NumericLessThan":{"s3:max-keys":"101"}}`), list, Allow},
		{"NumericLessThan equal", bkt(`{"NumericLessThan":{"s3:max-keys":"100"}}`), list, NoMatch},
		{"NumericLessThanEquals", bkt(`{"NumericLessThanEquals":{"s3:max-keys":"100"}}`), list, Allow},
		{"NumericGreaterThan", bkt(`{"NumericGreaterThan":{"s3:max-keys":"100"}}`), list, NoMatch},
		{"NumericGreaterThan below", bkt(`{"NumericGreaterThan":{"s3:max-keys":"99.5"}}`), list, Allow},
		{"NumericGreaterThanEquals", bkt(`{"NumericGreaterThanEquals":{"s3:max-keys":"100"}}`), list, Allow},
		{"Numeric missing", bkt(`{"NumericLessThan":{"s3:max-keys":"1000"}}`), Request{Action: "s3:ListBucket", Bucket: testBucket}, NoMatch},

		{"DateLessThan", obj(`{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`), base, Allow},
		{"DateLessThan past", obj(`{"DateLessThan":{"aws:CurrentTime":"2026-01-01"}}`), base, NoMatch},
		{"DateGreaterThan", obj(`{"DateGreaterThan":{"aws:CurrentTime":"2026-11-27T09:59:59Z"}}`), base, Allow},
		{"DateGreaterThan equal", obj(`{"DateGreaterThan":{"aws:CurrentTime":"2026-11-27T10:00:00Z"}}`), base, NoMatch},
		{"DateGreaterThanEquals", obj(`{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-11-27T10:00:00Z"}}`), base, Allow},
		{"DateLessThanEquals offset", obj(`{"DateLessThanEquals":{"aws:CurrentTime":"2026-11-27T11:00:00+01:00"}}`), base, Allow},
		{"DateEquals", obj(`{"DateEquals":{"aws:CurrentTime":"2026-11-27T10:00:00Z"}}`), base, Allow},
		{"DateNotEquals", obj(`{"DateNotEquals":{"aws:CurrentTime":"2026-11-27T10:00:00Z"}}`), base, NoMatch},
		{"Date epoch", obj(`{"DateLessThan":{"aws:EpochTime":"1800000000"}}`), base, Allow},
		{"Date policy epoch", obj(`{"DateGreaterThan":{"aws:CurrentTime":1700000000}}`), base, Allow},
		{"Date no time", obj(`{"DateLessThan":{"aws:CurrentTime":"2027-01-01"}}`), other, NoMatch},

		{"IfExists absent", obj(`{"StringLikeIfExists":{"aws:Referer":"https://www.example.com/*"}}`), other, Allow},
		{"IfExists present match", obj(`{"StringLikeIfExists":{"aws:Referer":"https://www.example.com/*"}}`), base, Allow},
		{"IfExists present miss", obj(`{"StringLikeIfExists":{"aws:Referer":"https://evil.example/*"}}`), base, NoMatch},
		{"NumericIfExists absent", bkt(`{"NumericLessThanEqualsIfExists":{"s3:max-keys":"10"}}`), Request{Action: "s3:ListBucket", Bucket: testBucket}, Allow},
		{"NumericIfExists present", bkt(`{"NumericLessThanEqualsIfExists":{"s3:max-keys":"10"}}`), list, NoMatch},
		{"IpAddressIfExists absent", obj(`{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`), Request{Action: "s3:GetObject", Bucket: testBucket, Key: "a"}, Allow},

		{"Null true absent", obj(`{"Null":{"aws:Referer":"true"}}`), other, Allow},
		{"Null true present", obj(`{"Null":{"aws:Referer":"true"}}`), base, NoMatch},
		{"Null false present", obj(`{"Null":{"aws:Referer":false}}`), base, Allow},

		{"ForAnyValue", putp(`{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["b","z"]}}`), put, Allow},
		{"ForAnyValue none", putp(`{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["z"]}}`), put, NoMatch},
		{"ForAnyValue absent", putp(`{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["z"]}}`), putNoTags, NoMatch},
		{"ForAllValues", putp(`{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b","c"]}}`), put, Allow},
		{"ForAllValues one outside", putp(`{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a"]}}`), put, NoMatch},
		{"ForAllValues absent", putp(`{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a"]}}`), putNoTags, Allow},

		{"two operators and", obj(`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"},"Bool":{"aws:SecureTransport":"true"}}`), base, Allow},
		{"two operators one fails", obj(`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"},"Bool":{"aws:SecureTransport":"false"}}`), base, NoMatch},
		{"two keys and", obj(`{"StringLike":{"aws:UserAgent":"aws-cli*","aws:Referer":"nope"}}`), base, NoMatch},
		{"PrincipalType", obj(`{"StringEquals":{"aws:PrincipalType":"Anonymous"}}`), base, Allow},
		{"unsupplied aws key", obj(`{"StringEquals":{"aws:SourceVpc":"vpc-1"}}`), base, NoMatch},
		{"ArnLike", obj(`{"ArnLike":{"aws:SourceArn":"arn:aws:*"}}`), base, NoMatch},
	}
	for _, c := range cases {
		if got := c.p.Evaluate(c.r); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Deny with a negated condition: the classic "deny plain HTTP".
	deny := mustParse(t, doc(
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}`,
		`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
	))
	if got := deny.Evaluate(base); got != Allow {
		t.Errorf("https read: %v", got)
	}
	if got := deny.Evaluate(other); got != Deny {
		t.Errorf("http read: %v", got)
	}
}
