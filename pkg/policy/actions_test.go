package policy

import (
	"reflect"
	"testing"
)

func TestActionLevel(t *testing.T) {
	cases := map[string]Level{
		"s3:GetObject":                        LevelObject,
		"S3:getobject":                        LevelObject, // names are case-insensitive
		"s3:GetObjectVersion":                 LevelObject,
		"s3:DeleteObjectVersion":              LevelObject,
		"s3:PutObjectRetention":               LevelObject,
		"s3:BypassGovernanceRetention":        LevelObject,
		"s3:AbortMultipartUpload":             LevelObject,
		"s3:ListBucket":                       LevelBucket,
		"s3:ListBucketVersions":               LevelBucket,
		"s3:ListBucketMultipartUploads":       LevelBucket,
		"s3:GetBucketPolicy":                  LevelBucket,
		"s3:PutBucketObjectLockConfiguration": LevelBucket,
		"s3:ListAllMyBuckets":                 LevelAccount,
		"s3:NoSuchAction":                     LevelUnknown,
		"iam:GetUser":                         LevelUnknown,
	}
	for action, want := range cases {
		if got := ActionLevel(action); got != want {
			t.Errorf("ActionLevel(%q) = %v, want %v", action, got, want)
		}
	}
	// Every operation maps to known actions only.
	for _, op := range Operations() {
		for _, o := range []OpOptions{{}, {VersionID: true, SourceVersionID: true, ACL: true, Tagging: true, Retention: true, LegalHold: true, BypassGovernance: true}} {
			needs, _ := OperationActions(op, o)
			for _, n := range needs {
				if ActionLevel(n.Action) == LevelUnknown {
					t.Errorf("%s needs unknown action %s", op, n.Action)
				}
			}
		}
	}
}

func TestOperationActions(t *testing.T) {
	cases := []struct {
		op   string
		o    OpOptions
		want []Need
	}{
		{"GetObject", OpOptions{}, []Need{{Action: "s3:GetObject"}}},
		{"GetObject", OpOptions{VersionID: true}, []Need{{Action: "s3:GetObjectVersion"}}},
		{"HeadObject", OpOptions{}, []Need{{Action: "s3:GetObject"}}},
		{"HeadObject", OpOptions{VersionID: true}, []Need{{Action: "s3:GetObjectVersion"}}},
		{"ListObjects", OpOptions{}, []Need{{Action: "s3:ListBucket"}}},
		{"ListObjectsV2", OpOptions{}, []Need{{Action: "s3:ListBucket"}}},
		{"HeadBucket", OpOptions{}, []Need{{Action: "s3:ListBucket"}}},
		{"ListObjectVersions", OpOptions{}, []Need{{Action: "s3:ListBucketVersions"}}},
		{"ListMultipartUploads", OpOptions{}, []Need{{Action: "s3:ListBucketMultipartUploads"}}},
		{"ListParts", OpOptions{}, []Need{{Action: "s3:ListMultipartUploadParts"}}},
		{"DeleteObject", OpOptions{}, []Need{{Action: "s3:DeleteObject"}}},
		{"DeleteObject", OpOptions{VersionID: true, BypassGovernance: true}, []Need{{Action: "s3:DeleteObjectVersion"}, {Action: "s3:BypassGovernanceRetention"}}},
		{"DeleteObjects", OpOptions{VersionID: true}, []Need{{Action: "s3:DeleteObjectVersion"}}},
		{"PutObject", OpOptions{ACL: true, Tagging: true, Retention: true, LegalHold: true}, []Need{
			{Action: "s3:PutObject"}, {Action: "s3:PutObjectAcl"}, {Action: "s3:PutObjectTagging"},
			{Action: "s3:PutObjectRetention"}, {Action: "s3:PutObjectLegalHold"}}},
		{"UploadPart", OpOptions{ACL: true}, []Need{{Action: "s3:PutObject"}}}, // only the create carries headers
		{"CopyObject", OpOptions{SourceVersionID: true}, []Need{{Action: "s3:PutObject"}, {Action: "s3:GetObjectVersion", Source: true}}},
		{"UploadPartCopy", OpOptions{}, []Need{{Action: "s3:PutObject"}, {Action: "s3:GetObject", Source: true}}},
		{"PutObjectRetention", OpOptions{BypassGovernance: true}, []Need{{Action: "s3:PutObjectRetention"}, {Action: "s3:BypassGovernanceRetention"}}},
		{"GetObjectAcl", OpOptions{VersionID: true}, []Need{{Action: "s3:GetObjectVersionAcl"}}},
		{"DeleteObjectTagging", OpOptions{VersionID: true}, []Need{{Action: "s3:DeleteObjectVersionTagging"}}},
		{"DeleteBucketCors", OpOptions{}, []Need{{Action: "s3:PutBucketCORS"}}},
		{"DeletePublicAccessBlock", OpOptions{}, []Need{{Action: "s3:PutBucketPublicAccessBlock"}}},
		{"CreateBucket", OpOptions{ACL: true}, []Need{{Action: "s3:CreateBucket"}, {Action: "s3:PutBucketAcl"}}},
		{"ListBuckets", OpOptions{}, []Need{{Action: "s3:ListAllMyBuckets"}}},
	}
	for _, c := range cases {
		got, ok := OperationActions(c.op, c.o)
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("OperationActions(%s, %+v) = %v, %v; want %v", c.op, c.o, got, ok, c.want)
		}
	}
	if _, ok := OperationActions("NoSuchOperation", OpOptions{}); ok {
		t.Error("an unknown operation was mapped")
	}
}
