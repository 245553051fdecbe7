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
// Any region in a SigV4 credential scope is accepted by default (the
// signature covers the scope, so a client configured with another region
// string still proves possession of the secret); set
// VerifierOptions.StrictRegion to insist on the configured region.
//
// # Store
//
// Store keeps, in its own bbolt file, one key pair per tenant (the secret
// sealed with AES-GCM under a master key), console users (bcrypt), sessions
// (only a hash of each token is stored) and a bounded audit log.
package auth
