package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/storage"
)

// bucketNameRules explains S3 bucket naming to a person who just broke it.
const bucketNameRules = "invalid container name: use 3-63 characters, only lowercase letters, digits, hyphens and dots, starting and ending with a letter or digit (no uppercase, underscores, spaces or IP addresses)"

// tenantNameRules explains tenant naming.
const tenantNameRules = "invalid tenant name: use 3-63 characters, only lowercase letters, digits and hyphens, starting and ending with a letter or digit"

// apiError is an error with the HTTP status and the message shown to the
// client. Fields are extra JSON members rendered beside "error".
type apiError struct {
	Status  int
	Message string
	Fields  map[string]any
	cause   error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.cause)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *apiError) Unwrap() error { return e.cause }

// errorf returns an apiError with a formatted client message.
func errorf(status int, format string, args ...any) error {
	return &apiError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// errorMapping is one row of the sentinel table.
type errorMapping struct {
	err     error
	status  int
	message string
}

// errorTable maps every storage and auth sentinel the console can meet to a
// status and a message a person can act on. It is checked in order with errors.Is.
var errorTable = []errorMapping{
	{storage.ErrInvalidBucketName, http.StatusBadRequest, bucketNameRules},
	{storage.ErrInvalidObjectName, http.StatusBadRequest, "invalid object key"},
	{storage.ErrBucketNotFound, http.StatusNotFound, "container not found"},
	{storage.ErrBucketExists, http.StatusConflict, "a container with that name already exists"},
	{storage.ErrBucketNotEmpty, http.StatusConflict, "the container is not empty"},
	{storage.ErrObjectNotFound, http.StatusNotFound, "object not found"},
	{storage.ErrUploadNotFound, http.StatusNotFound, "multipart upload not found"},
	{storage.ErrInvalidPart, http.StatusBadRequest, "invalid part"},
	{storage.ErrInvalidPartOrder, http.StatusBadRequest, "parts are not in ascending order"},
	{storage.ErrInvalidPartNumber, http.StatusBadRequest, "invalid part number"},
	{storage.ErrEntityTooSmall, http.StatusBadRequest, "part too small"},
	{storage.ErrEntityTooLarge, http.StatusRequestEntityTooLarge, "object too large"},
	{storage.ErrBadDigest, http.StatusBadRequest, "content MD5 mismatch"},
	{storage.ErrChecksumMismatch, http.StatusBadRequest, "checksum mismatch"},
	{storage.ErrIncompleteBody, http.StatusBadRequest, "body shorter than declared"},
	{storage.ErrBodyTooLong, http.StatusBadRequest, "body longer than declared"},
	{storage.ErrTooManyBuckets, http.StatusForbidden, "container limit reached: delete a container or ask your operator to raise the limit"},
	{storage.ErrTooManyUploads, http.StatusForbidden, "too many unfinished multipart uploads: complete or abort some first"},
	{storage.ErrQuotaExceeded, http.StatusForbidden, "quota exceeded"},
	{storage.ErrQuorum, http.StatusServiceUnavailable, "not enough drives are online; try again later"},
	{storage.ErrDriveOffline, http.StatusServiceUnavailable, "not enough drives are online; try again later"},
	{storage.ErrDiskFull, http.StatusInsufficientStorage, "no space left on the drives"},
	{storage.ErrTenantNotFound, http.StatusNotFound, "tenant not found"},
	{storage.ErrTenantExists, http.StatusConflict, "a tenant with that name already exists"},
	{storage.ErrInvalidTenantName, http.StatusBadRequest, tenantNameRules},
	{storage.ErrVolumeExists, http.StatusConflict, "the tenant already has a volume with that name"},
	{storage.ErrVolumeNotFound, http.StatusNotFound, "volume not found"},
	{storage.ErrNoSuchVersion, http.StatusNotFound, "no such version"},
	{storage.ErrDeleteMarker, http.StatusNotFound, "that version is a delete marker"},
	{storage.ErrObjectLocked, http.StatusConflict, "versions are protected by Object Lock (retention or legal hold) and cannot be deleted yet"},
	{storage.ErrNoLockConfig, http.StatusBadRequest, "the container has no Object Lock configuration"},
	{storage.ErrInvalidBucketState, http.StatusConflict, "versioning cannot be suspended on a container with Object Lock"},
	{storage.ErrRetentionShortened, http.StatusForbidden, "retention cannot be shortened"},
	{storage.ErrInvalidRetention, http.StatusBadRequest, "invalid retention"},
	{storage.ErrInvalidVersioning, http.StatusBadRequest, "versioning state must be Enabled or Suspended"},
	{storage.ErrSSEKeyRequired, http.StatusBadRequest, "the object is encrypted with a customer-provided key (SSE-C): read it over S3 with its key"},
	{storage.ErrSSEKeyMismatch, http.StatusForbidden, "the customer-provided encryption key does not match the object's"},
	{storage.ErrSSENotCustomer, http.StatusBadRequest, "the object is not encrypted with a customer-provided key"},
	{storage.ErrSSENoMasterKey, http.StatusServiceUnavailable, "server-side encryption is not available: the master key that encrypted this object is missing"},

	{auth.ErrCredentialExists, http.StatusConflict, "credentials already exist; rotate or delete them instead"},
	{auth.ErrNoCredential, http.StatusNotFound, "no credentials; generate them first"},
	{auth.ErrUserExists, http.StatusConflict, "that username is taken: the tenant already has a user of that name, or it is an operator's name"},
	{auth.ErrUserNotFound, http.StatusNotFound, "user not found"},
	{auth.ErrBadPassword, http.StatusUnauthorized, "invalid username or password"},
	{auth.ErrAmbiguousUser, http.StatusConflict, "more than one tenant has a user of that name: log in as user@tenant"},
	{auth.ErrRateLimited, http.StatusTooManyRequests, "too many failed login attempts from your address; wait and try again"},
	{auth.ErrBadToken, http.StatusUnauthorized, "invalid operator API token"},
	{auth.ErrSessionInvalid, http.StatusUnauthorized, "not logged in or session expired"},
	{auth.ErrWeakPassword, http.StatusBadRequest, fmt.Sprintf("password is too short: use at least %d characters", auth.MinPasswordLength)},
	{auth.ErrInvalidUsername, http.StatusBadRequest, "invalid username: use 1-64 characters, only letters, digits and - . _ ~ @"},
	{auth.ErrAccessDenied, http.StatusForbidden, "access denied"},

	// The metadata store (cluster mode: etcd) cannot be reached or has no
	// quorum; nothing was committed.
	{kv.Unavailable, http.StatusServiceUnavailable, "the metadata store is unavailable; try again later"},
	{kv.ErrConflict, http.StatusServiceUnavailable, "too many concurrent changes of the same records; try again"},

	// An upload body that arrives slower than its read deadline allows
	// (transfer.go extendBodyDeadline).
	{os.ErrDeadlineExceeded, http.StatusRequestTimeout, "the upload arrived too slowly and was cut; try again"},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "the request timed out; try again"},
	{context.Canceled, http.StatusServiceUnavailable, "the request was canceled"},
}

