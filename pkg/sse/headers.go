package sse

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
)

// Header is what the header parsers read; http.Header satisfies it. (This
// package imports no HTTP code.)
type Header interface {
	Get(name string) string
}

// Request header names.
const (
	HeaderSSE               = "X-Amz-Server-Side-Encryption"
	HeaderCustomerAlgorithm = "X-Amz-Server-Side-Encryption-Customer-Algorithm"
	HeaderCustomerKey       = "X-Amz-Server-Side-Encryption-Customer-Key"
	HeaderCustomerKeyMD5    = "X-Amz-Server-Side-Encryption-Customer-Key-Md5"

	HeaderCopyCustomerAlgorithm = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Algorithm"
	HeaderCopyCustomerKey       = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key"
	HeaderCopyCustomerKeyMD5    = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key-Md5"
)

// HeaderError is an SSE request header rejected with AWS's error code,
// message and HTTP status (400, or 501 for SSE-KMS). Header names the
// offending header (for an <ArgumentName> element). errors.Is matches on code and message, so the
// Err* values below match whichever header (plain or copy source) failed.
type HeaderError struct {
	Code    string
	Message string
	Status  int
	Header  string
}

func (e *HeaderError) Error() string { return "sse: " + e.Header + ": " + e.Code + ": " + e.Message }

// Is reports whether target is a HeaderError with the same code and message.
func (e *HeaderError) Is(target error) bool {
	t, ok := target.(*HeaderError)
	return ok && t.Code == e.Code && t.Message == e.Message
}

func (e *HeaderError) on(header string) *HeaderError {
	c := *e
	c.Header = header
	return &c
}

// The SSE header errors, worded as AWS S3 words them.
var (
	ErrCustomerAlgorithmMissing = &HeaderError{Code: "InvalidArgument", Message: "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.", Status: 400}
	ErrCustomerAlgorithmInvalid = &HeaderError{Code: "InvalidEncryptionAlgorithmError", Message: "The Encryption request you specified is not valid. Supported value: AES256.", Status: 400}
	ErrCustomerKeyMissing       = &HeaderError{Code: "InvalidArgument", Message: "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.", Status: 400}
	ErrCustomerKeyInvalid       = &HeaderError{Code: "InvalidArgument", Message: "The secret key was invalid for the specified algorithm.", Status: 400}
	ErrCustomerKeyMD5Missing    = &HeaderError{Code: "InvalidArgument", Message: "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.", Status: 400}
	ErrCustomerKeyMD5Encoding   = &HeaderError{Code: "InvalidArgument", Message: "The MD5 hash of the secret key was improperly encoded. The MD5 hash must be Base64 encoded.", Status: 400}
	ErrCustomerKeyMD5Mismatch   = &HeaderError{Code: "InvalidArgument", Message: "The calculated MD5 hash of the key did not match the hash that was provided.", Status: 400}
	// ErrCustomerKeyInsecure is for the S3 layer to return when SSE-C
	// headers arrive over plain HTTP and the operator has not allowed it.
	ErrCustomerKeyInsecure = &HeaderError{Code: "InvalidRequest", Message: "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.", Status: 400}
	ErrSSEMethodInvalid    = &HeaderError{Code: "InvalidArgument", Message: "The encryption method specified is not supported", Status: 400}
	ErrSSEMethodKMS        = &HeaderError{Code: "NotImplemented", Message: "Server-side encryption with AWS KMS keys (SSE-KMS) is not implemented; use AES256 (SSE-S3) or SSE-C.", Status: 501}
	ErrSSEAndCustomerKey   = &HeaderError{Code: "InvalidArgument", Message: "Server Side Encryption with Customer provided key is incompatible with the encryption method specified", Status: 400}
)

// ParseCustomerKey reads the SSE-C header triple of a request, or with
// copySource the x-amz-copy-source-server-side-encryption-customer-* triple
// that unlocks a CopyObject/UploadPartCopy source. It returns (nil, nil) when
// none of the three is set, and a *HeaderError when they are incomplete or
// invalid.
func ParseCustomerKey(h Header, copySource bool) (*CustomerKey, error) {
	algH, keyH, md5H := HeaderCustomerAlgorithm, HeaderCustomerKey, HeaderCustomerKeyMD5
	if copySource {
		algH, keyH, md5H = HeaderCopyCustomerAlgorithm, HeaderCopyCustomerKey, HeaderCopyCustomerKeyMD5
	}
	alg, key, sum := h.Get(algH), h.Get(keyH), h.Get(md5H)
	if alg == "" && key == "" && sum == "" {
		return nil, nil
	}
	if alg == "" {
		return nil, ErrCustomerAlgorithmMissing.on(algH)
	}
	if alg != "AES256" {
		return nil, ErrCustomerAlgorithmInvalid.on(algH)
	}
	if key == "" {
		return nil, ErrCustomerKeyMissing.on(keyH)
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(raw) != 32 {
		return nil, ErrCustomerKeyInvalid.on(keyH)
	}
	if sum == "" {
		return nil, ErrCustomerKeyMD5Missing.on(md5H)
	}
	want, err := base64.StdEncoding.DecodeString(sum)
	if err != nil {
		return nil, ErrCustomerKeyMD5Encoding.on(md5H)
	}
	got := md5.Sum(raw)
	if subtle.ConstantTimeCompare(got[:], want) != 1 {
		return nil, ErrCustomerKeyMD5Mismatch.on(md5H)
	}
	ck, _ := NewCustomerKey(raw)
	return ck, nil
}

// Method is the encryption a write asks for.
type Method int

const (
	MethodNone     Method = iota // no SSE header
	MethodS3                     // x-amz-server-side-encryption: AES256
	MethodCustomer               // the SSE-C triple
)

// ParseMethod reads x-amz-server-side-encryption and the SSE-C triple of a
// write (PutObject, CreateMultipartUpload, the destination of CopyObject).
// The customer key is returned for MethodCustomer. SSE-KMS values answer
// NotImplemented; any other value, or SSE-S3 together with SSE-C, is 400
// InvalidArgument. Bucket defaults are the caller's to apply to MethodNone.
func ParseMethod(h Header) (Method, *CustomerKey, error) {
	ck, err := ParseCustomerKey(h, false)
	if err != nil {
		return MethodNone, nil, err
	}
	switch v := h.Get(HeaderSSE); v {
	case "":
		if ck != nil {
			return MethodCustomer, ck, nil
		}
		return MethodNone, nil, nil
	case "AES256":
		if ck != nil {
			return MethodNone, nil, ErrSSEAndCustomerKey.on(HeaderSSE)
		}
		return MethodS3, nil, nil
	case "aws:kms", "aws:kms:dsse":
		return MethodNone, nil, ErrSSEMethodKMS.on(HeaderSSE)
	default:
		return MethodNone, nil, ErrSSEMethodInvalid.on(HeaderSSE)
	}
}
