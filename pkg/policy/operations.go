package policy

import "sort"

// Need is one permission an S3 operation requires: Action against the
// request's own bucket and key, or, when Source is set, against the copy
// source (CopyObject, UploadPartCopy), which is evaluated with the source
// bucket's policy.
type Need struct {
	Action string
	Source bool
}

// OpOptions are the parts of a request that change which actions an
// operation needs.
type OpOptions struct {
	VersionID        bool // the request names a versionId
	SourceVersionID  bool // the copy source names a versionId
	ACL              bool // a write carries x-amz-acl or x-amz-grant-*
	Tagging          bool // a write carries x-amz-tagging
	Retention        bool // a write carries x-amz-object-lock-mode / -retain-until-date
	LegalHold        bool // a write carries x-amz-object-lock-legal-hold
	BypassGovernance bool // x-amz-bypass-governance-retention: true
}

// opSpec names the action of an operation, and the one it needs instead
// when the request names a versionId ("" = the same).
type opSpec struct {
	action, versioned string
}

// operationTable maps S3 operation names (as in the API reference) to IAM
// actions, following the S3 "actions and permissions" mapping: several
// Delete and Head operations have no action of their own.
var operationTable = map[string]opSpec{
	// objects
	"GetObject":               {"GetObject", "GetObjectVersion"},
	"HeadObject":              {"GetObject", "GetObjectVersion"},
	"SelectObjectContent":     {"GetObject", ""},
	"GetObjectAttributes":     {"GetObjectAttributes", "GetObjectVersionAttributes"},
	"GetObjectTorrent":        {"GetObjectTorrent", "GetObjectVersionTorrent"},
	"PutObject":               {"PutObject", ""},
	"CopyObject":              {"PutObject", ""},
	"CreateMultipartUpload":   {"PutObject", ""},
	"UploadPart":              {"PutObject", ""},
	"UploadPartCopy":          {"PutObject", ""},
	"CompleteMultipartUpload": {"PutObject", ""},
	"AbortMultipartUpload":    {"AbortMultipartUpload", ""},
	"ListParts":               {"ListMultipartUploadParts", ""},
	"DeleteObject":            {"DeleteObject", "DeleteObjectVersion"},
	"DeleteObjects":           {"DeleteObject", "DeleteObjectVersion"}, // per key
	"RestoreObject":           {"RestoreObject", ""},
	"GetObjectAcl":            {"GetObjectAcl", "GetObjectVersionAcl"},
	"PutObjectAcl":            {"PutObjectAcl", "PutObjectVersionAcl"},
	"GetObjectTagging":        {"GetObjectTagging", "GetObjectVersionTagging"},
	"PutObjectTagging":        {"PutObjectTagging", "PutObjectVersionTagging"},
	"DeleteObjectTagging":     {"DeleteObjectTagging", "DeleteObjectVersionTagging"},
	"GetObjectRetention":      {"GetObjectRetention", ""},
	"PutObjectRetention":      {"PutObjectRetention", ""},
	"GetObjectLegalHold":      {"GetObjectLegalHold", ""},
	"PutObjectLegalHold":      {"PutObjectLegalHold", ""},

	// buckets
	"CreateBucket":                       {"CreateBucket", ""},
	"DeleteBucket":                       {"DeleteBucket", ""},
	"HeadBucket":                         {"ListBucket", ""},
	"ListObjects":                        {"ListBucket", ""},
	"ListObjectsV2":                      {"ListBucket", ""},
	"ListObjectVersions":                 {"ListBucketVersions", ""},
	"ListMultipartUploads":               {"ListBucketMultipartUploads", ""},
	"GetBucketLocation":                  {"GetBucketLocation", ""},
	"GetBucketVersioning":                {"GetBucketVersioning", ""},
	"PutBucketVersioning":                {"PutBucketVersioning", ""},
	"GetBucketPolicy":                    {"GetBucketPolicy", ""},
	"PutBucketPolicy":                    {"PutBucketPolicy", ""},
	"DeleteBucketPolicy":                 {"DeleteBucketPolicy", ""},
	"GetBucketPolicyStatus":              {"GetBucketPolicyStatus", ""},
	"GetBucketAcl":                       {"GetBucketAcl", ""},
	"PutBucketAcl":                       {"PutBucketAcl", ""},
	"GetBucketCors":                      {"GetBucketCORS", ""},
	"PutBucketCors":                      {"PutBucketCORS", ""},
	"DeleteBucketCors":                   {"PutBucketCORS", ""},
	"GetBucketTagging":                   {"GetBucketTagging", ""},
	"PutBucketTagging":                   {"PutBucketTagging", ""},
	"DeleteBucketTagging":                {"PutBucketTagging", ""},
	"GetObjectLockConfiguration":         {"GetBucketObjectLockConfiguration", ""},
	"PutObjectLockConfiguration":         {"PutBucketObjectLockConfiguration", ""},
	"GetPublicAccessBlock":               {"GetBucketPublicAccessBlock", ""},
	"PutPublicAccessBlock":               {"PutBucketPublicAccessBlock", ""},
	"DeletePublicAccessBlock":            {"PutBucketPublicAccessBlock", ""},
	"GetBucketOwnershipControls":         {"GetBucketOwnershipControls", ""},
	"PutBucketOwnershipControls":         {"PutBucketOwnershipControls", ""},
	"DeleteBucketOwnershipControls":      {"PutBucketOwnershipControls", ""},
	"GetBucketLifecycleConfiguration":    {"GetLifecycleConfiguration", ""},
	"PutBucketLifecycleConfiguration":    {"PutLifecycleConfiguration", ""},
	"DeleteBucketLifecycle":              {"PutLifecycleConfiguration", ""},
	"GetBucketEncryption":                {"GetEncryptionConfiguration", ""},
	"PutBucketEncryption":                {"PutEncryptionConfiguration", ""},
	"DeleteBucketEncryption":             {"PutEncryptionConfiguration", ""},
	"GetBucketWebsite":                   {"GetBucketWebsite", ""},
	"PutBucketWebsite":                   {"PutBucketWebsite", ""},
	"DeleteBucketWebsite":                {"DeleteBucketWebsite", ""},
	"GetBucketLogging":                   {"GetBucketLogging", ""},
	"PutBucketLogging":                   {"PutBucketLogging", ""},
	"GetBucketNotificationConfiguration": {"GetBucketNotification", ""},
	"PutBucketNotificationConfiguration": {"PutBucketNotification", ""},
	"GetBucketReplication":               {"GetReplicationConfiguration", ""},
	"PutBucketReplication":               {"PutReplicationConfiguration", ""},
	"DeleteBucketReplication":            {"PutReplicationConfiguration", ""},
	"GetBucketRequestPayment":            {"GetBucketRequestPayment", ""},
	"PutBucketRequestPayment":            {"PutBucketRequestPayment", ""},
	"GetBucketAccelerateConfiguration":   {"GetAccelerateConfiguration", ""},
	"PutBucketAccelerateConfiguration":   {"PutAccelerateConfiguration", ""},

	// account
	"ListBuckets": {"ListAllMyBuckets", ""},
}

