// Package postpolicy implements the pure core of S3 browser uploads
// (POST Object with an HTML form, "presigned POST"): reading the form,
// checking the policy document and its signature, bounding the file while it
// streams, and shaping the success answer. It imports no storage and serves
// no HTTP; the S3 layer wires it in.
//
// # Basics
//
// ReadForm reads a multipart/form-data body up to the part named "file" and
// returns the fields before it and the file part as an io.Reader straight
// from the body. S3 requires the file to be the last field and ignores what
// follows; ReadForm never reads past the file's start, so fields after it
// cannot influence anything. Field names compare case-insensitively (S3
// accepts "Policy" as well as "policy"); values are kept as sent. The fields
// before the file are bounded as S3 bounds them (Limits: 20 KB of names and
// values, MaxPostPreDataLengthExceeded past it), and so are the raw bytes
// read before the file (part headers, preamble), so no input makes ReadForm
// hold or skip more than a few tens of KB.
//
// Authorize runs the checks in S3's order: a key field (${filename}
// replaced by the file part's filename), the signature (Verify), then the
// policy (ParsePolicy, Policy.Check): expiration, every condition (exact
// match objects, "eq", "starts-with" with "" matching anything, and
// "content-length-range"), and that every form field except file, policy,
// x-amz-signature, signature, AWSAccessKeyId and x-ignore-* is named by a
// condition. Failures are *Error values with S3's code and wording, e.g.
// AccessDenied "Invalid according to Policy: Policy Condition failed:
// ["eq", "$key", "x"]" or "... Extra input fields: acl".
//
// Verify knows SigV4 forms (x-amz-algorithm AWS4-HMAC-SHA256,
// x-amz-credential, x-amz-date, x-amz-signature: the hex HMAC-SHA256 of the
// base64 policy under the derived signing key) and SigV2 forms
// (AWSAccessKeyId, signature: the base64 HMAC-SHA1 of the base64 policy).
// Secrets come from a SecretLookup callback; SignV4 and SignV2 produce the
// signatures for clients and tests.
//
// LimitLength enforces the policy's content-length-range on the file while
// it streams: it never yields a byte past the maximum, and reports
// EntityTooSmall instead of io.EOF below the minimum, so a caller that
// commits only at io.EOF stores nothing out of range. Response shapes the
// success answer: a 303 to success_action_redirect (or redirect) with
// bucket, key and etag in its query, else success_action_status 200, 201
// (PostResponse XML) or 204 (the default, also for unknown values).
//
// # Caveats
//
// Conditions are matched against the key after ${filename} substitution
// (what is stored is what is checked). A condition on a field the form lacks
// sees "", so only an empty eq or starts-with passes it. A starts-with on
// Content-Type must hold for each comma-separated value. Several
// content-length-range conditions intersect. A field repeated in the form
// (case-insensitively) is refused (InvalidArgument) rather than letting
// the policy check one copy and the upload use another.
//
// An anonymous form (no signature fields) needs no policy; if it carries
// one, the policy is still checked. Whether an anonymous upload is allowed
// at all is the bucket policy's decision, made by the caller.
//
// A SigV4 form is valid until the policy's expiration: x-amz-date must fall
// on the credential scope's day and the scope must name the server's
// region, but no clock-skew window applies, as in S3.
//
// EntityTooLarge reports ProposedSize as the maximum plus one: the stream is
// cut at the first byte past the maximum, so the real size is unknown.
// Redirects go only to absolute http and https URLs; others are ignored as
// S3 ignores a URL it cannot interpret.
//
// The SigV4 signing-key derivation duplicates auth's unexported
// deriveSigningKey; TestSigningKeyMatchesSDK checks it against the AWS SDK.
// Where S3's documentation gives no wording (malformed policy details, bad
// credential fields, a repeated field), the messages are ours.
package postpolicy
