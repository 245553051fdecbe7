// Package testutil holds helpers shared by the tests of every Coffer
// package: a self-signed TLS certificate, a goroutine-safe log buffer and an
// aws-sdk-go-v2 S3 client for a loopback endpoint. It imports no Coffer
// package, so the tests of any package (internal ones included) may use it.
package testutil
