// Package policy is Coffer's access-control core: AWS bucket policies,
// canned ACLs and Block Public Access, as pure functions (no HTTP, no
// storage) that the S3 layer calls.
//
// # Basics
//
// Parse validates a bucket policy document for one bucket and its owner
// tenant and returns a *Policy, or an error wrapping ErrMalformedPolicy
// whose *MalformedError Reason is AWS's MalformedPolicy message ("Policy has
// invalid resource", "Missing required field Principal", "Action does not
// apply to any resource(s) in statement", ...). Elements Coffer does not
// implement (NotPrincipal, BinaryEquals) wrap ErrUnsupported instead.
//
// A document is AWS's grammar: Version 2012-10-17 or 2008-10-17 (the
// default), Id, Statement as one object or a list; each statement has Sid,
// Effect Allow or Deny, Principal, Action or NotAction, Resource or
// NotResource, and Condition. Element names are case-sensitive, as on AWS
// ("Unknown field condition"). The document may be 20 KB once the
// whitespace between tokens is removed (MaxSize); the raw body is bounded
// by MaxDocumentBytes.
//
// Principals. Coffer tenants are AWS accounts: a tenant is named as
// {"AWS": "arn:aws:iam::<tenant>:root"} or {"AWS": "<tenant>"} (TenantARN
// writes the first form). "*" and {"AWS": "*"} are everyone, anonymous
// requests and every tenant included. Since a bucket lives in its owner's
// namespace, a principal naming any other tenant, a user/role ARN or a
// Service principal is "Invalid principal in policy".
//
// Resources. Every Resource/NotResource is arn:aws:s3:::<bucket> or
// arn:aws:s3:::<bucket>/<key pattern> for the policy's own bucket (the bare
// bucket name, not "tenant:bucket"); anything else, "*" included, is
// "Policy has invalid resource". A request's resource is built from its
// action's Level (ActionLevel): an object action is checked against
// "bucket/key", a bucket action against "bucket". So bucket/* never grants
// s3:ListBucket and bucket never grants s3:GetObject, exactly as on AWS, and
// Parse refuses a statement with an action that applies to none of its
// resources.
//
// Actions are "*" or "s3:" plus a pattern naming at least one action of the
// table in actions.go (object, bucket and account actions, the versioned
// and Object Lock ones included), matched without case. OperationActions
// maps an S3 operation (HeadObject, ListObjectsV2, DeleteObjects,
// CopyObject, ...) and the options of the request (versionId, ACL and tag
// headers, bypass governance) to the actions it needs.
//
// Wildcards. '*' and '?' in actions, resources and the Like operators are
// matched by Match, whose work is bounded by len(pattern)*len(input):
// hostile patterns cannot make evaluation exponential.
//
// Conditions. The operators are the String, Numeric, Date, Bool, IpAddress,
// Arn and Null families with their ...IfExists forms and the ForAnyValue:
// and ForAllValues: qualifiers. Operators AND together, keys within an
// operator AND, values of a key OR; a negated operator (StringNotEquals,
// NotIpAddress, ...) holds when none of its values matches, and also when
// the key is absent, as on AWS. Keys: every aws: key is accepted (AWS does);
// Coffer supplies aws:SourceIp, aws:SecureTransport, aws:CurrentTime,
// aws:EpochTime, aws:UserAgent, aws:Referer, aws:PrincipalType and
// aws:PrincipalAccount from Request's fields, and any s3: key AWS defines
// from Request.Values (s3:prefix, s3:delimiter, s3:max-keys, s3:x-amz-acl,
// s3:VersionId, s3:signatureversion, s3:authType, ...) and
// Request.ExistingObjectTags (s3:ExistingObjectTag/<key>). Unknown s3: keys
// and keys of other services are "Policy has an invalid condition key".
//
// Evaluation. Policy.Evaluate returns Deny when a matching statement denies
// (explicit deny wins), Allow when one allows, NoMatch otherwise (an
// implicit deny). Authorize adds the rest of S3's decision: the owner is
// allowed unless explicitly denied (but keeps Get/Put/DeleteBucketPolicy,
// like an AWS account root, so it cannot lock itself out), a public policy
// grants nothing under RestrictPublicBuckets, and canned ACLs
// (CannedACL.BucketStatements, ObjectStatements) allow what their grants
// imply, public ones counting as private under IgnorePublicAcls.
//
// Canned ACLs and Block Public Access. CannedACL.Grants renders what
// GetBucketAcl/GetObjectAcl return (the owner's FULL_CONTROL plus the
// AllUsers/AuthenticatedUsers group grants). PublicAccessBlock.RefusesACL
// and RefusesPolicy say when PutBucketAcl/PutObjectAcl/PutObject/
// CreateBucket or PutBucketPolicy must be refused; Policy.IsPublic is AWS's
// definition of a public policy and GetBucketPolicyStatus's IsPublic.
//
// # Caveats
//
// Policy variables (${aws:username}) are not expanded: they match
// literally. AWS's check "Conditions do not apply to combination of actions
// and resources in statement" is not made: a condition on a key an action
// never carries simply does not hold. Parse needs the bucket and owner, so
// a stored document is parsed again (or cached) with them at evaluation;
// renaming either would invalidate it. The reasons marked "Coffer's
// wording" in errors.go are ours where AWS's exact message is unknown.
package policy
