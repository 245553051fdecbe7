package s3api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cofferstore/coffer/auth"
	"github.com/cofferstore/coffer/internal/kv"
	"github.com/cofferstore/coffer/storage"
)

// TestEverySentinelIsMapped fails when a storage or auth sentinel would
// reach clients as InternalError. Keep the lists in step with
// storage/api.go and auth/api.go.
func TestEverySentinelIsMapped(t *testing.T) {
	sentinels := map[string]error{
		"storage.ErrInvalidBucketName": storage.ErrInvalidBucketName,
		"storage.ErrInvalidObjectName": storage.ErrInvalidObjectName,
		"storage.ErrKeyTooLong":        storage.ErrKeyTooLong,
		"os.ErrDeadlineExceeded":       os.ErrDeadlineExceeded,
		"storage.ErrBucketNotFound":    storage.ErrBucketNotFound,
		"storage.ErrBucketExists":      storage.ErrBucketExists,
		"storage.ErrBucketNotEmpty":    storage.ErrBucketNotEmpty,
		"storage.ErrObjectNotFound":    storage.ErrObjectNotFound,
		"storage.ErrUploadNotFound":    storage.ErrUploadNotFound,
		"storage.ErrInvalidPart":       storage.ErrInvalidPart,
		"storage.ErrInvalidPartOrder":  storage.ErrInvalidPartOrder,
		"storage.ErrInvalidPartNumber": storage.ErrInvalidPartNumber,
		"storage.ErrEntityTooSmall":    storage.ErrEntityTooSmall,
		"storage.ErrEntityTooLarge":    storage.ErrEntityTooLarge,
		"storage.ErrBadDigest":         storage.ErrBadDigest,
		"storage.ErrChecksumMismatch":  storage.ErrChecksumMismatch,
		"storage.ErrIncompleteBody":    storage.ErrIncompleteBody,
		"storage.ErrBodyTooLong":       storage.ErrBodyTooLong,
		"io.ErrUnexpectedEOF":          io.ErrUnexpectedEOF,
		"storage.ErrQuotaExceeded":     storage.ErrQuotaExceeded,
		"storage.ErrTooManyBuckets":    storage.ErrTooManyBuckets,
		"storage.ErrTooManyUploads":    storage.ErrTooManyUploads,
		"storage.ErrQuorum":            storage.ErrQuorum,
		"storage.ErrDiskFull":          storage.ErrDiskFull,
		"storage.ErrDriveOffline":      storage.ErrDriveOffline,
		"storage.ErrTenantNotFound":    storage.ErrTenantNotFound,
		"storage.ErrTenantExists":      storage.ErrTenantExists,
		"storage.ErrInvalidTenantName": storage.ErrInvalidTenantName,
		"storage.ErrVolumeExists":      storage.ErrVolumeExists,
		"storage.ErrVolumeNotFound":    storage.ErrVolumeNotFound,
		// Object Lock
		"storage.ErrObjectLocked":       storage.ErrObjectLocked,
		"storage.ErrRetentionShortened": storage.ErrRetentionShortened,
		"storage.ErrNoLockConfig":       storage.ErrNoLockConfig,
		"storage.ErrInvalidBucketState": storage.ErrInvalidBucketState,
		"storage.ErrInvalidRetention":   storage.ErrInvalidRetention,
		"storage.ErrNoSuchVersion":      storage.ErrNoSuchVersion,
		"storage.ErrDeleteMarker":       storage.ErrDeleteMarker,
		"storage.ErrInvalidVersioning":  storage.ErrInvalidVersioning,
		"storage.ErrNoSuchBucketConfig": storage.ErrNoSuchBucketConfig,
		"storage.ErrConfigTooLarge":     storage.ErrConfigTooLarge,
		"storage.ErrSSEKeyRequired":     storage.ErrSSEKeyRequired,
		"storage.ErrSSEKeyMismatch":     storage.ErrSSEKeyMismatch,
		"storage.ErrSSENotCustomer":     storage.ErrSSENotCustomer,
		"storage.ErrSSENoMasterKey":     storage.ErrSSENoMasterKey,
		"kv.Unavailable":                kv.Unavailable,
		"kv.ErrConflict":                kv.ErrConflict,

		"auth.ErrMissingAuth":            auth.ErrMissingAuth,
		"auth.ErrInvalidAccessKeyID":     auth.ErrInvalidAccessKeyID,
		"auth.ErrSignatureMismatch":      auth.ErrSignatureMismatch,
		"auth.ErrMalformedAuth":          auth.ErrMalformedAuth,
		"auth.ErrUnsupportedAuth":        auth.ErrUnsupportedAuth,
		"auth.ErrRequestTimeTooSkewed":   auth.ErrRequestTimeTooSkewed,
		"auth.ErrExpired":                auth.ErrExpired,
		"auth.ErrContentSHA256Mismatch":  auth.ErrContentSHA256Mismatch,
		"auth.ErrInvalidContentSHA256":   auth.ErrInvalidContentSHA256,
		"auth.ErrChunkSignatureMismatch": auth.ErrChunkSignatureMismatch,
		"auth.ErrMalformedChunk":         auth.ErrMalformedChunk,
		"auth.ErrMissingDecodedLength":   auth.ErrMissingDecodedLength,
		"auth.ErrAccessDenied":           auth.ErrAccessDenied,
		"auth.ErrUnsignedHeaders":        auth.ErrUnsignedHeaders,
		"auth.ErrWrongRegion":            auth.ErrWrongRegion,
		"auth.ErrCredentialExists":       auth.ErrCredentialExists,
		"auth.ErrNoCredential":           auth.ErrNoCredential,
		"auth.ErrUserExists":             auth.ErrUserExists,
		"auth.ErrUserNotFound":           auth.ErrUserNotFound,
		"auth.ErrBadPassword":            auth.ErrBadPassword,
		"auth.ErrRateLimited":            auth.ErrRateLimited,
		"auth.ErrSessionInvalid":         auth.ErrSessionInvalid,
		"auth.ErrWeakPassword":           auth.ErrWeakPassword,
		"auth.ErrAmbiguousUser":          auth.ErrAmbiguousUser,
	}
	if len(sentinels) != len(errorTable) {
		t.Errorf("test lists %d sentinels, errorTable has %d entries: update both", len(sentinels), len(errorTable))
	}
	for name, err := range sentinels {
		for _, e := range []error{err, fmt.Errorf("layer: %w", err)} {
			ae := toAPIError(e)
			if ae == errInternal || ae.Code == "InternalError" || ae.Status >= 500 && ae.Code != "SlowDown" && ae.Code != "InsufficientStorage" && ae.Code != "ServiceUnavailable" {
				t.Errorf("%s maps to %s %d", name, ae.Code, ae.Status)
			}
			if ae.Message == "" || strings.Contains(ae.Message, "storage:") || strings.Contains(ae.Message, "auth:") {
				t.Errorf("%s: message %q", name, ae.Message)
			}
		}
	}
}

func TestErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   string
		status int
		msg    string
	}{
		{storage.ErrBucketNotFound, "NoSuchBucket", 404, "The specified bucket does not exist."},
		{fmt.Errorf("storage: commit: %w", fmt.Errorf("etcd: %w", kv.Unavailable)), "ServiceUnavailable", 503, "metadata store is unreachable"},
		{fmt.Errorf("x: %w", storage.ErrObjectNotFound), "NoSuchKey", 404, "The specified key does not exist."},
		{&storage.QuotaError{Resource: "bytes", Used: 10, Adding: 5, Limit: 12}, "QuotaExceeded", 403, "bytes used 10 of limit 12"},
		{fmt.Errorf("w: %w", &storage.QuotaError{Resource: "objects", Used: 3, Adding: 1, Limit: 3}), "QuotaExceeded", 403, "objects used 3 of limit 3"},
		{&storage.QuotaError{Resource: "buckets", Used: 1000, Adding: 1, Limit: 1000}, "TooManyBuckets", 400, "You have attempted to create more buckets than allowed."},
		{fmt.Errorf("w: %w", &storage.QuotaError{Resource: "uploads", Used: 1000, Adding: 1, Limit: 1000}), "QuotaExceeded", 403, "uploads used 1000 of limit 1000"},
		{storage.ErrTooManyUploads, "QuotaExceeded", 403, "unfinished multipart uploads"},
		{storage.ErrQuorum, "SlowDown", 503, "drives"},
		{storage.ErrDiskFull, "InsufficientStorage", 507, "space"},
		{fmt.Errorf("d: %w", storage.ErrObjectLocked), "AccessDenied", 403, "Access Denied because object protected by object lock."},
		{&storage.LockedError{Versions: []string{"k@v1"}}, "AccessDenied", 403, "protected by object lock"},
		{storage.ErrRetentionShortened, "AccessDenied", 403, "protected by object lock"},
		{storage.ErrNoLockConfig, "InvalidRequest", 400, "Bucket is missing Object Lock Configuration"},
		{storage.ErrInvalidBucketState, "InvalidBucketState", 409, "Object Lock configuration is present"},
		{storage.ErrInvalidRetention, "InvalidArgument", 400, "The retain until date must be in the future!"},
		{auth.ErrExpired, "AccessDenied", 403, "Request has expired"},
		{fmt.Errorf("secret path /var/lib/x: boom"), "InternalError", 500, "internal error"},
	} {
		ae := toAPIError(tc.err)
		if ae.Code != tc.code || ae.Status != tc.status || !strings.Contains(ae.Message, tc.msg) {
			t.Errorf("%v -> %s %d %q; want %s %d ~%q", tc.err, ae.Code, ae.Status, ae.Message, tc.code, tc.status, tc.msg)
		}
	}
}

