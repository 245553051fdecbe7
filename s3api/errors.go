package s3api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/storage"
)

// apiError is an S3 error: the code and status clients switch on and the
// message a human reads. Handlers return it (or a storage/auth sentinel that
// the table below translates); writeError renders it.
type apiError struct {
	Code    string
	Status  int
	Message string
	// Header holds response headers that belong to this error (Content-Range
	// of a 416, ETag of a 304).
	Header http.Header
	// Fields are extra elements of the <Error> document, after <Message>
	// (<HeadersNotSigned>, <Region>).
	Fields []errorField
}

// errorField is one extra element of an S3 <Error> document.
type errorField struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// with returns a copy of e that also sets these response headers.
func (e *apiError) with(h http.Header) *apiError {
	c := *e
	c.Header = h
	return &c
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorf returns an apiError with a specific message.
func errorf(code string, status int, msg string) *apiError {
	return &apiError{Code: code, Status: status, Message: msg}
}

// S3 errors raised by the HTTP layer itself.
var (
	errNotImplemented       = errorf("NotImplemented", http.StatusNotImplemented, "A header or query you provided implies functionality that is not implemented.")
	errMalformedXML         = errorf("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	errInvalidDigest        = errorf("InvalidDigest", http.StatusBadRequest, "The Content-MD5 you specified is not valid.")
	errMissingContentLength = errorf("MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header.")
	errPreconditionFailed   = errorf("PreconditionFailed", http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold.")
	errNotModified          = errorf("NotModified", http.StatusNotModified, "Not Modified")
	errXMLTooLarge          = errorf("EntityTooLarge", http.StatusBadRequest, "Your request body exceeds the maximum allowed size for this operation.")
	errObjectTooLarge       = errorf("EntityTooLarge", http.StatusBadRequest, fmt.Sprintf("Your proposed upload exceeds the maximum allowed size of %d GiB for a single PUT; use multipart upload.", storage.MaxPartSize>>30))
	errMetadataTooLarge     = errorf("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size of 2 KB.")
	errHeaderTooLarge       = errorf("RequestHeaderSectionTooLarge", http.StatusBadRequest, "Your request header section exceeds the maximum allowed size.")
	errInvalidPartNumberArg = errorf("InvalidArgument", http.StatusBadRequest, fmt.Sprintf("Part number must be an integer between 1 and %d, inclusive.", storage.MaxPartNumber))
	errInvalidMaxKeys       = errorf("InvalidArgument", http.StatusBadRequest, "Argument max-keys must be an integer between 0 and 2147483647.")
	errInvalidEncoding      = errorf("InvalidArgument", http.StatusBadRequest, "Invalid Encoding Method specified in Request.")
	errInvalidToken         = errorf("InvalidArgument", http.StatusBadRequest, "The continuation token provided is incorrect.")
	errCopyToSelf           = errorf("InvalidRequest", http.StatusBadRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	errInvalidCopySource    = errorf("InvalidArgument", http.StatusBadRequest, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	errInvalidMetaDirective = errorf("InvalidArgument", http.StatusBadRequest, "Unknown metadata directive.")
	errInvalidTagDirective  = errorf("InvalidArgument", http.StatusBadRequest, "Unknown tagging directive.")
	errInvalidTag           = errorf("InvalidTag", http.StatusBadRequest, "The TagSet does not conform to the S3 rules: at most 10 tags, unique keys of 1-128 characters, values up to 256 characters.")
	errTooManyDeleteKeys    = errorf("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema: at most 1000 keys per DeleteObjects request.")
	errMultipleChecksums    = errorf("InvalidRequest", http.StatusBadRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	errInvalidChecksumAlgo  = errorf("InvalidRequest", http.StatusBadRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256].")
	errInvalidChecksumType  = errorf("InvalidRequest", http.StatusBadRequest, "The x-amz-checksum-type is not valid for this checksum algorithm: FULL_OBJECT needs CRC32, CRC32C or CRC64NVME; COMPOSITE is not supported for CRC64NVME.")
	errMissingTrailer       = errorf("InvalidRequest", http.StatusBadRequest, "The request declared a trailing checksum in x-amz-trailer but did not send a valid value for it.")
	errInvalidPartForObject = errorf("InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable.")
	errInternal             = errorf("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
)

// invalidChecksumValue reports a malformed x-amz-checksum-* header value.
func invalidChecksumValue(header string) *apiError {
	return errorf("InvalidRequest", http.StatusBadRequest, "Value for "+header+" header is invalid.")
}

// errorMapping translates one storage or auth sentinel to an S3 error.
type errorMapping struct {
	err error
	api *apiError
}

// errorTable is checked in order with errors.Is; the first match wins. Every
// exported sentinel of storage and auth appears here (errors_test.go checks).
var errorTable = []errorMapping{
	// storage: buckets and objects
	{storage.ErrBucketNotFound, errorf("NoSuchBucket", 404, "The specified bucket does not exist.")},
	{storage.ErrObjectNotFound, errorf("NoSuchKey", 404, "The specified key does not exist.")},
	{storage.ErrUploadNotFound, errorf("NoSuchUpload", 404, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")},
	{storage.ErrInvalidBucketName, errorf("InvalidBucketName", 400, "The specified bucket is not valid: names are 3-63 characters of lower-case letters, digits, dots and hyphens.")},
	{storage.ErrKeyTooLong, errorf("KeyTooLongError", 400, "Your key is too long: the limit is 1024 bytes.")},
	{storage.ErrInvalidObjectName, errorf("InvalidURI", 400, "Couldn't parse the specified URI: the object key is empty, not valid UTF-8, or contains NUL.")},
	{storage.ErrBucketExists, errorf("BucketAlreadyOwnedByYou", 409, "Your previous request to create the named bucket succeeded and you already own it.")},
	{storage.ErrBucketNotEmpty, errorf("BucketNotEmpty", 409, "The bucket you tried to delete is not empty.")},
	// storage: Object Lock
	{storage.ErrObjectLocked, errorf("AccessDenied", 403, "Access Denied because object protected by object lock.")},
	{storage.ErrRetentionShortened, errorf("AccessDenied", 403, "Access Denied because object protected by object lock: its retention can be extended, not shortened (GOVERNANCE only with x-amz-bypass-governance-retention).")},
	{storage.ErrNoLockConfig, errorf("InvalidRequest", 400, "Bucket is missing Object Lock Configuration")},
	{storage.ErrInvalidBucketState, errorf("InvalidBucketState", 409, "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")},
	{storage.ErrInvalidRetention, errorf("InvalidArgument", 400, "The retain until date must be in the future!")},
	// storage: versions
	{storage.ErrNoSuchVersion, errorf("NoSuchVersion", 404, "The specified version does not exist.")},
	{storage.ErrDeleteMarker, errorf("MethodNotAllowed", 405, "The specified method is not allowed against this resource.")},
	{storage.ErrInvalidVersioning, errMalformedXML},
	// storage: multipart
	{storage.ErrInvalidPart, errorf("InvalidPart", 400, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")},
	{storage.ErrInvalidPartOrder, errorf("InvalidPartOrder", 400, "The list of parts was not in ascending order. Parts must be ordered by part number.")},
	{storage.ErrInvalidPartNumber, errInvalidPartNumberArg},
	{storage.ErrEntityTooSmall, errorf("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size.")},
	{storage.ErrEntityTooLarge, errorf("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size.")},
	// storage: bodies
	{storage.ErrBadDigest, errorf("BadDigest", 400, "The Content-MD5 you specified did not match what we received.")},
	{storage.ErrChecksumMismatch, errorf("BadDigest", 400, "The checksum you specified did not match the calculated checksum.")},
	{storage.ErrIncompleteBody, errorf("IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.")},
	{storage.ErrBodyTooLong, errorf("InvalidRequest", 400, "The request body is longer than the length it declared.")},
	// A body that stalls or trickles is cut by the server's read deadline.
	{os.ErrDeadlineExceeded, errorf("RequestTimeout", 400, "Your socket connection to the server was not read from or written to within the timeout period.")},
	// A client that hangs up mid-body surfaces as io.ErrUnexpectedEOF from net/http.
	{io.ErrUnexpectedEOF, errorf("IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.")},
	// storage: capacity
	// AWS's answer to an account at its bucket quota.
	{storage.ErrTooManyBuckets, errorf("TooManyBuckets", 400, "You have attempted to create more buckets than allowed.")},
	// AWS has no per-account limit of unfinished uploads. Like the other
	// quota errors it is 403 QuotaExceeded, which SDKs do not retry: the
	// slot frees only when the tenant completes or aborts an upload, so a
	// retryable 503 SlowDown would just repeat the refusal with backoff.
	{storage.ErrTooManyUploads, errorf("QuotaExceeded", 403, "The tenant has as many unfinished multipart uploads as its limit allows; complete or abort some first.")},
	{storage.ErrQuotaExceeded, errorf("QuotaExceeded", 403, "The tenant's storage quota would be exceeded.")},
	{storage.ErrQuorum, errorf("SlowDown", 503, "Not enough drives are online to serve this request safely. Please retry later.")},
	{storage.ErrDriveOffline, errorf("SlowDown", 503, "Not enough drives are online to serve this request safely. Please retry later.")},
	// Cluster mode: etcd, which holds the index, has no quorum. Nothing was
	// committed; SDKs retry a 503.
	{kv.Unavailable, errorf("ServiceUnavailable", 503, "Service is unable to handle request: the cluster's metadata store is unreachable. Please retry later.")},
	// Cluster mode: the commit lost to other nodes' writes of the same keys
	// (a tenant's usage counters) every time it ran; nothing was committed.
	{kv.ErrConflict, errorf("SlowDown", 503, "Please reduce your request rate.")},
	{storage.ErrDiskFull, errorf("InsufficientStorage", 507, "The drives have no space left for this write.")},
	// storage: configuration documents (configError picks the code of a missing kind first)
	// server-side encryption (AWS's answers to SSE-C key problems)
	{storage.ErrSSEKeyRequired, errorf("InvalidRequest", 400, "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")},
	{storage.ErrSSEKeyMismatch, errorf("AccessDenied", 403, "Access Denied: the customer-provided encryption key does not match the object's.")},
	{storage.ErrSSENotCustomer, errorf("InvalidRequest", 400, "The encryption parameters are not applicable to this object.")},
	{storage.ErrSSENoMasterKey, errorf("InvalidRequest", 400, "Server-side encryption with server-managed keys (SSE-S3) is not configured on this server, or the key that encrypted this object is not available.")},
	{storage.ErrNoSuchBucketConfig, errorf("NoSuchConfiguration", 404, "The specified configuration does not exist.")},
	{storage.ErrConfigTooLarge, errorf("EntityTooLarge", 400, "Your configuration exceeds the maximum allowed size.")},
	// storage: operator records (not reachable through S3, mapped for completeness)
	{storage.ErrTenantNotFound, errorf("AccessDenied", 403, "Access Denied.")},
	{storage.ErrTenantExists, errorf("InvalidRequest", 409, "The tenant already exists.")},
	{storage.ErrInvalidTenantName, errorf("InvalidArgument", 400, "The tenant name is not valid.")},
	{storage.ErrVolumeExists, errorf("InvalidRequest", 409, "The volume already exists.")},
	{storage.ErrVolumeNotFound, errorf("InvalidArgument", 404, "The volume does not exist.")},

	// auth: request verification
	{auth.ErrMissingAuth, errorf("AccessDenied", 403, "Access Denied: the request is not signed.")},
	{auth.ErrInvalidAccessKeyID, errorf("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.")},
	{auth.ErrSignatureMismatch, errorf("SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")},
	{auth.ErrChunkSignatureMismatch, errorf("SignatureDoesNotMatch", 403, "The chunk signature we calculated does not match the signature you provided. Check your key and signing method.")},
	{auth.ErrMalformedAuth, errorf("AuthorizationHeaderMalformed", 400, "The authorization header or presigned query is malformed.")},
	{auth.ErrUnsupportedAuth, errorf("InvalidRequest", 400, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")},
	{auth.ErrRequestTimeTooSkewed, errorf("RequestTimeTooSkewed", 403, "The difference between the request time and the server's time is too large.")},
	{auth.ErrExpired, errorf("AccessDenied", 403, "Request has expired.")},
	{auth.ErrContentSHA256Mismatch, errorf("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.")},
	{auth.ErrInvalidContentSHA256, errorf("InvalidArgument", 400, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* mode, or a valid SHA-256 hex value.")},
	{auth.ErrMalformedChunk, errorf("IncompleteBody", 400, "The aws-chunked request body is malformed or truncated.")},
	{auth.ErrMissingDecodedLength, errorf("MissingContentLength", 411, "You must provide the x-amz-decoded-content-length header with aws-chunked bodies.")},
	{auth.ErrAccessDenied, errorf("AccessDenied", 403, "Access Denied.")},
	// auth: signature coverage and region (authDetail adds the names and the region)
	{auth.ErrUnsignedHeaders, errHeadersNotSigned},
	{auth.ErrWrongRegion, errorf("AuthorizationHeaderMalformed", 400, "The authorization header is malformed; the region is wrong; expecting '"+auth.DefaultRegion+"'")},
	// auth: console records (not reachable through S3, mapped for completeness)
	{auth.ErrCredentialExists, errorf("InvalidRequest", 409, "The tenant already has credentials.")},
	{auth.ErrNoCredential, errorf("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.")},
	{auth.ErrUserExists, errorf("InvalidRequest", 409, "The user already exists.")},
	{auth.ErrUserNotFound, errorf("AccessDenied", 403, "Access Denied.")},
	{auth.ErrBadPassword, errorf("AccessDenied", 403, "Access Denied.")},
	{auth.ErrRateLimited, errorf("SlowDown", 503, "Please reduce your request rate.")},
	{auth.ErrSessionInvalid, errorf("AccessDenied", 403, "Access Denied.")},
	{auth.ErrWeakPassword, errorf("InvalidArgument", 400, "The password is too short.")},
	{auth.ErrAmbiguousUser, errorf("AccessDenied", 403, "Access Denied.")},
}

// toAPIError translates any error returned by a handler to the S3 error to
// render. Unknown errors become InternalError; their text is logged, never
// sent.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var qe *storage.QuotaError
	if errors.As(err, &qe) && !errors.Is(err, storage.ErrTooManyBuckets) {
		return errorf("QuotaExceeded", http.StatusForbidden,
			"Quota exceeded: "+qe.Resource+" used "+strconv.FormatInt(qe.Used, 10)+
				" of limit "+strconv.FormatInt(qe.Limit, 10)+
				" (this request adds "+strconv.FormatInt(qe.Adding, 10)+").")
	}
	if ae := authDetail(err); ae != nil {
		return ae
	}
	if ae := lifecycleAPIError(err); ae != nil {
		return ae
	}
	if ae := configError(err); ae != nil {
		return ae
	}
	if ae := packageError(err); ae != nil {
		return ae
	}
	for _, m := range errorTable {
		if errors.Is(err, m.err) {
			return withDeleteMarker(err, m.api)
		}
	}
	return errInternal
}

// withDeleteMarker adds the headers AWS sends when a read meets a delete
// marker: 404 NoSuchKey for a current marker, 405 MethodNotAllowed (with
// Allow: DELETE, the one method a marker takes) for one named by version id.
func withDeleteMarker(err error, ae *apiError) *apiError {
	var dm *storage.DeleteMarkerError
	if !errors.As(err, &dm) {
		return ae
	}
	h := http.Header{"X-Amz-Delete-Marker": {"true"}}
	if dm.VersionID != "" {
		h.Set("X-Amz-Version-Id", dm.VersionID)
	}
	if dm.Addressed {
		h.Set("Allow", "DELETE")
	}
	if !dm.ModTime.IsZero() {
		h.Set("Last-Modified", dm.ModTime.UTC().Format(http.TimeFormat))
	}
	return ae.with(h)
}

// errorBody is the S3 <Error> document.
type errorBody struct {
	XMLName   xml.Name     `xml:"Error"`
	Code      string       `xml:"Code"`
	Message   string       `xml:"Message"`
	Fields    []errorField // named by their XMLName
	Resource  string       `xml:"Resource"`
	RequestID string       `xml:"RequestId"`
}

// writeError renders e as the one S3 error response: status, and for every
// method but HEAD (and 304) the <Error> XML body.
func writeError(w http.ResponseWriter, r *http.Request, reqID string, e *apiError) {
	h := w.Header()
	// Drop headers a handler set for the success it did not reach (an
	// object's checksum on an error body would fail client validation).
	for k := range h {
		if isObjectHeader(http.CanonicalHeaderKey(k)) {
			delete(h, k)
		}
	}
	for k, vs := range e.Header {
		h[k] = vs
	}
	if e.Status == http.StatusNotModified {
		w.WriteHeader(e.Status)
		return
	}
	if r.Method == http.MethodHead {
		// HEAD has no body; the code travels in a header for debugging.
		h.Set("X-Amz-Error-Code", e.Code)
		w.WriteHeader(e.Status)
		return
	}
	body, _ := xml.Marshal(errorBody{Code: e.Code, Message: e.Message, Fields: e.Fields, Resource: r.URL.Path, RequestID: reqID})
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

// isObjectHeader reports whether a (canonical) response header describes an
// object or a success, so that it must not travel with an error.
func isObjectHeader(k string) bool {
	switch k {
	case "Etag", "Last-Modified", "Accept-Ranges", "Cache-Control", "Expires", "Location":
		return true
	}
	for _, prefix := range []string{"Content-", "X-Amz-Meta-", "X-Amz-Checksum-", "X-Amz-Tagging-", "X-Amz-Mp-", "X-Amz-Bucket-",
		"X-Amz-Version-Id", "X-Amz-Copy-Source-Version-Id", "X-Amz-Delete-Marker", "X-Amz-Object-Lock-"} {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
