// Package sigv4 holds the one derivation of an AWS Signature Version 4
// signing key, shared by request verification (auth) and browser POST
// policies (pkg/postpolicy).
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
)

// SigningKey derives the SigV4 signing key of secret for one day
// (yyyymmdd), region and service: HMAC chains over "AWS4"+secret, then
// date, region, service and "aws4_request".
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
