package policy

import "fmt"

// CannedACL is an x-amz-acl value. Coffer keeps no grant lists: a bucket or
// object carries at most a canned ACL, and this file turns it into the
// statements the policy engine evaluates and the grants the ACL calls show.
type CannedACL string

const (
	ACLPrivate                CannedACL = "private"
	ACLPublicRead             CannedACL = "public-read"
	ACLPublicReadWrite        CannedACL = "public-read-write"
	ACLAuthenticatedRead      CannedACL = "authenticated-read"
	ACLBucketOwnerRead        CannedACL = "bucket-owner-read"
	ACLBucketOwnerFullControl CannedACL = "bucket-owner-full-control"
)

// ParseCannedACL checks an x-amz-acl value; "" is private. The canned ACLs
// that grant to AWS's own services (aws-exec-read, log-delivery-write) give
// ErrUnsupported, anything else ErrInvalidCannedACL.
func ParseCannedACL(s string) (CannedACL, error) {
	switch a := CannedACL(s); a {
	case "":
		return ACLPrivate, nil
	case ACLPrivate, ACLPublicRead, ACLPublicReadWrite, ACLAuthenticatedRead, ACLBucketOwnerRead, ACLBucketOwnerFullControl:
		return a, nil
	case "aws-exec-read", "log-delivery-write":
		return "", fmt.Errorf("%w: canned ACL %s", ErrUnsupported, s)
	}
	return "", fmt.Errorf("%w: %q", ErrInvalidCannedACL, s)
}

// IsPublic reports whether the ACL grants anything to the AllUsers or
// AuthenticatedUsers groups, which is what AWS calls a public ACL.
func (a CannedACL) IsPublic() bool {
	switch a {
	case ACLPublicRead, ACLPublicReadWrite, ACLAuthenticatedRead:
		return true
	}
	return false
}

// Actions an ACL permission grants (S3's "mapping of ACL permissions and
// access policy permissions").
var (
	bucketReadActions  = []string{"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}
	bucketWriteActions = []string{"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"}
	objectReadActions  = []string{"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent", "s3:GetObjectVersionTorrent"}
)

// groupGrants returns who the ACL grants to beyond the owner, and whether
// that includes WRITE.
func (a CannedACL) groupGrants() (p Principal, read, write bool) {
	switch a {
	case ACLPublicRead:
		return Principal{Any: true}, true, false
	case ACLPublicReadWrite:
		return Principal{Any: true}, true, true
	case ACLAuthenticatedRead:
		return Principal{Authenticated: true}, true, false
	}
	return Principal{}, false, false
}

// BucketStatements returns the Allow statements a bucket's canned ACL
// implies: READ lists the bucket, WRITE creates, overwrites and deletes its
// objects. The owner's own rights are not statements (see Authorize).
func (a CannedACL) BucketStatements(bucket string) []Statement {
	p, read, write := a.groupGrants()
	var out []Statement
	if read {
		out = append(out, Statement{Effect: EffectAllow, Principal: p, Actions: bucketReadActions, actions: lowerAll(bucketReadActions),
			resources: []resource{{path: bucket, literal: true}}})
	}
	if write {
		out = append(out, Statement{Effect: EffectAllow, Principal: p, Actions: bucketWriteActions, actions: lowerAll(bucketWriteActions),
			resources: []resource{{path: bucket + "/*"}}}) // bucket names hold no wildcard
	}
	return out
}

// ObjectStatements returns the Allow statements an object's canned ACL
// implies: READ reads that object (any version). WRITE means nothing on an
// object, as on AWS.
func (a CannedACL) ObjectStatements(bucket, key string) []Statement {
	p, read, _ := a.groupGrants()
	if !read {
		return nil
	}
	return []Statement{{Effect: EffectAllow, Principal: p, Actions: objectReadActions, actions: lowerAll(objectReadActions),
		resources: []resource{{path: bucket + "/" + key, literal: true}}}} // a key's '*' is a character
}

// Grant URIs of the ACL groups.
const (
	AllUsersURI           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// Grant permissions.
const (
	PermFullControl = "FULL_CONTROL"
	PermRead        = "READ"
	PermWrite       = "WRITE"
)

// Owner is the owner shown in ACLs: the tenant owning the bucket (objects
// are owned by their bucket's owner, as with BucketOwnerEnforced).
type Owner struct {
	ID          string
	DisplayName string
}

// Grantee is a grant's grantee: Type "CanonicalUser" with ID and
// DisplayName, or "Group" with URI (the XML xsi:type).
type Grantee struct {
	Type        string
	ID          string
	DisplayName string
	URI         string
}

// Grant is one grant of an AccessControlPolicy.
type Grant struct {
	Grantee    Grantee
	Permission string
}

// Grants returns the grants GetBucketAcl / GetObjectAcl show for a canned
// ACL: the owner's FULL_CONTROL, then the group grants the ACL implies.
// bucket-owner-read and bucket-owner-full-control add nothing, since the
// object owner is the bucket owner.
func (a CannedACL) Grants(owner Owner) []Grant {
	out := []Grant{{Grantee: Grantee{Type: "CanonicalUser", ID: owner.ID, DisplayName: owner.DisplayName}, Permission: PermFullControl}}
	group := func(uri, perm string) {
		out = append(out, Grant{Grantee: Grantee{Type: "Group", URI: uri}, Permission: perm})
	}
	switch a {
	case ACLPublicRead:
		group(AllUsersURI, PermRead)
	case ACLPublicReadWrite:
		group(AllUsersURI, PermRead)
		group(AllUsersURI, PermWrite)
	case ACLAuthenticatedRead:
		group(AuthenticatedUsersURI, PermRead)
	}
	return out
}
