package policy

import "strings"

// PublicAccessBlock holds the four S3 Block Public Access flags; the bucket's
// configuration and the operator's default for the tenant combine with
// Merge, the most restrictive winning, as AWS combines bucket and account.
type PublicAccessBlock struct {
	BlockPublicAcls       bool
	IgnorePublicAcls      bool
	BlockPublicPolicy     bool
	RestrictPublicBuckets bool
}

// Merge returns the flags set in either b or o.
func (b PublicAccessBlock) Merge(o PublicAccessBlock) PublicAccessBlock {
	return PublicAccessBlock{
		BlockPublicAcls:       b.BlockPublicAcls || o.BlockPublicAcls,
		IgnorePublicAcls:      b.IgnorePublicAcls || o.IgnorePublicAcls,
		BlockPublicPolicy:     b.BlockPublicPolicy || o.BlockPublicPolicy,
		RestrictPublicBuckets: b.RestrictPublicBuckets || o.RestrictPublicBuckets,
	}
}

// RefusesACL reports whether a call setting acl (PutBucketAcl, PutObjectAcl,
// or a CreateBucket, PutObject, CopyObject or CreateMultipartUpload carrying
// x-amz-acl) must be refused with AccessDenied: BlockPublicAcls and a
// public ACL.
func (b PublicAccessBlock) RefusesACL(acl CannedACL) bool {
	return b.BlockPublicAcls && acl.IsPublic()
}

// EffectiveACL is the ACL evaluation uses: a public one counts as private
// under IgnorePublicAcls (the stored ACL is kept and shown unchanged).
func (b PublicAccessBlock) EffectiveACL(acl CannedACL) CannedACL {
	if b.IgnorePublicAcls && acl.IsPublic() {
		return ACLPrivate
	}
	return acl
}

// RefusesPolicy reports whether PutBucketPolicy must refuse p with
// AccessDenied: BlockPublicPolicy and a public policy.
func (b PublicAccessBlock) RefusesPolicy(p *Policy) bool {
	return b.BlockPublicPolicy && p.IsPublic()
}

// RestrictsPolicy reports whether the bucket's policy grants nothing to
// anyone but the owner: RestrictPublicBuckets and a public policy.
func (b PublicAccessBlock) RestrictsPolicy(p *Policy) bool {
	return b.RestrictPublicBuckets && p.IsPublic()
}

// IsPublic reports whether the policy is public as AWS defines it (and as
// GetBucketPolicyStatus reports it): some Allow statement grants to
// everyone ("*") without a condition that pins the caller to fixed values,
// namely aws:SourceIp within IpAddress CIDRs no broader than /8 (IPv4) or
// /32 (IPv6), or an exact value of aws:SourceArn, aws:SourceVpc,
// aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, aws:PrincipalOrgID,
// aws:userid or s3:x-amz-server-side-encryption-aws-kms-key-id.
func (p *Policy) IsPublic() bool {
	if p == nil {
		return false
	}
	for i := range p.Statements {
		if p.Statements[i].isPublic() {
			return true
		}
	}
	return false
}

func (s *Statement) isPublic() bool {
	if s.Effect != EffectAllow || !s.Principal.Any && !s.Principal.Authenticated {
		return false
	}
	for i := range s.Conditions {
		if s.Conditions[i].limitsCaller() {
			return false
		}
	}
	return true
}

// fixedValueKeys are the keys a fixed value of which makes a grant to "*"
// non-public.
var fixedValueKeys = map[string]bool{
	"aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:sourceowner": true, "aws:sourceaccount": true, "aws:principalorgid": true,
	"aws:userid": true, "s3:x-amz-server-side-encryption-aws-kms-key-id": true,
}

// limitsCaller reports whether the condition restricts who can use the
// statement to a fixed set, without an IfExists or ForAllValues escape
// (both hold when the key is absent).
func (c *Condition) limitsCaller() bool {
	if c.ifExists || c.set == "ForAllValues" {
		return false
	}
	switch {
	case c.base == "IpAddress" && c.key == "aws:sourceip":
		for _, p := range c.prefixes {
			if p.Addr().Is4() && p.Bits() < 8 || p.Addr().Is6() && p.Bits() < 32 {
				return false
			}
		}
		return true
	case fixedValueKeys[c.key]:
		switch c.base {
		case "StringEquals", "StringEqualsIgnoreCase", "ArnEquals":
			return true
		case "StringLike", "ArnLike":
			for _, v := range c.Values {
				if strings.ContainsAny(v, "*?") {
					return false
				}
			}
			return true
		}
	}
	return false
}
