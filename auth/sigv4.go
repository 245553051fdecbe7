package auth

import (
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"github.com/cofferstore/coffer/pkg/sigv4"
	"strings"
	"sync"
	"time"

	"github.com/minio/sha256-simd"
)

// SigV4 names and limits.
const (
	algorithmV4        = "AWS4-HMAC-SHA256"
	algorithmV4a       = "AWS4-ECDSA-P256-SHA256"
	serviceS3          = "s3"
	scopeTerminator    = "aws4_request"
	iso8601Basic       = "20060102T150405Z"
	scopeDateLayout    = "20060102"
	maxClockSkew       = 15 * time.Minute
	maxPresignExpires  = 7 * 24 * 60 * 60 // seconds; S3's limit for X-Amz-Expires
	emptySHA256Hex     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	payloadUnsigned    = "UNSIGNED-PAYLOAD"
	payloadStreaming   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	payloadStreamTrail = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	payloadUnsignedTr  = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	maxAuthHeaderLen   = 8 << 10
)

// credentialScope is the parsed "AKID/date/region/service/aws4_request".
type credentialScope struct {
	accessKey, date, region, service string
}

func (c credentialScope) String() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + scopeTerminator
}

// v4Auth is a parsed SigV4 Authorization header or presigned query.
type v4Auth struct {
	scope         credentialScope
	signedHeaders []string
	signature     string // lower-case hex
}

// parseCredential parses the Credential value of a SigV4 header or query.
func parseCredential(s string) (credentialScope, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 5 {
		return credentialScope{}, fmt.Errorf("%w: credential must have the form AKID/date/region/service/aws4_request", ErrMalformedAuth)
	}
	n := len(parts)
	c := credentialScope{
		accessKey: strings.Join(parts[:n-4], "/"),
		date:      parts[n-4],
		region:    parts[n-3],
		service:   parts[n-2],
	}
	switch {
	case c.accessKey == "":
		return c, fmt.Errorf("%w: empty access key", ErrMalformedAuth)
	case len(c.date) != 8 || !allDigits(c.date):
		return c, fmt.Errorf("%w: bad credential date", ErrMalformedAuth)
	case c.region == "":
		return c, fmt.Errorf("%w: empty region", ErrMalformedAuth)
	case c.service != serviceS3:
		return c, fmt.Errorf("%w: service must be s3", ErrMalformedAuth)
	case parts[n-1] != scopeTerminator:
		return c, fmt.Errorf("%w: credential must end in aws4_request", ErrMalformedAuth)
	}
	return c, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseSignedHeaders parses "host;x-amz-date"; names must be lower case and
// include host.
func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty SignedHeaders", ErrMalformedAuth)
	}
	names := strings.Split(s, ";")
	hasHost := false
	for _, n := range names {
		if n == "" || n != strings.ToLower(n) || strings.ContainsAny(n, " \t:") {
			return nil, fmt.Errorf("%w: bad SignedHeaders", ErrMalformedAuth)
		}
		if n == "host" {
			hasHost = true
		}
	}
	if !hasHost {
		return nil, fmt.Errorf("%w: SignedHeaders must include host", ErrMalformedAuth)
	}
	return names, nil
}

// parseSignature accepts 64 hex digits and returns them in lower case.
func parseSignature(s string) (string, error) {
	if len(s) != 64 {
		return "", fmt.Errorf("%w: signature must be 64 hex digits", ErrMalformedAuth)
	}
	s = strings.ToLower(s)
	if _, err := hex.DecodeString(s); err != nil {
		return "", fmt.Errorf("%w: signature must be 64 hex digits", ErrMalformedAuth)
	}
	return s, nil
}

// parseV4Header parses
// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func parseV4Header(h string) (v4Auth, error) {
	var a v4Auth
	if len(h) > maxAuthHeaderLen {
		return a, fmt.Errorf("%w: Authorization header too long", ErrMalformedAuth)
	}
	rest, ok := strings.CutPrefix(h, algorithmV4)
	if !ok || (rest != "" && rest[0] != ' ') {
		return a, fmt.Errorf("%w: algorithm must be %s", ErrUnsupportedAuth, algorithmV4)
	}
	var cred, signed, sig string
	var seen [3]bool
	for _, field := range strings.Split(rest, ",") {
		field = strings.TrimSpace(field)
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return a, fmt.Errorf("%w: field %q has no value", ErrMalformedAuth, truncate(k))
		}
		var i int
		switch k {
		case "Credential":
			i, cred = 0, v
		case "SignedHeaders":
			i, signed = 1, v
		case "Signature":
			i, sig = 2, v
		default:
			return a, fmt.Errorf("%w: unknown field %q", ErrMalformedAuth, truncate(k))
		}
		if seen[i] {
			return a, fmt.Errorf("%w: repeated field %q", ErrMalformedAuth, k)
		}
		seen[i] = true
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return a, fmt.Errorf("%w: Credential, SignedHeaders and Signature are required", ErrMalformedAuth)
	}
	var err error
	if a.scope, err = parseCredential(cred); err != nil {
		return a, err
	}
	if a.signedHeaders, err = parseSignedHeaders(signed); err != nil {
		return a, err
	}
	if a.signature, err = parseSignature(sig); err != nil {
		return a, err
	}
	return a, nil
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sha256Hex(data string) string {
	sum := sha256.Sum256([]byte(data))
	return hex.EncodeToString(sum[:])
}

// signingKeys caches derived SigV4 signing keys; a key is valid for one
// secret, day and region, so the cache stays small and is simply dropped
// when full.
type signingKeys struct {
	mu   sync.Mutex
	keys map[string][]byte
}

const maxCachedSigningKeys = 1024

func (c *signingKeys) get(secret string, scope credentialScope) []byte {
	id := secret + "\x00" + scope.date + "\x00" + scope.region + "\x00" + scope.service
	c.mu.Lock()
	k, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = deriveSigningKey(secret, scope)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxCachedSigningKeys {
		c.keys = make(map[string][]byte)
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k
}

func deriveSigningKey(secret string, scope credentialScope) []byte {
	return sigv4.SigningKey(secret, scope.date, scope.region, scope.service)
}

// stringToSignV4 is the SigV4 string to sign for a canonical request.
func stringToSignV4(timestamp string, scope credentialScope, canonical string) string {
	return algorithmV4 + "\n" + timestamp + "\n" + scope.String() + "\n" + sha256Hex(canonical)
}

// signatureEqual compares two lower-case hex signatures in constant time.
func signatureEqual(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}