// toAPIError turns any handler error into the status and message to send.
// Unknown errors become 500 "internal error"; the caller logs the cause.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var rle *auth.RateLimitError
	if errors.As(err, &rle) {
		secs := retryAfterSeconds(rle.RetryAfter)
		unit := "seconds"
		if secs == 1 {
			unit = "second"
		}
		return &apiError{Status: http.StatusTooManyRequests, cause: err,
			Message: fmt.Sprintf("too many failed login attempts from your address; try again in %d %s", secs, unit),
			Fields:  map[string]any{"retryAfter": secs}}
	}
	var qe *storage.QuotaError
	if errors.As(err, &qe) {
		msg := qe.Error()
		if qe.Resource == "buckets" { // the console calls buckets containers
			msg = fmt.Sprintf("container limit reached: %d of %d containers; delete one or ask your operator to raise the limit", qe.Used, qe.Limit)
		}
		return &apiError{Status: http.StatusForbidden, Message: msg, cause: err}
	}
	// Force-deleting a container or deleting a tenant that holds locked
	// versions: the message names them, so the user knows what waits.
	var le *storage.LockedError
	if errors.As(err, &le) {
		msg := "versions protected by Object Lock (retention or legal hold) cannot be deleted before their retain-until date: " + strings.Join(le.Versions, ", ")
		if le.More {
			msg += " and more"
		}
		return &apiError{Status: http.StatusConflict, Message: msg, cause: err,
			Fields: map[string]any{"lockedVersions": le.Versions}}
	}
	for _, m := range errorTable {
		if errors.Is(err, m.err) {
			return &apiError{Status: m.status, Message: m.message, cause: err}
		}
	}
	return &apiError{Status: http.StatusInternalServerError, Message: "internal error", cause: err}
}

// retryAfterSeconds rounds a wait up to whole seconds for Retry-After.
func retryAfterSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
