package cors

import "net/http"

// Error is an S3 error raised by this package: the code and status clients
// switch on and the message S3 words. The S3 layer renders it as-is.
type Error struct {
	Code    string
	Status  int
	Message string
	// Fields are extra elements of S3's <Error> document, after <Message>:
	// a refused preflight names the requested <Method> and the
	// <ResourceType> (OBJECT or BUCKET).
	Fields []Field
}

// Field is one extra element of an error document.
type Field struct {
	Name, Value string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is matches another *Error with the same code and message, so that the
// sentinels below work with errors.Is on copies that carry Fields.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == e.Message
}

func newError(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// refused is e naming the preflight's requested method and the kind of
// resource its URL names.
func (e *Error) refused(method string, object bool) *Error {
	c := *e
	resource := "BUCKET"
	if object {
		resource = "OBJECT"
	}
	c.Fields = []Field{{"Method", method}, {"ResourceType", resource}}
	return &c
}

// invalidRequestMethod is S3's 400 for a preflight whose
// Access-Control-Request-Method is missing ("null") or not one of the
// methods a rule may allow.
func invalidRequestMethod(method string) *Error {
	if method == "" {
		method = "null"
	}
	return newError("BadRequest", http.StatusBadRequest, "Invalid Access-Control-Request-Method: "+method)
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
	// Access-Control-Request-Method header; one naming a method no rule may
	// allow gets the same error with that method.
	ErrNoRequestMethod = invalidRequestMethod("")
	// ErrNotEnabled is returned for a preflight to a bucket without a CORS
	// configuration (ResourceType BUCKET even when the URL names a key, as
	// S3 answers).
	ErrNotEnabled = newError("AccessForbidden", http.StatusForbidden,
		"CORSResponse: CORS is not enabled for this bucket.")
	// ErrNotAllowed is returned for a preflight that no rule allows. The
	// spelling "evalution" is S3's own.
	ErrNotAllowed = newError("AccessForbidden", http.StatusForbidden,
		"CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
)

// ErrNoSuchConfiguration is S3's answer to GetBucketCors on a bucket
// without a configuration; the S3 layer adds the <BucketName> element.
var ErrNoSuchConfiguration = newError("NoSuchCORSConfiguration", http.StatusNotFound,
	"The CORS configuration does not exist")

func invalidRequest(msg string) *Error {
	return newError("InvalidRequest", http.StatusBadRequest, msg)
}
