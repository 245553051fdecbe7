package cors

import "net/http"

// Error is an S3 error raised by this package: the code and status clients
// switch on and the message S3 words. The S3 layer renders it as-is.
type Error struct {
	Code    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// Errors of PutBucketCors bodies and of preflight requests, worded as S3
// words them.
var (
	// ErrMalformedXML is returned when the body is not well-formed XML, is not
	// a CORSConfiguration, holds an unknown element, or breaks the schema (a
	// rule without an AllowedMethod or AllowedOrigin, no rule, too many rules).
	ErrMalformedXML = newError("MalformedXML", http.StatusBadRequest,
		"The XML you provided was not well-formed or did not validate against our published schema.")
	// ErrTooLarge is returned when the body exceeds MaxConfigSize.
	ErrTooLarge = newError("EntityTooLarge", http.StatusBadRequest,
		"Your request body exceeds the maximum allowed size for this operation.")
	// ErrNoOrigin is returned for a preflight without an Origin header.
	ErrNoOrigin = newError("BadRequest", http.StatusBadRequest,
		"Insufficient information. Origin request header needed.")
	// ErrNoRequestMethod is returned for a preflight without an
	// Access-Control-Request-Method header.
	ErrNoRequestMethod = newError("BadRequest", http.StatusBadRequest,
		"Invalid Access-Control-Request-Method: null")
	// ErrNotEnabled is returned for a preflight to a bucket without a CORS
	// configuration.
	ErrNotEnabled = newError("AccessForbidden", http.StatusForbidden,
		"CORSResponse: CORS is not enabled for this bucket.")
	// ErrNotAllowed is returned for a preflight that no rule allows. The
	// spelling "evalution" is S3's own.
	ErrNotAllowed = newError("AccessForbidden", http.StatusForbidden,
		"CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
)

func invalidRequest(msg string) *Error {
	return newError("InvalidRequest", http.StatusBadRequest, msg)
}