// objectWrites are the operations that create an object and so also need
// the actions of the ACL, tags and lock settings they carry.
var objectWrites = map[string]bool{
	"PutObject": true, "CopyObject": true, "CreateMultipartUpload": true,
}

// OperationActions returns the permissions an S3 operation needs, or false
// for an operation name it does not know. Every Need must be allowed for
// the request to go ahead. DeleteObjects is authorized per key: call it once
// per entry with VersionID set for the entries that name one.
func OperationActions(op string, o OpOptions) ([]Need, bool) {
	spec, ok := operationTable[op]
	if !ok {
		return nil, false
	}
	action := spec.action
	if o.VersionID && spec.versioned != "" {
		action = spec.versioned
	}
	needs := []Need{{Action: "s3:" + action}}
	if objectWrites[op] {
		if o.ACL {
			needs = append(needs, Need{Action: "s3:PutObjectAcl"})
		}
		if o.Tagging {
			needs = append(needs, Need{Action: "s3:PutObjectTagging"})
		}
		if o.Retention {
			needs = append(needs, Need{Action: "s3:PutObjectRetention"})
		}
		if o.LegalHold {
			needs = append(needs, Need{Action: "s3:PutObjectLegalHold"})
		}
	}
	if o.ACL && op == "CreateBucket" {
		needs = append(needs, Need{Action: "s3:PutBucketAcl"})
	}
	if op == "CopyObject" || op == "UploadPartCopy" {
		src := "s3:GetObject"
		if o.SourceVersionID {
			src = "s3:GetObjectVersion"
		}
		needs = append(needs, Need{Action: src, Source: true})
	}
	if o.BypassGovernance && (op == "DeleteObject" || op == "DeleteObjects" || op == "PutObjectRetention") {
		needs = append(needs, Need{Action: "s3:BypassGovernanceRetention"})
	}
	return needs, true
}

// Operations returns the operation names OperationActions knows, sorted.
func Operations() []string {
	ops := make([]string, 0, len(operationTable))
	for op := range operationTable {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}
