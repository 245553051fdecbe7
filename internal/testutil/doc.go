// Package testutil holds helpers shared by the tests of every Coffer
// package: a self-signed TLS certificate, a goroutine-safe log buffer, an
// aws-sdk-go-v2 S3 client for a loopback endpoint and its error helpers
// (S3ErrorCode, WantS3Error, XMLErrorCode), the one client of the console
// and admin JSON API (API, Operator, Login), and the one parser of the
// Prometheus text format (ParseMetrics, Series), and a settable Clock. It imports no Coffer
// package, so the tests of any package (internal ones included) may use it.
package testutil
