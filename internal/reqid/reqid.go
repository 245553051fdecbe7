// Package reqid makes the ids that tie a response to its log lines. The S3
// listener sends them as x-amz-request-id and the console as X-Request-Id;
// both use this one generator, so an id reads the same in every log.
package reqid

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// New returns a random 16-character upper-case hex id, shaped like AWS's.
func New() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
