// Package auth verifies S3 requests and keeps Coffer's credentials, console
// users, sessions and audit log.
//
// # Request verification
//
// A Verifier checks AWS Signature Version 4 (Authorization header and
// presigned query), including every aws-chunked streaming mode, and AWS
// Signature Version 2 (header and presigned query). Verify returns the
// identity of the signer and a Body that yields the decoded payload while it
// checks chunk signatures and payload hashes as the bytes stream through: a
// forged or truncated body surfaces as an error from Body.Read before io.EOF,
// so a caller that commits only after io.EOF never stores it.
//
// Signatures bind everything that changes what a request does: every
// x-amz-* header must be signed (x-amz-content-sha256 aside, whose value is
// the payload hash), else ErrUnsignedHeaders; SigV2, which does not sign the
// Host header, signs the one resource the S3 router derived from Host and
// path (Target). A SigV4 scope must name the configured region
// (ErrWrongRegion, which tells the client the right one). SigV2 can be
// turned off (VerifierOptions.DisableSigV2); its presigned URLs, which carry
// no signing time, may not expire more than 7 days ahead, like SigV4's.
//
// # Store
//
// Store keeps one key pair per tenant (the secret sealed with AES-GCM under
// a master key), console users (bcrypt), sessions (only a hash of each
// token is stored) and a bounded audit log, in a kv.DB: its own bbolt file
// on a single node (OpenStoreRing), the cluster's etcd (OpenStoreKV). Its
// transactions may run more than once (kv.DB) and reset their outputs on
// every run; tests run each twice (internal/kvretry) to hold them to that.
package auth
