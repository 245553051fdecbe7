package policy

import "strings"

// Access is everything that decides who may act on one bucket (and one of
// its objects).
type Access struct {
	Owner     string            // the tenant owning the bucket
	Policy    *Policy           // the bucket policy; nil when none
	BucketACL CannedACL         // "" = private
	ObjectACL CannedACL         // the object's ACL, for object actions; "" = private
	Block     PublicAccessBlock // bucket flags merged with the tenant default
}

// ownerExempt are the actions the owner keeps even under an explicit Deny,
// as AWS's account root does, so a tenant cannot lock itself out of its
// own bucket's policy.
var ownerExempt = map[string]bool{
	"s3:getbucketpolicy": true, "s3:putbucketpolicy": true, "s3:deletebucketpolicy": true,
}

// Authorize decides one request for one action, in AWS's order:
//  1. an explicit Deny in the bucket policy denies, even the owner (except
//     the owner's own policy calls);
//  2. the owner is allowed;
//  3. an Allow in the policy allows, unless RestrictPublicBuckets and the
//     policy is public;
//  4. an Allow implied by the bucket's or the object's canned ACL allows,
//     public ACLs counting as private under IgnorePublicAcls;
//  5. anything else is NoMatch: an implicit deny (AccessDenied).
func Authorize(a Access, r Request) Decision {
	d := a.Policy.Evaluate(r)
	owner := r.Principal != "" && r.Principal == a.Owner
	if d == Deny {
		if owner && ownerExempt[strings.ToLower(r.Action)] {
			return Allow
		}
		return Deny
	}
	if owner {
		return Allow
	}
	if d == Allow && !a.Block.RestrictsPolicy(a.Policy) {
		return Allow
	}
	acl := a.Block.EffectiveACL(a.BucketACL).BucketStatements(r.Bucket)
	if ActionLevel(r.Action) == LevelObject {
		acl = append(acl, a.Block.EffectiveACL(a.ObjectACL).ObjectStatements(r.Bucket, r.Key)...)
	}
	if evaluate(acl, &r) == Allow {
		return Allow
	}
	return NoMatch
}
