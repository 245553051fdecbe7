package policy

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseCannedACL(t *testing.T) {
	for _, s := range []string{"private", "public-read", "public-read-write", "authenticated-read", "bucket-owner-read", "bucket-owner-full-control"} {
		if a, err := ParseCannedACL(s); err != nil || string(a) != s {
			t.Errorf("ParseCannedACL(%q) = %q, %v", s, a, err)
		}
	}
	if a, err := ParseCannedACL(""); err != nil || a != ACLPrivate {
		t.Errorf("empty: %q, %v", a, err)
	}
	if _, err := ParseCannedACL("log-delivery-write"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("log-delivery-write: %v", err)
	}
	if _, err := ParseCannedACL("Public-Read"); !errors.Is(err, ErrInvalidCannedACL) {
		t.Errorf("Public-Read: %v", err)
	}
}

func TestCannedACLGrants(t *testing.T) {
	owner := Owner{ID: "acme", DisplayName: "acme"}
	ownerGrant := Grant{Grantee: Grantee{Type: "CanonicalUser", ID: "acme", DisplayName: "acme"}, Permission: "FULL_CONTROL"}
	all := func(perm string) Grant {
		return Grant{Grantee: Grantee{Type: "Group", URI: AllUsersURI}, Permission: perm}
	}
	cases := map[CannedACL][]Grant{
		ACLPrivate:                {ownerGrant},
		ACLPublicRead:             {ownerGrant, all("READ")},
		ACLPublicReadWrite:        {ownerGrant, all("READ"), all("WRITE")},
		ACLAuthenticatedRead:      {ownerGrant, {Grantee: Grantee{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, Permission: "READ"}},
		ACLBucketOwnerRead:        {ownerGrant},
		ACLBucketOwnerFullControl: {ownerGrant},
	}
	for acl, want := range cases {
		if got := acl.Grants(owner); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", acl, got, want)
		}
	}
}

// TestCannedACLStatements: what each canned ACL lets others do, through the
// same evaluation as policies.
func TestCannedACLStatements(t *testing.T) {
	type want struct {
		principal, action, key string
		allow                  bool
	}
	bucketCases := map[CannedACL][]want{
		ACLPrivate: {{"", "s3:ListBucket", "", false}, {"bob", "s3:ListBucket", "", false}},
		ACLPublicRead: {
			{"", "s3:ListBucket", "", true}, {"", "s3:ListBucketVersions", "", true},
			{"", "s3:GetObject", "a", false}, // bucket READ lists, it does not read objects
			{"", "s3:PutObject", "a", false}, {"", "s3:GetBucketAcl", "", false},
		},
		ACLPublicReadWrite: {
			{"", "s3:ListBucket", "", true}, {"", "s3:PutObject", "a", true},
			{"", "s3:DeleteObject", "a", true}, {"", "s3:DeleteObjectVersion", "a", true},
			{"", "s3:GetObject", "a", false}, {"", "s3:PutBucketPolicy", "", false},
		},
		ACLAuthenticatedRead: {{"", "s3:ListBucket", "", false}, {"bob", "s3:ListBucket", "", true}},
	}
	for acl, cases := range bucketCases {
		for _, c := range cases {
			r := Request{Principal: c.principal, Action: c.action, Bucket: testBucket, Key: c.key}
			if got := evaluate(acl.BucketStatements(testBucket), &r) == Allow; got != c.allow {
				t.Errorf("bucket %s: %q %s %q allowed=%v, want %v", acl, c.principal, c.action, c.key, got, c.allow)
			}
		}
	}
	objectCases := map[CannedACL][]want{
		ACLPrivate:                {{"", "s3:GetObject", "a*", false}},
		ACLBucketOwnerFullControl: {{"", "s3:GetObject", "a*", false}},
		ACLPublicRead: {
			{"", "s3:GetObject", "a*", true}, {"", "s3:GetObjectVersion", "a*", true},
			{"", "s3:GetObject", "ab", false}, // the key's '*' is a character, not a wildcard
			{"", "s3:PutObject", "a*", false}, {"", "s3:GetObjectAcl", "a*", false},
		},
		ACLPublicReadWrite:   {{"", "s3:GetObject", "a*", true}, {"", "s3:PutObject", "a*", false}},
		ACLAuthenticatedRead: {{"", "s3:GetObject", "a*", false}, {"bob", "s3:GetObject", "a*", true}},
	}
	for acl, cases := range objectCases {
		for _, c := range cases {
			r := Request{Principal: c.principal, Action: c.action, Bucket: testBucket, Key: c.key}
			if got := evaluate(acl.ObjectStatements(testBucket, "a*"), &r) == Allow; got != c.allow {
				t.Errorf("object %s: %q %s %q allowed=%v, want %v", acl, c.principal, c.action, c.key, got, c.allow)
			}
		}
	}
}
