// Package lifecycle is the rule engine of S3 bucket lifecycle configurations:
// it parses and validates a PutBucketLifecycleConfiguration body as S3 does,
// marshals it back for GetBucketLifecycleConfiguration, and decides, for one
// object version or one multipart upload at a given time, which action is
// due and which rule takes it. It knows nothing of storage or HTTP: a
// background executor lists versions and uploads, asks this package, and
// deletes through storage's normal delete path.
//
// # Basics
//
// Parse returns a *Configuration or an *Error carrying AWS's code, message
// and status (MalformedXML, InvalidArgument, InvalidRequest, NotImplemented
// for transitions, MaxMessageLengthExceeded for a body over MaxBodyBytes).
// Rules given without an ID get a deterministic one.
//
// An executor lists a key's versions newest first and calls EvaluateKey
// (KeyObjects derives each version's facts: latest, noncurrent since, newer
// noncurrent versions, other versions). Decisions depend only on the versions
// as they are, so re-running a key after a crash asks for nothing twice.
// Configuration.Next tells when the earliest action on an Object falls due;
// Evaluate answers whether it is due at a given now. Time is always passed
// in; nothing here reads the clock, so tests can run years in a loop.
// ExpirationHeader gives the x-amz-expiration value; AbortFor and
// EffectiveAbort give the abort date of an upload (bucket rule, or else the
// tenant's default of DefaultAbortDays) and its x-amz-abort-* headers.
//
// Days are counted as AWS counts them: the start (creation, the successor's
// creation for noncurrent versions, initiation for uploads) plus N days,
// rounded up to the next midnight UTC. An object created at 23:59:59 UTC
// with Days=1 therefore expires at the second midnight after its creation.
//
// # Caveats
//
//   - Only Enabled rules act; Disabled ones are kept and returned by Marshal.
//   - When several rules act on a version, the earliest due date wins, and
//     between equal dates the first rule in the configuration.
//   - Expiring a current version in a versioned bucket adds a delete marker
//     (ActionAddDeleteMarker); the executor must not do it again for a key
//     whose current version is already a marker (Next never asks it to).
//   - A decision is made on a listing that may be stale by the time it is
//     carried out (a PUT in between makes a new current version): the
//     executor must make each delete conditional on the version it decided
//     on still being in the same place (see the wiring plan of issue 16).
//   - Object Lock is not this package's business: the executor must skip
//     locked versions (storage refuses to delete them anyway).
//   - V1 configurations (top-level Prefix) are accepted and given back in
//     that form; as in S3, V1 rules taking the same kind of action may not
//     have overlapping prefixes, and V1 and V2 rules may not be mixed.
//   - "Next midnight" is strictly after start+N days: a start+N landing
//     exactly on a midnight moves to the following one (only reachable with
//     whole-second test clocks).
//   - Store a configuration as Marshal's output (or the body) and Parse it
//     again on load: Parse(Marshal(c)) equals c (a fuzz target checks it).
package lifecycle