func TestWriteError(t *testing.T) {
	r := httptest.NewRequest("GET", "/b/k", nil)
	w := httptest.NewRecorder()
	w.Header().Set("X-Amz-Checksum-Crc32", "AAAAAA==")
	w.Header().Set("ETag", `"abc"`)
	w.Header().Set("Strict-Transport-Security", "max-age=1")
	writeError(w, r, "REQ1", toAPIError(storage.ErrObjectNotFound))
	if w.Header().Get("X-Amz-Checksum-Crc32") != "" || w.Header().Get("ETag") != "" || w.Header().Get("Strict-Transport-Security") == "" {
		t.Fatalf("error headers: %v", w.Header())
	}
	want := `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Resource>/b/k</Resource><RequestId>REQ1</RequestId></Error>`
	if w.Code != 404 || !strings.HasSuffix(w.Body.String(), want) || w.Header().Get("Content-Type") != "application/xml" {
		t.Fatalf("GET error: %d %q", w.Code, w.Body.String())
	}
	r = httptest.NewRequest("HEAD", "/b/k", nil)
	w = httptest.NewRecorder()
	writeError(w, r, "REQ2", toAPIError(storage.ErrObjectNotFound))
	if w.Code != 404 || w.Body.Len() != 0 {
		t.Fatalf("HEAD error: %d with %d body bytes", w.Code, w.Body.Len())
	}
	w = httptest.NewRecorder()
	writeError(w, httptest.NewRequest("GET", "/b/k", nil), "REQ3", errNotModified)
	if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Fatalf("304: %d with %d body bytes", w.Code, w.Body.Len())
	}
}

// TestAuthErrorDetails: the unsigned header names and the expected region
// travel in their own elements, as AWS sends them.
func TestAuthErrorDetails(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		want   string
	}{
		{fmt.Errorf("v: %w", &auth.UnsignedHeadersError{Names: []string{"x-amz-copy-source", "x-amz-meta-<b>"}}), 403,
			"<Code>AccessDenied</Code><Message>There were headers present in the request which were not signed</Message>" +
				"<HeadersNotSigned>x-amz-copy-source, x-amz-meta-&lt;b&gt;</HeadersNotSigned><Resource>/b/k</Resource>"},
		{&auth.RegionError{Region: "eu-west-3", Expected: "us-east-1"}, 400,
			"<Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region &#39;eu-west-3&#39; is wrong; expecting &#39;us-east-1&#39;</Message>" +
				"<Region>us-east-1</Region><Resource>/b/k</Resource>"},
		{&auth.RegionError{Region: "eu-west-3", Expected: "us-east-1", Presigned: true}, 400,
			"<Code>AuthorizationQueryParametersError</Code><Message>Error parsing the X-Amz-Credential parameter; the region &#39;eu-west-3&#39; is wrong; expecting &#39;us-east-1&#39;</Message>" +
				"<Region>us-east-1</Region><Resource>/b/k</Resource>"},
	} {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest("GET", "/b/k", nil), "REQ", toAPIError(tc.err))
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%v: %d %s", tc.err, w.Code, w.Body.String())
		}
	}
}

// TestDeleteMarkerErrors: a read that meets a delete marker answers as AWS
// does, with the marker's headers (and only then).
func TestDeleteMarkerErrors(t *testing.T) {
	for _, tc := range []struct {
		err                    error
		code                   string
		status                 int
		marker, version, allow string
	}{
		{&storage.DeleteMarkerError{VersionID: "v1"}, "NoSuchKey", 404, "true", "v1", ""},
		{fmt.Errorf("x: %w", &storage.DeleteMarkerError{VersionID: "v2", Addressed: true}), "MethodNotAllowed", 405, "true", "v2", "DELETE"},
		{storage.ErrObjectNotFound, "NoSuchKey", 404, "", "", ""},
		{storage.ErrNoSuchVersion, "NoSuchVersion", 404, "", "", ""},
	} {
		for _, method := range []string{"GET", "HEAD"} {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest(method, "/b/k?versionId=v", nil), "REQ", toAPIError(tc.err))
			h := w.Header()
			if w.Code != tc.status || h.Get("X-Amz-Delete-Marker") != tc.marker || h.Get("X-Amz-Version-Id") != tc.version || h.Get("Allow") != tc.allow {
				t.Errorf("%s %v: %d marker=%q version=%q allow=%q", method, tc.err, w.Code, h.Get("X-Amz-Delete-Marker"), h.Get("X-Amz-Version-Id"), h.Get("Allow"))
			}
			if method == "GET" && !strings.Contains(w.Body.String(), "<Code>"+tc.code+"</Code>") {
				t.Errorf("%v: body %s", tc.err, w.Body.String())
			}
		}
	}
	// The shared table entries are not modified by the headers of one error.
	if ae := toAPIError(storage.ErrObjectNotFound); ae.Header != nil {
		t.Fatalf("table entry gained headers %v", ae.Header)
	}
}
