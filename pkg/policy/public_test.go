package policy

import "testing"

func TestPolicyIsPublic(t *testing.T) {
	stmt := func(effect, principal, cond string) string {
		s := `{"Effect":"` + effect + `","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return s + "}"
	}
	cases := []struct {
		name, stmt string
		public     bool
	}{
		{"allow star", stmt("Allow", `"*"`, ""), true},
		{"allow AWS star", stmt("Allow", `{"AWS":"*"}`, ""), true},
		{"deny star", stmt("Deny", `"*"`, ""), false},
		{"owner only", stmt("Allow", `{"AWS":"arn:aws:iam::acme:root"}`, ""), false},
		{"star and owner", stmt("Allow", `{"AWS":["acme","*"]}`, ""), true},
		{"source ip /24", stmt("Allow", `"*"`, `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/48"]}}`), false},
		{"source ip /8", stmt("Allow", `"*"`, `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), false},
		{"source ip /0", stmt("Allow", `"*"`, `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`), true},
		{"source ip one broad", stmt("Allow", `"*"`, `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","0.0.0.0/1"]}}`), true},
		{"source ip v6 broad", stmt("Allow", `"*"`, `{"IpAddress":{"aws:SourceIp":"2000::/3"}}`), true},
		{"not ip", stmt("Allow", `"*"`, `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), true},
		{"source ip if exists", stmt("Allow", `"*"`, `{"IpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}`), true},
		{"referer", stmt("Allow", `"*"`, `{"StringLike":{"aws:Referer":"https://example.com/*"}}`), true},
		{"secure transport", stmt("Allow", `"*"`, `{"Bool":{"aws:SecureTransport":"true"}}`), true},
		{"source account", stmt("Allow", `"*"`, `{"StringEquals":{"aws:SourceAccount":"123456789012"}}`), false},
		{"source arn like fixed", stmt("Allow", `"*"`, `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::x"}}`), false},
		{"source arn wildcard", stmt("Allow", `"*"`, `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`), true},
		{"vpce not equals", stmt("Allow", `"*"`, `{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`), true},
	}
	for _, c := range cases {
		p := mustParse(t, doc(c.stmt))
		if got := p.IsPublic(); got != c.public {
			t.Errorf("%s: IsPublic = %v, want %v", c.name, got, c.public)
		}
		if got := (PublicAccessBlock{BlockPublicPolicy: true}).RefusesPolicy(p); got != c.public {
			t.Errorf("%s: RefusesPolicy = %v", c.name, got)
		}
		if (PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}).RefusesPolicy(p) {
			t.Errorf("%s: refused without BlockPublicPolicy", c.name)
		}
	}
	var none *Policy
	if none.IsPublic() {
		t.Error("no policy is public")
	}
}

func TestPublicAccessBlockACLs(t *testing.T) {
	block := PublicAccessBlock{BlockPublicAcls: true}
	ignore := PublicAccessBlock{IgnorePublicAcls: true}
	for _, acl := range []CannedACL{ACLPrivate, ACLPublicRead, ACLPublicReadWrite, ACLAuthenticatedRead, ACLBucketOwnerRead, ACLBucketOwnerFullControl} {
		if got := block.RefusesACL(acl); got != acl.IsPublic() {
			t.Errorf("BlockPublicAcls refuses %s = %v", acl, got)
		}
		if (PublicAccessBlock{}).RefusesACL(acl) || ignore.RefusesACL(acl) {
			t.Errorf("%s refused without BlockPublicAcls", acl)
		}
		want := acl
		if acl.IsPublic() {
			want = ACLPrivate
		}
		if got := ignore.EffectiveACL(acl); got != want {
			t.Errorf("IgnorePublicAcls effective %s = %s", acl, got)
		}
		if got := block.EffectiveACL(acl); got != acl {
			t.Errorf("BlockPublicAcls changed the effective ACL %s to %s", acl, got)
		}
	}
	m := PublicAccessBlock{BlockPublicAcls: true}.Merge(PublicAccessBlock{RestrictPublicBuckets: true})
	if m != (PublicAccessBlock{BlockPublicAcls: true, RestrictPublicBuckets: true}) {
		t.Errorf("Merge = %+v", m)
	}
}
