// Package postpolicy implements the pure core of S3 browser uploads
// (POST Object with an HTML form, "presigned POST"): reading the form,
// checking the policy document and its signature, bounding the file while it
// streams, and shaping the success answer. It imports no storage and serves
// no HTTP; the S3 layer wires it in.
//
// # Basics
//
// ReadForm reads a multipart/form-data body up to the form-data part named
// "file" and returns the fields before it and the file part as an io.Reader
// straight from the body. S3 requires the file to be the last field and
// ignores what follows; ReadForm never reads past the file's start, so
// fields after it cannot influence anything. Field names compare
// case-insensitively ("Policy" and "X-Amz-Signature" are what AWS's own
// example sends); values are kept as sent. The form data and boundaries
// before the file are bounded as S3 bounds them (20480 bytes,
// MaxPostPreDataLengthExceeded past it), and so are the raw bytes read
// before the file, so no input makes ReadForm hold or skip more than a few
// tens of KB.
//
// Authorize runs the checks in S3's order: a key field; the signature
// fields and the signature over the policy text as sent (Verify), before
// the policy is decoded; then the policy (ParsePolicy, Policy.Check):
// expiration, every condition (exact-match objects, "eq", "starts-with",
// "content-length-range"), and that every form field except file, policy,
// x-amz-signature, signature, AWSAccessKeyId and x-ignore-* is named by a
// condition. Failures are *Error values with the code, wording and extra
// elements S3 answers with, e.g. 403 AccessDenied "Invalid according to
// Policy: Policy Condition failed: ["eq", "$key", "x"]" or "... Extra input
// fields: acl", 400 InvalidPolicyDocument "Invalid Policy: Invalid JSON.".
//
// Verify knows SigV4 forms (x-amz-algorithm AWS4-HMAC-SHA256,
// x-amz-credential, x-amz-date, x-amz-signature: the hex HMAC-SHA256 of the
// base64 policy under the derived signing key) and SigV2 forms
// (AWSAccessKeyId, signature: the base64 HMAC-SHA1 of the base64 policy).
// Secrets come from a SecretLookup callback; SignV4 and SignV2 produce the
// signatures for clients and tests (AWS's published example is a test).
//
// LimitLength enforces the policy's content-length-range on the file while
// it streams: it never yields a byte past the maximum, and reports
// EntityTooSmall instead of io.EOF below the minimum, so a caller that
// commits only at io.EOF stores nothing out of range. Response shapes the
// success answer: a 303 to success_action_redirect (or redirect) with
// bucket, key and etag appended to its query, else success_action_status
// 200, 201 (PostResponse XML) or 204 (the default, also for unknown values).
//
// # Caveats
//
// Behaviour follows what S3 was observed to answer where that differs from
// its documentation: a form without a file is 400 InvalidArgument (not
// IncorrectNumberOfFilesInPostRequest), a non-multipart request 412
// PreconditionFailed, a failed condition 403 AccessDenied. Where neither
// says, the choices are ours:
//
//   - ${filename} is expanded in every field, to the file name after its
//     last '/' or '\', before the policy is checked; a file part without a
//     filename parameter leaves it literal, as S3 was seen to.
//   - A condition on a field the form lacks fails, even starts-with "" (S3
//     was seen to fail it). A field without '$' and a non-numeric
//     content-length-range bound make conditions that always fail (403), as
//     in S3. A starts-with on Content-Type must hold for each
//     comma-separated value. Several content-length-range conditions
//     intersect.
//   - A field repeated in the form (case-insensitively) is one field whose
//     values are joined with commas, as S3's SigV2 documentation describes.
//   - An anonymous form (no signature fields) is not checked against its
//     policy: S3 treats the policy as optional for anonymous requests and
//     leaves the decision to the bucket's permissions, which the caller
//     checks.
//   - A SigV4 form is valid until the policy's expiration; the scope must
//     name the server's region and x-amz-date must fall on the scope's day
//     (S3's check of the day is not recorded), but no clock-skew window
//     applies.
//   - EntityTooLarge reports ProposedSize as the maximum plus one: the
//     stream is cut at the first byte past the maximum.
//   - Redirects go only to absolute http and https URLs; others are ignored
//     as S3 ignores a URL it cannot interpret.
//   - Messages S3 was never seen to give (a minimum above the maximum, a
//     negative bound, x-amz-date on another day) are worded here.
//
// The SigV4 signing key comes from pkg/sigv4, the derivation auth uses
// too; TestSigningKeyMatchesSDK checks it against the AWS SDK signer and TestSignV4AWSExample against AWS's published example.
package postpolicy
