package policy

import (
	"sort"
	"strings"
)

// Level says which resource an S3 action is authorized against: a bucket
// action against arn:aws:s3:::bucket, an object action against
// arn:aws:s3:::bucket/key, an account action against neither (a bucket
// policy can never grant it).
type Level int

const (
	LevelUnknown Level = iota
	LevelBucket
	LevelObject
	LevelAccount
)

func (l Level) String() string {
	switch l {
	case LevelBucket:
		return "bucket"
	case LevelObject:
		return "object"
	case LevelAccount:
		return "account"
	}
	return "unknown"
}

// objectActions are the S3 IAM actions whose resource is an object.
var objectActions = []string{
	"AbortMultipartUpload",
	"BypassGovernanceRetention",
	"DeleteObject",
	"DeleteObjectTagging",
	"DeleteObjectVersion",
	"DeleteObjectVersionTagging",
	"GetObject",
	"GetObjectAcl",
	"GetObjectAttributes",
	"GetObjectLegalHold",
	"GetObjectRetention",
	"GetObjectTagging",
	"GetObjectTorrent",
	"GetObjectVersion",
	"GetObjectVersionAcl",
	"GetObjectVersionAttributes",
	"GetObjectVersionForReplication",
	"GetObjectVersionTagging",
	"GetObjectVersionTorrent",
	"InitiateReplication",
	"ListMultipartUploadParts",
	"ObjectOwnerOverrideToBucketOwner",
	"PutObject",
	"PutObjectAcl",
	"PutObjectLegalHold",
	"PutObjectRetention",
	"PutObjectTagging",
	"PutObjectVersionAcl",
	"PutObjectVersionTagging",
	"ReplicateDelete",
	"ReplicateObject",
	"ReplicateTags",
	"RestoreObject",
}

// bucketActions are the S3 IAM actions whose resource is a bucket. Several
// Delete... operations have no action of their own and use the Put one
// (DeleteBucketCors needs s3:PutBucketCORS): see operationActions.
var bucketActions = []string{
	"CreateBucket",
	"DeleteBucket",
	"DeleteBucketOwnershipControls",
	"DeleteBucketPolicy",
	"DeleteBucketWebsite",
	"GetAccelerateConfiguration",
	"GetAnalyticsConfiguration",
	"GetBucketAcl",
	"GetBucketCORS",
	"GetBucketLocation",
	"GetBucketLogging",
	"GetBucketNotification",
	"GetBucketObjectLockConfiguration",
	"GetBucketOwnershipControls",
	"GetBucketPolicy",
	"GetBucketPolicyStatus",
	"GetBucketPublicAccessBlock",
	"GetBucketRequestPayment",
	"GetBucketTagging",
	"GetBucketVersioning",
	"GetBucketWebsite",
	"GetEncryptionConfiguration",
	"GetIntelligentTieringConfiguration",
	"GetInventoryConfiguration",
	"GetLifecycleConfiguration",
	"GetMetricsConfiguration",
	"GetReplicationConfiguration",
	"ListBucket",
	"ListBucketMultipartUploads",
	"ListBucketVersions",
	"PutAccelerateConfiguration",
	"PutAnalyticsConfiguration",
	"PutBucketAcl",
	"PutBucketCORS",
	"PutBucketLogging",
	"PutBucketNotification",
	"PutBucketObjectLockConfiguration",
	"PutBucketOwnershipControls",
	"PutBucketPolicy",
	"PutBucketPublicAccessBlock",
	"PutBucketRequestPayment",
	"PutBucketTagging",
	"PutBucketVersioning",
	"PutBucketWebsite",
	"PutEncryptionConfiguration",
	"PutIntelligentTieringConfiguration",
	"PutInventoryConfiguration",
	"PutLifecycleConfiguration",
	"PutMetricsConfiguration",
	"PutReplicationConfiguration",
}

// accountActions have no bucket or object resource ("*" in IAM).
var accountActions = []string{
	"GetAccountPublicAccessBlock",
	"ListAllMyBuckets",
	"PutAccountPublicAccessBlock",
}

// actionLevels maps "s3:name" in lower case to its level.
var actionLevels = func() map[string]Level {
	m := map[string]Level{}
	for _, a := range objectActions {
		m["s3:"+strings.ToLower(a)] = LevelObject
	}
	for _, a := range bucketActions {
		m["s3:"+strings.ToLower(a)] = LevelBucket
	}
	for _, a := range accountActions {
		m["s3:"+strings.ToLower(a)] = LevelAccount
	}
	return m
}()

// ActionLevel returns the level of an S3 action such as "s3:GetObject"
// (case-insensitive), or LevelUnknown.
func ActionLevel(action string) Level {
	return actionLevels[strings.ToLower(action)]
}

// Actions returns every S3 action Coffer knows, "s3:Name", sorted.
func Actions() []string {
	var all []string
	for _, list := range [][]string{objectActions, bucketActions, accountActions} {
		for _, a := range list {
			all = append(all, "s3:"+a)
		}
	}
	sort.Strings(all)
	return all
}

// actionLevelsMatching returns the levels of the known actions a policy's
// action pattern names ("s3:Get*", "*"); none means the pattern names no
// action.
func actionLevelsMatching(pattern string) (levels [LevelAccount + 1]bool, any bool) {
	p := strings.ToLower(pattern)
	for name, l := range actionLevels {
		if Match(p, name) {
			levels[l] = true
			any = true
		}
	}
	return levels, any
}
