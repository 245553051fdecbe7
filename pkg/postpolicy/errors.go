package postpolicy

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// Error is an S3 error raised by this package: the code and status clients
// switch on, the message S3 words, and the extra elements of S3's <Error>
// document (ArgumentName, MaxSizeAllowed, ...). The S3 layer renders it
// as-is.
type Error struct {
	Code    string
	Status  int
	Message string
	// Fields are extra elements of the <Error> document, after <Message>.
	Fields []Field
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is matches another *Error with the same code and message, so that the
// sentinels below work with errors.Is even when a copy carries Fields.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == e.Message
}

func newError(code string, status int, msg string, fields ...Field) *Error {
	return &Error{Code: code, Status: status, Message: msg, Fields: fields}
}

// Errors of the form itself.
var (
	// ErrNotMultipart is returned when the request is not
	// multipart/form-data.
	ErrNotMultipart = newError("PreconditionFailed", http.StatusPreconditionFailed,
		"At least one of the pre-conditions you specified did not hold",
		Field{"Condition", "Bucket POST must be of the enclosure-type multipart/form-data"})
	// ErrMalformedPOST is returned when the body is not well-formed
	// multipart/form-data, or a part is not a named form-data field.
	ErrMalformedPOST = newError("MalformedPOSTRequest", http.StatusBadRequest,
		"The body of your POST request is not well-formed multipart/form-data.")
	// ErrNoFile is returned when the body ends without a part named file.
	// S3 documents IncorrectNumberOfFilesInPostRequest but answers this.
	ErrNoFile = newError("InvalidArgument", http.StatusBadRequest,
		"POST requires exactly one file upload per request.",
		Field{"ArgumentName", "file"}, Field{"ArgumentValue", "0"})
	// ErrSignatureMismatch is returned (with S3's AWSAccessKeyId,
	// StringToSign, SignatureProvided and StringToSignBytes elements) when
	// the policy's signature does not match the one computed with the access
	// key's secret.
	ErrSignatureMismatch = newError("SignatureDoesNotMatch", http.StatusForbidden,
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	// ErrSigV2Disabled is returned for a SigV2 form when SigV2 is turned off.
	ErrSigV2Disabled = newError("InvalidRequest", http.StatusBadRequest,
		"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	// ErrPolicyExpired is returned when the policy's expiration has passed.
	ErrPolicyExpired = newError("AccessDenied", http.StatusForbidden,
		"Invalid according to Policy: Policy expired.")
)

// signatureMismatch is ErrSignatureMismatch with the elements S3 adds: the
// string to sign is the policy as sent, which holds no secret.
func signatureMismatch(accessKey, policy, provided string) *Error {
	b := make([]string, len(policy))
	for i := 0; i < len(policy); i++ {
		b[i] = hex.EncodeToString([]byte{policy[i]})
	}
	e := *ErrSignatureMismatch
	e.Fields = []Field{{"AWSAccessKeyId", accessKey}, {"StringToSign", policy},
		{"SignatureProvided", provided}, {"StringToSignBytes", strings.Join(b, " ")}}
	return &e
}

// preDataTooLarge is S3's answer when the fields before the file exceed
// the limit (S3's message spells "preceeding").
func preDataTooLarge(limit int64) *Error {
	return newError("MaxPostPreDataLengthExceeded", http.StatusBadRequest,
		"Your POST request fields preceeding the upload file was too large.",
		Field{"MaxPostPreDataLengthBytes", strconv.FormatInt(limit, 10)})
}

// missingField is S3's answer to a form without a required field.
func missingField(name string) *Error {
	return newError("InvalidArgument", http.StatusBadRequest,
		"Bucket POST must contain a field named '"+name+"'.  If it is specified, please check the order of the fields.",
		Field{"ArgumentName", name}, Field{"ArgumentValue", ""})
}

// invalidArgument reports a form field with a value that cannot be used.
func invalidArgument(name, value, msg string) *Error {
	return newError("InvalidArgument", http.StatusBadRequest, msg,
		Field{"ArgumentName", name}, Field{"ArgumentValue", value})
}

// invalidPolicy reports a policy document that cannot be parsed.
func invalidPolicy(reason string) *Error {
	return newError("InvalidPolicyDocument", http.StatusBadRequest, "Invalid Policy: "+reason)
}

// policyDenied reports a form that the policy does not allow.
func policyDenied(reason string) *Error {
	return newError("AccessDenied", http.StatusForbidden, "Invalid according to Policy: "+reason)
}

func entityTooLarge(proposed, max int64) *Error {
	return newError("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed size",
		Field{"ProposedSize", strconv.FormatInt(proposed, 10)}, Field{"MaxSizeAllowed", strconv.FormatInt(max, 10)})
}

func entityTooSmall(proposed, min int64) *Error {
	return newError("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed size",
		Field{"ProposedSize", strconv.FormatInt(proposed, 10)}, Field{"MinSizeAllowed", strconv.FormatInt(min, 10)})
}
